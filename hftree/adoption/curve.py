"""The Wang-Song-Barabási adoption curve.

A family's cumulative number of descendants ``t`` years after its root was
created is modelled, as in Bhandari, Chen & Gao (2025, arXiv 2502.15987) after
Wang, Song & Barabási (2013), by

.. math:: c(t) = m\\left(e^{\\lambda\\,\\Phi((\\ln t - \\mu)/\\sigma)} - 1\\right)

with fitness :math:`\\lambda`, immediacy :math:`\\mu` (the impact time is
:math:`e^{\\mu}` years) and longevity :math:`\\sigma`; :math:`c_\\infty = m(e^{\\lambda} - 1)`.
The fitters are in :mod:`~hftree.adoption.base_fitter`,
:mod:`~hftree.adoption.paper_fitter` and :mod:`~hftree.adoption.wsb_fitter`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import ndtr

__all__ = ["PAPER_P0", "wsb_curve"]

#: The paper's starting point (lambda, mu, sigma).
PAPER_P0: tuple[float, float, float] = (0.5, 2.0, 0.5)

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
