"""The backtest: fit every method on all but the last ``h`` bins, score the last bin.

:func:`backtest` returns a :class:`BacktestResult` (a :class:`hftree._results.Result`);
:func:`~hftree.adoption.plot.plot_backtest` draws one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from hftree._checks import whole_number
from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree._results import Result
from hftree.adoption.baselines import (
    DampedTrend,
    LastValue,
    LinearTrend,
    PaperForecaster,
    _Forecaster,
    _frame,
    _last_observed,
    truncate,
)
from hftree.adoption.hybrid import HybridForecaster
from hftree.errors import InputFormatError, ParameterError

__all__ = ["BacktestResult", "backtest", "default_methods"]


def default_methods() -> dict[str, _Forecaster]:
    """The methods of the standard backtest table, default forecaster first."""
    return {
        "hybrid (default)": HybridForecaster(),
        "last value": LastValue(),
        "linear trend (last 3)": LinearTrend(),
        "paper mode": PaperForecaster(),
        "damped trend (phi=0.85)": DampedTrend(),
    }


@dataclass(frozen=True, repr=False)
class BacktestResult(Result):
    """Scores of several forecasters on the same hidden bins.

    A result: :meth:`to_frame` (and :attr:`summary`) is the per-method table.

    Attributes
    ----------
    h : int
        Horizon (bins hidden).
    errors : pandas.DataFrame
        One row per (family, method): ``model, method, last, forecast, actual, ape``.
    extra : dict
        Per method, what it chose (the hybrid's weight, inner scores, drift, band coverage).
    """

    h: int
    errors: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)

    title: ClassVar[str] = "Forecast backtest"

    def to_frame(self) -> pd.DataFrame:
        """Per-method summary: ``n``, median / mean / 90th / 95th percentile / max APE."""
        g = self.errors.groupby("method", sort=False)["ape"]
        out = pd.DataFrame(
            {
                "h": self.h,
                "n": g.size(),
                "median_ape": g.median(),
                "mean_ape": g.mean(),
                "p90_ape": g.quantile(0.9),
                "p95_ape": g.quantile(0.95),
                "max_ape": g.max(),
            }
        )
        out.index.name = "method"
        return out.reset_index()

    def paired_bootstrap(
        self,
        method: str,
        against: str,
        *,
        n_boot: int = 2000,
        random_state: RandomState = DEFAULT_RANDOM_STATE,
    ) -> dict[str, float]:
        """Ratio of median APEs (``method / against``) with a 95 % paired-bootstrap interval.

        Raises
        ------
        ParameterError
            If ``method`` or ``against`` is not a method of the backtest, or ``n_boot`` < 1.
        """
        e = self.errors.pivot(index="model", columns="method", values="ape")
        for name, value in (("method", method), ("against", against)):
            if value not in e.columns:
                raise ParameterError(name, f"one of {', '.join(map(repr, e.columns))}", value)
        n_boot = whole_number("n_boot", n_boot)
        a = e[method].to_numpy()
        b = e[against].to_numpy()
        rng = check_random_state(random_state)
        idx = rng.integers(0, len(a), size=(n_boot, len(a)))
        ratios = np.median(a[idx], axis=1) / np.maximum(np.median(b[idx], axis=1), 1e-12)
        return {
            "ratio": float(np.median(a) / max(np.median(b), 1e-12)),
            "lower": float(np.quantile(ratios, 0.025)),
            "upper": float(np.quantile(ratios, 0.975)),
        }

    def _note(self) -> str:
        tab = self.to_frame()
        best = tab.loc[tab["median_ape"].idxmin(), "method"] if len(tab) else "-"
        return f"h={self.h}, {tab['n'].max() if len(tab) else 0} series scored, best {best}"


def backtest(
    counts: Any,
    h: int,
    *,
    methods: dict[str, _Forecaster] | None = None,
    min_points: int | None = None,
    min_final: float = 20,
) -> BacktestResult:
    """Fit on all but the last ``h`` bins of every family; score the last bin.

    Every family is cut at the same number of bins before its last observation
    (with the paper's data: ``h`` months before the collection date), so the
    training data never contain the hidden bins of *any* family -- the pooled
    parts of the hybrid forecaster see exactly what was known ``h`` bins ago.
    The score is the absolute percentage error of the forecast of the last
    observed bin, on families with at least ``min_points`` observed bins
    (default ``h + 9``) and at least ``min_final`` descendants at that bin.

    Parameters
    ----------
    counts
        A series frame.
    h
        Horizon in bins.
    methods
        ``{name: forecaster}``; default :func:`default_methods`.
    min_points, min_final
        Which families are scored (all families are used for fitting).

    Returns
    -------
    BacktestResult

    Raises
    ------
    ParameterError
        If ``h`` or ``min_points`` is not a whole number >= 1.
    InputFormatError
        If no family qualifies (too few bins or descendants to be scored).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rows = [np.cumsum(np.r_[0, np.full(14, 3.0)]) for _ in range(2)]
    >>> methods = {"last": LastValue(), "trend": LinearTrend()}
    >>> res = backtest(pd.DataFrame(rows), 3, methods=methods)
    >>> res.to_frame()[["method", "n", "median_ape"]].round(3).values.tolist()
    [['last', 2, 0.214], ['trend', 2, 0.0]]
    """
    h = whole_number("h", h)
    frame = _frame(counts)
    y = frame.to_numpy(dtype=float)
    n_obs = (~np.isnan(y)).sum(axis=1)
    _, actual = _last_observed(y)
    need = h + 9 if min_points is None else whole_number("min_points", min_points)
    scored = (n_obs >= need) & (actual >= min_final)
    if not scored.any():
        raise InputFormatError(
            f"no family has >= {need} observed bins and >= {min_final:g} descendants at its last "
            f"bin; lower min_points/min_final or use a shorter horizon than h={h}",
            field="counts",
        )
    train = truncate(frame, h, min_points=1)
    methods = default_methods() if methods is None else methods
    ids = frame.index[scored]
    act = pd.Series(actual, index=frame.index).loc[ids]
    rows = []
    extra: dict[str, Any] = {}
    for name, method in methods.items():
        method.fit(train if method.pooled else train.loc[train.index.intersection(ids)])
        pred = method.predict(h)[h].reindex(ids)
        last = pd.Series(_last_observed(train.to_numpy(dtype=float))[1], index=train.index).reindex(ids)
        ape = (pred - act).abs() / act
        rows.append(
            pd.DataFrame(
                {
                    "model": ids,
                    "method": name,
                    "last": last.to_numpy(),
                    "forecast": pred.to_numpy(),
                    "actual": act.to_numpy(),
                    "ape": ape.to_numpy(),
                }
            )
        )
        if isinstance(method, HybridForecaster):
            band = method.forecast(h)
            band = band[band["step"] == h].set_index("model").reindex(ids)
            inside = (band["lower"] <= act) & (act <= band["upper"])
            cal = method.calibration_[h]
            extra[name] = {
                "weight": cal.weight,
                "inner_scores": cal.scores,
                "inner_examples": cal.n_examples,
                "drift": method.drift_,
                "band_coverage_80": float(inside.mean()),
            }
    return BacktestResult(h=h, errors=pd.concat(rows, ignore_index=True), extra=extra)
