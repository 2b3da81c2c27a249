"""Licence vocabulary: the one place hftree classifies licences.

The kind of licence a model declares: permissive, copyleft, non-commercial, community, other.
Every table that shows licence classes (ecosystem shares, the ``license_class`` trait, the
drift audit, the report) takes them from :func:`license_class` / :func:`license_classes` here.

The Hub stores the licence of a model as a lower-case identifier, mostly an
SPDX id (``apache-2.0``, ``mit``, ``gpl-3.0``) and a few Hub-specific ones
(``llama3.1``, ``gemma``, ``openrail``, ``other``). :func:`license_class` maps an
identifier to one of :data:`LICENSE_CLASSES`:

``permissive``
    Use, modify and redistribute for any purpose, with at most attribution and
    notice conditions (and, for Apache-2.0, a patent clause). Software licences
    are classed permissive when the Blue Oak Council permissive licence list
    rates them (any tier, Gold to Lead) [1]_; public-domain dedications (CC0,
    Unlicense, PDDL) and attribution-only content/data licences (CC BY [2]_,
    ODC-By, CDLA-Permissive, Etalab 2.0, OpenMDW) are permissive too.
``copyleft``
    Derivatives must be shared under the same licence: the GNU family (GPL,
    LGPL, AGPL, GFDL), weak/file-level copyleft (MPL, EPL, EUPL, OSL), and
    share-alike content/data licences (CC BY-SA [2]_, ODbL, CDLA-Sharing, OFL).
``non-commercial``
    Commercial use is not allowed: CC BY-NC-* [2]_ and research-only model
    licences (FAIR Noncommercial Research, Apple AMLR, DeepFloyd IF, Intel and
    H research licences).
``community``
    Model-specific or responsible-AI licences that allow commercial use under
    an acceptable-use policy, use-based restrictions or a size threshold: the
    Llama 2/3/3.1/3.2/3.3/4 community licences, Gemma terms, Grok 2 community,
    and the RAIL family (OpenRAIL, OpenRAIL-M, BigScience BLOOM RAIL,
    BigCode OpenRAIL-M) [3]_.
``other``
    The Hub's ``other`` (a custom licence named in ``license_name``), the
    unversioned ``cc`` family (anything from CC0 to BY-NC-ND), no-derivatives
    licences (CC BY-ND), C-UDA, Apple sample code, and any identifier not in
    the table.
``none``
    No licence declared (a missing value).

A licence ``other`` is classified by the licence its ``license_name`` names where hftree
knows it (:data:`NAMED_LICENSE_CLASSES`: ``other`` + ``gemma-terms-of-use`` is ``gemma``,
hence ``community``; ``exaone`` is ``non-commercial``), and a ``license_name`` that says
non-commercial or research makes it ``non-commercial``.

The identifiers are those the Hub offers [4]_; SPDX names each of them [5]_.
Variants are recognised by :data:`LICENSE_FAMILIES` (``gpl-3.0-only``,
``gpl-3.0-or-later``, ``gpl-2.0+``, ``bsd-2-clause-patent``, ``cc-by-nc-nd-2.5``,
``llama3.4`` ...).

References
----------
.. [1] Blue Oak Council, "License List", https://blueoakcouncil.org/list
   (Apache-2.0, MIT, BSD-2-Clause, BSL-1.0, ECL-2.0, ISC, MS-PL, PostgreSQL,
   UPL-1.0 Silver; AFL-3.0, Artistic-2.0, BSD-3-Clause(-Clear), CC0-1.0,
   LPPL-1.3c, NCSA, Unlicense, Zlib Bronze; WTFPL Lead).
.. [2] Creative Commons, "About CC Licenses", https://creativecommons.org/about/cclicenses/
   (BY: attribution only; SA: adaptations under the same terms; NC: noncommercial
   purposes only; ND: no adaptations).
.. [3] Contractor et al., "Behavioral Use Licensing for Responsible AI", FAccT 2022;
   https://www.licenses.ai/ ; Meta Llama community licence agreements; Gemma Terms of Use.
.. [4] Hugging Face, "Licenses", https://huggingface.co/docs/hub/repositories-licenses
.. [5] SPDX License List, https://spdx.org/licenses/

Examples
--------
>>> license_class("apache-2.0"), license_class("GPL-3.0-or-later"), license_class(None)
('permissive', 'copyleft', 'none')
>>> license_class("llama3.1"), license_class("cc-by-nc-sa-4.0"), license_class("other")
('community', 'non-commercial', 'other')
>>> license_class("other", "llama4"), license_class("other", "exaone")
('community', 'non-commercial')
"""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "LICENSE_CLASSES",
    "LICENSE_FAMILIES",
    "LICENSE_TABLE",
    "NAMED_LICENSE_CLASSES",
    "PERMISSIVE",
    "LicenseClass",
    "license_class",
    "license_classes",
    "license_key",
    "license_keys",
]

LicenseClass = Literal["permissive", "copyleft", "non-commercial", "community", "other", "none"]

#: The classes, in the order tables list them.
LICENSE_CLASSES: tuple[str, ...] = (
    "permissive",
    "copyleft",
    "non-commercial",
    "community",
    "other",
    "none",
)

PERMISSIVE = "permissive"

_P, _C, _NC, _COM, _O = "permissive", "copyleft", "non-commercial", "community", "other"

#: Every licence identifier the Hub offers (see [4] in the module docstring), with its class.
LICENSE_TABLE: dict[str, str] = {
    # --- permissive software licences (Blue Oak Council list [1])
    "apache-2.0": _P,  # Silver
    "mit": _P,  # Silver
    "bsd": _P,  # the BSD family: every member is on the Blue Oak list
    "bsd-2-clause": _P,  # Silver
    "bsd-3-clause": _P,  # Bronze
    "bsd-3-clause-clear": _P,  # Bronze
    "bsl-1.0": _P,  # Boost, Silver
    "afl-3.0": _P,  # Academic Free License, Bronze
    "artistic-2.0": _P,  # Bronze
    "ecl-2.0": _P,  # Educational Community License, Silver
    "isc": _P,  # Silver
    "ms-pl": _P,  # Microsoft Public License, Silver
    "ncsa": _P,  # University of Illinois/NCSA, Bronze
    "postgresql": _P,  # Silver
    "zlib": _P,  # Bronze
    "lppl-1.3c": _P,  # LaTeX Project Public License, Bronze
    "wtfpl": _P,  # Lead
    "unlicense": _P,  # public-domain dedication, Bronze
    "cc0-1.0": _P,  # public-domain dedication, Bronze
    # --- permissive content / data / model licences (attribution at most)
    "cc-by-2.0": _P,
    "cc-by-2.5": _P,
    "cc-by-3.0": _P,
    "cc-by-4.0": _P,
    "pddl": _P,  # ODC Public Domain Dedication and Licence
    "odc-by": _P,  # ODC Attribution
    "cdla-permissive-1.0": _P,
    "cdla-permissive-2.0": _P,
    "etalab-2.0": _P,  # French Licence Ouverte 2.0 (attribution)
    "openmdw-1.0": _P,  # Open Model, Data & Weights licence (Linux Foundation)
    "openmdw-1.1": _P,
    # --- copyleft: GNU family, weak/file-level copyleft, share-alike
    "gpl": _C,
    "gpl-2.0": _C,
    "gpl-3.0": _C,
    "lgpl": _C,
    "lgpl-2.1": _C,
    "lgpl-3.0": _C,
    "lgpl-lr": _C,  # Lesser GPL for Linguistic Resources
    "agpl-3.0": _C,
    "gfdl": _C,
    "mpl-2.0": _C,
    "epl-1.0": _C,
    "epl-2.0": _C,
    "eupl-1.1": _C,
    "eupl-1.2": _C,
    "osl-3.0": _C,
    "ofl-1.1": _C,  # SIL Open Font License: derivatives stay under the OFL
    "cc-by-sa-3.0": _C,
    "cc-by-sa-4.0": _C,
    "odbl": _C,  # ODC Open Database License (share-alike)
    "cdla-sharing-1.0": _C,
    # --- non-commercial
    "cc-by-nc-2.0": _NC,
    "cc-by-nc-3.0": _NC,
    "cc-by-nc-4.0": _NC,
    "cc-by-nc-nd-3.0": _NC,
    "cc-by-nc-nd-4.0": _NC,
    "cc-by-nc-sa-2.0": _NC,
    "cc-by-nc-sa-3.0": _NC,
    "cc-by-nc-sa-4.0": _NC,
    "fair-noncommercial-research-license": _NC,
    "apple-amlr": _NC,  # Apple Machine Learning Research Model licence: research only
    "deepfloyd-if-license": _NC,  # research, non-commercial
    "intel-research": _NC,
    "h-research": _NC,
    # --- model-specific community / responsible-AI licences
    "llama2": _COM,
    "llama3": _COM,
    "llama3.1": _COM,
    "llama3.2": _COM,
    "llama3.3": _COM,
    "llama4": _COM,
    "gemma": _COM,
    "grok2-community": _COM,
    "openrail": _COM,
    "openrail++": _COM,
    "creativeml-openrail-m": _COM,
    "bigscience-openrail-m": _COM,
    "bigscience-bloom-rail-1.0": _COM,
    "bigcode-openrail-m": _COM,
    # --- other
    "other": _O,  # custom licence, see license_name
    "unknown": _O,
    "cc": _O,  # the Creative Commons family without a version: could be any of them
    "cc-by-nd-4.0": _O,  # no derivatives: neither permissive nor share-alike
    "c-uda": _O,  # Computational Use of Data Agreement: computational use only
    "apple-ascl": _O,  # Apple Sample Code License
}

#: Rules for identifiers missing from :data:`LICENSE_TABLE`, tried in order (regular expressions
#: on the lower-case id): SPDX ``-only``/``-or-later``/``+`` variants, other versions of a family.
LICENSE_FAMILIES: tuple[tuple[str, str], ...] = (
    (r"^cc-by-nc", _NC),
    (r"^cc-by-nd", _O),
    (r"^cc-by-sa", _C),
    (r"^cc-by-\d", _P),
    (r"^cc0", _P),
    (r"^(a|l)?gpl", _C),
    (r"^(mpl|epl|eupl|osl|gfdl|ofl)-", _C),
    (r"^(bsd|mit|apache|bsl|afl|zlib|isc|0bsd)([-.]|$)", _P),
    (r"^llama\d", _COM),
    (r"^gemma", _COM),
    (r"openrail|(^|-)rail(-|$)", _COM),
)
_FAMILIES = tuple((re.compile(p), c) for p, c in LICENSE_FAMILIES)


# Classes of ids a licence "other" can name through license_name that LICENSE_TABLE (the Hub's own
# licence ids) does not list.
NAMED_LICENSE_CLASSES: dict[str, str] = {
    "exaone": _NC,  # EXAONE AI Model License Agreement 1.1 - NC
    "mrl": _NC,  # Mistral AI Research License
    "stabilityai-ai-community": _COM,  # Stability AI Community License (revenue threshold)
    "nvidia-open-model-license": _COM,
    "qwen": _COM, "tongyi-qianwen": _COM, "deepseek": _COM,
    "falcon-llm": _COM, "yi-license": _COM,
}

# license_name (of licence "other") -> the licence id it names
_NAME_ALIASES: dict[str, str] = {
    "gemma-terms-of-use": "gemma", "gemma": "gemma", "llama4": "llama4", "llama-4": "llama4",
    "llama3": "llama3", "llama-3": "llama3", "llama3.1": "llama3.1", "llama3.2": "llama3.2",
    "llama3.3": "llama3.3", "llama2": "llama2", "llama-2": "llama2", "exaone": "exaone",
    "stabilityai-ai-community": "stabilityai-ai-community", "nvidia-open-model-license":
    "nvidia-open-model-license", "qwen": "qwen", "tongyi-qianwen": "tongyi-qianwen",
    "deepseek": "deepseek", "deepseek-license": "deepseek", "mrl": "mrl",
    "mistral-research-license": "mrl", "falcon-llm-license": "falcon-llm", "yi-license": "yi-license",
}


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def license_key(license: Any, license_name: Any = None) -> str | None:
    """The licence id an analysis should use: ``license`` lower-cased, or for ``other`` the id
    its ``license_name`` names (``None`` when no licence is declared).

    >>> license_key("other", "gemma-terms-of-use"), license_key("MIT"), license_key(None)
    ('gemma', 'mit', None)
    """
    if _missing(license):
        return None
    key = str(license).strip().lower()
    if not key:
        return None
    if key == "other" and isinstance(license_name, str):
        return _NAME_ALIASES.get(license_name.strip().lower(), key)
    return key


def license_class(license: Any, license_name: Any = None) -> str:
    """The class of one licence identifier (case and surrounding spaces ignored).

    Parameters
    ----------
    license : str or None
        A licence identifier as the Hub stores it; ``None``/NaN/empty means no
        licence declared.
    license_name : str or None
        The Hub's ``license_name`` field: for a licence ``other``, the licence it names.

    Returns
    -------
    str
        One of :data:`LICENSE_CLASSES`; identifiers not covered by
        :data:`LICENSE_TABLE`, :data:`NAMED_LICENSE_CLASSES` or :data:`LICENSE_FAMILIES`
        are ``"other"``.

    Examples
    --------
    >>> [license_class(x) for x in ["MIT", "bsd-2-clause-patent", "gpl-2.0+", "cc-by-nd-3.0", ""]]
    ['permissive', 'permissive', 'copyleft', 'other', 'none']
    >>> license_class("other", "my-noncommercial-terms")
    'non-commercial'
    """
    key = license_key(license, license_name)
    if key is None:
        return "none"
    named = NAMED_LICENSE_CLASSES.get(key)
    if named is not None:
        return named
    if key == "other" and isinstance(license_name, str):
        low = license_name.lower()
        if "noncommercial" in low or "non-commercial" in low or "research" in low:
            return _NC
    found = LICENSE_TABLE.get(key)
    if found is not None:
        return found
    for pattern, cls in _FAMILIES:
        if pattern.search(key):
            return cls
    return _O


def _pairs(licenses: Any, license_names: Any) -> tuple[np.ndarray, list[tuple[Any, Any]]]:
    """Codes of each (licence, name) pair and the distinct pairs, so each is classified once."""
    lic = pd.Series(np.asarray(licenses, dtype=object) if not isinstance(licenses, pd.Series)
                    else licenses.astype(object).to_numpy())
    if license_names is None:
        names = pd.Series([None] * len(lic), dtype=object)
    else:
        names = pd.Series(np.asarray(license_names, dtype=object) if not isinstance(license_names, pd.Series)
                          else license_names.astype(object).to_numpy())
        # a name matters only for "other": drop the rest so distinct pairs stay few
        names = names.where(lic.map(lambda v: isinstance(v, str) and v.strip().lower() == "other"), None)
    lic = lic.where(lic.notna(), None)
    names = names.where(names.notna(), None)
    frame = pd.DataFrame({"l": lic, "n": names})
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(frame), use_na_sentinel=False)
    return codes, list(uniques)


def license_classes(licenses: pd.Series | np.ndarray | list[Any], license_names: Any = None) -> np.ndarray:
    """:func:`license_class` of many licences at once (classifies each distinct pair once).

    >>> license_classes(["mit", None, "llama2", "other"], [None, None, None, "exaone"]).tolist()
    ['permissive', 'none', 'community', 'non-commercial']
    """
    codes, uniques = _pairs(licenses, license_names)
    classes = np.array([license_class(lic, name) for lic, name in uniques] or [], dtype=object)
    return classes[codes] if len(codes) else np.empty(0, dtype=object)


def license_keys(licenses: pd.Series | np.ndarray | list[Any], license_names: Any = None) -> np.ndarray:
    """:func:`license_key` of many licences at once.

    >>> license_keys(["MIT", "other", None], [None, "llama-4", None]).tolist()
    ['mit', 'llama4', None]
    """
    codes, uniques = _pairs(licenses, license_names)
    keys = np.array([license_key(lic, name) for lic, name in uniques] or [], dtype=object)
    return keys[codes] if len(codes) else np.empty(0, dtype=object)
