"""The forecaster protocol and the baselines it is measured against.

Every forecaster is an estimator: ``fit(counts)`` learns from a series frame
(rows = families, columns = bins since creation, ``NaN`` after the last
observation) and returns ``self``; ``predict(h)`` returns the point forecasts of
the next ``h`` bins after each family's last observation (rows = families,
columns = steps ``1..h``). Using ``predict`` or a learned attribute before
``fit`` raises :class:`~hftree.errors.NotFittedError`.

* :class:`LastValue`, :class:`LinearTrend`, :class:`DampedTrend` -- naive baselines;
* :class:`PaperForecaster` -- the paper's procedure (fit the WSB curve by least
  squares, read the curve ``h`` bins ahead).

The default forecaster is :class:`~hftree.adoption.HybridForecaster`
(:mod:`hftree.adoption.hybrid`); :func:`~hftree.adoption.backtest`
(:mod:`hftree.adoption.backtesting`) scores them all.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np
import pandas as pd

from hftree._checks import fraction, whole_number
from hftree.adoption._bins import _unit_name, series_arrays
from hftree.adoption.curve import wsb_curve
from hftree.adoption.family_fits import FamilyFits
from hftree.adoption.paper_fitter import PaperWSBFitter
from hftree.errors import InputFormatError, NotFittedError

__all__ = ["DampedTrend", "LastValue", "LinearTrend", "PaperForecaster", "truncate"]


def _last_observed(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the last observed bin of each row (-1 if none) and its value."""
    obs = ~np.isnan(y)
    any_obs = obs.any(axis=1)
    last = np.where(any_obs, y.shape[1] - 1 - np.argmax(obs[:, ::-1], axis=1), -1)
    val = np.where(any_obs, y[np.arange(len(y)), np.maximum(last, 0)], np.nan)
    return last, val


def _observed(y_row: np.ndarray) -> np.ndarray:
    return y_row[~np.isnan(y_row)]


def truncate(counts: pd.DataFrame, h: int, *, min_points: int = 1) -> pd.DataFrame:
    """Hide the last ``h`` observed bins of every family (the world ``h`` bins ago).

    Families left with fewer than ``min_points`` observed bins are dropped.

    Examples
    --------
    >>> frame = pd.DataFrame([[0, 1, 2, 3.0], [0, 5, float("nan"), float("nan")]],
    ...                      index=["a", "b"])
    >>> truncate(frame, 1).to_numpy().tolist()
    [[0.0, 1.0, 2.0, nan], [0.0, nan, nan, nan]]
    """
    h = whole_number("h", h, minimum=0)
    min_points = whole_number("min_points", min_points, minimum=0)
    y = counts.to_numpy(dtype=float).copy()
    obs = ~np.isnan(y)
    rank_from_end = np.cumsum(obs[:, ::-1], axis=1)[:, ::-1]  # 1 = last observed
    y[obs & (rank_from_end <= h)] = np.nan
    keep = (~np.isnan(y)).sum(axis=1) >= min_points
    return pd.DataFrame(y[keep], index=counts.index[keep], columns=counts.columns)


def _frame(counts: Any) -> pd.DataFrame:
    if isinstance(counts, pd.DataFrame):
        return counts
    ids, y, unit = series_arrays(counts)
    return pd.DataFrame(y, index=ids, columns=pd.RangeIndex(y.shape[1], name=_unit_name(unit)))


class _Forecaster:
    """Common plumbing: store the training frame, shape the output."""

    name: str = "forecaster"
    #: True if a family's forecast depends on the other families (the backtest
    #: then fits on all of them; per-family methods are fitted on the scored ones).
    pooled: bool = False

    def fit(self, counts: Any) -> _Forecaster:
        """Learn from a series frame; returns ``self``."""
        frame = _frame(counts)
        y = frame.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            if np.any(np.diff(np.where(np.isnan(y), np.nan, y), axis=1) < 0):
                i = int(np.argwhere(np.diff(y, axis=1) < 0)[0][0])
                raise InputFormatError(f"family {frame.index[i]!r}: cumulative counts decrease", field="counts")
        self.counts_ = frame
        self._fit(frame)
        return self

    def _fit(self, frame: pd.DataFrame) -> None:
        pass

    def _check_fitted(self) -> None:
        if "counts_" not in self.__dict__:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit() first")

    def __getattr__(self, name: str) -> NoReturn:
        # only reached when normal lookup fails: a learned attribute (``counts_`` …) before fit()
        if name.endswith("_") and not name.startswith("_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: {name} is learned by fit()")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def predict(self, h: int) -> pd.DataFrame:
        """Point forecasts: rows = families, columns = steps ``1..h`` after the last bin.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        ParameterError
            If ``h`` is not a whole number >= 1.
        """
        self._check_fitted()
        h = whole_number("h", h)
        y = self.counts_.to_numpy(dtype=float)
        vals = self._predict(y, h)
        _, last_val = _last_observed(y)
        vals = np.maximum(vals, last_val[:, None])  # cumulative counts never fall
        return pd.DataFrame(vals, index=self.counts_.index, columns=pd.RangeIndex(1, h + 1, name="step"))

    def _predict(self, y: np.ndarray, h: int) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__}{'' if 'counts_' in self.__dict__ else ' (not fitted)'}>"


class LastValue(_Forecaster):
    """Baseline: the last observed count, carried forward.

    Examples
    --------
    >>> LastValue().fit([[0, 2, 5, 9]]).predict(2).to_numpy().tolist()
    [[9.0, 9.0]]
    """

    name = "last value"

    def _predict(self, y: np.ndarray, h: int) -> np.ndarray:
        _, v = _last_observed(y)
        return np.repeat(v[:, None], h, axis=1)


def _recent_slope(y: np.ndarray, k: int = 3) -> np.ndarray:
    """Mean of the last ``k`` increments of each row (fewer if the row is short)."""
    out = np.zeros(len(y))
    for i, row in enumerate(y):
        v = _observed(row)
        if len(v) >= 2:
            kk = min(k, len(v) - 1)
            out[i] = (v[-1] - v[-1 - kk]) / kk
    return out


class LinearTrend(_Forecaster):
    """Baseline: the average increment of the last 3 bins, extended linearly.

    "The last 3 points" are the last three *increments* (four counts); this is
    the variant whose median errors on the paper's data at h = 3, 6, 12 are the
    reference figures 0.083 / 0.132 / 0.286 (see ``docs/adoption.md``).

    Examples
    --------
    >>> LinearTrend().fit([[0, 2, 5, 9, 12]]).predict(2).to_numpy().tolist()
    [[15.333333333333334, 18.666666666666668]]
    """

    name = "linear trend (last 3)"

    def __init__(self, k: int = 3) -> None:
        self.k = whole_number("k", k)

    def _predict(self, y: np.ndarray, h: int) -> np.ndarray:
        _, v = _last_observed(y)
        s = _recent_slope(y, self.k)
        return v[:, None] + s[:, None] * np.arange(1, h + 1)[None, :]


class DampedTrend(_Forecaster):
    """Reference: the linear trend damped geometrically (``phi = 0.85``).

    Examples
    --------
    >>> DampedTrend().fit([[0, 3, 6, 9]]).predict(2).round(3).to_numpy().tolist()
    [[11.55, 13.718]]
    """

    name = "damped trend (phi=0.85)"

    def __init__(self, phi: float = 0.85, k: int = 3) -> None:
        self.phi = fraction("phi", phi)
        self.k = whole_number("k", k)

    def _predict(self, y: np.ndarray, h: int) -> np.ndarray:
        _, v = _last_observed(y)
        s = _recent_slope(y, self.k)
        steps = np.cumsum(self.phi ** np.arange(1, h + 1))
        return v[:, None] + s[:, None] * steps[None, :]


class PaperForecaster(_Forecaster):
    """The paper's forecast: fit by :class:`~hftree.adoption.PaperWSBFitter`, read the curve.

    Families whose fit fails within scipy's default budget are refitted with
    ``max_nfev = 10000``, as the paper's web application does; families that
    still fail are forecast by their last value.
    """

    name = "paper mode"

    def _fit(self, frame: pd.DataFrame) -> None:
        fits = PaperWSBFitter().fit_many(frame)
        tab = fits.table
        bad = ~tab["converged"].to_numpy()
        if bad.any():
            retry = PaperWSBFitter(max_nfev=10000).fit_many(frame.loc[bad])
            tab = tab.copy()
            tab.loc[retry.table.index, ["lam", "mu", "sigma", "converged"]] = retry.table[
                ["lam", "mu", "sigma", "converged"]
            ].to_numpy()
        self.fits_ = FamilyFits(tab, fits.counts, fits.mode, fits.m, fits.unit, fits.extra)

    def _predict(self, y: np.ndarray, h: int) -> np.ndarray:
        last, v = _last_observed(y)
        P = self.fits_.table[["lam", "mu", "sigma"]].to_numpy()
        ok = self.fits_.table["converged"].to_numpy()
        t = (last[:, None] + np.arange(1, h + 1)[None, :]) * self.fits_.unit
        with np.errstate(all="ignore"):
            c = np.stack([wsb_curve(t[i], *P[i]) for i in range(len(P))]) if len(P) else t
        return np.where(ok[:, None] & np.isfinite(c), c, v[:, None])
