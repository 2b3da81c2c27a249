"""Figures for adoption curves (matplotlib is imported on first use, by :func:`hftree._plotting.axes_or_new`).

This module imports no other adoption module at run time (only for type hints), so the
fitters and results can call into it from their ``plot`` methods without an import circle.

* :func:`plot_fit` -- one family: observed counts, fitted curve, forecast band;
* :func:`plot_collapse` -- every identifiable family rescaled onto the single
  curve the WSB model predicts: ``ln(1 + c/m) / lam`` against
  ``(ln t - mu) / sigma`` falls on the standard normal CDF;
* :func:`plot_backtest` -- median absolute percentage error per method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from hftree._plotting import axes_or_new

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from hftree.adoption.backtesting import BacktestResult
    from hftree.adoption.base_fitter import BaseAdoptionFitter
    from hftree.adoption.family_fits import FamilyFits

__all__ = ["collapse_coordinates", "plot_backtest", "plot_collapse", "plot_fit"]


def plot_fit(fitter: BaseAdoptionFitter, ax: Axes | None = None, *, forecast: int = 0, **kwargs: Any) -> Axes:
    """Observed cumulative counts, the fitted curve and (optionally) a forecast band.

    Parameters
    ----------
    fitter
        A fitted :class:`~hftree.adoption.WSBFitter` or
        :class:`~hftree.adoption.PaperWSBFitter`.
    ax
        Axes to draw on (a new figure if ``None``).
    forecast
        Number of bins to forecast past the last observation (0: none).
    **kwargs
        Passed to the curve's ``plot`` call.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax)
    y = fitter.counts_
    bins = np.arange(len(y))
    obs = ~np.isnan(y)
    ax.plot(bins[obs], y[obs], "o", ms=3, color="0.3", label="observed")
    end = int(bins[obs][-1]) + max(int(forecast), 0)
    grid = np.linspace(0, end, 200)
    kw = {"color": "C0", "label": f"WSB fit ({fitter.mode} mode)"} | kwargs
    ax.plot(grid, fitter.predict(grid), **kw)
    if forecast > 0:
        fc = fitter.forecast(int(forecast))
        ax.fill_between(fc["bin"], fc["lower"], fc["upper"], color="C1", alpha=0.25, label="90% band")
        ax.plot(fc["bin"], fc["forecast"], "--", color="C1", label="forecast")
    ax.set_xlabel("bins since creation")
    ax.set_ylabel("cumulative descendants")
    ax.legend(frameon=False)
    return ax


def collapse_coordinates(fits: FamilyFits, *, identifiable_only: bool = True) -> pd.DataFrame:
    """The rescaled points of every family: ``x = (ln t - mu)/sigma``, ``y = ln(1 + c/m)/lam``.

    Returns
    -------
    pandas.DataFrame
        Columns ``model, x, y`` (one row per observed bin with ``t > 0``).

    Examples
    --------
    >>> import pandas as pd
    >>> from hftree.adoption import fit_families, wsb_curve
    >>> c = wsb_curve(np.arange(30) / 12, lam=7.0, mu=0.2, sigma=0.7).round()
    >>> pts = collapse_coordinates(fit_families(pd.DataFrame([c], index=["a"]), prior=None))
    >>> float(abs(pts["y"] - ndtr(pts["x"])).max()) < 0.05
    True
    """
    tab = fits.table
    y = fits.counts.to_numpy(dtype=float)
    t = np.arange(y.shape[1]) * fits.unit
    parts = []
    for i, mid in enumerate(tab.index):
        if identifiable_only and not bool(tab["identifiable"].iloc[i]):
            continue
        lam, mu, sigma = tab[["lam", "mu", "sigma"]].iloc[i].to_numpy(dtype=float)
        ok = ~np.isnan(y[i]) & (t > 0)
        if not ok.any():
            continue
        x = (np.log(t[ok]) - mu) / sigma
        v = np.log1p(y[i][ok] / fits.m) / lam
        parts.append(pd.DataFrame({"model": mid, "x": x, "y": v}))
    if not parts:
        return pd.DataFrame({"model": [], "x": [], "y": []})
    return pd.concat(parts, ignore_index=True)


def plot_collapse(
    fits: FamilyFits,
    ax: Axes | None = None,
    *,
    identifiable_only: bool = True,
    max_families: int = 400,
) -> Axes:
    """All fitted families collapsed onto one curve.

    If the WSB model describes a family, its points ``(ln t - mu)/sigma``,
    ``ln(1 + c/m)/lam`` lie on the standard normal CDF whatever its parameters.

    Parameters
    ----------
    fits
        The result of ``fit_many``.
    ax
        Axes to draw on (a new figure if ``None``).
    identifiable_only
        Skip families with identifiability flags (their rescaling is arbitrary).
    max_families
        Draw at most this many families (the largest by final count).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = axes_or_new(ax)
    pts = collapse_coordinates(fits, identifiable_only=identifiable_only)
    if len(pts):
        final = fits.table["final"]
        keep = final.loc[pts["model"].unique()].sort_values(ascending=False).index[:max_families]
        pts = pts[pts["model"].isin(keep)]
        for _, g in pts.groupby("model", sort=False):
            ax.plot(g["x"], g["y"], "-", lw=0.6, alpha=0.35, color="C0")
        lo, hi = float(np.nanmin(pts["x"])), float(np.nanmax(pts["x"]))
    else:
        lo, hi = -3.0, 3.0
    grid = np.linspace(min(lo, -3.0), max(hi, 3.0), 200)
    ax.plot(grid, ndtr(grid), color="k", lw=2, label="Φ(x): WSB prediction")
    n = pts["model"].nunique() if len(pts) else 0
    ax.set_xlabel("(ln t − μ) / σ")
    ax.set_ylabel("ln(1 + c/m) / λ")
    ax.set_title(f"{n} families, {fits.mode} mode")
    ax.legend(frameon=False, loc="upper left")
    return ax


def plot_backtest(result: BacktestResult, ax: Axes | None = None) -> Axes:
    """Median APE of each method (with the 90th percentile as a thin bar)."""
    ax = axes_or_new(ax)
    tab = result.to_frame()
    pos = np.arange(len(tab))
    ax.barh(pos, tab["p90_ape"], color="0.85", label="90th percentile")
    ax.barh(pos, tab["median_ape"], height=0.5, color="C0", label="median")
    ax.set_yticks(pos, tab["method"])
    ax.invert_yaxis()
    ax.set_xlabel(f"absolute percentage error of the final value, h = {result.h}")
    ax.legend(frameon=False)
    return ax
