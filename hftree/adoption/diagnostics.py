"""What a fitter learned about a batch of families, and the per-family diagnostics.

:func:`_diagnose` turns a batch of fits into the per-family table of
:class:`~hftree.adoption.FamilyFits`: parameters, standard errors, R², RMSE, AIC
and the identifiability flags of :data:`FLAGS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hftree.adoption.curve import wsb_curve
from hftree.errors import InputFormatError

if TYPE_CHECKING:
    from hftree.adoption.base_fitter import BaseAdoptionFitter

__all__ = ["FLAGS"]

#: Identifiability flags and what they mean.
FLAGS: dict[str, str] = {
    "not_converged": "the optimiser stopped before its convergence test passed",
    "too_few_points": "fewer than 4 observed bins for 3 parameters",
    "no_growth": "the family gained no descendant over at least one full bin; parameters are arbitrary",
    "too_young": "the family is younger than one full bin (only bin 0, which is 0 by definition, is "
    "observed): its growth cannot be judged yet",
    "stuck_at_start": "the parameters did not move from the starting point",
    "lam_at_bound": "lambda is at a bound of the search box",
    "mu_at_bound": "mu is at a bound of the search box",
    "sigma_at_bound": "sigma is at a bound of the search box",
    "sigma_unidentified": "sigma > 20: a step in log-time, its value is arbitrary",
    "mu_beyond_window": "the impact time e^mu lies beyond the observed window",
    "lam_too_large": "c_inf = m(e^lambda - 1) exceeds 1000x the observed count (or 1e7)",
    "c_inf_below_observed": "c_inf is below the count already observed: the ceiling is wrong",
}


@dataclass
class _Batch:
    """Everything a fitter learns about K series (internal)."""

    ids: pd.Index
    y: np.ndarray  # (K, n) observed cumulative counts, NaN = unobserved
    t: np.ndarray  # (n,) times in years
    params: np.ndarray  # (K, 3) lam, mu, sigma
    cov: np.ndarray  # (K, 3, 3) covariance of (lam, mu, sigma)
    loglik: np.ndarray
    n_params: int
    converged: np.ndarray
    status: np.ndarray  # engine-specific code
    n_eval: np.ndarray
    start: np.ndarray  # (K, 3) the starting point of the returned solution
    extra: dict[str, Any] = field(default_factory=dict)


def _validate_counts(y: np.ndarray, ids: Sequence[Any]) -> None:
    with np.errstate(invalid="ignore"):
        neg = y < 0
    if neg.any():
        i, j = np.argwhere(neg)[0]
        raise InputFormatError(
            f"family {ids[i]!r}: negative count {y[i, j]:g} in bin {j}; counts must be >= 0",
            field=str(j),
        )
    yy = np.where(np.isnan(y), -np.inf, y)
    run = np.maximum.accumulate(yy, axis=1)
    with np.errstate(invalid="ignore"):
        dec = (~np.isnan(y)) & (y < run)
    if dec.any():
        i, j = np.argwhere(dec)[0]
        raise InputFormatError(
            f"family {ids[i]!r}: cumulative count decreases to {y[i, j]:g} in bin {j}; give "
            "cumulative counts (use np.cumsum on per-bin counts)",
            field=str(j),
        )


def _empty_batch(ids: pd.Index, y: np.ndarray, t: np.ndarray) -> _Batch:
    z = np.zeros((0, 3))
    return _Batch(
        ids,
        y,
        t,
        z,
        np.zeros((0, 3, 3)),
        np.zeros(0),
        3,
        np.zeros(0, bool),
        np.zeros(0, int),
        np.zeros(0, int),
        z,
    )


def _diagnose(batch: _Batch, fitter: BaseAdoptionFitter) -> pd.DataFrame:
    """Per-family table of parameters, diagnostics and identifiability flags."""
    y, t, P = batch.y, batch.t, batch.params
    k = len(batch.ids)
    obs = ~np.isnan(y)
    n_obs = obs.sum(axis=1)
    last_idx = np.where(obs.any(axis=1), y.shape[1] - 1 - np.argmax(obs[:, ::-1], axis=1), 0)
    final = np.where(n_obs > 0, y[np.arange(k), last_idx] if k else np.zeros(0), np.nan)
    t_last = t[last_idx] if k else np.zeros(0)
    with np.errstate(all="ignore"):
        fitted = (
            np.stack([wsb_curve(t, P[i, 0], P[i, 1], P[i, 2], m=fitter.m) for i in range(k)])
            if k
            else np.zeros((0, len(t)))
        )
        resid = np.where(obs, y - fitted, 0.0)
        sse = (resid**2).sum(axis=1)
        ybar = np.where(obs, y, 0).sum(axis=1) / np.maximum(n_obs, 1)
        sst = (np.where(obs, y - ybar[:, None], 0.0) ** 2).sum(axis=1)
        r2 = np.where(sst > 0, 1 - sse / sst, np.where(sse == 0, 1.0, 0.0))
        rmse = np.sqrt(sse / np.maximum(n_obs, 1))
    loglik = batch.loglik
    aic = 2 * batch.n_params - 2 * loglik
    se = np.sqrt(np.clip(np.einsum("kii->ki", batch.cov), 0, None)) if k else np.zeros((0, 3))

    lo = np.array([b[0] for b in fitter._bounds])
    hi = np.array([b[1] for b in fitter._bounds])
    flags: list[list[str]] = [[] for _ in range(k)]
    lam, mu, sigma = (P[:, 0], P[:, 1], P[:, 2]) if k else (np.zeros(0),) * 3
    with np.errstate(all="ignore"):
        c_inf_raw = fitter.m * np.expm1(lam)
        rel = lambda a, b: np.abs(a - b) <= 1e-6 * np.maximum(1.0, np.abs(b))  # noqa: E731
        start_same = np.all(np.abs(P - batch.start) <= 1e-9 * np.maximum(1.0, np.abs(batch.start)), axis=1)
        at_lo = (lo + 1e-6 * np.maximum(1.0, np.abs(lo)) >= P) & np.isfinite(lo)
        at_hi = rel(P, hi) & np.isfinite(hi)
        # the paper's bound at 0 is approached but never reached (interior point method)
        if getattr(fitter, "_open_lower_bounds", False):
            at_lo = (lo + 1e-8 >= P) & np.isfinite(lo)
        impact = np.exp(mu)
    for i in range(k):
        f = flags[i]
        if not batch.converged[i]:
            f.append("not_converged")
        if n_obs[i] < 4:
            f.append("too_few_points")
        if n_obs[i] == 1:  # bin 0 alone: 0 by definition, whatever came after it
            f.append("too_young")
        elif n_obs[i] > 1 and final[i] == 0:
            f.append("no_growth")
        if start_same[i]:
            f.append("stuck_at_start")
        for j, name in enumerate(("lam", "mu", "sigma")):
            if at_lo[i, j] or at_hi[i, j]:
                f.append(f"{name}_at_bound")
        if sigma[i] > 20:
            f.append("sigma_unidentified")
        if impact[i] > t_last[i] * 1.0 + 1e-12:
            f.append("mu_beyond_window")
        if not (c_inf_raw[i] <= 1000 * max(final[i], 1.0) and c_inf_raw[i] <= 1e7):
            f.append("lam_too_large")
        elif n_obs[i] > 0 and final[i] > 0 and c_inf_raw[i] < final[i]:
            f.append("c_inf_below_observed")
    flag_str = [",".join(f) for f in flags]
    identifiable = np.array([len(f) == 0 for f in flags], dtype=bool)
    table = pd.DataFrame(
        {
            "lam": lam,
            "mu": mu,
            "sigma": sigma,
            "se_lam": se[:, 0],
            "se_mu": se[:, 1],
            "se_sigma": se[:, 2],
            "n_obs": n_obs,
            "final": final,
            "r2": r2,
            "rmse": rmse,
            "loglik": loglik,
            "aic": aic,
            "converged": batch.converged.astype(bool),
            "flags": flag_str,
            "identifiable": identifiable,
            "c_inf": np.where(identifiable, c_inf_raw, np.nan),
            "impact_time": np.where(identifiable, impact, np.nan),
        },
        index=batch.ids,
    )
    table.index.name = "model"
    return table
