"""Figures of the evolutionary lens: CCDFs with the fitted laws, the attachment kernel."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from hftree._plotting import axes_or_new, log_axes
from hftree.evolution._tpl import tpl_ccdf

if TYPE_CHECKING:
    from hftree.evolution.kernel import KernelFit
    from hftree.evolution.laws import LawFit

__all__ = ["plot_ccdf", "plot_kernel"]

_STYLE = {"power_law": "-", "truncated_power_law": "--", "lognormal": "-.", "exponential": ":",
          "stretched_exponential": (0, (5, 1, 1, 1))}


def plot_ccdf(fit: LawFit, ax: Any = None) -> Any:
    """Empirical ``P(X >= x)`` of the sample (dots) and each fitted candidate law on the tail,
    scaled by the tail's share of the sample (lines); log axes.

    >>> import numpy as np
    >>> from hftree.evolution import fit_law
    >>> ax = plot_ccdf(fit_law(np.array([1, 1, 2, 3, 5, 8, 13, 40]), n_boot=0, compare=False))
    >>> ax.get_xscale(), ax.get_yscale()
    ('log', 'log')
    """
    ax = axes_or_new(ax)
    x = np.sort(fit.data)
    u, first = np.unique(x, return_index=True)
    ccdf = 1.0 - first / len(x)
    ax.plot(u, ccdf, "o", ms=3, color="0.3", label=f"{fit.name} (n={fit.n:,})")
    share = fit.n_tail / fit.n
    grid = u[u >= fit.xmin]
    if fit.fit_ is not None and len(grid) > 1:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for name, style in _STYLE.items():
                if name == "truncated_power_law":
                    pt = fit.parameters[name]
                    y = share * tpl_ccdf(grid, pt["alpha"], pt["Lambda"], fit.xmin)
                else:
                    y = share * (1.0 - getattr(fit.fit_, name).cdf(grid))
                lab = name.replace("_", " ") + (" (preferred)" if name == fit.preferred else "")
                ax.plot(grid, y, linestyle=style, lw=1.8 if name == fit.preferred else 1.0, label=lab)
    elif len(grid) > 1:
        y = share * (grid / fit.xmin) ** (1.0 - fit.alpha)
        ax.plot(grid, y, "-", label=f"power law, α = {fit.alpha:.2f}")
    ax.axvline(fit.xmin, color="0.6", lw=0.8, ls=":")
    log_axes(ax)
    ax.set_ylim(max(ccdf.min() / 10, 1e-12), 1.5)
    ax.set_xlabel(fit.name.replace("_", " "))
    ax.set_ylabel("P(X ≥ x)")
    ax.set_title(f"α = {fit.alpha:.2f} ± {fit.alpha_se:.2f}, x_min = {fit.xmin:g}, p = {fit.p_gof:.2f}")
    ax.legend(fontsize=7)
    return ax


def plot_kernel(kfit: KernelFit, ax: Any = None) -> Any:
    """The estimated attachment kernel ``A(k)`` against ``k + 1`` with the fitted power (log axes).

    >>> from hftree.evolution import attachment_kernel
    >>> from hftree.evolution.nulls import simulate_graph
    >>> ax = plot_kernel(attachment_kernel(simulate_graph(400, gamma=1.0), n_boot=10))
    >>> ax.get_xscale()
    'log'
    """
    ax = axes_or_new(ax)
    t = kfit.table
    ok = t["events"] > 0
    ax.plot(t["k_plus_1"][ok], t["A"][ok], "o", ms=4, label="A(k), estimated")
    used = t[t["used"]]
    if len(used):
        k1 = used["k_plus_1"].to_numpy()
        ax.plot(k1, np.exp(kfit.intercept) * k1**kfit.gamma, "-",
                label=f"(k+1)^γ, γ = {kfit.gamma:.2f} [{kfit.gamma_low:.2f}, {kfit.gamma_high:.2f}]")
    log_axes(ax)
    ax.set_xlabel("children already had + 1")
    ax.set_ylabel("relative attachment rate A(k)")
    ax.set_title(f"attachment kernel ({kfit.relation_label})")
    ax.legend(fontsize=8)
    return ax
