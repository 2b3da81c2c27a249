"""Batched penalised maximum likelihood for counts of new descendants (private).

The default adoption fitter maximises a negative-binomial likelihood of the
*increments* of a cumulative series (new descendants per bin), optionally with a
Gaussian prior on some parameters. Thousands of families are fitted together:
every problem takes Levenberg-Marquardt-damped Fisher-scoring steps
(the Fisher information of the NB2 model is ``J' diag(1/V) J`` with
``V = mean + mean**2 / r``), projected onto a box of bounds, and a step is kept
only if it lowers that problem's objective.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

#: ``curve(theta, rows) -> (c, dc)``: cumulative curve (k, n) at every column and
#: its derivatives (k, n, p) with respect to ``theta`` for the problems ``rows``.
CurveFunction = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

_MEAN_FLOOR = 1e-10


@dataclass
class IncrementData:
    """Increments between consecutive observed points of K cumulative series.

    ``x[k, j]`` is ``y[j] - y[prev[k, j]]`` where ``prev`` is the previous observed
    column (or the implicit zero at ``t = 0``), used where ``use[k, j]``.
    """

    x: np.ndarray  # (K, n)
    prev: np.ndarray  # (K, n) int, -1 = the implicit c(0) = 0
    use: np.ndarray  # (K, n) bool

    @classmethod
    def from_cumulative(cls, y: np.ndarray) -> IncrementData:
        obs = ~np.isnan(y)
        k, n = y.shape
        cols = np.where(obs, np.arange(n)[None, :], -1)
        last = np.maximum.accumulate(cols, axis=1)
        prev = np.full((k, n), -1, dtype=np.int64)
        prev[:, 1:] = last[:, :-1]
        yz = np.where(obs, y, 0.0)
        prev_val = np.where(prev >= 0, np.take_along_axis(yz, np.maximum(prev, 0), axis=1), 0.0)
        use = obs.copy()
        use[:, 0] = False  # c(0) = 0 by construction; an observed bin 0 carries no increment
        x = np.where(use, np.maximum(yz - prev_val, 0.0), 0.0)
        return cls(x=x, prev=prev, use=use)

    def take(self, rows: np.ndarray) -> IncrementData:
        return IncrementData(self.x[rows], self.prev[rows], self.use[rows])


def increments_of(c: np.ndarray, prev: np.ndarray, contiguous: bool | None = None) -> np.ndarray:
    """``c[k, j] - c[k, prev[k, j]]`` with ``c[-1] = 0``; works for (k, n) and (k, n, p).

    ``contiguous`` (every ``prev`` is ``j - 1`` or ``-1``) takes a fast path.
    """
    if contiguous is None:
        contiguous = _is_contiguous(prev)
    if contiguous:
        shifted = np.zeros_like(c)
        shifted[:, 1:] = c[:, :-1]
        keep = (prev >= 0)[:, :, None] if c.ndim == 3 else prev >= 0
        return c - np.where(keep, shifted, 0.0)
    idx = np.maximum(prev, 0)
    if c.ndim == 3:
        cp = np.take_along_axis(c, idx[:, :, None], axis=1)
        cp = np.where((prev >= 0)[:, :, None], cp, 0.0)
    else:
        cp = np.where(prev >= 0, np.take_along_axis(c, idx, axis=1), 0.0)
    return c - cp


def _is_contiguous(prev: np.ndarray, use: np.ndarray | None = None) -> bool:
    j = np.arange(prev.shape[1])[None, :]
    ok = (prev == j - 1) | (prev == -1)
    if use is not None:
        ok |= ~use
    return bool(np.all(ok))


@dataclass
class _NB:
    """The NB2 (or Poisson) likelihood of fixed increments, constants precomputed."""

    x: np.ndarray
    use: np.ndarray
    r: np.ndarray  # (k, 1); inf = Poisson
    poisson: np.ndarray  # (k, 1) bool
    const: np.ndarray  # (k,)

    @classmethod
    def build(cls, x: np.ndarray, use: np.ndarray, r: np.ndarray) -> _NB:
        rr = np.asarray(r, dtype=float)[:, None]
        poisson = ~np.isfinite(rr)
        r_safe = np.where(poisson, 1.0, rr)
        with np.errstate(divide="ignore", invalid="ignore"):
            nb_c = -gammaln(x + r_safe) + gammaln(r_safe) + gammaln(x + 1) - r_safe * np.log(r_safe)
        po_c = gammaln(x + 1)
        const = np.where(use, np.where(poisson, po_c, nb_c), 0.0).sum(axis=1)
        return cls(x=x, use=use, r=r_safe, poisson=poisson, const=const)

    def take(self, rows: np.ndarray) -> _NB:
        return _NB(self.x[rows], self.use[rows], self.r[rows], self.poisson[rows], self.const[rows])

    def nll(self, mean: np.ndarray) -> np.ndarray:
        mean = np.maximum(mean, _MEAN_FLOOR)
        with np.errstate(divide="ignore", invalid="ignore"):
            lm = np.log(mean)
            nb = (self.x + self.r) * np.log(self.r + mean) - self.x * lm
            po = mean - self.x * lm
        return self.const + np.where(self.use, np.where(self.poisson, po, nb), 0.0).sum(axis=1)

    def score_weights(self, mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(x - mean) / V and 1 / V per increment (zero where unused)."""
        mean = np.maximum(mean, _MEAN_FLOOR)
        var = np.where(self.poisson, mean, mean + mean * mean / self.r)
        w = np.where(self.use, 1.0 / var, 0.0)
        return (self.x - mean) * w, w


def nb_terms(x: np.ndarray, mean: np.ndarray, r: np.ndarray, use: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Negative log-likelihood per problem and the weight 1/V of each increment.

    ``r`` is the NB2 size (k,); ``np.inf`` gives the Poisson likelihood.
    """
    lik = _NB.build(x, use, r)
    return lik.nll(mean), lik.score_weights(mean)[1]


@dataclass
class ScoringResult:
    theta: np.ndarray  # (K, p)
    objective: np.ndarray  # (K,) penalised negative log-likelihood
    nll: np.ndarray  # (K,) negative log-likelihood without the prior
    fisher: np.ndarray  # (K, p, p) Fisher information of the likelihood (no prior)
    converged: np.ndarray  # (K,) bool
    n_iter: np.ndarray  # (K,)


def fisher_scoring_batch(
    curve: CurveFunction,
    data: IncrementData,
    theta0: np.ndarray,
    r: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    *,
    prior_mean: np.ndarray | None = None,
    prior_precision: np.ndarray | None = None,
    max_iter: int = 200,
    atol: float = 1e-7,
) -> ScoringResult:
    """Minimise NB negative log-likelihood (+ prior) of K problems side by side.

    A problem stops when an accepted step gains less than ``atol`` in
    log-likelihood (differences far below any statistical meaning), when its
    projected step vanishes, or when the damping has grown so large that no
    descent step exists (a minimum to machine precision).
    """
    theta = np.clip(np.array(theta0, dtype=float), lb, ub)
    k, p = theta.shape
    rows_all = np.arange(k)
    if prior_precision is None or prior_mean is None:
        prior_precision = np.zeros((p, p))
        prior_mean = np.zeros(p)
    lik_all = _NB.build(data.x, data.use, r)
    contiguous = _is_contiguous(data.prev, data.use)

    def objective(th: np.ndarray, rows: np.ndarray):
        c, dc = curve(th, rows)
        prev = data.prev[rows]
        mean = increments_of(c, prev, contiguous)
        lik = lik_all.take(rows)
        d = th - prior_mean
        pen = 0.5 * np.einsum("ki,ij,kj->k", d, prior_precision, d)
        nll = lik.nll(mean)
        return nll + pen, nll, (dc, prev, mean, lik, d)

    def derivatives(state):
        dc, prev, mean, lik, d = state
        jm = increments_of(dc, prev, contiguous)  # (k, n, p)
        resid, w = lik.score_weights(mean)
        grad = -np.einsum("knp,kn->kp", jm, resid) + d @ prior_precision
        fisher = np.matmul(jm.transpose(0, 2, 1) * w[:, None, :], jm)
        return grad, fisher

    obj, nll, state = objective(theta, rows_all)
    grad, fisher = derivatives(state)
    obj = np.where(np.isfinite(obj), obj, np.inf)
    damping = np.full(k, 1e-3)
    active = np.isfinite(obj)
    converged = np.zeros(k, dtype=bool)
    n_iter = np.zeros(k, dtype=int)
    eye = np.eye(p)
    for _ in range(max_iter):
        rows = np.flatnonzero(active)
        if not rows.size:
            break
        n_iter[rows] += 1
        h = fisher[rows] + prior_precision
        dg = np.einsum("kii->ki", h)
        a = h + (damping[rows][:, None] * np.maximum(dg, 1e-12))[:, :, None] * eye + 1e-12 * eye
        step = -np.linalg.solve(a, grad[rows][:, :, None])[:, :, 0]
        th_new = np.clip(theta[rows] + step, lb, ub)
        moved = np.any(th_new != theta[rows], axis=1)
        o_new, n_new, st_new = objective(th_new, rows)
        o_new = np.where(np.isfinite(o_new), o_new, np.inf)
        better = (o_new < obj[rows]) & moved
        gain = obj[rows] - o_new
        acc = rows[better]
        if acc.size:
            sel = np.flatnonzero(better)
            sub_state = tuple(s[sel] if isinstance(s, np.ndarray) else s.take(sel) for s in st_new)
            g_new, f_new = derivatives(sub_state)
            theta[acc] = th_new[better]
            grad[acc] = g_new
            fisher[acc] = f_new
            nll[acc] = n_new[better]
            obj[acc] = o_new[better]
        # Newton decrement at the current point: the gain a full step would promise
        hn = fisher[rows] + prior_precision
        try:
            dec = np.einsum(
                "ki,ki->k",
                grad[rows],
                np.linalg.solve(hn + 1e-12 * eye, grad[rows][:, :, None])[:, :, 0],
            )
        except np.linalg.LinAlgError:
            dec = np.full(rows.size, np.inf)
        small = (better & (gain <= atol)) | ~moved | (np.abs(dec) < 2 * atol)
        damping[rows] = np.where(better, np.maximum(damping[rows] / 5.0, 1e-9), damping[rows] * 5.0)
        stuck = damping[rows] > 1e10
        done = small | stuck
        converged[rows[done]] = True
        active[rows[done]] = False
    return ScoringResult(theta, obj, nll, fisher, converged, n_iter)
