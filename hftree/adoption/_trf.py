"""Batched Trust Region Reflective least squares (private).

This is scipy's ``least_squares(method="trf", tr_solver="exact", x_scale=1,
loss="linear", jac="2-point")`` -- the path ``scipy.optimize.curve_fit`` takes
when it is given bounds -- rewritten so that *many* small, independent problems
advance together in one set of numpy operations. Every problem follows the same
sequence of trial steps, trust-region radii and termination tests as scipy's
sequential code (Branch, Coleman & Li 1999; scipy ``_lsq/trf.py``), which is
what lets the paper mode reproduce the parameters published by Bhandari, Chen &
Gao (2025): those were produced by ``curve_fit``, and where the objective is
flat (all-zero series, step-like series with sigma -> infinity) the answer is
decided by the optimiser's path, not by the data.

Only simple bounds ``lb <= x <= ub`` with ``lb`` finite and ``ub`` finite or
infinite are supported, which is all the adoption fitters need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

EPS = np.finfo(float).eps

#: ``fun(x, rows) -> residuals``: ``x`` has shape (k, n) for the problems ``rows``;
#: residuals have shape (k, m) with zeros in padded (unused) positions.
ResidualFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class TRFResult:
    """Outcome of :func:`trf_batch`, one entry per problem."""

    x: np.ndarray  # (K, n) solutions
    cost: np.ndarray  # (K,) half the sum of squared residuals
    jac: np.ndarray  # (K, m, n) Jacobian at the solution
    status: np.ndarray  # (K,) scipy's codes: 0 max_nfev, 1 gtol, 2 ftol, 3 xtol, 4 both
    nfev: np.ndarray  # (K,) function evaluations (Jacobian evaluations not counted)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot product of two (k, n) arrays."""
    return (a * b).sum(axis=1)


def _norm(a: np.ndarray) -> np.ndarray:
    return np.sqrt((a * a).sum(axis=1))


def _matvec(j: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(k, m, n) @ (k, n) -> (k, m)."""
    return np.matmul(j, v[:, :, None])[:, :, 0]


def _fd_jacobian(fun: ResidualFunction, x: np.ndarray, f0: np.ndarray, rows: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Forward differences exactly as scipy's ``approx_derivative(method="2-point")``."""
    k, n = x.shape
    sign = (x >= 0).astype(float) * 2 - 1
    h = EPS**0.5 * sign * np.maximum(1.0, np.abs(x))
    # scipy flips the step when x + h leaves the box and -h fits; with finite
    # lower bounds at most 0 and steps of ~1e-8 this only matters near ``ub``.
    over = x + h > ub
    h = np.where(over, -h, h)
    jac = np.empty((k, f0.shape[1], n))
    for j in range(n):
        x1 = x.copy()
        x1[:, j] = x[:, j] + h[:, j]
        dx = (x[:, j] + h[:, j]) - x[:, j]
        jac[:, :, j] = (fun(x1, rows) - f0) / dx[:, None]
    return jac


def _cl_scaling(x: np.ndarray, g: np.ndarray, lb: np.ndarray, ub: np.ndarray):
    v = np.ones_like(x)
    dv = np.zeros_like(x)
    mask = (g < 0) & np.isfinite(ub)
    v = np.where(mask, ub - x, v)
    dv = np.where(mask, -1.0, dv)
    mask = (g > 0) & np.isfinite(lb)
    v = np.where(mask, x - lb, v)
    dv = np.where(mask, 1.0, dv)
    return v, dv


def _step_to_bound(x: np.ndarray, s: np.ndarray, lb: np.ndarray, ub: np.ndarray):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        steps = np.where(s != 0, np.maximum((lb - x) / s, (ub - x) / s), np.inf)
    min_step = steps.min(axis=1)
    hits = (steps == min_step[:, None]) * np.sign(s)
    return min_step, hits


def _quad_1d(jh, g, s, diag, s0=None):
    v = _matvec(jh, s)
    a = _dot(v, v) + _dot(s * diag, s)
    a = a * 0.5
    b = _dot(g, s)
    if s0 is None:
        return a, b, np.zeros_like(a)
    u = _matvec(jh, s0)
    b = b + _dot(u, v)
    c = 0.5 * _dot(u, u) + _dot(g, s0)
    b = b + _dot(s0 * diag, s)
    c = c + 0.5 * _dot(s0 * diag, s0)
    return a, b, c


def _min_quad_1d(a, b, lo, hi, c):
    with np.errstate(divide="ignore", invalid="ignore"):
        ext = -0.5 * b / a
    use_ext = (a != 0) & (lo < ext) & (ext < hi)
    cand = np.stack([lo, hi, np.where(use_ext, ext, np.nan)], axis=1)
    with np.errstate(invalid="ignore", over="ignore"):
        val = cand * (a[:, None] * cand + b[:, None]) + c[:, None]
    val = np.where(np.isnan(cand), np.inf, val)
    val = np.where(np.isnan(val), np.inf, val)
    idx = np.argmin(val, axis=1)
    rows = np.arange(len(a))
    return cand[rows, idx], val[rows, idx]


def _eval_quad(jh, g, s, diag):
    js = _matvec(jh, s)
    q = _dot(js, js) + _dot(s * diag, s)
    return 0.5 * q + _dot(s, g)


def _solve_tr(m_res, uf, s, V, delta, alpha0, rtol=0.01, max_iter=10):
    """Batched ``solve_lsq_trust_region`` (More's method on one SVD)."""
    k, n = s.shape
    suf = s * uf
    full_rank = (m_res >= n) & (s[:, -1] > EPS * m_res * s[:, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        p_gn = -_matvec(V, np.where(full_rank[:, None], uf / s, 0.0))
    gn_ok = full_rank & (_norm(p_gn) <= delta)

    def phi_and_derivative(alpha):
        denom = s**2 + alpha[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            p_norm = _norm(suf / denom)
            phi = p_norm - delta
            phi_prime = -np.sum(suf**2 / denom**3, axis=1) / p_norm
        return phi, phi_prime

    alpha_upper = _norm(suf) / delta
    phi0, phi_prime0 = phi_and_derivative(np.zeros(k))
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha_lower = np.where(full_rank, -phi0 / phi_prime0, 0.0)
    alpha_lower = np.where(np.isfinite(alpha_lower), alpha_lower, 0.0)
    # scipy uses Python's max(), which ignores a NaN second argument: np.fmax
    with np.errstate(invalid="ignore"):
        default = np.fmax(0.001 * alpha_upper, np.sqrt(alpha_lower * alpha_upper))
    reset = (~full_rank) & (alpha0 == 0)
    alpha = np.where(reset, default, alpha0)
    done = gn_ok.copy()
    for _ in range(max_iter):
        out = (alpha < alpha_lower) | (alpha > alpha_upper)
        with np.errstate(invalid="ignore"):
            reset_to = np.fmax(0.001 * alpha_upper, np.sqrt(alpha_lower * alpha_upper))
        alpha = np.where(out & ~done, reset_to, alpha)
        phi, phi_prime = phi_and_derivative(alpha)
        alpha_upper = np.where((phi < 0) & ~done, alpha, alpha_upper)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = phi / phi_prime
        alpha_lower = np.where(done, alpha_lower, np.fmax(alpha_lower, alpha - ratio))
        alpha = np.where(done, alpha, alpha - (phi + delta) * ratio / delta)
        done = done | (np.abs(phi) < rtol * delta)
        if done.all():
            break
    p = -_matvec(V, suf / (s**2 + alpha[:, None]))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = p * (delta / _norm(p))[:, None]
    p = np.where(gn_ok[:, None], p_gn, p)
    alpha = np.where(gn_ok, 0.0, alpha)
    return p, alpha


def _select_step(x, jh, diag_h, g_h, p, p_h, d, delta, lb, ub, theta):
    """Batched ``select_step`` of scipy's TRF."""
    inside = np.all((x + p >= lb) & (x + p <= ub), axis=1)
    p_value_in = _eval_quad(jh, g_h, p_h, diag_h)

    p_stride, hits = _step_to_bound(x, p, lb, ub)
    p_stride = np.where(inside, 1.0, p_stride)
    r_h = np.where(hits != 0, -p_h, p_h)
    r = d * r_h
    p2 = p * p_stride[:, None]
    p_h2 = p_h * p_stride[:, None]
    x_on_bound = x + p2
    # intersect_trust_region(p_h2, r_h, delta): positive root
    a = _dot(r_h, r_h)
    b = _dot(p_h2, r_h)
    c = np.minimum(_dot(p_h2, p_h2) - delta**2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = np.sqrt(np.maximum(b * b - a * c, 0.0))
        q = -(b + np.copysign(disc, b))
        t1 = q / a
        t2 = c / q
    to_tr = np.maximum(t1, t2)
    to_tr = np.where(np.isfinite(to_tr), to_tr, 0.0)
    to_bound, _ = _step_to_bound(x_on_bound, r, lb, ub)
    r_stride = np.minimum(to_bound, to_tr)
    pos = r_stride > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        r_lo = np.where(pos, (1 - theta) * p_stride / r_stride, 0.0)
    r_hi = np.where(pos, np.where(r_stride == to_bound, theta * to_bound, to_tr), -1.0)
    has_r = r_lo <= r_hi
    aa, bb, cc = _quad_1d(jh, g_h, r_h, diag_h, s0=p_h2)
    rs, r_value = _min_quad_1d(aa, bb, np.where(has_r, r_lo, 0.0), np.where(has_r, r_hi, 0.0), cc)
    r_value = np.where(has_r, r_value, np.inf)
    r_h2 = r_h * rs[:, None] + p_h2
    r2 = r_h2 * d

    p3 = p2 * theta[:, None]
    p_h3 = p_h2 * theta[:, None]
    p_value = _eval_quad(jh, g_h, p_h3, diag_h)

    ag_h = -g_h
    ag = d * ag_h
    with np.errstate(divide="ignore", invalid="ignore"):
        to_tr_ag = delta / _norm(ag_h)
    to_bound_ag, _ = _step_to_bound(x, ag, lb, ub)
    ag_stride = np.where(to_bound_ag < to_tr_ag, theta * to_bound_ag, to_tr_ag)
    aa, bb, _ = _quad_1d(jh, g_h, ag_h, diag_h)
    ag_stride, ag_value = _min_quad_1d(aa, bb, np.zeros_like(ag_stride), ag_stride, np.zeros_like(aa))
    ag_h = ag_h * ag_stride[:, None]
    ag = ag * ag_stride[:, None]

    choose_p = (p_value < r_value) & (p_value < ag_value)
    choose_r = ~choose_p & (r_value < p_value) & (r_value < ag_value)
    step = np.where(choose_p[:, None], p3, np.where(choose_r[:, None], r2, ag))
    step_h = np.where(choose_p[:, None], p_h3, np.where(choose_r[:, None], r_h2, ag_h))
    pred = -np.where(choose_p, p_value, np.where(choose_r, r_value, ag_value))
    step = np.where(inside[:, None], p, step)
    step_h = np.where(inside[:, None], p_h, step_h)
    pred = np.where(inside, -p_value_in, pred)
    return step, step_h, pred


def _strictly_feasible(x: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """``make_strictly_feasible(x, lb, ub, rstep=0)``."""
    lbb = np.broadcast_to(lb, x.shape)
    ubb = np.broadcast_to(ub, x.shape)
    out = np.where(x <= lbb, np.nextafter(lbb, ubb), x)
    out = np.where(x >= ubb, np.nextafter(ubb, lbb), out)
    return out


def trf_batch(
    fun: ResidualFunction,
    x0: np.ndarray,
    n_residuals: np.ndarray,
    lb: np.ndarray,
    ub: np.ndarray,
    *,
    ftol: float = 1e-8,
    xtol: float = 1e-8,
    gtol: float = 1e-8,
    max_nfev: int | None = None,
) -> TRFResult:
    """Solve K bounded nonlinear least-squares problems side by side.

    Parameters
    ----------
    fun
        ``fun(x, rows)`` returns residuals of the problems ``rows`` at ``x``
        (shape (len(rows), m); padded positions must be 0).
    x0
        Initial points, shape (K, n); must lie inside the bounds.
    n_residuals
        Number of real residuals of each problem (used in scipy's rank test).
    lb, ub
        Bounds, shape (n,).
    ftol, xtol, gtol, max_nfev
        As in ``scipy.optimize.least_squares`` (``max_nfev`` defaults to 100 n).
    """
    x0 = np.array(x0, dtype=float)
    k, n = x0.shape
    lb = np.asarray(lb, dtype=float)
    ub = np.asarray(ub, dtype=float)
    if max_nfev is None:
        max_nfev = 100 * n
    all_rows = np.arange(k)
    # least_squares: x0 = make_strictly_feasible(x0, lb, ub) with rstep=1e-10
    lo_t = 1e-10 * np.maximum(1, np.abs(lb))
    hi_t = 1e-10 * np.maximum(1, np.abs(ub))
    with np.errstate(invalid="ignore"):
        near_lo = (x0 - lb) <= np.minimum(ub - x0, lo_t)
        near_hi = np.isfinite(ub) & ((ub - x0) <= np.minimum(x0 - lb, hi_t))
        x = np.where(near_lo, lb + lo_t, np.where(near_hi, ub - hi_t, x0))

    f = fun(x, all_rows)
    m = f.shape[1]
    jac = _fd_jacobian(fun, x, f, all_rows, ub)
    cost = 0.5 * np.einsum("km,km->k", f, f)
    g = np.einsum("kmn,km->kn", jac, f)
    v, _ = _cl_scaling(x, g, lb, ub)
    with np.errstate(divide="ignore"):
        delta = np.linalg.norm(x / v**0.5, axis=1)
    delta = np.where(delta == 0, 1.0, delta)
    alpha = np.zeros(k)
    nfev = np.ones(k, dtype=int)
    status = np.full(k, -1)  # -1: running
    active = np.ones(k, dtype=bool)
    need_setup = np.ones(k, dtype=bool)

    # per-iteration quantities (valid while a problem is in its inner loop)
    d = np.ones((k, n))
    diag_h = np.zeros((k, n))
    g_h = np.zeros((k, n))
    jh = np.zeros((k, m, n))
    s_vals = np.zeros((k, n))
    V = np.zeros((k, n, n))
    uf = np.zeros((k, n))
    theta = np.ones(k)
    m_res = np.asarray(n_residuals, dtype=float)

    while active.any():
        # --- top of scipy's outer loop for problems that start a new iteration
        rows = np.flatnonzero(active & need_setup)
        if rows.size:
            v, dv = _cl_scaling(x[rows], g[rows], lb, ub)
            g_norm = np.max(np.abs(g[rows] * v), axis=1)
            stop_g = g_norm < gtol
            status[rows[stop_g & (status[rows] < 0)]] = 1
            stop = (status[rows] >= 0) | (nfev[rows] >= max_nfev)
            active[rows[stop]] = False
            rows = rows[~stop]
            v, dv, g_norm = v[~stop], dv[~stop], g_norm[~stop]
            if rows.size:
                dd = v**0.5
                d[rows] = dd
                diag_h[rows] = g[rows] * dv
                g_h[rows] = dd * g[rows]
                jh_r = jac[rows] * dd[:, None, :]
                jh[rows] = jh_r
                aug = np.concatenate([jh_r, np.sqrt(diag_h[rows])[:, :, None] * np.eye(n)[None]], axis=1)
                U, sv, Vt = np.linalg.svd(aug, full_matrices=False)
                s_vals[rows] = sv
                V[rows] = np.transpose(Vt, (0, 2, 1))
                f_aug = np.concatenate([f[rows], np.zeros((rows.size, n))], axis=1)
                uf[rows] = np.matmul(f_aug[:, None, :], U)[:, 0, :]
                theta[rows] = np.maximum(0.995, 1 - g_norm)
                need_setup[rows] = False
        # --- one trial step of the inner loop for every running problem
        rows = np.flatnonzero(active & ~need_setup)
        if not rows.size:
            continue
        exhausted = nfev[rows] >= max_nfev
        if exhausted.any():
            need_setup[rows[exhausted]] = True  # leaves through the max_nfev test
            rows = rows[~exhausted]
            if not rows.size:
                continue
        dl = delta[rows]
        p_h, alpha_r = _solve_tr(m_res[rows], uf[rows], s_vals[rows], V[rows], dl, alpha[rows])
        p = d[rows] * p_h
        xr = x[rows]
        step, step_h, pred = _select_step(
            xr, jh[rows], diag_h[rows], g_h[rows], p, p_h, d[rows], dl, lb, ub, theta[rows]
        )
        x_new = _strictly_feasible(xr + step, lb, ub)
        f_new = fun(x_new, rows)
        nfev[rows] += 1
        step_h_norm = _norm(step_h)
        finite = np.all(np.isfinite(f_new), axis=1)
        alpha[rows] = alpha_r
        # non-finite residuals: shrink and retry
        bad = rows[~finite]
        delta[bad] = 0.25 * step_h_norm[~finite]
        ok = finite
        rows_ok = rows[ok]
        if not rows_ok.size:
            continue
        f_new = f_new[ok]
        x_new = x_new[ok]
        step = step[ok]
        pred = pred[ok]
        shn = step_h_norm[ok]
        dl = dl[ok]
        cost_new = 0.5 * _dot(f_new, f_new)
        actual = cost[rows_ok] - cost_new
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(pred > 0, actual / pred, np.where((pred == 0) & (actual == 0), 1.0, 0.0))
        delta_new = np.where(ratio < 0.25, 0.25 * shn, np.where((ratio > 0.75) & (shn > 0.95 * dl), 2.0 * dl, dl))
        step_norm = _norm(step)
        ftol_ok = (actual < ftol * cost[rows_ok]) & (ratio > 0.25)
        xtol_ok = step_norm < xtol * (xtol + _norm(x[rows_ok]))
        term = np.where(ftol_ok & xtol_ok, 4, np.where(ftol_ok, 2, np.where(xtol_ok, 3, -1)))
        cont = term < 0
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha[rows_ok[cont]] *= dl[cont] / delta_new[cont]
        delta[rows_ok[cont]] = delta_new[cont]
        status[rows_ok[~cont]] = term[~cont]
        accept = actual > 0
        acc_rows = rows_ok[accept]
        if acc_rows.size:
            x[acc_rows] = x_new[accept]
            f[acc_rows] = f_new[accept]
            cost[acc_rows] = cost_new[accept]
            jac[acc_rows] = _fd_jacobian(fun, x[acc_rows], f[acc_rows], acc_rows, ub)
            g[acc_rows] = np.matmul(f[acc_rows][:, None, :], jac[acc_rows])[:, 0, :]
        # a problem leaves its inner loop when it accepted a step or terminated
        leave = accept | ~cont
        need_setup[rows_ok[leave]] = True
        active[rows_ok[~cont]] = False
    status = np.where(status < 0, 0, status)
    return TRFResult(x=x, cost=cost, jac=jac, status=status, nfev=nfev)
