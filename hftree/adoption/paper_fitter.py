"""The paper's procedure: least squares on cumulative counts, as ``scipy.optimize.curve_fit`` runs it.

:class:`PaperWSBFitter` reproduces Bhandari, Chen & Gao (2025) exactly: ``m = 1``,
``t = month / 12`` including ``t = 0``, ``p0 = (0.5, 2.0, 0.5)``, bounds
``(0, inf)``, solved by the same Trust Region Reflective path as
``scipy.optimize.curve_fit`` (:mod:`hftree.adoption._trf`), many families at once.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import erf

from hftree.adoption import _trf
from hftree.adoption.base_fitter import BaseAdoptionFitter
from hftree.adoption.curve import _SQRT2, PAPER_P0
from hftree.adoption.diagnostics import _Batch
from hftree.errors import ParameterError

__all__ = ["PaperWSBFitter"]


class PaperWSBFitter(BaseAdoptionFitter):
    """The procedure of Bhandari, Chen & Gao (2025), reproduced exactly.

    Least squares on the cumulative counts with ``m = 1``, ``t = bin / 12``
    (years for monthly bins, ``t = 0`` included), ``p0 = (0.5, 2.0, 0.5)`` and
    bounds ``(0, inf)``, solved along the same Trust Region Reflective path as
    ``scipy.optimize.curve_fit`` (forward-difference Jacobian, ``ftol = xtol =
    gtol = 1e-8``, at most ``max_nfev = 300`` evaluations, after which the
    paper's procedure reports a failed fit). Many families are solved together,
    which is what makes it fast.

    Parameters
    ----------
    m
        Scale of the curve (the paper: 1).
    max_nfev
        Evaluation budget per family (scipy's default for 3 parameters: 300).
    bins
        Bin unit when the input does not say (``"month"`` or ``"day"``).

    Examples
    --------
    The paper's fits often end with ``mu`` on its bound at 0 and an impact time
    beyond the data; the flags say so and ``c_inf`` is then not reported:

    >>> f = PaperWSBFitter().fit([0, 2, 5, 9, 14, 18, 21, 23, 24])
    >>> f.params_.round(2).tolist()
    [7.38, 0.0, 3.01]
    >>> f.flags_, f.c_inf_
    (('mu_at_bound', 'mu_beyond_window'), nan)
    """

    _bounds = ((0.0, math.inf), (0.0, math.inf), (0.0, math.inf))
    _open_lower_bounds = True
    mode = "paper"

    def __init__(self, m: float = 1.0, *, max_nfev: int | None = None, bins: str | None = None) -> None:
        super().__init__(m, bins=bins)
        if max_nfev is not None and (isinstance(max_nfev, bool) or not isinstance(max_nfev, int) or max_nfev < 1):
            raise ParameterError("max_nfev", "a whole number >= 1 or None", max_nfev)
        self.max_nfev = max_nfev

    def _advice(self) -> str:
        return (
            "1. the paper's procedure gives up after max_nfev=300 evaluations; pass "
            "PaperWSBFitter(max_nfev=10000) as the paper's web app does;\n"
            "2. use the default mode (WSBFitter), which fits increments by likelihood with bounds "
            "on every parameter;\n"
            "3. check that the counts are cumulative and start at the root's creation;\n"
            "4. fit many families with fit_many(), which flags failures instead of raising."
        )

    def _optimise(self, y: np.ndarray, t: np.ndarray, ids: pd.Index, pooled: bool) -> _Batch:
        # Identical series follow identical optimisation paths: solve each distinct
        # series once (the paper's files hold 2,306 all-zero series of <= 35 lengths).
        key = np.where(np.isnan(y), -1.0, y)
        _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
        inverse = np.asarray(inverse).reshape(-1)
        if len(first) < len(y):
            sub = self._optimise_unique(y[first], t, ids[first])
            return _Batch(
                ids=ids,
                y=y,
                t=t,
                params=sub.params[inverse],
                cov=sub.cov[inverse],
                loglik=sub.loglik[inverse],
                n_params=sub.n_params,
                converged=sub.converged[inverse],
                status=sub.status[inverse],
                n_eval=sub.n_eval[inverse],
                start=sub.start[inverse],
                extra={k: v[inverse] for k, v in sub.extra.items()},
            )
        return self._optimise_unique(y, t, ids)

    def _optimise_unique(self, y: np.ndarray, t: np.ndarray, ids: pd.Index) -> _Batch:
        k = y.shape[0]
        obs = ~np.isnan(y)
        yz = np.where(obs, y, 0.0)
        with np.errstate(divide="ignore"):
            lt = np.log(t)
        m = self.m

        def residuals(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
            lam, mu, s = x[:, 0:1], x[:, 1:2], x[:, 2:3]
            with np.errstate(all="ignore"):
                phi = 0.5 * (1 + erf(((lt[None, :] - mu) / s) / _SQRT2))
                c = m * (np.exp(lam * phi) - 1)
            return np.where(obs[rows], c - yz[rows], 0.0)

        x0 = np.tile(np.array(PAPER_P0, dtype=float), (k, 1))
        lb = np.zeros(3)
        ub = np.full(3, np.inf)
        res = _trf.trf_batch(residuals, x0, obs.sum(axis=1), lb, ub, max_nfev=self.max_nfev)
        n_obs = obs.sum(axis=1)
        sse = 2 * res.cost
        # curve_fit's covariance: pinv(J'J) * SSE / (n - p), dropping tiny singular values
        jac = np.where(obs[:, :, None], res.jac, 0.0)
        jac = np.nan_to_num(jac, nan=0.0, posinf=0.0, neginf=0.0)
        _, sv, vt = np.linalg.svd(jac, full_matrices=False)
        thr = np.finfo(float).eps * np.maximum(n_obs, 3)[:, None] * sv[:, :1]
        keep = sv > thr
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_s2 = np.where(keep, 1.0 / sv**2, 0.0)
            dof = np.where(n_obs > 3, sse / np.maximum(n_obs - 3, 1), np.inf)
            cov = np.einsum("kji,kj,kjl->kil", vt, inv_s2, vt) * dof[:, None, None]
        cov = np.where((n_obs > 3)[:, None, None], cov, np.inf)
        with np.errstate(divide="ignore"):
            # Gaussian log-likelihood at the LS optimum (sigma^2 = SSE / n)
            nn = np.maximum(n_obs, 1)
            loglik = -0.5 * nn * (np.log(2 * np.pi * np.maximum(sse, 1e-300) / nn) + 1)
        return _Batch(
            ids=ids,
            y=y,
            t=t,
            params=res.x,
            cov=cov,
            loglik=loglik,
            n_params=4,
            converged=res.status > 0,
            status=res.status,
            n_eval=res.nfev,
            start=x0,
            extra={"sse": sse},
        )
