"""Static figures (matplotlib): family sizes, relation mix, and the other analyses' plots.

Every function draws on ``ax`` (a new figure's axes when ``None``, from
:func:`hftree._plotting.axes_or_new`) and returns the :class:`matplotlib.axes.Axes`;
matplotlib is imported only when a function draws. Save with ``ax.figure.savefig("fig.png")`` (or ``.svg``).

The plots of the analyses (inheritance, drift, adoption, ecosystem, data
kernels) belong to their result objects (``result.plot(ax=None)``);
:func:`plot_result` draws any of them, and the ``plot_*`` wrappers below name
the ones the report uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hftree._plotting import axes_or_new, log_axes
from hftree.errors import ParameterError, UsageError
from hftree.lineage.graph import LineageGraph, Rel
from hftree.schema import RELATIONS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "family_size_ccdf",
    "plot_adoption_collapse",
    "plot_adoption_fits",
    "plot_family_sizes",
    "plot_mutation_rates",
    "plot_relation_mix",
    "plot_result",
    "relation_mix",
]

_REL_COLORS = {
    "finetune": "#2563eb",
    "adapter": "#16a34a",
    "quantized": "#d97706",
    "merge": "#9333ea",
    "unknown": "#6b7280",
}


def _sizes(data: Any, relation: Rel = None) -> np.ndarray:
    """Family sizes (descendants per root) from a graph, a family table or numbers."""
    if isinstance(data, LineageGraph):
        mem = data.members(relation=relation)
        return np.bincount(mem.root, minlength=data.n_nodes)[mem.roots].astype(np.int64)
    if relation is not None:
        raise UsageError("relation= needs a LineageGraph (a family table is already restricted)")
    if isinstance(data, pd.DataFrame):
        if "descendants" not in data:
            raise ParameterError(
                "data", "a family table with a 'descendants' column (hftree.families.family_stats)",
                list(data.columns)[:8],
            )
        data = data["descendants"]
    s = np.asarray(data, dtype=np.float64).ravel()
    if np.isnan(s).any() or (s < 0).any():
        raise ParameterError("data", "family sizes: non-negative numbers without missing values",
                             f"{int(np.isnan(s).sum())} missing, {int((s < 0).sum())} negative")
    return s.astype(np.int64)


def family_size_ccdf(
    data: LineageGraph | pd.DataFrame | Sequence[int] | np.ndarray,
    *,
    relation: Rel = None,
) -> pd.DataFrame:
    """Complementary cumulative distribution of family sizes: the share of
    families with at least ``size`` descendants, at every observed size.

    Parameters
    ----------
    data : LineageGraph, DataFrame or array of int
        A graph (families of every root are computed), a family table with a
        ``descendants`` column (:func:`hftree.families.family_stats`), or sizes.
        Families with no descendants are ignored.
    relation : str or list of str, optional
        With a graph: follow only these edges.

    Returns
    -------
    pandas.DataFrame
        ``size``, ``families`` (with exactly that size), ``ccdf`` (share with at least that size).

    Examples
    --------
    >>> family_size_ccdf([1, 1, 2, 5])
       size  families  ccdf
    0     1         2  1.00
    1     2         1  0.50
    2     5         1  0.25
    """
    s = _sizes(data, relation)
    s = s[s > 0]
    size, count = np.unique(s, return_counts=True)
    before = (
        np.concatenate([[0], np.cumsum(count)[:-1]]) if len(count) else np.zeros(0, dtype=np.int64)
    )
    ccdf = (len(s) - before) / max(len(s), 1)
    return pd.DataFrame({"size": size, "families": count, "ccdf": ccdf})


def plot_family_sizes(
    data: LineageGraph | pd.DataFrame | Sequence[int] | np.ndarray,
    *,
    ax: Axes | None = None,
    by_relation: bool = False,
    label: str | None = None,
) -> Axes:
    """Family-size distribution as a log-log CCDF (share of families with ≥ s descendants).

    Parameters
    ----------
    data : LineageGraph, DataFrame or array of int
        See :func:`family_size_ccdf`.
    ax : matplotlib Axes, optional
    by_relation : bool
        With a graph: add one curve per relation, the families of the graph
        restricted to that relation's edges.
    label : str, optional
        Legend label of the main curve.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if by_relation and not isinstance(data, LineageGraph):
        raise UsageError("by_relation=True needs a LineageGraph")
    ax = axes_or_new(ax)
    curves: list[tuple[str, str | None, str]] = [(label or "all relations", None, "#111827")]
    if by_relation:
        curves += [(r, r, _REL_COLORS[r]) for r in RELATIONS]
    drawn = 0
    for name, rel, color in curves:
        c = family_size_ccdf(data, relation=rel)
        if not len(c):
            continue
        ax.step(
            c["size"],
            c["ccdf"],
            where="post",
            color=color,
            lw=2 if rel is None else 1.2,
            label=f"{name} ({int(c['families'].sum()):,} families)",
        )
        drawn += 1
    log_axes(ax)
    ax.set_xlabel("descendants s")
    ax.set_ylabel("share of families with ≥ s descendants")
    ax.set_title("Family-size distribution (CCDF)")
    ax.grid(True, which="major", alpha=0.3)
    if drawn:
        ax.legend(fontsize=8, frameon=False)
    return ax


def relation_mix(families: pd.DataFrame, *, top: int = 15) -> pd.DataFrame:
    """Share of each relation among the descendants of the ``top`` largest families,
    with a first row ``(all families)`` over every family of the table.

    Parameters
    ----------
    families : DataFrame
        :func:`hftree.families.family_stats` output (``root``, ``descendants``, ``n_<relation>``).
    top : int
        Number of families (largest first).

    Returns
    -------
    pandas.DataFrame
        Indexed by root, one column per relation (shares summing to 1) and ``descendants``.

    Examples
    --------
    >>> from hftree.datasets import toy_graph
    >>> from hftree.families import family_stats
    >>> mix = relation_mix(family_stats(toy_graph()))
    >>> mix.index.tolist(), mix["descendants"].tolist(), mix["merge"].round(3).tolist()
    (['(all families)', 'org/base', 'other/base2'], [6, 5, 1], [0.333, 0.2, 1.0])
    """
    cols = [f"n_{r}" for r in RELATIONS]
    missing = [c for c in ["root", "descendants", *cols] if c not in families]
    if missing:
        raise ParameterError("families", "a family table (hftree.families.family_stats)",
                             f"a table missing columns {missing}")
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
        raise ParameterError("top", "a whole number >= 1", top)
    head = families.sort_values(["descendants", "root"], ascending=[False, True]).head(top)
    counts = pd.concat(
        [
            pd.DataFrame([families[cols].sum()], index=["(all families)"]),
            head.set_index(head["root"].astype(str))[cols],
        ]
    ).astype(np.float64)
    total = counts.sum(axis=1)
    shares = counts.div(total.where(total > 0, 1.0), axis=0)
    shares.columns = list(RELATIONS)
    shares["descendants"] = total.astype(np.int64)
    shares.index.name = "root"
    return shares


def plot_relation_mix(families: pd.DataFrame, *, top: int = 15, ax: Axes | None = None) -> Axes:
    """Stacked bars: how the descendants of the largest families split by relation
    (finetune, adapter, quantized, merge, unknown); the first bar is every family together.

    Returns
    -------
    matplotlib.axes.Axes
    """
    mix = relation_mix(families, top=top)
    ax = axes_or_new(ax)
    y = np.arange(len(mix))[::-1]
    left = np.zeros(len(mix))
    for r in RELATIONS:
        ax.barh(y, mix[r], left=left, color=_REL_COLORS[r], label=r, height=0.75)
        left += mix[r].to_numpy()
    labels = [f"{_short(i)}  ({n:,})" for i, n in zip(mix.index, mix["descendants"], strict=True)]
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of descendants")
    ax.set_title("Relation mix of the largest families")
    ax.legend(ncol=5, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.06), frameon=False)
    return ax


def _short(text: str, n: int = 42) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --------------------------------------------------------------------------- other analyses
def plot_result(
    result: Any, *, ax: Axes | None = None, kind: str | None = None, **kwargs: Any
) -> Axes:
    """Draw an analysis result with its own ``plot`` (or ``plot_<kind>``) method.

    Parameters
    ----------
    result : object
        Any hftree result or fitted estimator with ``plot(ax=None, ...) -> Axes``
        (inheritance, drift, adoption, ecosystem, data-kernel results).
    kind : str, optional
        Call ``result.plot_<kind>(ax=...)`` instead, e.g. ``kind="collapse"``.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        ``result`` has no such plot method.
    """
    name = "plot" if kind is None else f"plot_{kind}"
    method = getattr(result, name, None)
    if not callable(method):
        raise TypeError(f"{type(result).__name__} has no {name}() method to draw it")
    return method(ax=axes_or_new(ax), **kwargs)


def plot_adoption_fits(fits: Any, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Fitted adoption curves and the observed counts (``hftree.adoption`` results)."""
    return plot_result(fits, ax=ax, **kwargs)


def plot_adoption_collapse(fits: Any, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """The rescaled collapse plot of fitted adoption curves (``FamilyFits.plot_collapse``)."""
    return plot_result(fits, ax=ax, kind="collapse", **kwargs)


def plot_mutation_rates(rates: Any, *, ax: Axes | None = None) -> Axes:
    """Grouped bars: how often each trait changes along an edge, per relation
    (a :class:`hftree.drift.MutationRates`, or its ``wide()`` trait × relation table).

    Returns
    -------
    matplotlib.axes.Axes
    """
    wide = rates.wide() if callable(getattr(rates, "wide", None)) else rates
    if not isinstance(wide, pd.DataFrame):
        raise TypeError(f"expected MutationRates or a trait x relation DataFrame, got {type(rates).__name__}")
    ax = axes_or_new(ax)
    cols = [c for c in wide.columns if c in _REL_COLORS or c == "all"]
    x = np.arange(len(wide))
    w = 0.8 / max(len(cols), 1)
    for k, c in enumerate(cols):
        ax.bar(x + (k - (len(cols) - 1) / 2) * w, wide[c].to_numpy(dtype=float), width=w,
               color=_REL_COLORS.get(c, "#111827"), label=str(c))
    ax.set_xticks(x, [str(i) for i in wide.index], rotation=30, ha="right")
    ax.set_ylabel("share of edges where the trait changes")
    ax.set_ylim(0, 1)
    ax.set_title("Mutation rate by trait and relation")
    ax.legend(fontsize=7, ncol=3, frameon=False)
    return ax
