"""Gini, HHI and top shares against their textbook definitions; per group; per family."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hftree
from hftree.datasets import toy_graph
from hftree.ecosystem import concentration, family_concentration, gini, hhi, top_share
from hftree.ecosystem.inequality import _grouped
from hftree.errors import InputFormatError, ParameterError
from hftree.lineage import LineageGraph


def gini_textbook(x) -> float:
    """Mean absolute difference over twice the mean: Σ_i Σ_j |x_i − x_j| / (2 n² mean)."""
    x = [float(v) for v in x]
    n = len(x)
    mean = sum(x) / n
    return sum(abs(a - b) for a in x for b in x) / (2 * n * n * mean)


def hhi_textbook(x) -> float:
    total = sum(x)
    return sum((v / total) ** 2 for v in x)


def top_textbook(x, k) -> float:
    return sum(sorted(x, reverse=True)[:k]) / sum(x)


counts = st.lists(st.integers(0, 10**9), min_size=1, max_size=80).filter(lambda x: sum(x) > 0)


@settings(max_examples=150, deadline=None)
@given(counts)
def test_gini_hhi_top_match_definitions(x):
    assert gini(x) == pytest.approx(gini_textbook(x), abs=1e-9)
    assert hhi(x) == pytest.approx(hhi_textbook(x), rel=1e-9)
    for k in (1, 3, 10):
        assert top_share(x, k) == pytest.approx(top_textbook(x, k), rel=1e-9)


def test_known_values_and_edge_cases():
    assert gini([5, 5, 5]) == 0.0 and hhi([5, 5, 5, 5]) == pytest.approx(0.25)
    assert gini([0, 0, 0, 9]) == pytest.approx(0.75)  # 1 - 1/n when one unit holds everything
    assert gini([7]) == 0.0 and hhi([7]) == 1.0
    assert math.isnan(gini([])) and math.isnan(hhi([0, 0])) and math.isnan(top_share([0, 0], 1))
    assert gini([1, np.nan, 3]) == pytest.approx(gini_textbook([1, 3]))  # NaN left out
    assert gini(pd.Series([2, None, 2], dtype="Int64")) == 0.0


def test_errors():
    with pytest.raises(InputFormatError, match="values must be >= 0; found -1"):
        gini([3, -1])
    with pytest.raises(ParameterError, match="k: expected a whole number >= 1, got 0"):
        top_share([1, 2], 0)
    with pytest.raises(InputFormatError, match="no 'downloads' column"):
        concentration(pd.DataFrame({"id": ["a"]}))
    with pytest.raises(InputFormatError, match="no 'library_name' column"):
        concentration(pd.DataFrame({"downloads": [1], "author": ["a"]}), by="library_name")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 10**6)), min_size=1, max_size=120))
def test_grouped_matches_per_group_definitions(rows):
    group = np.array([g for g, _ in rows], dtype=np.int64)
    x = np.array([v for _, v in rows], dtype=float)
    res = _grouped(group, x, 5)
    res_ordered = _grouped(group, x, 5, np.argsort(x))
    for g in range(5):
        xs = x[group == g].tolist()
        assert res["units"][g] == len(xs)
        if not xs or sum(xs) == 0:
            assert math.isnan(res["gini"][g]) and math.isnan(res["hhi"][g])
            continue
        assert res["gini"][g] == pytest.approx(gini_textbook(xs), abs=1e-9)
        assert res["hhi"][g] == pytest.approx(hhi_textbook(xs), rel=1e-9)
        assert res["top10_share"][g] == pytest.approx(top_textbook(xs, 10), rel=1e-9)
        assert res["top1pct_share"][g] == pytest.approx(
            top_textbook(xs, math.ceil(len(xs) / 100)), rel=1e-9
        )
        assert res["effective_units"][g] == pytest.approx(1 / hhi_textbook(xs), rel=1e-9)
        for key in res:
            assert res_ordered[key][g] == pytest.approx(res[key][g], nan_ok=True)


def test_top_one_percent_uses_ceil_of_n_over_100():
    x = list(range(1, 251))  # 250 models: the top 1 % is ceil(2.5) = 3 models
    res = _grouped(np.zeros(250, dtype=np.int64), np.array(x, dtype=float), 1)
    assert res["top1pct_share"][0] == pytest.approx((250 + 249 + 248) / sum(x))


def test_concentration_table_matches_direct_computation():
    rng = np.random.default_rng(3)
    n = 400
    models = pd.DataFrame(
        {
            "author": rng.choice(["a", "b", "c", "d", None], n),
            "pipeline_tag": rng.choice(["text-generation", "fill-mask", "translation", None], n),
            "downloads": pd.array(
                np.where(rng.random(n) < 0.05, -1, rng.pareto(1.2, n) * 100).round(), dtype="Int64"
            ),
        }
    )
    models.loc[models["downloads"] < 0, "downloads"] = pd.NA
    t = concentration(models)
    known = models[models["downloads"].notna()]
    total = known["downloads"].sum()
    row = t[(t["group_by"] == "all") & (t["unit"] == "model")].iloc[0]
    x = known["downloads"].astype(float).tolist()
    assert row["units"] == len(known) and row["downloads"] == total and row["download_share"] == 1.0
    assert row["gini"] == pytest.approx(gini_textbook(x), abs=1e-9)
    assert row["hhi"] == pytest.approx(hhi_textbook(x))
    assert row["top1pct_share"] == pytest.approx(top_textbook(x, math.ceil(len(x) / 100)))
    assert row["top10_share"] == pytest.approx(top_textbook(x, 10))
    per_author = known.dropna(subset=["author"]).groupby("author")["downloads"].sum().astype(float)
    arow = t[t["unit"] == "author"].iloc[0]
    assert arow["units"] == len(per_author) and arow["gini"] == pytest.approx(
        gini_textbook(per_author)
    )
    assert arow["hhi"] == pytest.approx(hhi_textbook(per_author.tolist()))
    tasks = t[t["group_by"] == "pipeline_tag"]
    assert tasks["group"].iloc[-1] == "(none)"
    assert tasks["downloads"].iloc[:-1].is_monotonic_decreasing
    for _, r in tasks.iterrows():
        sub = (
            known[known["pipeline_tag"].isna()]
            if r["group"] == "(none)"
            else known[known["pipeline_tag"] == r["group"]]
        )
        xs = sub["downloads"].astype(float).tolist()
        assert r["units"] == len(xs) and r["downloads"] == sum(xs)
        assert r["download_share"] == pytest.approx(sum(xs) / total)
        assert r["gini"] == pytest.approx(gini_textbook(xs), abs=1e-9)
        assert r["hhi"] == pytest.approx(hhi_textbook(xs))
    assert tasks["downloads"].sum() == total
    # several grouping columns, no author row
    t2 = concentration(models, by=["pipeline_tag", "author"], authors=False)
    assert (
        set(t2["group_by"]) == {"all", "pipeline_tag", "author"} and (t2["unit"] == "model").all()
    )
    assert len(concentration(models, by=None, authors=False)) == 1


def family_direct(G, root_id):
    """Downloads of a family computed with the graph queries, member by member."""
    dl = dict(zip(G.models["id"], G.models["downloads"], strict=True))
    members = [root_id, *hftree.descendants(G, root_id)]
    vals = [float(dl[m]) for m in members if m in dl and not pd.isna(dl[m])]
    return members, vals


def test_family_concentration_on_the_toy_graph():
    G = toy_graph()
    t = family_concentration(G).set_index("root")
    assert list(t.index) == ["org/base", "other/base2"]  # most downloaded family first
    for root in t.index:
        members, vals = family_direct(G, root)
        r = t.loc[root]
        assert r["descendants"] == len(members) - 1 and r["members"] == len(vals)
        assert r["family_downloads"] == sum(vals)
        root_dl = float(G.models.set_index("id").loc[root, "downloads"])
        assert r["root_downloads"] == root_dl and r["root_share"] == pytest.approx(
            root_dl / sum(vals)
        )
        assert r["descendant_downloads"] == sum(vals) - root_dl
        assert r["gini"] == pytest.approx(gini_textbook(vals)) and r["hhi"] == pytest.approx(
            hhi_textbook(vals)
        )
        top = max(vals[1:])
        assert r["top_descendant_share"] == pytest.approx(top / sum(vals))
    assert t.loc["org/base", "top_descendant"] == "org/base-GGUF"
    # a merge counts in both of its families
    assert t.loc["other/base2", "top_descendant"] == "org/merge"
    # only adapters: a smaller family
    ta = family_concentration(G, relation="adapter")
    assert ta["root"].tolist() == ["org/base"] and ta["descendants"].tolist() == [1]


def test_family_with_external_root_and_missing_downloads():
    models = pd.DataFrame(
        {"id": ["ft1", "ft2", "q"], "downloads": pd.array([10, None, 30], dtype="Int64")}
    )
    edges = pd.DataFrame(
        {
            "parent": ["ext/base", "ext/base", "ft1"],
            "child": ["ft1", "ft2", "q"],
            "relation": ["finetune", "finetune", "quantized"],
        }
    )
    G = LineageGraph.from_tables(models, edges)
    t = family_concentration(G)
    r = t.set_index("root").loc["ext/base"]
    assert bool(r["root_external"]) and pd.isna(r["root_downloads"]) and math.isnan(r["root_share"])
    assert (r["descendants"], r["members"], r["family_downloads"]) == (3, 2, 40)
    assert r["top_descendant"] == "q" and r["top_descendant_share"] == pytest.approx(0.75)
    assert r["gini"] == pytest.approx(gini_textbook([10, 30]))
