"""The Wang-Song-Barabási adoption curve and its fitters.

A family's cumulative number of descendants ``t`` years after its root was
created is modelled, as in Bhandari, Chen & Gao (2025, arXiv 2502.15987) after
Wang, Song & Barabási (2013), by

.. math:: c(t) = m\\left(e^{\\lambda\\,\\Phi((\\ln t - \\mu)/\\sigma)} - 1\\right)

with fitness :math:`\\lambda`, immediacy :math:`\\mu` (the impact time is
:math:`e^{\\mu}` years) and longevity :math:`\\sigma`; :math:`c_\\infty = m(e^{\\lambda} - 1)`.

Two fitters share one base class (:class:`BaseAdoptionFitter`, in the style of
lifelines, which keeps one fitter per file): each declares its parameter names, bounds, starting points and curve,
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

The pieces live one per module and are all re-exported here:

* :mod:`~hftree.adoption.curve` -- :func:`wsb_curve` and :data:`PAPER_P0`;
* :mod:`~hftree.adoption.diagnostics` -- :data:`FLAGS` and the per-family table;
* :mod:`~hftree.adoption.base_fitter` -- :class:`BaseAdoptionFitter`;
* :mod:`~hftree.adoption.paper_fitter` -- :class:`PaperWSBFitter`;
* :mod:`~hftree.adoption.wsb_fitter` -- :class:`WSBFitter`;
* :mod:`~hftree.adoption.family_fits` -- :class:`FamilyFits`, :class:`ShapePrior`,
  :func:`outliers`.

:func:`fit_families` (the one function that chooses between the fitters) is defined here.
"""

from __future__ import annotations

from typing import Any, Literal

from hftree.adoption.base_fitter import BaseAdoptionFitter
from hftree.adoption.curve import PAPER_P0, wsb_curve
from hftree.adoption.diagnostics import FLAGS
from hftree.adoption.family_fits import FamilyFits, ShapePrior, outliers
from hftree.adoption.paper_fitter import PaperWSBFitter
from hftree.adoption.wsb_fitter import WSBFitter
from hftree.errors import ParameterError

__all__ = [
    "FLAGS",
    "PAPER_P0",
    "BaseAdoptionFitter",
    "FamilyFits",
    "Mode",
    "PaperWSBFitter",
    "ShapePrior",
    "WSBFitter",
    "fit_families",
    "outliers",
    "wsb_curve",
]

#: The two fitting modes (the CLI takes its ``--mode`` choices from ``typing.get_args(Mode)``).
Mode = Literal["paper", "default"]


def fit_families(counts: Any, mode: Mode = "default", **kwargs: Any) -> FamilyFits:
    """Fit every family of a series frame in the given mode.

    ``fit_families(frame, "paper")`` is ``PaperWSBFitter(**kwargs).fit_many(frame)``;
    ``"default"`` uses :class:`WSBFitter`.

    Raises
    ------
    ParameterError
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
    raise ParameterError("mode", "'paper' or 'default'", mode)
