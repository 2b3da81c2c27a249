"""The licence classification: the table, the family rules, missing values, vectorised use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hftree.ecosystem.licenses import (
    LICENSE_CLASSES,
    LICENSE_TABLE,
    license_class,
    license_classes,
)

# Licence ids offered by the Hub (huggingface.co/docs/hub/repositories-licenses), with the class
# each must get. Every class is represented; the brief's examples are all here.
EXPECTED = {
    "apache-2.0": "permissive",
    "mit": "permissive",
    "bsd": "permissive",
    "bsd-2-clause": "permissive",
    "bsd-3-clause": "permissive",
    "bsd-3-clause-clear": "permissive",
    "bsl-1.0": "permissive",
    "afl-3.0": "permissive",
    "artistic-2.0": "permissive",
    "isc": "permissive",
    "zlib": "permissive",
    "cc0-1.0": "permissive",
    "unlicense": "permissive",
    "wtfpl": "permissive",
    "cc-by-4.0": "permissive",
    "cc-by-2.0": "permissive",
    "pddl": "permissive",
    "odc-by": "permissive",
    "cdla-permissive-2.0": "permissive",
    "gpl": "copyleft",
    "gpl-2.0": "copyleft",
    "gpl-3.0": "copyleft",
    "agpl-3.0": "copyleft",
    "lgpl": "copyleft",
    "lgpl-2.1": "copyleft",
    "lgpl-3.0": "copyleft",
    "lgpl-lr": "copyleft",
    "cc-by-sa-3.0": "copyleft",
    "cc-by-sa-4.0": "copyleft",
    "mpl-2.0": "copyleft",
    "epl-2.0": "copyleft",
    "eupl-1.2": "copyleft",
    "gfdl": "copyleft",
    "odbl": "copyleft",
    "cdla-sharing-1.0": "copyleft",
    "cc-by-nc-4.0": "non-commercial",
    "cc-by-nc-sa-4.0": "non-commercial",
    "cc-by-nc-nd-4.0": "non-commercial",
    "cc-by-nc-2.0": "non-commercial",
    "fair-noncommercial-research-license": "non-commercial",
    "apple-amlr": "non-commercial",
    "deepfloyd-if-license": "non-commercial",
    "llama2": "community",
    "llama3": "community",
    "llama3.1": "community",
    "llama3.2": "community",
    "llama3.3": "community",
    "llama4": "community",
    "gemma": "community",
    "openrail": "community",
    "openrail++": "community",
    "creativeml-openrail-m": "community",
    "bigscience-openrail-m": "community",
    "bigscience-bloom-rail-1.0": "community",
    "bigcode-openrail-m": "community",
    "other": "other",
    "cc": "other",
    "cc-by-nd-4.0": "other",
    "c-uda": "other",
}


@pytest.mark.parametrize(("lic", "cls"), sorted(EXPECTED.items()))
def test_hub_licences(lic, cls):
    assert license_class(lic) == cls


def test_table_uses_only_the_documented_classes():
    assert set(LICENSE_TABLE.values()) <= set(LICENSE_CLASSES) - {"none"}
    assert LICENSE_CLASSES == (
        "permissive",
        "copyleft",
        "non-commercial",
        "community",
        "other",
        "none",
    )
    assert all(k == k.strip().lower() for k in LICENSE_TABLE)


@pytest.mark.parametrize(
    ("lic", "cls"),
    [
        ("GPL-3.0-only", "copyleft"),
        ("gpl-3.0-or-later", "copyleft"),
        ("gpl-2.0+", "copyleft"),
        ("AGPL-3.0-or-later", "copyleft"),
        ("lgpl-2.1-only", "copyleft"),
        ("bsd-2-clause-patent", "permissive"),
        ("mit-0", "permissive"),
        ("apache-1.1", "permissive"),
        ("cc-by-nc-nd-2.5", "non-commercial"),
        ("cc-by-sa-2.0", "copyleft"),
        ("cc-by-1.0", "permissive"),
        ("cc-by-nd-3.0", "other"),
        ("llama3.4", "community"),
        ("gemma2", "community"),
        ("some-custom-license", "other"),
        ("  MIT  ", "permissive"),
        ("Apache-2.0", "permissive"),
    ],
)
def test_variants_case_and_unknown(lic, cls):
    assert license_class(lic) == cls


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, "", "   "])
def test_missing_is_none(missing):
    assert license_class(missing) == "none"


@given(
    st.lists(
        st.one_of(st.none(), st.sampled_from(sorted(EXPECTED)), st.text(max_size=12)), max_size=40
    )
)
def test_vectorised_matches_scalar(values):
    got = license_classes(values)
    assert got.tolist() == [license_class(v) for v in values]
    series = pd.Series(values, dtype="string")
    assert license_classes(series).tolist() == [license_class(v) for v in values]
