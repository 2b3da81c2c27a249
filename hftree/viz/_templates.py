"""Page templates shipped as package files, filled by plain placeholder substitution.

A template is an ordinary HTML, CSS or JavaScript file under a package's
``templates/`` folder (``hftree/viz/templates/tree.html``, ...), read with
:mod:`importlib.resources` so it works from a wheel as from a source tree. A
placeholder is ``{{name}}`` (lower-case letters and ``_``); :func:`fill`
replaces every placeholder in one pass, so braces of CSS and JavaScript need no
escaping and a filled-in value is never scanned for placeholders again.
Values are inserted verbatim: escape text for HTML (``html.escape``) and data
for a ``<script>`` element (:func:`json_for_script`) before filling it in.
"""

from __future__ import annotations

import importlib.util
import json
import re
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

__all__ = ["fill", "json_for_script", "template", "vis_network_js"]

_PLACEHOLDER = re.compile(r"\{\{([a-z_]+)\}\}")


@cache
def template(package: str, name: str) -> str:
    """The text of ``templates/<name>`` inside ``package`` (cached).

    >>> "{{data}}" in template("hftree.viz", "tree.html")
    True
    """
    return resources.files(package).joinpath("templates", name).read_text(encoding="utf-8")


def fill(text: str, **values: object) -> str:
    """``text`` with every ``{{name}}`` replaced by ``str(values[name])``, in one pass.

    Every placeholder must get a value and every value must be used: a typo in
    a template or a caller fails here rather than leaving ``{{...}}`` in a page.

    >>> fill("a{{x}}b{c}{{x}}", x="{{y}}")
    'a{{y}}b{c}{{y}}'
    >>> fill("{{x}}")
    Traceback (most recent call last):
    ...
    KeyError: "template placeholders without a value: ['x']"
    """
    wanted = set(_PLACEHOLDER.findall(text))
    if missing := sorted(wanted - values.keys()):
        raise KeyError(f"template placeholders without a value: {missing}")
    if unused := sorted(values.keys() - wanted):
        raise KeyError(f"values for placeholders the template does not have: {unused}")
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


def json_for_script(obj: object) -> str:
    """JSON that is safe inside a ``<script>`` element (``<``, ``>``, ``&`` and the
    JavaScript line separators escaped, so no string can close the element).

    >>> json_for_script(["</script><b>"])
    '["\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"]'
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@lru_cache(maxsize=1)
def vis_network_js() -> str:
    """vis-network's standalone build, from the installed ``pyvis`` package, ready to inline.

    Found without importing pyvis (``import pyvis`` pulls in IPython and takes a second).
    """
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "hftree's tree pages need pyvis (pip install 'pyvis>=0.3.2')", name="pyvis"
        )
    here = Path(next(iter(spec.submodule_search_locations)))
    for base in (here / "templates" / "lib" / "vis-9.1.2", here / "lib" / "vis-9.1.2"):
        if (base / "vis-network.min.js").exists():
            js = (base / "vis-network.min.js").read_text(encoding="utf-8")
            return js.replace("</script", "<\\/script").replace("<!--", "<\\!--")
    raise FileNotFoundError(
        f"vis-network 9.1.2 not found inside pyvis at {here}; reinstall pyvis>=0.3.2 "
        "(it ships the library hftree inlines)"
    )
