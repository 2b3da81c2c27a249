"""The default forecaster: a WSB fit and a pooled robust trend, blended by a nested backtest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hftree._checks import fraction, whole_number
from hftree.adoption._bins import series_arrays
from hftree.adoption.baselines import _Forecaster, _last_observed, _observed, truncate
from hftree.adoption.curve import wsb_curve
from hftree.adoption.family_fits import FamilyFits
from hftree.adoption.wsb_fitter import WSBFitter
from hftree.errors import ParameterError

__all__ = ["HybridForecaster", "pooled_drift"]


def pooled_drift(counts: Any, *, window: int = 12, min_increments: int = 6, min_final: float = 10) -> float:
    """Typical monthly drift of the growth rate, pooled across families.

    For each family with at least ``min_increments`` increments and ``min_final``
    descendants, the slope of ``log(1 + increment)`` against time over its last
    ``window`` bins; the median over families. Positive: families' monthly
    gains are still rising (the Hub is growing); negative: they are ageing.

    Examples
    --------
    >>> import numpy as np
    >>> rows = [np.cumsum(np.r_[0, 10 * np.exp(0.05 * np.arange(14))]) for _ in range(3)]
    >>> round(pooled_drift(rows), 3)
    0.047
    """
    _, y, _ = series_arrays(counts)
    slopes = []
    for row in y:
        v = _observed(row)
        inc = np.diff(v)[-window:]
        if len(inc) < min_increments or v[-1] < min_final:
            continue
        x = np.arange(len(inc), dtype=float)
        slopes.append(np.polyfit(x, np.log1p(inc), 1)[0])
    return float(np.median(slopes)) if slopes else 0.0


def _robust_growth(y: np.ndarray, h: int, drift: float, window: int) -> np.ndarray:
    """(K, h) cumulative growth of the drifted robust trend.

    Level: median of the last ``window`` increments, each carried forward to the
    last bin with the pooled drift; step ``j`` adds ``level * exp(drift * j)``.
    """
    out = np.zeros((len(y), h))
    steps = np.exp(drift * np.arange(1, h + 1))
    for i, row in enumerate(y):
        v = _observed(row)
        inc = np.diff(v)[-window:]
        if not len(inc):
            continue
        lag = np.arange(len(inc))[::-1]
        level = float(np.median(inc * np.exp(drift * lag)))
        out[i] = np.cumsum(level * steps)
    return out


def _wsb_growth(fits: FamilyFits, y: np.ndarray, h: int) -> np.ndarray:
    """(K, h) growth of the fitted WSB curve after each family's last bin (anchored)."""
    last, _ = _last_observed(y)
    P = fits.table[["lam", "mu", "sigma"]].to_numpy()
    out = np.zeros((len(y), h))
    for i in range(len(y)):
        if last[i] < 0 or not np.all(np.isfinite(P[i])):
            out[i] = np.nan
            continue
        t = (last[i] + np.arange(0, h + 1)) * fits.unit
        c = wsb_curve(t, P[i, 0], P[i, 1], P[i, 2], m=fits.m)
        out[i] = np.maximum(c[1:] - c[0], 0.0)
    return out


def _combine(g_trend: np.ndarray, g_wsb: np.ndarray, w: float) -> np.ndarray:
    """Weighted geometric mean of (1 + growth); falls back to the trend if WSB is missing."""
    a = np.log1p(np.maximum(g_trend, 0.0))
    b = np.log1p(np.maximum(g_wsb, 0.0))
    b = np.where(np.isfinite(b), b, a)
    return np.expm1((1 - w) * a + w * b)


@dataclass
class _Calibration:
    h: int
    weight: float
    scores: dict[float, float]
    n_examples: int
    log_errors: np.ndarray = field(repr=False)


class HybridForecaster(_Forecaster):
    """The default forecaster: a WSB fit and a pooled robust trend, blended.

    Two forecasts of each family's growth over the next ``h`` bins are made:

    1. **WSB, empirical Bayes** -- the family's curve fitted by
       :class:`~hftree.adoption.WSBFitter` (NB likelihood of the increments, a
       shape prior and a dispersion pooled over all families), read ``h`` bins
       past the last observation and anchored at the last observed count;
    2. **drifted robust trend** -- the median of the family's last ``window``
       increments, continued with a monthly drift *pooled across families*
       (:func:`pooled_drift`), i.e. the Hub-wide tendency of gains to rise or fall.

    They are combined as a weighted geometric mean of ``1 + growth``. The weight
    of the WSB part is chosen per horizon by a *nested* backtest that uses the
    training data only: every family is cut ``h`` bins earlier still, both parts
    are refitted on that inner world, and the weight in ``weights`` with the
    smallest median absolute percentage error on the hidden bins wins. The
    same inner errors (log scale) give the uncertainty band of
    :meth:`forecast`, an empirical (split-conformal style) interval.

    Parameters
    ----------
    weights
        Candidate weights of the WSB part.
    window
        Increments used for the robust level.
    drift_window
        Bins used to measure each family's drift.
    min_inner_final
        Inner-backtest families need at least this many descendants at the
        hidden bin (percentage errors of tiny counts are noise).
    drift
        Use this monthly drift instead of the pooled one (for ablations; 0 turns
        the trend part into a robust linear trend).
    fitter
        The WSB fitter (default ``WSBFitter()``).

    Attributes
    ----------
    fits_ : FamilyFits
        The WSB fits on the training data.
    drift_ : float
        The pooled monthly drift.
    calibration_ : dict
        Per horizon: chosen weight, inner scores, number of inner examples.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> rows = [np.cumsum(np.r_[0, rng.poisson(5 + k, 20)]) for k in range(12)]
    >>> f = HybridForecaster().fit(pd.DataFrame(rows))
    >>> f.predict(3).shape
    (12, 3)
    """

    name = "hybrid (default)"
    pooled = True

    def __init__(
        self,
        *,
        weights: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
        window: int = 6,
        drift_window: int = 12,
        min_inner_final: float = 10,
        drift: float | None = None,
        fitter: WSBFitter | None = None,
    ) -> None:
        ok = isinstance(weights, Sequence) and not isinstance(weights, str) and len(weights) > 0
        if not ok or not all(isinstance(x, int | float) and not isinstance(x, bool) and 0 <= x <= 1 for x in weights):
            raise ParameterError("weights", "a non-empty sequence of numbers in [0, 1]", weights)
        w = [float(x) for x in weights]
        self.weights = tuple(w)
        self.window = whole_number("window", window)
        self.drift_window = whole_number("drift_window", drift_window)
        self.min_inner_final = float(min_inner_final)
        self.drift = drift
        self.fitter = fitter

    def _fitter(self) -> WSBFitter:
        return self.fitter if self.fitter is not None else WSBFitter()

    def _fit(self, frame: pd.DataFrame) -> None:
        self.fits_ = self._fitter().fit_many(frame)
        self.drift_ = self._drift(frame)
        self.calibration_: dict[int, _Calibration] = {}

    def _drift(self, frame: pd.DataFrame) -> float:
        if self.drift is not None:
            return float(self.drift)
        return pooled_drift(frame, window=self.drift_window)

    def _parts(self, frame: pd.DataFrame, fits: FamilyFits, drift: float, h: int):
        y = frame.to_numpy(dtype=float)
        return _robust_growth(y, h, drift, self.window), _wsb_growth(fits, y, h)

    def calibrate(self, h: int) -> _Calibration:
        """Run the nested backtest for horizon ``h`` (done by :meth:`predict` on demand)."""
        self._check_fitted()
        h = whole_number("h", h)
        if h in self.calibration_:
            return self.calibration_[h]
        frame = self.counts_
        inner = truncate(frame, h, min_points=4)
        hidden = pd.Series(_last_observed(frame.to_numpy(dtype=float))[1], index=frame.index)
        target = hidden.loc[inner.index].to_numpy()
        usable = target >= self.min_inner_final
        scores: dict[float, float] = {}
        errors: dict[float, np.ndarray] = {}
        if usable.sum() >= 5:
            fits = self._fitter().fit_many(inner)
            drift = self._drift(inner)
            g_tr, g_w = self._parts(inner, fits, drift, h)
            _, last_val = _last_observed(inner.to_numpy(dtype=float))
            for w in self.weights:
                pred = last_val + _combine(g_tr[:, -1], g_w[:, -1], w)
                ape = np.abs(pred - target) / np.maximum(target, 1e-12)
                scores[w] = float(np.median(ape[usable]))
                errors[w] = np.log1p(target[usable]) - np.log1p(pred[usable])
            best = min(self.weights, key=lambda w: (scores[w], w))
            cal = _Calibration(h, best, scores, int(usable.sum()), errors[best])
        else:  # too little history to choose: an even blend, no band
            cal = _Calibration(h, 0.5, {}, int(usable.sum()), np.zeros(0))
        self.calibration_[h] = cal
        return cal

    def _predict(self, y: np.ndarray, h: int) -> np.ndarray:
        cal = self.calibrate(h)
        g_tr, g_w = self._parts(self.counts_, self.fits_, self.drift_, h)
        _, v = _last_observed(y)
        return v[:, None] + _combine(g_tr, g_w, cal.weight)

    def forecast(self, h: int, *, level: float = 0.8) -> pd.DataFrame:
        """Point forecasts with an empirical band, one row per family and step.

        The band at the horizon is ``(1 + forecast) * exp(+-q) - 1`` where ``q`` is
        the ``level`` quantile of the absolute log errors of the nested
        backtest (split-conformal style); at step ``j < h`` it is scaled by
        ``sqrt(j / h)``. It never goes below the last observed count.

        Returns
        -------
        pandas.DataFrame
            Columns ``model, step, bin, forecast, lower, upper``.
        """
        level = fraction("level", level)
        h = whole_number("h", h)
        point = self.predict(h)
        cal = self.calibration_[h]
        y = self.counts_.to_numpy(dtype=float)
        last, v = _last_observed(y)
        if len(cal.log_errors) >= 5:
            # split-conformal with the absolute log error as score: a band symmetric
            # (on the log scale) around the point forecast
            q_hi = float(np.quantile(np.abs(cal.log_errors), level))
            q_lo = -q_hi
        else:
            q_lo, q_hi = -np.inf, np.inf
        steps = np.arange(1, h + 1)
        scale = np.sqrt(steps / h)
        p = point.to_numpy()
        with np.errstate(over="ignore", invalid="ignore"):
            lower = np.maximum(np.expm1(np.log1p(p) + q_lo * scale[None, :]), v[:, None])
            upper = np.expm1(np.log1p(p) + q_hi * scale[None, :])
        k = len(p)
        return pd.DataFrame(
            {
                "model": np.repeat(point.index.to_numpy(), h),
                "step": np.tile(steps, k),
                "bin": (last[:, None] + steps[None, :]).ravel(),
                "forecast": p.ravel(),
                "lower": np.where(np.isfinite(lower), lower, v[:, None]).ravel(),
                "upper": upper.ravel(),
            }
        )
