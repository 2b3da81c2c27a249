"""The default fitter: negative-binomial likelihood of the monthly increments.

:class:`WSBFitter` fits the WSB curve with parameters on the log scale for
``lambda`` and ``sigma``, finite bounds and several starts, by Fisher scoring
(:mod:`hftree.adoption._engine`); when many families are fitted together with
:meth:`~hftree.adoption.BaseAdoptionFitter.fit_many`, with an empirical-Bayes
prior on the shape ``(mu, log sigma)`` estimated from all families and a pooled
dispersion.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr

from hftree.adoption import _engine
from hftree.adoption.base_fitter import BaseAdoptionFitter
from hftree.adoption.curve import _INV_SQRT_2PI
from hftree.adoption.diagnostics import _Batch
from hftree.adoption.family_fits import ShapePrior, _diagnose_fits
from hftree.errors import ConvergenceError, ParameterError

__all__ = ["WSBFitter"]


class WSBFitter(BaseAdoptionFitter):
    """WSB curve fitted by negative-binomial likelihood of the increments (default mode).

    What differs from the paper's procedure, and why:

    * **Likelihood on increments.** New descendants per bin are modelled as
      negative binomial with mean ``c(t_k) - c(t_{k-1})`` (NB2). Least squares on a
      cumulative curve treats every point as independent although each contains
      all the earlier ones, and lets the largest counts dominate.
    * **Dispersion.** Estimated by moments from Pearson residuals -- per family in
      :meth:`fit`, pooled over all families in :meth:`fit_many`.
    * **Parameterisation and bounds.** ``log lam``, ``mu``, ``log sigma`` inside a
      finite box (``lam`` in [1e-4, 60], ``mu`` in [-8, 8], ``sigma`` in [0.02, 20]),
      eight starting points around the data's own scale and age; the best
      optimum is kept.
    * **Empirical-Bayes shape prior.** With ``prior="pooled"`` (the default),
      :meth:`fit_many` first fits every family alone, estimates a Gaussian prior
      on ``(mu, log sigma)`` from the well-identified ones (:class:`ShapePrior`),
      and refits every family with it (``lam`` stays free: it is the family's own
      scale). Short or unfinished series borrow the typical shape instead of
      running off to a bound. A single :meth:`fit` uses no prior unless one is
      given.

    Parameters
    ----------
    m
        Scale of the curve (as the paper: 1).
    prior
        ``"pooled"`` (estimate from the families of :meth:`fit_many`), a
        :class:`ShapePrior`, or ``None``.
    dispersion
        NB2 size ``r`` (larger = closer to Poisson), ``"poisson"``, or ``None`` to
        estimate it.
    max_iter
        Iteration limit of the optimiser.
    bins
        Bin unit when the input does not say.

    Examples
    --------
    >>> f = WSBFitter().fit([0, 4, 11, 19, 26, 31, 35, 38, 40])
    >>> f.params_.round(2).tolist()
    [3.92, -2.19, 1.11]
    >>> f.flags_, round(f.c_inf_, 1), round(f.r2_, 4)
    ((), 49.6, 0.9998)
    """

    _bounds = ((1e-4, 60.0), (-8.0, 8.0), (0.02, 20.0))
    mode = "default"

    def __init__(
        self,
        m: float = 1.0,
        *,
        prior: ShapePrior | Literal["pooled"] | None = "pooled",
        dispersion: float | Literal["poisson"] | None = None,
        max_iter: int = 200,
        bins: str | None = None,
    ) -> None:
        super().__init__(m, bins=bins)
        if not (prior is None or (isinstance(prior, str) and prior == "pooled") or isinstance(prior, ShapePrior)):
            raise ParameterError("prior", "'pooled', a ShapePrior or None", prior)
        if not (
            dispersion is None
            or (isinstance(dispersion, str) and dispersion == "poisson")
            or (isinstance(dispersion, int | float) and not isinstance(dispersion, bool) and dispersion > 0)
        ):
            raise ParameterError("dispersion", "a positive number, 'poisson' or None", dispersion)
        if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
            raise ParameterError("max_iter", "a whole number >= 1", max_iter)
        self.prior = prior
        self.dispersion = dispersion
        self.max_iter = int(max_iter)

    def _theta_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        (l0, l1), (m0, m1), (s0, s1) = self._bounds
        return np.array([math.log(l0), m0, math.log(s0)]), np.array([math.log(l1), m1, math.log(s1)])

    def _curve_fn(self, t: np.ndarray, n_rep: int = 1) -> _engine.CurveFunction:
        with np.errstate(divide="ignore"):
            lt = np.log(t)
        zero = ~np.isfinite(lt)
        m = self.m

        def curve(theta: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            lam = np.exp(theta[:, 0:1])
            mu = theta[:, 1:2]
            s = np.exp(theta[:, 2:3])
            with np.errstate(all="ignore"):
                z = (lt[None, :] - mu) / s
                z = np.where(zero[None, :], -np.inf, z)
                F = ndtr(z)
                dens = np.where(zero[None, :], 0.0, np.exp(-0.5 * z * z) * _INV_SQRT_2PI)
                E = np.exp(lam * F)
                c = m * (E - 1)
                zz = np.where(zero[None, :], 0.0, z)
                dc = np.stack([m * E * F * lam, -m * E * lam * dens / s, -m * E * lam * dens * zz], axis=-1)
            return c, dc

        return curve

    def _starts(self, y: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Four data-driven starting points per family, shape (K, 4, 3) in theta space."""
        obs = ~np.isnan(y)
        k = y.shape[0]
        last = np.where(obs.any(axis=1), y.shape[1] - 1 - np.argmax(obs[:, ::-1], axis=1), 0)
        final = np.nan_to_num(y[np.arange(k), last], nan=0.0)
        t_end = np.maximum(t[last], t[1] if len(t) > 1 else 1.0)
        base = np.log1p(final / self.m)
        out = []
        for lf, dmu, sg in ((1.2, -0.5, 0.5), (1.2, 1.0, 1.5), (2.5, -0.5, 1.5), (2.5, 1.0, 0.5)):
            out.append(
                np.column_stack(
                    [
                        np.log(np.maximum(base * lf, 0.05)),
                        np.log(t_end) + dmu,
                        np.full(k, math.log(sg)),
                    ]
                )
            )
        lo, hi = self._theta_bounds()
        return np.clip(np.stack(out, axis=1), lo, hi)

    def _solve(
        self,
        y: np.ndarray,
        t: np.ndarray,
        starts: np.ndarray,
        r: np.ndarray,
        prior: ShapePrior | None,
    ) -> _engine.ScoringResult:
        """Run every start of every family and keep the best per family.

        Families that never grew have a known optimum (``lam`` at its lower
        bound, where every expected increment is smallest); they get one start.
        """
        k = starts.shape[0]
        final = np.nan_to_num(np.nanmax(np.where(np.isnan(y), -np.inf, y), axis=1), nan=0.0, neginf=0.0)
        grew = final > 0
        lo, hi = self._theta_bounds()
        zero_start = starts[:, 0, :].copy()
        zero_start[:, 0] = lo[0]
        zero_start[:, 2] = 0.0
        if prior is not None:
            zero_start[:, 1:] = prior.mean
        groups = [(np.flatnonzero(grew), starts), (np.flatnonzero(~grew), zero_start[:, None, :])]
        theta = np.zeros((k, 3))
        objective = np.zeros(k)
        nll = np.zeros(k)
        fisher = np.zeros((k, 3, 3))
        converged = np.zeros(k, dtype=bool)
        n_iter = np.zeros(k, dtype=int)
        chosen = np.zeros((k, 3))
        curve = self._curve_fn(t)
        pm = pp = None
        if prior is not None:
            pm = np.array([0.0, *prior.mean])
            pp = np.zeros((3, 3))
            pp[1:, 1:] = prior.precision()
        for rows, st in groups:
            if not rows.size:
                continue
            st = st[rows]
            ns = st.shape[1]
            data = _engine.IncrementData.from_cumulative(y[rows]).take(np.repeat(np.arange(rows.size), ns))
            res = _engine.fisher_scoring_batch(
                curve,
                data,
                st.reshape(-1, 3),
                np.repeat(r[rows], ns),
                lo,
                hi,
                prior_mean=pm,
                prior_precision=pp,
                max_iter=self.max_iter,
            )
            obj = res.objective.reshape(rows.size, ns)
            best = np.argmin(np.where(np.isfinite(obj), obj, np.inf), axis=1)
            pick = np.arange(rows.size) * ns + best
            theta[rows] = res.theta[pick]
            objective[rows] = res.objective[pick]
            nll[rows] = res.nll[pick]
            fisher[rows] = res.fisher[pick]
            converged[rows] = res.converged[pick]
            n_iter[rows] = res.n_iter[pick]
            chosen[rows] = st.reshape(-1, 3)[pick]
        out = _engine.ScoringResult(theta, objective, nll, fisher, converged, n_iter)
        out.start = chosen  # type: ignore[attr-defined]
        return out

    def _moment_dispersion(self, y: np.ndarray, t: np.ndarray, theta: np.ndarray, pooled: bool) -> np.ndarray:
        data = _engine.IncrementData.from_cumulative(y)
        c, _ = self._curve_fn(t)(theta, np.arange(len(theta)))
        mean = np.maximum(_engine.increments_of(c, data.prev), 1e-10)
        num = np.where(data.use, (data.x - mean) ** 2 - mean, 0.0)
        den = np.where(data.use, mean**2, 0.0)
        if pooled:
            inv = max(num.sum(), 0.0) / max(den.sum(), 1e-300)
            r = 1.0 / inv if inv > 0 else 1e6
            return np.full(len(theta), float(np.clip(r, 0.05, 1e6)))
        inv = np.maximum(num.sum(axis=1), 0.0) / np.maximum(den.sum(axis=1), 1e-300)
        with np.errstate(divide="ignore"):
            r = np.where(inv > 0, 1.0 / inv, 1e6)
        return np.clip(r, 0.05, 1e6)

    def _optimise(self, y: np.ndarray, t: np.ndarray, ids: pd.Index, pooled: bool) -> _Batch:
        k = y.shape[0]
        starts = self._starts(y, t)
        fixed_r: float | None
        if self.dispersion == "poisson":
            fixed_r = math.inf
        elif self.dispersion is None:
            fixed_r = None
        else:
            fixed_r = float(self.dispersion)
        r = np.full(k, 2.0 if fixed_r is None else fixed_r)
        prior = self.prior if isinstance(self.prior, ShapePrior) else None
        first = self._solve(y, t, starts, r, prior)
        extra: dict[str, Any] = {}
        if fixed_r is None:
            r = self._moment_dispersion(y, t, first.theta, pooled)
        use_pooled_prior = pooled and self.prior == "pooled"
        if use_pooled_prior:
            prelim = self._to_batch(ids, y, t, first, r, prior=None)
            try:
                prior = ShapePrior.from_fits(_diagnose_fits(prelim, self))
            except ConvergenceError:
                prior = None
        if fixed_r is None or use_pooled_prior:
            st2 = [first.theta[:, None, :], starts[:, :2, :]]
            if prior is not None:
                pm = np.column_stack([first.theta[:, 0], np.full(k, prior.mean[0]), np.full(k, prior.mean[1])])
                st2.append(pm[:, None, :])
            final = self._solve(y, t, np.concatenate(st2, axis=1), r, prior)
            final.start = starts[:, 0, :]  # type: ignore[attr-defined]
        else:
            final = first
        extra["dispersion"] = r
        if prior is not None:
            extra["prior"] = prior
        return self._to_batch(ids, y, t, final, r, prior=prior, extra=extra)

    def _to_batch(
        self,
        ids: pd.Index,
        y: np.ndarray,
        t: np.ndarray,
        res: _engine.ScoringResult,
        r: np.ndarray,
        prior: ShapePrior | None,
        extra: dict[str, Any] | None = None,
    ) -> _Batch:
        th = res.theta
        params = np.column_stack([np.exp(th[:, 0]), th[:, 1], np.exp(th[:, 2])])
        # covariance on the theta scale: inverse of (Fisher + prior precision),
        # mapped to (lam, mu, sigma) by the delta method
        h = res.fisher.copy()
        if prior is not None:
            h[:, 1:, 1:] += prior.precision()
        ci = np.linalg.pinv(h, hermitian=True) if len(h) else h
        scale = np.column_stack([params[:, 0], np.ones(len(params)), params[:, 2]])
        cov = ci * scale[:, :, None] * scale[:, None, :]
        start = getattr(res, "start", th)
        start_p = np.column_stack([np.exp(start[:, 0]), start[:, 1], np.exp(start[:, 2])])
        n_params = 3 + (1 if self.dispersion is None else 0)
        return _Batch(
            ids=ids,
            y=y,
            t=t,
            params=params,
            cov=cov,
            loglik=-res.nll,
            n_params=n_params,
            converged=res.converged,
            status=res.converged.astype(int),
            n_eval=res.n_iter,
            start=start_p,
            extra=dict(extra or {}, dispersion=r),
        )
