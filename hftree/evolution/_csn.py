"""The Clauset–Shalizi–Newman fit of a discrete power law, vectorised over every candidate x_min.

``powerlaw`` (Alstott et al.) fits one candidate x_min at a time in Python; the goodness-of-fit
bootstrap refits the x_min scan on every synthetic sample, which is what needs the speed. Here
all candidates are fitted at once: the exact discrete MLE of the exponent by a vectorised
golden-section search on the (concave) log-likelihood ``−α Σ log x − n log ζ(α, x_min)``, and
the KS distance of each candidate on a candidates × values matrix. The conventions follow
``powerlaw`` so that the two agree (``tests/evolution/test_laws.py`` checks it): candidates are
the distinct values but the largest; the KS distance compares ``P(X < x)`` of the tail and of
the fitted law at the distinct tail values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import zeta

__all__ = ["PowerLawScan", "alpha_se", "bootstrap_gof", "hzeta", "sample_power_law", "scan_xmin"]

_LO, _HI = 1.0001, 12.0
_GOLD = (np.sqrt(5) - 1) / 2
_TABLE = 100_000  # exact inverse-CDF table length of the sampler


@dataclass(frozen=True)
class PowerLawScan:
    """The best candidate of an x_min scan (and every candidate's exponent and distance)."""

    xmin: float
    alpha: float
    ks: float
    n_tail: int
    xmins: np.ndarray
    alphas: np.ndarray
    distances: np.ndarray


def hzeta(a: np.ndarray | float, q: np.ndarray | float) -> np.ndarray:
    """Hurwitz ζ(a, q): SciPy's for q < 30, the Euler–Maclaurin series beyond (relative error
    below 1e-12 there, and about ten times faster, which is what the KS matrices need).

    >>> bool(np.allclose(hzeta(2.5, np.array([1.0, 40.0, 1e4])), zeta(2.5, np.array([1.0, 40.0, 1e4])), rtol=1e-12))
    True
    """
    a, q = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(q, dtype=np.float64))
    big = np.maximum(q, 30.0)
    out = np.atleast_1d(np.exp(-a * np.log(big)) * (
        big / (a - 1) + 0.5 + a / (12 * big) - a * (a + 1) * (a + 2) / (720 * big**3)
        + a * (a + 1) * (a + 2) * (a + 3) * (a + 4) / (30240 * big**5)
    ))
    small = np.atleast_1d(q < 30.0)
    if small.any():
        out[small] = zeta(np.atleast_1d(a)[small], np.atleast_1d(q)[small])
    return out.reshape(np.shape(q))


def _hz_outer(a: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``hzeta(a[:, None], q[None, :])`` for ascending ``q``, with the series' powers of ``q`` computed
    once per column and its coefficients once per row."""
    a = np.asarray(a, dtype=np.float64)[:, None]
    q = np.asarray(q, dtype=np.float64)
    split = int(np.searchsorted(q, 30.0))
    out = np.empty((a.shape[0], len(q)))
    if split:
        out[:, :split] = zeta(a, q[None, :split])
    big = q[split:][None, :]
    if big.size:
        inv = 1.0 / big
        c3 = a * (a + 1) * (a + 2) / 720
        c4 = c3 * (a + 3) * (a + 4) / 42
        series = big / (a - 1) + 0.5 + (a / 12) * inv - c3 * inv**3 + c4 * inv**5
        out[:, split:] = np.exp(-a * np.log(big)) * series
    return out


def _loglik(alpha: np.ndarray, n: np.ndarray, slog: np.ndarray, xmin: np.ndarray) -> np.ndarray:
    return -alpha * slog - n * np.log(hzeta(alpha, xmin))


def _loglik_at(n: np.ndarray, slog: np.ndarray, xmin: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """:func:`_loglik` for fixed ``(n, slog, xmin)``: the split of :func:`hzeta` and the powers of
    ``x_min`` its series needs are computed once (the same operations, so the same values)."""
    q = np.asarray(xmin, dtype=np.float64)
    small = q < 30.0
    qs, big = q[small], q[~small]
    log_big, b12, b720, b30240 = np.log(big), 12 * big, 720 * big**3, 30240 * big**5
    n_s, n_b, sl_s, sl_b = n[small], n[~small], slog[small], slog[~small]

    def f(alpha: np.ndarray) -> np.ndarray:
        out = np.empty(len(q))
        if len(qs):
            a = alpha[small]
            out[small] = -a * sl_s - n_s * np.log(zeta(a, qs))
        if len(big):
            a = alpha[~small]
            hz = np.exp(-a * log_big) * (
                big / (a - 1) + 0.5 + a / b12 - a * (a + 1) * (a + 2) / b720
                + a * (a + 1) * (a + 2) * (a + 3) * (a + 4) / b30240
            )
            out[~small] = -a * sl_b - n_b * np.log(hz)
        return out

    return f


def _mle(n: np.ndarray, slog: np.ndarray, xmin: np.ndarray, iters: int = 48) -> np.ndarray:
    """Exact discrete MLE of α for each (tail count, Σ log x, x_min), by golden section.

    Each step evaluates the log-likelihood once per candidate, at the one new probe point
    (``c`` when the maximum lies left, else ``d``); the other is carried over.
    """
    loglik = _loglik_at(n, slog, xmin)
    a = np.full(len(n), _LO)
    b = np.full(len(n), _HI)
    c = b - _GOLD * (b - a)
    d = a + _GOLD * (b - a)
    fc = loglik(c)
    fd = loglik(d)
    for _ in range(iters):
        left = fc > fd  # the maximum lies in [a, d]
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        c_new = b - _GOLD * (b - a)
        d_new = a + _GOLD * (b - a)
        f_new = loglik(np.where(left, c_new, d_new))
        fc_new = np.where(left, f_new, fd)
        fd_new = np.where(left, fc, f_new)
        c, d = np.where(left, c_new, d), np.where(left, c, d_new)
        fc, fd = fc_new, fd_new
    return (a + b) / 2


def _mle_reference(n: np.ndarray, slog: np.ndarray, xmin: np.ndarray, iters: int = 48) -> np.ndarray:
    """The plain golden section (both probes through :func:`hzeta` at every step): what
    :func:`_mle` must equal exactly (``tests/evolution/test_laws.py``)."""
    a = np.full(len(n), _LO)
    b = np.full(len(n), _HI)
    c = b - _GOLD * (b - a)
    d = a + _GOLD * (b - a)
    fc = _loglik(c, n, slog, xmin)
    fd = _loglik(d, n, slog, xmin)
    for _ in range(iters):
        left = fc > fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        c_new = b - _GOLD * (b - a)
        d_new = a + _GOLD * (b - a)
        fc_new = np.where(left, _loglik(c_new, n, slog, xmin), fd)
        fd_new = np.where(left, fc, _loglik(d_new, n, slog, xmin))
        c, d = np.where(left, c_new, d), np.where(left, c, d_new)
        fc, fd = fc_new, fd_new
    return (a + b) / 2


def scan_xmin(x: np.ndarray, *, xmin: float | None = None, min_tail: int = 1,
              max_cells: int = 250_000) -> PowerLawScan:
    """Fit a discrete power law to the tail ``x >= x_min``, choosing x_min by the KS distance.

    Parameters
    ----------
    x : array of int
        Positive whole numbers (zeros and negatives must be removed by the caller).
    xmin : float, optional
        Fix x_min instead of scanning.
    min_tail : int
        Skip candidates whose tail holds fewer values (1, the default, is ``powerlaw``'s scan; a
        tail of a handful of values can win the KS criterion with a meaningless exponent).
    max_cells : int
        Memory bound of the candidates × values matrix (rows are processed in chunks).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> s = scan_xmin(sample_power_law(2.5, 1, 5000, rng))
    >>> round(s.alpha, 1), s.xmin
    (2.5, 1.0)
    """
    x = np.asarray(x, dtype=np.float64)
    u, c = np.unique(x, return_counts=True)
    if len(u) < 2:
        raise ValueError("a power-law fit needs at least two distinct values")
    tail_n = np.cumsum(c[::-1])[::-1].astype(np.float64)  # values >= u[j]
    tail_slog = np.cumsum((c * np.log(u))[::-1])[::-1]
    below = np.r_[0.0, np.cumsum(c)[:-1]]  # values < u[j]
    if xmin is None:
        cand = np.arange(len(u) - 1)
        big = cand[tail_n[cand] >= min_tail]
        cand = big if len(big) else cand
    else:
        cand = np.flatnonzero(u >= xmin)[:1]
        if not len(cand):
            raise ValueError(f"no value >= xmin={xmin}")
    alphas = _mle(tail_n[cand], tail_slog[cand], u[cand])
    dist = np.empty(len(cand))
    rows = max(8, min(64, max_cells // len(u)))
    for s in range(0, len(cand), rows):  # candidates ascending: a chunk needs the columns from its first on
        j = cand[s : s + rows]
        cols = u[j[0]:]
        a = alphas[s : s + rows, None]
        model = 1.0 - _hz_outer(alphas[s : s + rows], cols) / hzeta(a, u[j, None])
        emp = (below[None, j[0]:] - below[j, None]) / tail_n[j, None]
        diff = np.abs(model - emp)
        diff[cols[None, :] < u[j, None]] = 0.0
        dist[s : s + rows] = diff.max(axis=1)
    best = int(np.nanargmin(dist))
    jb = cand[best]
    return PowerLawScan(float(u[jb]), float(alphas[best]), float(dist[best]), int(tail_n[jb]), u[cand], alphas, dist)


def alpha_se(alpha: float, xmin: float, n_tail: int, h: float = 1e-4) -> float:
    """Standard error of the discrete MLE from the Fisher information (CSN eq. 3.6),
    ``1 / sqrt(n · d²/dα² log ζ(α, x_min))``, the derivative by central differences.

    >>> round(alpha_se(2.5, 50, 10_000), 4)  # ≈ (α − 1) / √n for a large x_min
    0.015
    """
    f = [np.log(zeta(alpha + k * h, xmin)) for k in (-1, 0, 1)]
    curv = (f[0] - 2 * f[1] + f[2]) / h**2
    return float(1.0 / np.sqrt(n_tail * curv)) if curv > 0 else float("nan")


def sample_power_law(alpha: float, xmin: float, size: int, rng: np.random.Generator,
                     _ccdf: np.ndarray | None = None) -> np.ndarray:
    """``size`` draws of the discrete power law ``P(x) ∝ x^−α`` for ``x >= x_min``: exact inverse
    CDF over the first 100,000 values, CSN's continuous approximation (their eq. D.6) beyond.

    >>> sample_power_law(2.0, 3, 5, np.random.default_rng(0)).min() >= 3
    np.True_
    """
    xmin = float(xmin)
    ccdf = _ccdf if _ccdf is not None else _ccdf_table(alpha, xmin)
    r = rng.random(size)
    count = np.searchsorted(-ccdf, -r, side="left")  # number of grid values with P(X >= v) > r
    out = xmin + count - 1.0
    far = count >= _TABLE
    if far.any():
        approx = np.floor((xmin - 0.5) * r[far] ** (-1.0 / (alpha - 1.0)) + 0.5)
        out[far] = np.clip(approx, xmin + _TABLE, 1e15)
    return out


def _ccdf_table(alpha: float, xmin: float) -> np.ndarray:
    """``P(X >= x_min + j)`` for ``j < 100,000``, decreasing from 1."""
    return hzeta(alpha, xmin + np.arange(_TABLE)) / hzeta(alpha, xmin)


def bootstrap_gof(x: np.ndarray, fit: PowerLawScan, n_boot: int, rng: np.random.Generator,
                  fixed: bool = False, min_tail: int = 1) -> tuple[float, np.ndarray]:
    """CSN's semi-parametric bootstrap p-value: the share of synthetic samples (power-law tail,
    body resampled from the data below x_min, tail share binomial) whose own best fit (x_min
    scanned again) is at least as far from them as the data is from its fit."""
    x = np.asarray(x, dtype=np.float64)
    body = x[x < fit.xmin]
    n = len(x)
    ds = np.full(n_boot, np.nan)
    table = _ccdf_table(fit.alpha, fit.xmin)
    for b in range(n_boot):
        k = int(rng.binomial(n, fit.n_tail / n)) if len(body) else n
        sim = np.concatenate([sample_power_law(fit.alpha, fit.xmin, k, rng, table), rng.choice(body, n - k)
                              if len(body) else np.empty(0)])
        if len(np.unique(sim)) >= 2:
            ds[b] = scan_xmin(sim, xmin=fit.xmin if fixed else None, min_tail=min_tail).ks
    ok = ~np.isnan(ds)
    p = float((ds[ok] >= fit.ks).mean()) if ok.any() else float("nan")
    return p, ds
