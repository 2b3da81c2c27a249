"""Likes vs downloads against scipy's Pearson and Spearman."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hftree.ecosystem import LikesDownloads, likes_downloads
from hftree.ecosystem.correlation import _average_ranks, _ranks
from hftree.errors import InputFormatError


def test_matches_scipy_with_ties_and_missing_values():
    rng = np.random.default_rng(7)
    n = 500
    dl = np.floor(rng.pareto(1.0, n) * 50)
    likes = np.floor(dl**0.5 * rng.random(n))  # many ties at 0
    models = pd.DataFrame(
        {
            "likes": pd.array(likes.astype(int), dtype="Int64"),
            "downloads": pd.array(dl.astype(int), dtype="Int64"),
        }
    )
    models.loc[[3, 10], "likes"] = pd.NA
    models.loc[[10, 20, 30], "downloads"] = pd.NA
    res = likes_downloads(models)
    ok = models.dropna()
    x = ok["likes"].astype(float).to_numpy()
    y = ok["downloads"].astype(float).to_numpy()
    assert res.n == len(ok) == n - 4
    r, p = stats.pearsonr(x, y)
    assert res.pearson_r == pytest.approx(r) and res.pearson_r2 == pytest.approx(r * r)
    assert res.pearson_pvalue == pytest.approx(p, rel=1e-6, abs=1e-300)
    lr, lp = stats.pearsonr(np.log1p(x), np.log1p(y))
    assert res.log1p_pearson_r2 == pytest.approx(
        lr * lr
    ) and res.log1p_pearson_pvalue == pytest.approx(lp)
    rho, sp = stats.spearmanr(x, y)
    assert res.spearman_rho == pytest.approx(rho) and res.spearman_pvalue == pytest.approx(sp)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=60))
def test_average_ranks_match_scipy(values):
    v = np.array(values, dtype=float)
    np.testing.assert_allclose(_average_ranks(v, np.argsort(v)), stats.rankdata(v))


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.lists(st.integers(0, 30), min_size=1, max_size=60),  # counts: ranked by counting
        st.lists(st.integers(0, 10**9), min_size=1, max_size=60),  # large values: by sorting
        st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=60),
    )
)
def test_ranks_match_scipy(values):
    v = np.array(values, dtype=float)
    np.testing.assert_allclose(_ranks(v), stats.rankdata(v))
    np.testing.assert_allclose(_ranks(v, np.argsort(v)), stats.rankdata(v))


def test_degenerate_inputs_give_nan():
    const = likes_downloads(pd.DataFrame({"likes": [1, 1, 1], "downloads": [1, 2, 3]}))
    assert math.isnan(const.pearson_r2) and math.isnan(const.spearman_rho) and const.n == 3
    one = likes_downloads(pd.DataFrame({"likes": [1], "downloads": [2]}))
    assert one.n == 1 and math.isnan(one.pearson_r) and math.isnan(one.spearman_rho)
    two = likes_downloads(pd.DataFrame({"likes": [1, 2], "downloads": [2, 5]}))
    assert two.pearson_r == pytest.approx(1.0) and math.isnan(two.pearson_pvalue)


def test_result_object():
    res = likes_downloads(pd.DataFrame({"likes": [0, 1, 2, 3], "downloads": [0, 10, 20, 1000]}))
    assert isinstance(res, LikesDownloads)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.n = 3
    frame = res.to_frame()
    assert frame.shape == (1, 9) and frame["n"].iloc[0] == 4
    assert repr(res).startswith("<LikesDownloads: 1 rows × 9 columns; n=4: R² 0.616 raw")
    assert "<table" in res._repr_html_() and LikesDownloads.title in res._repr_html_()
    pd.testing.assert_frame_equal(res.summary, frame)


def test_errors():
    with pytest.raises(InputFormatError, match="no 'likes' column"):
        likes_downloads(pd.DataFrame({"downloads": [1]}))
    with pytest.raises(InputFormatError, match="likes must be counts >= 0; model 'b' has -2"):
        likes_downloads(pd.DataFrame({"id": ["a", "b"], "likes": [1, -2], "downloads": [1, 2]}))
