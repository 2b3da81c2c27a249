"""Forecasters, the backtest, and the acceptance comparison on the shared series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hftree._results import Result
from hftree.adoption.forecast import (
    BacktestResult,
    DampedTrend,
    HybridForecaster,
    LastValue,
    LinearTrend,
    PaperForecaster,
    backtest,
    pooled_drift,
    truncate,
)
from hftree.errors import InputFormatError, NotFittedError, ParameterError

NAN = np.nan


def _synthetic(n=40, months=24, seed=0):
    """Families whose monthly gains grow or shrink smoothly, with Poisson noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        rate = rng.uniform(2, 30) * np.exp(rng.normal(0, 0.03) * np.arange(months))
        length = int(rng.integers(12, months + 1))
        inc = rng.poisson(rate[: length - 1])
        rows.append(np.r_[0, np.cumsum(inc), [NAN] * (months - length)])
    return pd.DataFrame(rows, index=[f"f{k}" for k in range(n)], columns=pd.RangeIndex(months, name="month"))


def test_truncate_hides_the_last_bins_of_every_family():
    frame = pd.DataFrame([[0, 1, 2, 3.0], [0, 5, NAN, NAN], [0, NAN, NAN, NAN]], index=list("abc"))
    out = truncate(frame, 1)
    assert out.index.tolist() == ["a", "b"]
    assert out.loc["a"].tolist()[:3] == [0, 1, 2] and np.isnan(out.loc["a", 3])
    assert truncate(frame, 2, min_points=2).index.tolist() == ["a"]
    with pytest.raises(ParameterError, match="h: expected a whole number >= 0, got -1"):
        truncate(frame, -1)


def test_baselines_by_hand():
    frame = pd.DataFrame([[0, 2, 5, 9, 12, NAN]], index=["a"])
    assert LastValue().fit(frame).predict(3).loc["a"].tolist() == [12, 12, 12]
    # the last three increments: 3, 4, 3 -> 10/3 per bin
    np.testing.assert_allclose(LinearTrend().fit(frame).predict(2).loc["a"], [12 + 10 / 3, 12 + 20 / 3])
    np.testing.assert_allclose(
        DampedTrend(phi=0.5).fit(frame).predict(2).loc["a"], [12 + 10 / 6, 12 + 10 / 6 + 10 / 12]
    )
    # a series of 2 points: the one increment is the trend
    assert LinearTrend().fit([[0, 4]]).predict(1).iloc[0, 0] == 8


def test_forecasts_never_fall_below_the_last_count():
    frame = pd.DataFrame([[0, 10, 20, 30, 40, 50, 60, 61, 61, 61, 61, 61]], index=["saturated"])
    pred = PaperForecaster().fit(frame).predict(6)
    assert (pred.to_numpy() >= 61).all()


def test_forecaster_errors():
    with pytest.raises(ParameterError, match="h: expected a whole number >= 1, got 0"):
        LastValue().fit([[0, 1, 2]]).predict(0)
    with pytest.raises(ParameterError, match="h: expected a whole number >= 1"):
        LastValue().fit([[0, 1, 2]]).predict(2.5)
    with pytest.raises(InputFormatError, match="family 'x': cumulative counts decrease"):
        LastValue().fit(pd.DataFrame([[0, 3, 1]], index=["x"]))
    with pytest.raises(ParameterError, match=r"weights: expected a non-empty sequence of numbers in \[0, 1\]"):
        HybridForecaster(weights=(0.5, 2.0))
    with pytest.raises(ParameterError, match="weights"):
        HybridForecaster(weights=())
    with pytest.raises(ParameterError, match=r"level: expected a number in \(0, 1\)"):
        HybridForecaster().fit(_synthetic(8)).forecast(3, level=1.5)
    with pytest.raises(ParameterError, match="window: expected a whole number >= 1"):
        HybridForecaster(window=0)
    with pytest.raises(ParameterError, match="phi"):
        DampedTrend(phi=1.5)
    with pytest.raises(ParameterError, match="k: expected a whole number >= 1"):
        LinearTrend(k=0)


@pytest.mark.parametrize(
    "method", [LastValue(), LinearTrend(), DampedTrend(), PaperForecaster(), HybridForecaster()], ids=repr
)
def test_unfitted_forecasters_raise_not_fitted(method):
    assert "(not fitted)" in repr(method)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        method.predict(3)
    with pytest.raises(NotFittedError, match="counts_ is learned by fit"):
        method.counts_  # noqa: B018
    if isinstance(method, HybridForecaster):
        for use in (lambda: method.forecast(3), lambda: method.calibrate(3), lambda: method.fits_,
                    lambda: method.drift_, lambda: method.calibration_):
            with pytest.raises(NotFittedError):
                use()
    if isinstance(method, PaperForecaster):
        with pytest.raises(NotFittedError):
            method.fits_  # noqa: B018


def test_pooled_drift_reads_the_common_trend():
    months = np.arange(20)
    up = [np.r_[0, np.cumsum(20 * np.exp(0.04 * months))] for _ in range(5)]
    down = [np.r_[0, np.cumsum(50 * np.exp(-0.06 * months))] for _ in range(5)]
    assert pooled_drift(up) == pytest.approx(0.04, abs=0.005)
    assert pooled_drift(down) == pytest.approx(-0.06, abs=0.01)
    assert pooled_drift([[0, 1, 2]]) == 0.0  # nobody qualifies: no drift


def test_hybrid_forecaster_on_synthetic_families():
    frame = _synthetic(40)
    f = HybridForecaster().fit(frame)
    pred = f.predict(4)
    assert pred.shape == (40, 4) and pred.columns.tolist() == [1, 2, 3, 4]
    assert np.all(np.diff(pred.to_numpy(), axis=1) >= 0)
    cal = f.calibration_[4]
    assert cal.weight in f.weights and cal.n_examples >= 5
    assert set(cal.scores) == set(f.weights)
    band = f.forecast(4)
    assert list(band.columns) == ["model", "step", "bin", "forecast", "lower", "upper"]
    assert (band["lower"] <= band["forecast"]).all() and (band["forecast"] <= band["upper"]).all()
    last = frame.apply(lambda r: r.dropna().iloc[-1], axis=1)
    assert (band["lower"].to_numpy() >= np.repeat(last.to_numpy(), 4)).all()
    # the band widens with the horizon
    width = (band["upper"] - band["lower"]).to_numpy().reshape(40, 4)
    assert np.all(width[:, -1] >= width[:, 0])


def test_backtest_scores_the_hidden_bins():
    frame = _synthetic(30)
    res = backtest(frame, 3, methods={"last": LastValue(), "trend": LinearTrend()}, min_final=1)
    assert isinstance(res, BacktestResult)
    tab = res.to_frame()
    assert tab["method"].tolist() == ["last", "trend"]
    n_scored = int((frame.notna().sum(axis=1) >= 12).sum())
    assert (tab["n"] == n_scored).all()
    err = res.errors[res.errors["method"] == "last"]
    np.testing.assert_allclose(err["ape"], (err["actual"] - err["last"]).abs() / err["actual"])
    # noisy but growing families: the trend beats carrying the last value forward
    assert tab.set_index("method").loc["trend", "median_ape"] < tab.set_index("method").loc["last", "median_ape"]
    boot = res.paired_bootstrap("trend", "last", n_boot=200)
    assert boot["lower"] <= boot["ratio"] <= boot["upper"] and boot["ratio"] < 1
    assert res.paired_bootstrap("trend", "last", n_boot=200) == boot  # random_state=0 by default
    with pytest.raises(ParameterError, match="method: expected one of 'last', 'trend', got 'hybrid'"):
        res.paired_bootstrap("hybrid", "last")
    with pytest.raises(ParameterError, match="n_boot: expected a whole number >= 1"):
        res.paired_bootstrap("trend", "last", n_boot=0)
    # the result protocol: frozen, summary is a DataFrame, one repr / HTML renderer
    assert isinstance(res, Result)
    pd.testing.assert_frame_equal(res.summary, tab)
    assert repr(res).startswith("<BacktestResult: 2 rows") and "h=3" in repr(res)
    assert "<b>Forecast backtest</b>" in res._repr_html_()
    with pytest.raises(AttributeError):
        res.h = 4


def test_backtest_errors():
    frame = _synthetic(5, months=12)
    with pytest.raises(InputFormatError, match="no family has >= 30 observed bins"):
        backtest(frame, 21, methods={"last": LastValue()})
    with pytest.raises(ParameterError, match="h: expected a whole number >= 1"):
        backtest(frame, 0)
    with pytest.raises(ParameterError, match="min_points: expected a whole number >= 1"):
        backtest(frame, 3, min_points=-1)


# --------------------------------------------------------------------------- acceptance


@pytest.fixture(scope="module")
def shared_backtests(all_counts):
    return {h: backtest(all_counts, h) for h in (3, 6, 12)}


@pytest.mark.slow
def test_selection_matches_the_reference(shared_backtests):
    # 125, 110 and 69 series with >= h + 9 months and a final count >= 20
    assert [shared_backtests[h].to_frame()["n"].iloc[0] for h in (3, 6, 12)] == [125, 110, 69]


@pytest.mark.slow
def test_baselines_match_the_reference(shared_backtests):
    """The reference measurements, reproduced: the baselines are the ones they describe."""
    med = {h: shared_backtests[h].to_frame().set_index("method")["median_ape"] for h in (3, 6, 12)}
    for h, paper, linear, damped in (
        (3, 0.136, 0.083, 0.074),
        (6, 0.277, 0.132, 0.120),
        (12, 0.537, 0.286, 0.421),
    ):
        assert med[h]["paper mode"] == pytest.approx(paper, abs=0.0015)
        assert med[h]["linear trend (last 3)"] == pytest.approx(linear, abs=0.0015)
        assert med[h]["damped trend (phi=0.85)"] == pytest.approx(damped, abs=0.0015)
    mean12 = shared_backtests[12].to_frame().set_index("method").loc["paper mode", "mean_ape"]
    assert mean12 > 1000  # the paper's mode blows up


@pytest.mark.slow
def test_default_forecaster_beats_every_baseline(shared_backtests):
    """Acceptance: lower median APE than every baseline at h = 3, 6, 12; no blow-ups."""
    for h in (3, 6, 12):
        tab = shared_backtests[h].to_frame().set_index("method")
        ours = tab.loc["hybrid (default)", "median_ape"]
        for baseline in ("last value", "linear trend (last 3)", "paper mode"):
            assert ours < tab.loc[baseline, "median_ape"], (h, baseline)
    tab12 = shared_backtests[12].to_frame().set_index("method")
    assert tab12.loc["hybrid (default)", "p95_ape"] <= 1.0
    assert tab12.loc["hybrid (default)", "max_ape"] <= 1.0
