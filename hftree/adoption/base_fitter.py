"""The shared machinery of the WSB fitters (in the style of lifelines' ``BaseFitter``).

Each fitter declares its parameter names, bounds, starting points and curve and
implements ``_optimise``; :class:`BaseAdoptionFitter` does the rest: batching many
families at once, standard errors, information criteria, diagnostics and
identifiability flags, prediction, forecasting and plotting. The two fitters are
:class:`~hftree.adoption.PaperWSBFitter` (:mod:`~hftree.adoption.paper_fitter`)
and :class:`~hftree.adoption.WSBFitter` (:mod:`~hftree.adoption.wsb_fitter`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

import numpy as np
import pandas as pd
from scipy.special import ndtr

from hftree._checks import fraction, whole_number
from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree.adoption._bins import _unit_name, series_arrays
from hftree.adoption.curve import _draw_params, wsb_curve
from hftree.adoption.diagnostics import _Batch, _diagnose, _empty_batch, _validate_counts
from hftree.adoption.family_fits import FamilyFits
from hftree.errors import ConvergenceError, InputFormatError, NotFittedError, ParameterError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["BaseAdoptionFitter"]


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

    Using :meth:`predict`, :attr:`summary`, :meth:`forecast`, :meth:`plot` or a
    learned attribute before :meth:`fit` raises :class:`~hftree.errors.NotFittedError`.
    """

    _fitted_parameter_names: ClassVar[tuple[str, str, str]] = ("lam", "mu", "sigma")
    _bounds: ClassVar[tuple[tuple[float, float], ...]]
    mode: ClassVar[str]

    def __init__(self, m: float = 1.0, *, bins: str | None = None) -> None:
        if isinstance(m, bool) or not isinstance(m, int | float | np.integer | np.floating) or not m > 0:
            raise ParameterError("m", "a positive number", m)
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
        if "params_" not in self.__dict__:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit() first")

    def __getattr__(self, name: str) -> NoReturn:
        # only reached when normal lookup fails: a learned attribute (``params_`` …) before fit(),
        # or a property (``summary``) whose NotFittedError Python routed here as an AttributeError
        prop = getattr(type(self), name, None)
        if isinstance(prop, property) and prop.fget is not None:
            self._check_fitted()
            prop.fget(self)  # fitted: let the property's own error surface
        if name.endswith("_") and not name.startswith("_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: {name} is learned by fit()")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def predict(self, months: Any) -> np.ndarray:
        """Fitted cumulative count after ``months`` bins (any real numbers >= 0).

        Examples
        --------
        >>> from hftree.adoption import WSBFitter
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

    def forecast(
        self,
        h: int,
        *,
        level: float = 0.9,
        n_boot: int = 2000,
        random_state: RandomState = DEFAULT_RANDOM_STATE,
    ) -> pd.DataFrame:
        """Forecast the next ``h`` bins after the last observation, with a band.

        The band combines parameter uncertainty (``n_boot`` draws from the
        asymptotic normal distribution of the estimates, a parametric bootstrap)
        and, in the default mode, the negative-binomial noise of the new
        descendants. The forecast is anchored at the last observed count.

        Parameters
        ----------
        h
            Number of bins to forecast (>= 1).
        level
            Coverage of the band, in (0, 1).
        n_boot
            Parameter draws behind the band.
        random_state
            Seed or ``numpy.random.Generator`` (default 0: reproducible).

        Returns
        -------
        pandas.DataFrame
            Index ``step`` 1..h; columns ``bin``, ``forecast``, ``lower``, ``upper``.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        ParameterError
            If ``h`` or ``n_boot`` is not a whole number >= 1, or ``level`` is not in (0, 1).
        """
        self._check_fitted()
        h = whole_number("h", h)
        n_boot = whole_number("n_boot", n_boot)
        level = fraction("level", level)
        rng = check_random_state(random_state)
        obs = np.flatnonzero(~np.isnan(self.counts_))
        last = int(obs[-1])
        y_last = float(self.counts_[last])
        bins_ = last + np.arange(1, int(h) + 1)
        p = self.params_.to_numpy()
        c_last = wsb_curve(last * self.unit_, p[0], p[1], p[2], m=self.m)
        point = y_last + np.maximum(wsb_curve(bins_ * self.unit_, p[0], p[1], p[2], m=self.m) - c_last, 0)
        draws = _draw_params(p, self.variance_matrix_.to_numpy(), n_boot, rng)
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
        """Observed counts and the fitted curve (plus a forecast band if ``forecast > 0``);
        see :func:`hftree.adoption.plot.plot_fit`."""
        from hftree.adoption.plot import plot_fit  # matplotlib only when a figure is asked for

        self._check_fitted()
        return plot_fit(self, ax=ax, forecast=forecast, **kwargs)

    def __repr__(self) -> str:
        if "params_" not in self.__dict__:
            return f"<{type(self).__name__}: not fitted>"
        p = self.params_
        flags = f", flags={','.join(self.flags_)}" if self.flags_ else ""
        return (
            f"<{type(self).__name__}: lam={p['lam']:.4g}, mu={p['mu']:.4g}, "
            f"sigma={p['sigma']:.4g}, R2={self.r2_:.3f}{flags}>"
        )
