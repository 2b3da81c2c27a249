"""Two-sided p-values of the classical tests hftree reports, from :mod:`scipy.special`.

``import scipy.stats`` costs about 0.4 s, a tenth of a whole report; these few tests need only its
special functions. Each follows the rule :mod:`scipy.stats` applies by default (``tests/test_pvalues.py``
checks them against it): the normal and *t* tails are the same expressions, so equal to the last bit.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["binom_two_sided", "normal_two_sided", "t_two_sided", "wilcoxon_two_sided"]


def normal_two_sided(z: float) -> float:
    """``2 * scipy.stats.norm.sf(abs(z))``.

    >>> round(normal_two_sided(1.959964), 4)
    0.05
    """
    return float(2 * special.ndtr(-abs(z)))


def t_two_sided(t: float, df: float) -> float:
    """``2 * scipy.stats.t.sf(abs(t), df)``.

    >>> round(t_two_sided(2.228, 10), 3)
    0.05
    """
    return float(2 * special.stdtr(df, -abs(t)))


def binom_two_sided(k: int, n: int) -> float:
    """``scipy.stats.binomtest(k, n, 0.5).pvalue``: both tails as unlikely as ``k`` (exact McNemar),
    to 1e-11 (SciPy sums Boost's binomial tails, this Cephes').

    With p = ½ the distribution is symmetric, so the other tail starts at ``n - k``.

    >>> round(binom_two_sided(2, 10), 6), binom_two_sided(5, 10)
    (0.109375, 1.0)
    """
    if not 0 <= k <= n or n < 1:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    if 2 * k == n:
        return 1.0
    lo = min(k, n - k)  # the tail below the mode, mirrored above it
    return min(1.0, float(special.bdtr(lo, n, 0.5) + special.bdtrc(n - lo - 1, n, 0.5)))


def _average_ranks(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1-based ranks of ``a`` with ties sharing their mean rank, and the size of each tie group."""
    order = np.argsort(a, kind="mergesort")
    s = a[order]
    start = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    size = np.diff(np.r_[start, len(s)])
    mean_rank = start + (size + 1) / 2.0
    ranks = np.empty(len(a), dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, size)
    return ranks, size


def _signed_rank_pmf(n: int) -> np.ndarray:
    """P(W+ = w), w = 0 … n(n+1)/2, with no ties: each rank is in W+ with probability ½."""
    pmf = np.ones(1)
    for k in range(1, n + 1):
        nxt = np.zeros(len(pmf) + k)
        nxt[: len(pmf)] += pmf * 0.5
        nxt[k:] += pmf * 0.5
        pmf = nxt
    return pmf


def wilcoxon_two_sided(d: np.ndarray) -> float:
    """``scipy.stats.wilcoxon(d).pvalue`` for differences ``d`` without zeros.

    As SciPy chooses: the exact null distribution for up to 50 differences without ties; with ties,
    every sign flip for up to 13 (2^13 cases, exact too); otherwise the normal approximation with the
    tie correction and no continuity correction.

    >>> round(wilcoxon_two_sided(np.array([1.5, 2.0, -0.5, 3.0, 4.0, 2.5])), 4)
    0.0625
    """
    d = np.asarray(d, dtype=np.float64)
    n = len(d)
    if n == 0 or not np.all(d != 0):
        raise ValueError("need at least one difference, none of them zero")
    ranks, ties = _average_ranks(np.abs(d))
    r_plus = float(ranks[d > 0].sum())
    tied = bool((ties > 1).any())
    if n <= 50 and not tied:
        pmf = _signed_rank_pmf(n)
        mean = n * (n + 1) / 4
        k = int(r_plus)  # an integer without ties
        cdf = pmf[: k + 1].sum() if k <= mean else 1 - pmf[k + 1:].sum()
        sf = pmf[k:].sum() if k <= mean else 1 - pmf[:k].sum()
        return float(np.clip(2 * min(sf, cdf), 0.0, 1.0))
    if n <= 13:  # every one of the 2^n sign patterns: W+ is the sum of the ranks kept positive
        bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
        null = bits @ ranks
        gamma = abs(np.finfo(np.float64).eps * 100 * r_plus)  # SciPy's tolerance for equal sums
        less = np.count_nonzero(null <= r_plus + gamma) / 2**n
        greater = np.count_nonzero(null >= r_plus - gamma) / 2**n
        return float(np.clip(2 * min(less, greater), 0.0, 1.0))
    mean = n * (n + 1) * 0.25
    se = np.sqrt((n * (n + 1.0) * (2.0 * n + 1.0) - float((ties**3 - ties).sum()) / 2) / 24)
    return normal_two_sided((r_plus - mean) / se)
