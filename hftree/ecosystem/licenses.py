"""The kind of licence a model declares: permissive, copyleft, non-commercial, community, other.

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
    "PERMISSIVE",
    "LicenseClass",
    "license_class",
    "license_classes",
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


def license_class(license: Any) -> str:
    """The class of one licence identifier (case and surrounding spaces ignored).

    Parameters
    ----------
    license : str or None
        A licence identifier as the Hub stores it; ``None``/NaN/empty means no
        licence declared.

    Returns
    -------
    str
        One of :data:`LICENSE_CLASSES`; identifiers not covered by
        :data:`LICENSE_TABLE` or :data:`LICENSE_FAMILIES` are ``"other"``.

    Examples
    --------
    >>> [license_class(x) for x in ["MIT", "bsd-2-clause-patent", "gpl-2.0+", "cc-by-nd-3.0", ""]]
    ['permissive', 'permissive', 'copyleft', 'other', 'none']
    """
    if license is None or (not isinstance(license, str) and pd.isna(license)):
        return "none"
    key = str(license).strip().lower()
    if not key:
        return "none"
    found = LICENSE_TABLE.get(key)
    if found is not None:
        return found
    for pattern, cls in _FAMILIES:
        if pattern.search(key):
            return cls
    return _O


def license_classes(licenses: pd.Series | np.ndarray | list[Any]) -> np.ndarray:
    """:func:`license_class` of many licences at once (classifies each distinct value once).

    >>> license_classes(["mit", None, "llama2", "mit"]).tolist()
    ['permissive', 'none', 'community', 'permissive']
    """
    values = (
        licenses
        if isinstance(licenses, pd.Series)
        else pd.Series(np.asarray(licenses, dtype=object))
    )
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    classes = np.array([license_class(u) for u in uniques] + ["none"], dtype=object)
    return classes[codes]  # code -1 (missing) picks the trailing "none"
