"""The Wang-Song-Barabási adoption curve and its fitters.

A family's cumulative number of descendants ``t`` years after its root was
created is modelled, as in Bhandari, Chen & Gao (2025, arXiv 2502.15987) after
Wang, Song & Barabási (2013), by

.. math:: c(t) = m\\left(e^{\\lambda\\,\\Phi((\\ln t - \\mu)/\\sigma)} - 1\\right)

with fitness :math:`\\lambda`, immediacy :math:`\\mu` (the impact time is
:math:`e^{\\mu}` years) and longevity :math:`\\sigma`; :math:`c_\\infty = m(e^{\\lambda} - 1)`.

Two fitters share one base class (:class:`BaseAdoptionFitter`, in the style of
lifelines): each declares its parameter names, bounds, starting points and curve,
and the base class does the optimisation (many families at once), standard
errors, information criteria, diagnostics and identifiability flags.

* :class:`PaperWSBFitter` -- the paper's exact procedure: least squares on the
  cumulative counts, ``m = 1``, ``t = month / 12`` including ``t = 0``,
  ``p0 = (0.5, 2.0, 0.5)``, bounds ``(0, inf)``, solved by the same Trust Region
  Reflective path as ``scipy.optimize.curve_fit``.
* :class:`WSBFitter` -- the default: negative-binomial likelihood of the
  *monthly increments*, parameters on the log scale for ``lambda`` and
  ``sigma``, finite bounds, multi-start, and (when many families are fitted
  together with :meth:`BaseAdoptionFitter.fit_many`) an empirical-Bayes prior on
  the shape ``(mu, log sigma)`` estimated from all families, with a pooled
  dispersion.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy.special import erf, ndtr

from hftree.adoption import _engine, _trf
from hftree.adoption.series import series_arrays
from hftree.errors import ConvergenceError, InputFormatError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "FLAGS",
    "PAPER_P0",
    "BaseAdoptionFitter",
    "FamilyFits",
    "PaperWSBFitter",
    "ShapePrior",
    "WSBFitter",
    "fit_families",
    "outliers",
    "wsb_curve",
]

Mode = Literal["paper", "default"]

#: The paper's starting point (lambda, mu, sigma).
PAPER_P0: tuple[float, float, float] = (0.5, 2.0, 0.5)

#: Identifiability flags and what they mean.
FLAGS: dict[str, str] = {
    "not_converged": "the optimiser stopped before its convergence test passed",
    "too_few_points": "fewer than 4 observed bins for 3 parameters",
    "no_growth": "the family never gained a descendant; parameters are arbitrary",
    "stuck_at_start": "the parameters did not move from the starting point",
    "lam_at_bound": "lambda is at a bound of the search box",
    "mu_at_bound": "mu is at a bound of the search box",
    "sigma_at_bound": "sigma is at a bound of the search box",
    "sigma_unidentified": "sigma > 20: a step in log-time, its value is arbitrary",
    "mu_beyond_window": "the impact time e^mu lies beyond the observed window",
    "lam_too_large": "c_inf = m(e^lambda - 1) exceeds 1000x the observed count (or 1e7)",
    "c_inf_below_observed": "c_inf is below the count already observed: the ceiling is wrong",
}

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def wsb_curve(t: Any, lam: float, mu: float, sigma: float, m: float = 1.0) -> np.ndarray:
    """Cumulative adoption ``c(t) = m (exp(lam * Phi((ln t - mu) / sigma)) - 1)``.

    Parameters
    ----------
    t
        Time since the root's creation, in years (``t = 0`` gives 0).
    lam, mu, sigma
        Fitness, immediacy (log-years) and longevity.
    m
        Scale (the paper uses ``m = 1``).

    Returns
    -------
    numpy.ndarray
        ``c(t)``, same shape as ``t``.

    Examples
    --------
    >>> wsb_curve([0.0, 1.0, 100.0], lam=2.0, mu=0.0, sigma=1.0).round(3)
    array([0.   , 1.718, 6.389])
    """
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore"):
        z = (np.log(t) - mu) / sigma
    return m * np.expm1(lam * ndtr(z))


# --------------------------------------------------------------------------- prior


@dataclass(frozen=True)
class ShapePrior:
    """Gaussian prior on the shape ``(mu, log sigma)`` of a WSB curve.

    Fitted by :meth:`from_fits` (empirical Bayes: the spread of the shapes of
    well-identified families), or given by hand.

    Attributes
    ----------
    mean : tuple of float
        Prior mean of ``(mu, log sigma)``.
    cov : tuple of tuple of float
        2 x 2 prior covariance.
    n_families : int
        How many families it was estimated from (0 if given by hand).

    Examples
    --------
    >>> p = ShapePrior(mean=(0.5, 0.0), cov=((1.0, 0.0), (0.0, 0.25)))
    >>> p.precision().round(2).tolist()
    [[1.0, 0.0], [0.0, 4.0]]
    """

    mean: tuple[float, float]
    cov: tuple[tuple[float, float], tuple[float, float]]
    n_families: int = 0

    def precision(self) -> np.ndarray:
        """Inverse covariance (2 x 2)."""
        return np.linalg.inv(np.asarray(self.cov, dtype=float))

    @classmethod
    def from_fits(cls, fits: FamilyFits, *, min_final: float = 20, min_points: int = 6) -> ShapePrior:
        """Estimate the prior from the identifiable fits of many families.

        Uses families with at least ``min_points`` bins and ``min_final``
        descendants whose fit carries no flag, after discarding shapes more than
        3 robust standard deviations from the median in either coordinate.

        Raises
        ------
        ConvergenceError
            If fewer than 5 families qualify.
        """
        tab = fits.table
        ok = (tab["flags"] == "") & (tab["n_obs"] >= min_points) & (tab["final"] >= min_final)
        z = np.column_stack([tab.loc[ok, "mu"].to_numpy(), np.log(tab.loc[ok, "sigma"].to_numpy())])
        if len(z) < 5:
            raise ConvergenceError(
                f"only {len(z)} families have an identifiable fit; an empirical-Bayes prior needs "
                "at least 5. Things to try:\n"
                "1. fit more families at once (all files of a snapshot rather than one);\n"
                f"2. lower min_final (now {min_final}) or min_points (now {min_points});\n"
                "3. pass prior=None to fit without a prior, or give a ShapePrior by hand."
            )
        med = np.median(z, axis=0)
        mad = 1.4826 * np.median(np.abs(z - med), axis=0)
        keep = np.all(np.abs(z - med) <= 3 * np.maximum(mad, 1e-6), axis=1)
        zk = z[keep]
        cov = np.cov(zk.T) + 1e-6 * np.eye(2)
        return cls(
            mean=(float(med[0]), float(med[1])),
            cov=((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1]))),
            n_families=len(zk),
        )


# --------------------------------------------------------------------------- batch results


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


class BaseAdoptionFitter:
    """Shared machinery of the WSB fitters; not used directly.

    Subclasses declare ``_fitted_parameter_names``, ``_bounds`` (of
    ``lam, mu, sigma``) and ``mode``, and implement ``_optimise``. Everything else --
    batching, standard errors, R², RMSE, AIC, identifiability flags, ``c_inf`` and
    the impact time, prediction, forecasting and plotting -- lives here.

    Attributes (after :meth:`fit`)
    ------------------------------
    params_ : pandas.Series
        ``lam, mu, sigma``.
    standard_errors_ : pandas.Series
    variance_matrix_ : pandas.DataFrame
    summary : pandas.DataFrame
        coef, se, 95 % interval, plus the diagnostics as attributes of the fit.
    log_likelihood_, AIC_, r2_, rmse_ : float
    flags_ : tuple of str
        Identifiability flags (see :data:`FLAGS`); empty when the fit is sound.
    identifiable_ : bool
    c_inf_ : float
        ``m (e^lam - 1)`` -- NaN unless identifiable.
    impact_time_ : float
        ``e^mu`` in years -- NaN unless identifiable.
    converged_ : bool
    """

    _fitted_parameter_names: ClassVar[tuple[str, str, str]] = ("lam", "mu", "sigma")
    _bounds: ClassVar[tuple[tuple[float, float], ...]]
    mode: ClassVar[str]

    def __init__(self, m: float = 1.0, *, bins: str | None = None) -> None:
        if not m > 0:
            raise ValueError(f"m must be positive, got {m}")
        self.m = float(m)
        self.bins = bins

    # -- to be provided by subclasses -------------------------------------------------
    def _optimise(self, y: np.ndarray, t: np.ndarray, ids: pd.Index, pooled: bool) -> _Batch:
        raise NotImplementedError

    def _advice(self) -> str:
        return (
            "1. check that the counts are cumulative (non-decreasing) and start at the root's "
            "creation;\n"
            "2. fit many families together with fit_many(), which flags failures instead of "
            "raising;\n"
            "3. try the other mode (PaperWSBFitter / WSBFitter);\n"
            "4. drop very short or nearly constant series: the curve has 3 parameters."
        )

    # -- public API -------------------------------------------------------------------
    def fit(self, counts: Any, *, bins: str | None = None) -> BaseAdoptionFitter:
        """Fit one family's cumulative counts.

        Parameters
        ----------
        counts
            1-D cumulative counts per bin since the root's creation (a pandas
            Series, list or array; trailing ``NaN`` = not observed yet).
        bins
            ``"month"`` or ``"day"``; default: the fitter's ``bins``, else the
            Series' index name, else ``"month"``.

        Returns
        -------
        self

        Raises
        ------
        InputFormatError
            If the counts are not 1-D, are negative or decrease, or fewer than 3
            bins are observed.
        ConvergenceError
            If the optimiser does not converge (the message lists what to try).
        """
        arr = counts.to_numpy(dtype=float) if isinstance(counts, pd.Series) else np.asarray(counts, dtype=float)
        if arr.ndim != 1:
            raise InputFormatError(
                f"fit() takes one family's 1-D counts, got shape {arr.shape}; use fit_many() for a table of families",
                field="counts",
            )
        name = counts.name if isinstance(counts, pd.Series) else None
        unit_name = bins or self.bins or (counts.index.name if isinstance(counts, pd.Series) else None)
        _, y, unit = series_arrays(arr, bins=unit_name if unit_name in ("month", "day") else None)
        _validate_counts(y, [name if name is not None else "counts"])
        n_obs = int((~np.isnan(y)).sum())
        if n_obs < 3:
            raise InputFormatError(f"need at least 3 observed bins to fit 3 parameters, got {n_obs}", field="counts")
        t = np.arange(y.shape[1]) * unit
        batch = self._optimise(y, t, pd.Index([name if name is not None else "family"]), pooled=False)
        table = _diagnose(batch, self)
        row = table.iloc[0]
        if not bool(row["converged"]):
            raise ConvergenceError(
                f"{type(self).__name__} did not converge on {name or 'the series'} "
                f"(status {int(batch.status[0])}, {int(batch.n_eval[0])} evaluations). "
                "Things to try:\n" + self._advice()
            )
        self._set_attributes(batch, table, 0)
        return self

    def fit_many(self, counts: Any, *, bins: str | None = None) -> FamilyFits:
        """Fit every family (row) of a series frame in one batch.

        Failures do not raise: they are flagged (``not_converged``,
        ``too_few_points`` …) in the result table. In the default mode the
        families also share a dispersion and an empirical-Bayes shape prior
        (see :class:`WSBFitter`).

        Parameters
        ----------
        counts
            A series frame (rows = families, columns = bins since creation), as
            returned by :func:`~hftree.adoption.read_finetune_csv` or
            :func:`~hftree.adoption.growth_series`.
        bins
            Override the bin unit (default: the column index name).

        Returns
        -------
        FamilyFits

        Raises
        ------
        InputFormatError
            If a count is negative or a cumulative count decreases.
        """
        ids, y, unit = series_arrays(counts, bins=bins or self.bins)
        _validate_counts(y, list(ids))
        t = np.arange(y.shape[1]) * unit
        batch = _empty_batch(ids, y, t) if len(ids) == 0 else self._optimise(y, t, ids, pooled=True)
        table = _diagnose(batch, self)
        return FamilyFits(
            table=table,
            counts=pd.DataFrame(y, index=ids, columns=pd.RangeIndex(y.shape[1], name=_unit_name(unit))),
            mode=self.mode,
            m=self.m,
            unit=unit,
            extra=dict(batch.extra),
        )

    def _set_attributes(self, batch: _Batch, table: pd.DataFrame, i: int) -> None:
        names = list(self._fitted_parameter_names)
        row = table.iloc[i]
        self.params_ = pd.Series(batch.params[i], index=names, name="coef")
        cov = batch.cov[i]
        self.variance_matrix_ = pd.DataFrame(cov, index=names, columns=names)
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
        self.standard_errors_ = pd.Series(se, index=names, name="se(coef)")
        self.log_likelihood_ = float(row["loglik"])
        self.AIC_ = float(row["aic"])
        self.r2_ = float(row["r2"])
        self.rmse_ = float(row["rmse"])
        self.flags_ = tuple(f for f in str(row["flags"]).split(",") if f)
        self.identifiable_ = bool(row["identifiable"])
        self.c_inf_ = float(row["c_inf"])
        self.impact_time_ = float(row["impact_time"])
        self.converged_ = bool(row["converged"])
        self.n_obs_ = int(row["n_obs"])
        self.counts_ = batch.y[i]
        self.t_ = batch.t
        self.unit_ = float(batch.t[1] - batch.t[0]) if len(batch.t) > 1 else 1 / 12
        self.extra_ = {
            k: (v[i] if isinstance(v, np.ndarray) and v.ndim >= 1 and len(v) == len(batch.ids) else v)
            for k, v in batch.extra.items()
        }

    @property
    def summary(self) -> pd.DataFrame:
        """Coefficients with standard errors and 95 % Wald intervals."""
        self._check_fitted()
        z = 1.959963984540054
        se = self.standard_errors_
        out = pd.DataFrame(
            {
                "coef": self.params_,
                "se(coef)": se,
                "coef lower 95%": self.params_ - z * se,
                "coef upper 95%": self.params_ + z * se,
            }
        )
        out.index.name = "param"
        return out

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit() first")

    def predict(self, months: Any) -> np.ndarray:
        """Fitted cumulative count after ``months`` bins (any real numbers >= 0).

        Examples
        --------
        >>> f = WSBFitter().fit([0, 4, 11, 19, 26, 31, 35, 38, 40])
        >>> f.predict([8]).round(0)
        array([40.])
        """
        self._check_fitted()
        t = np.asarray(months, dtype=float) * self.unit_
        return wsb_curve(t, *self._p3(), m=self.m)

    def _p3(self) -> tuple[float, float, float]:
        lam, mu, sigma = (float(v) for v in self.params_.to_numpy())
        return lam, mu, sigma

    def forecast(self, h: int, *, level: float = 0.9, n_samples: int = 2000, random_state: Any = None) -> pd.DataFrame:
        """Forecast the next ``h`` bins after the last observation, with a band.

        The band combines parameter uncertainty (draws from the asymptotic
        normal distribution of the estimates) and, in the default mode, the
        negative-binomial noise of the new descendants. The forecast is anchored
        at the last observed count.

        Returns
        -------
        pandas.DataFrame
            Index ``step`` 1..h; columns ``bin``, ``forecast``, ``lower``, ``upper``.
        """
        self._check_fitted()
        if int(h) < 1:
            raise ValueError(f"h must be a positive number of bins, got {h}")
        rng = np.random.default_rng(random_state)
        obs = np.flatnonzero(~np.isnan(self.counts_))
        last = int(obs[-1])
        y_last = float(self.counts_[last])
        bins_ = last + np.arange(1, int(h) + 1)
        p = self.params_.to_numpy()
        c_last = wsb_curve(last * self.unit_, p[0], p[1], p[2], m=self.m)
        point = y_last + np.maximum(wsb_curve(bins_ * self.unit_, p[0], p[1], p[2], m=self.m) - c_last, 0)
        draws = _draw_params(p, self.variance_matrix_.to_numpy(), n_samples, rng)
        tt = np.concatenate([[last], bins_]) * self.unit_
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = (np.log(tt)[None, :] - draws[:, 1:2]) / draws[:, 2:3]
            curves = self.m * np.expm1(draws[:, 0:1] * ndtr(z))
        growth = np.maximum(curves[:, 1:] - curves[:, :1], 0.0)
        growth = np.where(np.isfinite(growth), growth, np.nan)
        r = self.extra_.get("dispersion")
        if r is not None and np.isfinite(r):
            inc = np.diff(np.concatenate([np.zeros((len(growth), 1)), growth], axis=1), axis=1)
            inc = np.nan_to_num(np.maximum(inc, 1e-12), nan=1e-12)
            pr = r / (r + inc)
            noise = rng.negative_binomial(r, np.clip(pr, 1e-12, 1.0))
            sims = y_last + np.cumsum(noise, axis=1)
        else:
            sims = y_last + growth
        a = (1 - level) / 2
        lower = np.nanquantile(sims, a, axis=0)
        upper = np.nanquantile(sims, 1 - a, axis=0)
        return pd.DataFrame(
            {
                "bin": bins_,
                "forecast": point,
                "lower": np.minimum(lower, point),
                "upper": np.maximum(upper, point),
            },
            index=pd.RangeIndex(1, int(h) + 1, name="step"),
        )

    def plot(self, ax: Axes | None = None, *, forecast: int = 0, **kwargs: Any) -> Axes:
        """Observed counts and the fitted curve (plus a forecast band if ``forecast > 0``)."""
        from hftree.adoption.plot import plot_fit

        self._check_fitted()
        return plot_fit(self, ax=ax, forecast=forecast, **kwargs)

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"<{type(self).__name__}: not fitted>"
        p = self.params_
        flags = f", flags={','.join(self.flags_)}" if self.flags_ else ""
        return (
            f"<{type(self).__name__}: lam={p['lam']:.4g}, mu={p['mu']:.4g}, "
            f"sigma={p['sigma']:.4g}, R2={self.r2_:.3f}{flags}>"
        )


def _unit_name(unit: float) -> str:
    return "day" if abs(unit - 1 / 365.25) < 1e-9 else "month"


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


def _draw_params(p: np.ndarray, cov: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw (lam, mu, sigma) from the asymptotic normal on the (log lam, mu, log sigma) scale."""
    lp = np.array([math.log(max(p[0], 1e-12)), p[1], math.log(max(p[2], 1e-12))])
    jac = np.diag([1 / max(p[0], 1e-12), 1.0, 1 / max(p[2], 1e-12)])
    c = jac @ np.nan_to_num(cov, nan=0.0, posinf=0.0, neginf=0.0) @ jac
    c = 0.5 * (c + c.T)
    w, v = np.linalg.eigh(c)
    w = np.clip(w, 0, 4.0)  # cap absurd variances of unidentified directions
    d = rng.standard_normal((n, 3)) @ (v * np.sqrt(w)).T + lp
    return np.column_stack([np.exp(d[:, 0]), d[:, 1], np.exp(d[:, 2])])


# --------------------------------------------------------------------------- diagnostics


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
        if n_obs[i] > 0 and final[i] == 0:
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


# --------------------------------------------------------------------------- paper mode


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


# --------------------------------------------------------------------------- default mode


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
        if not (prior is None or prior == "pooled" or isinstance(prior, ShapePrior)):
            raise ValueError(f"prior must be 'pooled', a ShapePrior or None, got {prior!r}")
        if not (
            dispersion is None or dispersion == "poisson" or (isinstance(dispersion, (int, float)) and dispersion > 0)
        ):
            raise ValueError(f"dispersion must be a positive number, 'poisson' or None, got {dispersion!r}")
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


def _diagnose_fits(batch: _Batch, fitter: BaseAdoptionFitter) -> FamilyFits:
    return FamilyFits(
        table=_diagnose(batch, fitter),
        counts=pd.DataFrame(batch.y, index=batch.ids),
        mode=fitter.mode,
        m=fitter.m,
        unit=float(batch.t[1] - batch.t[0]) if len(batch.t) > 1 else 1 / 12,
    )


# --------------------------------------------------------------------------- many families


@dataclass(frozen=True)
class FamilyFits:
    """Fits of many families (the result of :meth:`BaseAdoptionFitter.fit_many`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per family: ``lam, mu, sigma``, their standard errors,
        ``n_obs, final, r2, rmse, loglik, aic, converged``, ``flags`` (comma-separated
        names from :data:`FLAGS`), ``identifiable``, and ``c_inf`` and
        ``impact_time`` (years) where identifiable.
    counts : pandas.DataFrame
        The series that were fitted.
    mode : str
        ``"paper"`` or ``"default"``.
    m : float
    unit : float
        Bin length in years.
    extra : dict
        Mode-specific extras (``dispersion``, ``prior`` …).
    """

    table: pd.DataFrame
    counts: pd.DataFrame
    mode: str
    m: float
    unit: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The per-family table (a copy)."""
        return self.table.copy()

    def __len__(self) -> int:
        return len(self.table)

    def predict(self, bins: Any) -> pd.DataFrame:
        """Fitted cumulative counts of every family at ``bins`` (rows = families)."""
        b = np.asarray(bins, dtype=float)
        t = b * self.unit
        P = self.table[["lam", "mu", "sigma"]].to_numpy()
        with np.errstate(divide="ignore"):
            z = (np.log(t)[None, :] - P[:, 1:2]) / P[:, 2:3]
        vals = self.m * np.expm1(P[:, 0:1] * ndtr(z))
        return pd.DataFrame(vals, index=self.table.index, columns=pd.Index(b, name="bin"))

    def outliers(self, **kwargs: Any) -> pd.DataFrame:
        """Families the model does not capture; see :func:`outliers`."""
        return outliers(self, **kwargs)

    def plot_collapse(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """All identifiable families on one rescaled curve (see :mod:`hftree.adoption.plot`)."""
        from hftree.adoption.plot import plot_collapse

        return plot_collapse(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        tab = self.table
        n_id = int(tab["identifiable"].sum()) if len(tab) else 0
        n_conv = int(tab["converged"].sum()) if len(tab) else 0
        return f"<FamilyFits mode={self.mode}: {len(tab)} families, {n_conv} converged, {n_id} identifiable>"

    def _repr_html_(self) -> str:
        return f"<p>{self!r}</p>" + self.table.head(20).to_html()


def fit_families(counts: Any, mode: Mode = "default", **kwargs: Any) -> FamilyFits:
    """Fit every family of a series frame in the given mode.

    ``fit_families(frame, "paper")`` is ``PaperWSBFitter(**kwargs).fit_many(frame)``;
    ``"default"`` uses :class:`WSBFitter`.

    Raises
    ------
    ValueError
        If ``mode`` is not ``"paper"`` or ``"default"``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame([[0, 2, 5, 9, 14, 18, 21, 23, 24],
    ...                       [0, 0, 0, 0, 0, 0, 0, 0, 0]], index=["a", "b"])
    >>> fits = fit_families(frame, "paper")
    >>> fits.table["flags"].tolist()
    ['mu_at_bound,mu_beyond_window', 'no_growth,stuck_at_start,mu_beyond_window']
    """
    if mode == "paper":
        return PaperWSBFitter(**kwargs).fit_many(counts)
    if mode == "default":
        return WSBFitter(**kwargs).fit_many(counts)
    raise ValueError(f"mode must be 'paper' or 'default', got {mode!r}")


def outliers(
    fits: FamilyFits,
    *,
    min_r2: float = 0.9,
    jump_share: float = 0.25,
    jump_ratio: float = 3.0,
    min_final: float = 10,
) -> pd.DataFrame:
    """Families whose growth the model does not capture, with the evidence.

    Two kinds are listed (families with fewer than ``min_final`` descendants are
    skipped: there is nothing to capture):

    * ``poor_fit`` -- R² of the fitted cumulative curve below ``min_r2``;
    * ``jump`` -- the largest single-bin increment is at least ``jump_share`` of
      the final count *and* ``jump_ratio`` times what the fitted curve expects in
      that bin (typically a bulk upload of many derivatives at once).

    Returns
    -------
    pandas.DataFrame
        Columns ``model, kind, r2, bin, increment, expected, share``, sorted by
        kind then decreasing severity.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame([[0, 2, 4, 6, 8, 10, 60, 62, 64]], index=["bulk"])
    >>> out = outliers(fit_families(frame, "paper"))
    >>> out[["model", "kind", "bin", "increment"]].values.tolist()
    [['bulk', 'jump', 6, 50.0], ['bulk', 'poor_fit', 6, 50.0]]
    """
    tab = fits.table
    y = fits.counts.to_numpy(dtype=float)
    fitted = fits.predict(np.arange(y.shape[1])).to_numpy()
    rows = []
    for i, mid in enumerate(tab.index):
        final = tab["final"].iloc[i]
        if not final >= min_final:
            continue
        r2 = float(tab["r2"].iloc[i])
        obs = ~np.isnan(y[i])
        inc = np.diff(np.where(obs, y[i], np.nan))
        exp_inc = np.diff(fitted[i])
        valid = ~np.isnan(inc)
        j = int(np.nanargmax(np.where(valid, inc, -np.inf))) if valid.any() else -1
        big = float(inc[j]) if j >= 0 else np.nan
        expected = float(exp_inc[j]) if j >= 0 else np.nan
        share = big / final if j >= 0 else np.nan
        if r2 < min_r2:
            rows.append((mid, "poor_fit", r2, j + 1, big, expected, share))
        if j >= 0 and share >= jump_share and big >= jump_ratio * max(expected, 1e-9):
            rows.append((mid, "jump", r2, j + 1, big, expected, share))
    out = pd.DataFrame(rows, columns=["model", "kind", "r2", "bin", "increment", "expected", "share"])
    if len(out):
        out["_sev"] = np.where(out["kind"] == "poor_fit", out["r2"], -out["share"])
        out = out.sort_values(["kind", "_sev"], kind="stable").drop(columns="_sev").reset_index(drop=True)
    return out
