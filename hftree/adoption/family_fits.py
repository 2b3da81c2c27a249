"""The fits of many families, the empirical-Bayes shape prior drawn from them, and outliers.

:class:`FamilyFits` is what :meth:`~hftree.adoption.BaseAdoptionFitter.fit_many`
returns; :class:`ShapePrior` is estimated from one (:meth:`ShapePrior.from_fits`);
:func:`outliers` lists the families whose growth the model does not capture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import ndtr

from hftree._results import Result
from hftree.adoption.diagnostics import _Batch, _diagnose
from hftree.errors import ConvergenceError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from hftree.adoption.base_fitter import BaseAdoptionFitter

__all__ = ["FamilyFits", "ShapePrior", "outliers"]


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


@dataclass(frozen=True, repr=False)
class FamilyFits(Result):
    """Fits of many families (the result of :meth:`BaseAdoptionFitter.fit_many`).

    A result: :meth:`to_frame` is the per-family table, :attr:`summary` the same
    with the model ids as a column.

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

    title: ClassVar[str] = "Adoption-curve fits"

    frame_attribute: ClassVar[str] = "table"

    @property
    def summary(self) -> pd.DataFrame:
        """The per-family table with ``model`` as its first column."""
        return self.table.reset_index()

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

    def _note(self) -> str:
        tab = self.table
        n_id = int(tab["identifiable"].sum()) if len(tab) else 0
        n_conv = int(tab["converged"].sum()) if len(tab) else 0
        return f"{self.mode} mode: {len(tab):,} families, {n_conv:,} converged, {n_id:,} identifiable"


def _diagnose_fits(batch: _Batch, fitter: BaseAdoptionFitter) -> FamilyFits:
    return FamilyFits(
        table=_diagnose(batch, fitter),
        counts=pd.DataFrame(batch.y, index=batch.ids),
        mode=fitter.mode,
        m=fitter.m,
        unit=float(batch.t[1] - batch.t[0]) if len(batch.t) > 1 else 1 / 12,
    )


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
    >>> from hftree.adoption import fit_families
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
