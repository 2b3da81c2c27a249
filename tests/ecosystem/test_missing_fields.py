"""Ecosystem statistics of a snapshot that lacks a field are NA, never zero."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hftree.ecosystem import ecosystem_stats


def _table(**cols):
    base = {"id": ["a", "b", "c"], "author": ["x", "y", "y"]}
    return pd.DataFrame({**base, **cols})


def test_missing_downloads_likes_and_licences_are_na():
    res = ecosystem_stats(_table(downloads=pd.array([None] * 3, dtype="Int64")))
    s = res.summary.set_index("statistic")["value"]
    for stat in ("downloads", "likes", "licensed_model_share", "permissive_model_share", "gini", "pearson_r2"):
        assert s[stat] is pd.NA, stat
    assert s["models"] == 3 and str(res.summary["value"].dtype) == "Float64"
    assert set(res.missing) == {"downloads", "likes", "license"}
    assert np.isnan(res.value("likes"))  # value() stays a float
    assert res.license_class_shares["model_share"].isna().all()  # no 100 % "none"
    assert res.author_shares["downloads"].isna().all() and res.author_shares["models"].sum() == 3


def test_present_fields_keep_their_numbers():
    res = ecosystem_stats(_table(downloads=[10, 0, 5], likes=[0, 0, 0], license=["mit", None, "mit"]))
    s = res.summary.set_index("statistic")["value"]
    assert s["downloads"] == 15 and s["likes"] == 0  # zero likes recorded are zero
    assert s["licensed_model_share"] == 2 / 3 and res.missing == ()


def test_family_concentration_without_downloads_is_na():
    from hftree.lineage import LineageGraph

    models = _table(downloads=pd.array([None] * 3, dtype="Int64"))
    edges = pd.DataFrame({"parent": ["a", "a"], "child": ["b", "c"], "relation": ["finetune"] * 2})
    G = LineageGraph.from_tables(models, edges, snapshot_time=pd.Timestamp("2025-01-01", tz="UTC"))
    fam = ecosystem_stats(G).family_concentration
    assert fam["descendants"].tolist() == [2]
    assert fam["family_downloads"].isna().all() and fam["gini"].isna().all()
