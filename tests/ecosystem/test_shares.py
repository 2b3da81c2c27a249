"""Share tables against a direct, row-by-row computation on hand-made model tables."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hftree.ecosystem import (
    license_class,
    license_class_shares,
    license_shares,
    permissive_share,
    share_table,
)
from hftree.errors import InputFormatError, ParameterError

MODELS = pd.DataFrame(
    {
        "id": [f"m{i}" for i in range(10)],
        "license": [
            "mit",
            "mit",
            "apache-2.0",
            "gpl-3.0",
            None,
            "llama3",
            "mit",
            "apache-2.0",
            None,
            "cc-by-nc-4.0",
        ],
        "author": ["a", "b", "a", "c", "a", None, "d", "b", "e", "a"],
        "downloads": pd.array([100, 5, 1000, 0, 50, 400, None, 20, 0, 7], dtype="Int64"),
        "likes": pd.array([1, 0, 30, 2, 0, 9, 4, 1, 0, 3], dtype="Int64"),
    }
)


def direct_shares(models: pd.DataFrame, column: str) -> dict:
    """value -> (models, downloads, likes), by looping over rows; None for missing."""
    out: dict = defaultdict(lambda: [0, 0, 0])
    for _, row in models.iterrows():
        v = row[column]
        key = None if pd.isna(v) else v
        out[key][0] += 1
        out[key][1] += 0 if pd.isna(row["downloads"]) else int(row["downloads"])
        out[key][2] += 0 if pd.isna(row["likes"]) else int(row["likes"])
    return dict(out)


@pytest.mark.parametrize("column", ["license", "author"])
@pytest.mark.parametrize("n_values", [0, 1, 2, 3, None])
def test_share_table_matches_direct_computation(column, n_values):
    t = share_table(MODELS, column, top=n_values)
    direct = direct_shares(MODELS, column)
    n, dl, lk = len(MODELS), 1582, 50  # 100+5+1000+0+50+400+20+0+7 ; likes sum
    assert sum(v[1] for v in direct.values()) == dl and sum(v[2] for v in direct.values()) == lk
    values = t[t["kind"] == "value"]
    # top values by model count, ties alphabetical
    ranked = sorted((k for k in direct if k is not None), key=lambda k: (-direct[k][0], k))
    expect_top = ranked if n_values is None else ranked[:n_values]
    assert values[column].tolist() == expect_top
    for _, row in values.iterrows():
        m, d, l_ = direct[row[column]]
        assert (row["models"], row["downloads"], row["likes"]) == (m, d, l_)
        assert row["model_share"] == pytest.approx(m / n)
        assert row["download_share"] == pytest.approx(d / dl)
        assert row["like_share"] == pytest.approx(l_ / lk)
    rest = [k for k in ranked if k not in expect_top]
    other = t[t["kind"] == "other"].iloc[0]
    assert other[column] == "(other)" and other["n_values"] == len(rest)
    assert other["models"] == sum(direct[k][0] for k in rest)
    assert other["downloads"] == sum(direct[k][1] for k in rest)
    none = t[t["kind"] == "none"].iloc[0]
    assert none[column] == "(none)" and (none["models"], none["downloads"]) == tuple(
        direct[None][:2]
    )
    for c in ("model_share", "download_share", "like_share"):
        assert t[c].sum() == pytest.approx(1.0)
    assert t["models"].sum() == n


def test_rank_by_downloads_and_likes_choose_other_values():
    by_models = share_table(MODELS, "license", top=1)
    by_dl = share_table(MODELS, "license", top=1, rank_by="downloads")
    by_likes = share_table(MODELS, "license", top=2, rank_by="likes")
    assert by_models["license"].iloc[0] == "mit"  # 3 models
    assert by_dl["license"].iloc[0] == "apache-2.0"  # 1020 downloads
    assert by_likes["license"].iloc[:2].tolist() == ["apache-2.0", "llama3"]  # 31, 9 likes


def test_model_without_download_count_counts_as_model_only():
    t = share_table(MODELS, "license", top=None).set_index("license")
    assert t.loc["mit", "models"] == 3 and t.loc["mit", "downloads"] == 105


def test_empty_strings_are_missing_values():
    models = pd.DataFrame({"license": ["mit", "", None], "downloads": [1, 2, 3]})
    t = share_table(models, "license")
    assert t["license"].tolist() == ["mit", "(other)", "(none)"]
    assert t["models"].tolist() == [1, 0, 2]


def test_zero_downloads_gives_nan_download_share():
    t = share_table(pd.DataFrame({"license": ["mit"], "downloads": [0]}), "license")
    assert t["download_share"].isna().all() and t["model_share"].iloc[0] == 1.0


def test_license_shares_adds_the_class():
    t = license_shares(MODELS, top=2)
    assert t["license"].tolist() == ["mit", "apache-2.0", "(other)", "(none)"]
    assert t["license_class"].tolist()[:2] == ["permissive", "permissive"]
    assert (
        t["license_class"].iloc[2] == "mixed"
    )  # gpl (copyleft), llama3 (community), cc-by-nc (nc)
    assert t["license_class"].iloc[3] == "none"
    one_class = license_shares(MODELS[MODELS["license"].isin(["mit", "gpl-3.0"])], top=1)
    assert one_class["license_class"].tolist() == ["permissive", "copyleft", "none"]


def test_license_class_shares_match_direct_computation():
    t = license_class_shares(MODELS).set_index("license_class")
    assert list(t.index) == [
        "permissive",
        "copyleft",
        "non-commercial",
        "community",
        "other",
        "none",
    ]
    cls = MODELS["license"].map(license_class)
    dl = MODELS["downloads"].fillna(0).astype(int)
    for c in t.index:
        mask = cls == c
        assert t.loc[c, "models"] == mask.sum()
        assert t.loc[c, "downloads"] == dl[mask].sum()
        assert t.loc[c, "model_share"] == pytest.approx(mask.mean())
        assert t.loc[c, "download_share"] == pytest.approx(dl[mask].sum() / dl.sum())
    assert t.loc["permissive", "n_licenses"] == 2  # mit, apache-2.0
    assert t["model_share"].sum() == pytest.approx(1) and t[
        "download_share"
    ].sum() == pytest.approx(1)
    assert permissive_share(MODELS) == (pytest.approx(0.5), pytest.approx((105 + 1020) / 1582))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.none(), st.sampled_from(["mit", "apache-2.0", "gpl-3.0", "llama2", "x", "other"])
            ),
            st.one_of(st.none(), st.integers(0, 10**12)),
            st.integers(0, 1000),
        ),
        min_size=1,
        max_size=60,
    ),
    st.one_of(st.none(), st.integers(0, 7)),
    st.sampled_from(["models", "downloads", "likes"]),
)
def test_shares_always_add_up(rows, n_values, rank_by):
    models = pd.DataFrame(rows, columns=["license", "downloads", "likes"])
    models["downloads"] = pd.array(models["downloads"], dtype="Int64")
    t = share_table(models, "license", top=n_values, rank_by=rank_by)
    assert t["models"].sum() == len(models)
    assert t["downloads"].sum() == models["downloads"].fillna(0).sum()
    assert t["model_share"].sum() == pytest.approx(1.0)
    if models["downloads"].fillna(0).sum() > 0:
        assert t["download_share"].sum() == pytest.approx(1.0)
    if models["likes"].sum() > 0:
        assert t["like_share"].sum() == pytest.approx(1.0)
    key = {"models": "models", "downloads": "downloads", "likes": "likes"}[rank_by]
    vals = t[t["kind"] == "value"][key].to_numpy()
    assert (np.diff(vals) <= 0).all()  # listed in decreasing order of the ranking measure
    c = license_class_shares(models)
    assert c["models"].sum() == len(models)


def test_errors():
    with pytest.raises(InputFormatError, match="no 'license' column"):
        share_table(MODELS.drop(columns="license"), "license")
    with pytest.raises(ParameterError, match="rank_by: expected one of models, downloads, likes, got 'size'"):
        share_table(MODELS, "license", rank_by="size")
    with pytest.raises(ParameterError, match="top: expected a whole number >= 0 or None, got -1"):
        share_table(MODELS, "license", top=-1)
    with pytest.raises(ParameterError, match=r"models: expected a model table .*got 'list'; pass snapshot.models"):
        share_table([1, 2], "license")
    bad = MODELS.assign(downloads=MODELS["downloads"].fillna(0) - 60)
    with pytest.raises(InputFormatError, match="downloads must be counts >= 0; model 'm1' has -55"):
        share_table(bad, "license")
    with pytest.raises(InputFormatError, match="column 'downloads' must hold numbers"):
        share_table(MODELS.assign(downloads="many"), "license")
    with pytest.raises(InputFormatError, match="column 'languages' must hold single values"):
        share_table(
            pd.DataFrame(
                {
                    "languages": pd.Series(
                        [["en"]],
                        dtype=pd.ArrowDtype(
                            __import__("pyarrow").list_(__import__("pyarrow").string())
                        ),
                    )
                }
            ),
            "languages",
        )
