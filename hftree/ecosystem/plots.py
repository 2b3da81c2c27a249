"""Plots of the ecosystem tables; matplotlib (optional) is imported on the first plot."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hftree._plotting import axes_or_new, log_axes
from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree.ecosystem._data import check_table, nonnegative
from hftree.ecosystem.correlation import _correlation
from hftree.ecosystem.inequality import _clean, gini
from hftree.errors import InputFormatError, ParameterError

__all__ = ["plot_concentration", "plot_created_per_month", "plot_likes_downloads", "plot_shares"]


_FIGSIZE = (7.0, 4.5)


def plot_shares(
    table: pd.DataFrame,
    *,
    measures: tuple[str, ...] = ("model_share", "download_share"),
    ax: Any = None,
) -> Any:
    """Horizontal bars of a share table: share of models and of downloads for each row.

    Parameters
    ----------
    table : pandas.DataFrame
        A share table (:func:`~hftree.ecosystem.shares.share_table`,
        ``license_class_shares``, ...): its first column labels the bars.
    measures : tuple of str
        Share columns to draw side by side.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    missing = [m for m in measures if m not in table.columns]
    if missing:
        raise InputFormatError(
            f"share table has no {missing[0]!r} column; "
            f"columns are {', '.join(map(str, table.columns))}",
            field=missing[0],
        )
    ax = axes_or_new(ax, figsize=_FIGSIZE)
    labels = table.iloc[:, 0].astype(str).tolist()
    y = np.arange(len(labels))
    h = 0.8 / max(len(measures), 1)
    for i, m in enumerate(measures):
        ax.barh(
            y + (i - (len(measures) - 1) / 2) * h,
            table[m].to_numpy(dtype=float, na_value=np.nan),
            height=h,
            label=m.replace("_", " "),
        )
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("share")
    ax.set_xlim(0, 1)
    ax.legend(loc="lower right")
    ax.set_title(f"share by {table.columns[0]}")
    return ax


def plot_likes_downloads(
    models: pd.DataFrame,
    *,
    ax: Any = None,
    max_points: int = 20_000,
    random_state: RandomState = DEFAULT_RANDOM_STATE,
) -> Any:
    """Likes against downloads on log axes (``1 + count``), with R² and Spearman ρ in the title.

    Parameters
    ----------
    models : pandas.DataFrame
        A model table with ``likes`` and ``downloads``.
    ax : matplotlib.axes.Axes, optional
    max_points : int
        Draw a uniform random sample of at most this many models (the
        statistics in the title use all of them).
    random_state : int, Generator or None
        Seed of the sample (:func:`hftree._random.check_random_state`).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if isinstance(max_points, bool) or not isinstance(max_points, int | np.integer) or max_points < 1:
        raise ParameterError("max_points", "a whole number >= 1", max_points)
    check_table(models, "likes", "downloads")
    lk = nonnegative(models, "likes")
    dl = nonnegative(models, "downloads")
    res = _correlation(lk, dl)
    ok = np.flatnonzero(~(np.isnan(lk) | np.isnan(dl)))
    if len(ok) > max_points:
        ok = np.sort(check_random_state(random_state).choice(ok, size=max_points, replace=False))
    ax = axes_or_new(ax, figsize=_FIGSIZE)
    ax.scatter(1 + dl[ok], 1 + lk[ok], s=4, alpha=0.3, linewidths=0)
    log_axes(ax)
    ax.minorticks_off()  # decades are enough to read counts, and minor labels cost most of the drawing
    ax.set_xlabel("1 + downloads")
    ax.set_ylabel("1 + likes")
    ax.set_title(
        f"likes vs downloads (n={res.n:,}): R² {res.pearson_r2:.3f} raw, "
        f"{res.log1p_pearson_r2:.3f} log1p; ρ {res.spearman_rho:.3f}",
        fontsize="medium",
    )
    return ax


def plot_created_per_month(
    table: pd.DataFrame, *, ax: Any = None, ylabel: str = "models created"
) -> Any:
    """Stacked bars of a monthly table (:func:`~hftree.ecosystem.trends.created_per_month`).

    ``ylabel`` names what was counted (e.g. "models last modified" for a
    ``time_column="last_modified"`` table).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if "month" not in table.columns:
        raise InputFormatError("expected a monthly table with a 'month' column", field="month")
    ax = axes_or_new(ax, figsize=_FIGSIZE)
    cats = [c for c in table.columns if c not in ("month", "total")]
    x = np.arange(len(table))
    edges = np.arange(len(table) + 1) - 0.5  # one bar a month, drawn as one patch per category
    bottom = np.zeros(len(table))
    for c in cats:
        v = table[c].to_numpy(dtype=float)
        if v.sum() == 0:
            continue
        ax.stairs(bottom + v, edges, baseline=bottom.copy(), fill=True, label=str(c))
        bottom += v
    step = max(1, len(table) // 12)
    ax.set_xticks(x[::step], table["month"].astype(str).tolist()[::step], rotation=45, ha="right")
    ax.set_ylabel(ylabel)
    if cats:
        ax.legend(fontsize="small", ncol=2)
    return ax


def plot_concentration(values: pd.DataFrame | np.ndarray | pd.Series, *, ax: Any = None) -> Any:
    """Lorenz curve of downloads (share of downloads held by the least downloaded share of models).

    Parameters
    ----------
    values : pandas.DataFrame or array-like
        A model table (its ``downloads``) or the download counts.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    x = nonnegative(values, "downloads") if isinstance(values, pd.DataFrame) else _clean(values)
    x = np.sort(x[~np.isnan(x)])
    ax = axes_or_new(ax, figsize=_FIGSIZE)
    if len(x) and x.sum() > 0:
        cum = np.concatenate([[0.0], np.cumsum(x) / x.sum()])
        frac = np.linspace(0, 1, len(cum))
        if len(cum) > 2000:  # the curve needs no more points than the screen has
            keep = np.unique(np.linspace(0, len(cum) - 1, 2000).astype(np.int64))
            cum, frac = cum[keep], frac[keep]
        ax.plot(frac, cum, label=f"downloads (Gini {gini(x):.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="equal downloads")
    ax.set_xlabel("share of models (least downloaded first)")
    ax.set_ylabel("share of downloads")
    ax.legend()
    return ax
