"""The evolutionary lens: family-size laws, tree shape, null models and the attachment kernel.

Laufer, Oderinwale & Kleinberg (2025) read the Hub as an ecosystem through evolutionary biology;
this package does the quantitative half of that reading:

- :func:`fit_law`, :func:`hub_laws` — which law family sizes and children per model follow
  (Clauset–Shalizi–Newman: x_min by KS, MLE exponent, bootstrap goodness of fit, Vuong tests
  against the truncated power law, lognormal, exponential and stretched exponential);
- :func:`family_shape` — depth profile, branching, leaves, Sackin, Colless, cherries, Wiener
  index and generation times of every family at once, with z-scores against random-tree null
  models of the family's size (:mod:`hftree.evolution.nulls`);
- :func:`hub_shape` — leaf share and continued derivation per relation, generations, branching;
- :func:`attachment_kernel` — how the chance of a model's next derivative grows with its
  children so far (the exponent γ of ``A(k) ∝ (k + 1)^γ``, with an interval);
- :func:`plot_ccdf`, :func:`plot_kernel` — the figures.

Examples
--------
>>> from hftree.datasets import toy_graph
>>> from hftree.evolution import hub_shape
>>> hub_shape(toy_graph()).relations.loc[0, "leaf_share"]
np.float64(0.6)
"""

from hftree.evolution.hub import HubShape, hub_shape
from hftree.evolution.kernel import KernelFit, attachment_kernel, kernel_table
from hftree.evolution.laws import CANDIDATES, LawFit, LawTable, fit_law, hub_laws, law_samples
from hftree.evolution.nulls import NULL_MODELS, simulate_forest, simulate_graph
from hftree.evolution.plots import plot_ccdf, plot_kernel
from hftree.evolution.shape import NULL_STATISTICS, ShapeTable, family_forest, family_shape

__all__ = [
    "CANDIDATES",
    "NULL_MODELS",
    "NULL_STATISTICS",
    "HubShape",
    "KernelFit",
    "LawFit",
    "LawTable",
    "ShapeTable",
    "attachment_kernel",
    "family_forest",
    "family_shape",
    "fit_law",
    "hub_laws",
    "hub_shape",
    "kernel_table",
    "law_samples",
    "plot_ccdf",
    "plot_kernel",
    "simulate_forest",
    "simulate_graph",
]
