"""Do likes follow downloads? Pearson R² on raw and log1p values, and Spearman's ρ."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from hftree._pvalues import t_two_sided
from hftree._results import Result
from hftree.ecosystem._data import check_table, nonnegative

__all__ = ["LikesDownloads", "likes_downloads"]


@dataclass(frozen=True, repr=False)
class LikesDownloads(Result):
    """Correlation of likes and downloads over the models that have both.

    Attributes
    ----------
    n : int
        Models with both a like count and a download count.
    pearson_r, pearson_r2 : float
        Pearson's r and its square on the raw counts (dominated by the few
        most downloaded models).
    log1p_pearson_r, log1p_pearson_r2 : float
        The same on ``log(1 + x)`` of both counts.
    spearman_rho : float
        Spearman's rank correlation (average ranks for ties).
    pearson_pvalue, log1p_pearson_pvalue, spearman_pvalue : float
        Two-sided p-values of "no correlation" (t distribution with n − 2
        degrees of freedom, as :func:`scipy.stats.pearsonr` and
        :func:`scipy.stats.spearmanr` compute them).
    """

    n: int
    pearson_r: float
    pearson_r2: float
    log1p_pearson_r: float
    log1p_pearson_r2: float
    spearman_rho: float
    pearson_pvalue: float
    log1p_pearson_pvalue: float
    spearman_pvalue: float

    title: ClassVar[str] = "Likes vs downloads"

    def to_frame(self) -> pd.DataFrame:
        """One row with every field."""
        return pd.DataFrame([asdict(self)])

    def _note(self) -> str:
        return (
            f"n={self.n:,}: R² {self.pearson_r2:.3f} raw, {self.log1p_pearson_r2:.3f} log1p; "
            f"Spearman ρ {self.spearman_rho:.3f}"
        )


def _pearson(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    n = len(x)
    if n < 2:
        return np.nan, np.nan
    xc = x - x.mean()
    yc = y - y.mean()
    # plain reductions, not BLAS dot products: BLAS threads spin on a busy machine
    sxx = float(np.square(xc).sum())
    syy = float(np.square(yc).sum())
    if sxx == 0 or syy == 0:
        return np.nan, np.nan
    r = float(np.clip((xc * yc).sum() / np.sqrt(sxx * syy), -1.0, 1.0))
    if n < 3:
        return r, np.nan
    if abs(r) == 1.0:
        return r, 0.0
    t = r * np.sqrt((n - 2) / (1.0 - r * r))
    return r, t_two_sided(t, n - 2)


def _average_ranks(v: np.ndarray, order: np.ndarray) -> np.ndarray:
    """1-based ranks of ``v``, ties sharing their average rank, given ``order = np.argsort(v)``."""
    n = len(v)
    vs = v[order]
    new = np.ones(n, dtype=bool)
    new[1:] = vs[1:] != vs[:-1]
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n)
    avg = (starts + ends + 1) / 2.0  # mean of the ranks start+1 .. end
    ranks = np.empty(n)
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def _ranks(v: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Average ranks of ``v``: small non-negative integers by counting, anything else by sorting."""
    if order is not None:
        return _average_ranks(v, order)
    if len(v) and v.min() >= 0 and v.max() <= 8 * len(v) + 1024 and (v == np.floor(v)).all():
        vi = v.astype(np.int64)
        cnt = np.bincount(vi)
        return (np.cumsum(cnt) - (cnt - 1) / 2.0)[vi]  # mean of the ranks a value's ties share
    return _average_ranks(v, np.argsort(v))


def _correlation(
    likes: np.ndarray,
    downloads: np.ndarray,
    downloads_order: np.ndarray | None = None,
) -> LikesDownloads:
    """``downloads_order``: ``np.argsort(downloads[~isnan(downloads)])``, if at hand."""
    ok = ~(np.isnan(likes) | np.isnan(downloads))
    x, y = likes[ok], downloads[ok]
    r, p = _pearson(x, y)
    lr, lp = _pearson(np.log1p(x), np.log1p(y))
    if len(x) >= 2:
        same_rows = downloads_order is not None and len(downloads_order) == len(y)  # no NaN likes
        rho, sp = _pearson(_ranks(x), _ranks(y, downloads_order if same_rows else None))
    else:
        rho, sp = np.nan, np.nan
    return LikesDownloads(
        n=int(ok.sum()),
        pearson_r=r,
        pearson_r2=r * r,
        log1p_pearson_r=lr,
        log1p_pearson_r2=lr * lr,
        spearman_rho=rho,
        pearson_pvalue=p,
        log1p_pearson_pvalue=lp,
        spearman_pvalue=sp,
    )


def likes_downloads(models: pd.DataFrame) -> LikesDownloads:
    """Correlation of likes and downloads: Pearson R² on raw and on log1p counts, Spearman ρ.

    Models missing either count are left out (``n`` says how many remain).
    Correlations are NaN when fewer than two models remain or a count is
    constant.

    Parameters
    ----------
    models : pandas.DataFrame
        A model table with ``likes`` and ``downloads``.

    Returns
    -------
    LikesDownloads

    Examples
    --------
    >>> import pandas as pd
    >>> models = pd.DataFrame({"likes": [0, 1, 2, 3], "downloads": [0, 10, 20, 1000]})
    >>> res = likes_downloads(models)
    >>> round(res.pearson_r2, 3), round(res.spearman_rho, 3), res.n
    (0.616, 1.0, 4)
    """
    check_table(models, "likes", "downloads")
    return _correlation(nonnegative(models, "likes"), nonnegative(models, "downloads"))
