"""Tree shape of every family at once, its null-model z-scores, and the Hub-wide shape figures.

A family is a root and its descendants (:meth:`LineageGraph.members`). Merges make a family a
DAG; the shape indices are computed on its **BFS tree**: every descendant hangs from the parent
through which the breadth-first search from the root first reached it (``Membership.edge``; for
a model with several parents in the family that is a parent of the shallowest generation, ties
by edge order). Each descendant is therefore counted once, at its shortest distance, and the
other parent edges are ignored by the indices (not by the Hub-wide counts). Definitions of the
indices: :mod:`hftree.evolution._trees`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree._results import Result
from hftree.errors import ParameterError
from hftree.evolution._trees import FOREST_COLUMNS, forest_stats
from hftree.evolution.nulls import NULL_MODELS, simulate_forest
from hftree.lineage.graph import LineageGraph
from hftree.schema import RELATIONS, RelationFilter

__all__ = ["NULL_STATISTICS", "ShapeTable", "family_forest", "family_shape"]

_NAT = np.iinfo(np.int64).min
_DAY_MS = 86_400_000
#: Statistics compared with the null models (z-score columns ``z_<model>_<statistic>``).
NULL_STATISTICS: tuple[str, ...] = ("depth", "mean_depth", "root_share", "max_children", "leaf_share",
                                    "sackin_norm", "colless_norm", "cherry_share", "wiener_norm")


@dataclass(frozen=True, repr=False)
class ShapeTable(Result):
    """Shape statistics of every family (one row per root), with null-model z-scores.

    Attributes
    ----------
    table : pandas.DataFrame
        ``root``, ``descendants``, the columns of :data:`hftree.evolution._trees.FOREST_COLUMNS`,
        ``median_generation_days`` and, for families with at least ``null_min_descendants``
        descendants, ``z_<model>_<statistic>`` for each null model and :data:`NULL_STATISTICS`.
    null_models : tuple of str
        The null models simulated.
    n_null : int
        Replicates per family and model.
    gamma : float
        Kernel exponent of the ``"fitted"`` model (``nan`` if not used).
    null_min_descendants : int
        Families this large or larger got null models.
    """

    title: ClassVar[str] = "Family tree shape"

    table: pd.DataFrame
    null_models: tuple[str, ...]
    n_null: int
    gamma: float
    null_min_descendants: int

    frame_attribute: ClassVar[str] = "table"

    def z_summary(self) -> pd.DataFrame:
        """Mean, median and spread of every z-score column over the families that have one."""
        z = self.table[[c for c in self.table.columns if c.startswith("z_")]]
        rows = [{"model": c.split("_", 2)[1], "statistic": c.split("_", 2)[2], "families": int(z[c].notna().sum()),
                 "mean_z": z[c].mean(), "median_z": z[c].median(), "sd_z": z[c].std(),
                 "share_below_-2": (z[c] < -2).mean(), "share_above_2": (z[c] > 2).mean()} for c in z.columns]
        return pd.DataFrame(rows)

    def _note(self) -> str:
        nulls = ", ".join(self.null_models) or "none"
        return f"nulls {nulls} x{self.n_null} for >= {self.null_min_descendants} descendants"


def family_forest(G: LineageGraph, *, relation: RelationFilter = None) -> dict[str, np.ndarray]:
    """The BFS tree of every family as flat arrays: vertex ``f`` (``f < len(roots)``) is the root of
    family ``f``; the others are the (root, descendant) pairs of :meth:`LineageGraph.members`.

    Returns ``roots, tree, parent, depth, node, edge`` (``edge`` −1 for roots).

    >>> from hftree.datasets import toy_graph
    >>> G = toy_graph()
    >>> F = family_forest(G)
    >>> kids = F["parent"] >= 0
    >>> pairs = sorted(zip(G.id_of(F["node"][F["parent"][kids]]), G.id_of(F["node"][kids])))
    >>> pairs[2:4]
    [('org/base', 'org/base-lora'), ('org/base-ft', 'org/ft-GGUF')]
    """
    mem = G.members(relation=relation)
    n = G.n_nodes
    roots = mem.roots
    T = len(roots)
    fam_of = np.full(n, -1, dtype=np.int64)
    fam_of[roots] = np.arange(T)
    f = fam_of[mem.root]
    key = f * n + mem.node
    srt = np.argsort(key, kind="stable")
    pnode = G.parent[mem.edge]
    pkey = f * n + pnode
    pos = np.searchsorted(key[srt], pkey)
    pos = np.minimum(pos, max(len(key) - 1, 0))
    is_root_parent = pnode == mem.root
    par = np.where(is_root_parent, f, T + srt[pos] if len(srt) else 0)
    return {
        "roots": roots,
        "tree": np.r_[np.arange(T), f],
        "parent": np.r_[np.full(T, -1, dtype=np.int64), par],
        "depth": np.r_[np.zeros(T, dtype=np.int64), mem.depth],
        "node": np.r_[roots, mem.node],
        "edge": np.r_[np.full(T, -1, dtype=np.int64), mem.edge],
    }


def _median_by(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.full(n_groups, np.nan)
    if not len(values):
        return out
    order = np.lexsort((values, group))
    g, v = group[order], values[order]
    start = np.searchsorted(g, np.arange(n_groups), side="left")
    stop = np.searchsorted(g, np.arange(n_groups), side="right")
    has = stop > start
    lo = (start + stop - 1) // 2
    hi = (start + stop) // 2
    out[has] = (v[lo[has]] + v[hi[has]]) / 2
    return out


def family_shape(
    G: LineageGraph,
    *,
    relation: RelationFilter = None,
    min_size: int = 2,
    null: Sequence[str] | None = ("uniform", "fitted"),
    n_null: int = 20,
    null_min_descendants: int = 100,
    gamma: float | None = None,
    top: int | None = None,
    random_state: RandomState = DEFAULT_RANDOM_STATE,
) -> ShapeTable:
    """Shape statistics of every family, vectorised over all families, with null-model z-scores.

    Parameters
    ----------
    G : LineageGraph
        The lineage graph.
    relation : str or list of str, optional
        Families and trees on these edges only.
    min_size : int
        Smallest family kept, in models, the root included (default 2).
    null : sequence of str, optional
        Null models among ``"uniform"``, ``"linear"``, ``"fitted"`` (:mod:`hftree.evolution.nulls`);
        ``None`` or empty: none.
    n_null : int
        Simulated trees per family and model (each of the family's size).
    null_min_descendants : int
        Only families with at least this many descendants get null models.
    gamma : float, optional
        Kernel exponent of ``"fitted"``; default: :func:`hftree.evolution.attachment_kernel` on
        ``G`` and ``relation`` (1.0, linear, when the graph has no usable dates).
    top : int, optional
        Keep the ``top`` largest families.
    random_state : int, Generator or None
        Seed of the simulations.

    Examples
    --------
    >>> from hftree.datasets import toy_graph
    >>> t = family_shape(toy_graph(), null=None).to_frame()
    >>> t[["root", "descendants", "depth", "leaves", "sackin", "cherries", "wiener"]]
              root  descendants  depth  leaves  sackin  cherries  wiener
    0     org/base            5      2       4     6.0       1.0    29.0
    1  other/base2            1      1       1     1.0       1.0     1.0
    """
    if isinstance(min_size, bool) or not isinstance(min_size, int | np.integer) or min_size < 1:
        raise ParameterError("min_size", "a whole number >= 1", min_size)
    if isinstance(n_null, bool) or not isinstance(n_null, int | np.integer) or n_null < 2:
        raise ParameterError("n_null", "a whole number >= 2", n_null)
    if top is not None and (isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1):
        raise ParameterError("top", "a whole number >= 1", top)
    models = tuple(null or ())
    bad = [m for m in models if m not in NULL_MODELS]
    if bad:
        raise ParameterError("null", f"models among {', '.join(NULL_MODELS)}", bad[0])
    F = family_forest(G, relation=relation)
    roots = F["roots"]
    T = len(roots)
    st = forest_stats(F["tree"], F["parent"], F["depth"], T)
    t = G.node_times("created_at")
    child_t, par_t = t[F["node"]], t[F["node"][np.maximum(F["parent"], 0)]]
    dated = (F["parent"] >= 0) & (child_t != _NAT) & (par_t != _NAT)
    gen_days = _median_by(F["tree"][dated], (child_t[dated] - par_t[dated]) / _DAY_MS, T)
    frame = pd.DataFrame({"root": pd.array(G.id_of(roots), dtype="string"), "descendants": st["size"] - 1,
                          **{k: st[k] for k in FOREST_COLUMNS}, "median_generation_days": gen_days})
    keep = np.flatnonzero(st["size"] >= min_size)
    keep = keep[np.lexsort((frame["root"].to_numpy()[keep], -st["size"][keep]))]
    if top is not None:
        keep = keep[:top]
    g = float("nan")
    big = keep[st["size"][keep] - 1 >= null_min_descendants]
    if models and len(big):
        rng = check_random_state(random_state)
        if "fitted" in models:
            g = _fitted_gamma(G, relation) if gamma is None else float(gamma)
        sizes = np.repeat(st["size"][big], n_null)
        for model in models:
            gm = {"uniform": 0.0, "linear": 1.0, "fitted": g}[model]
            tr, pa, de = simulate_forest(sizes, gamma=max(gm, 0.0), random_state=rng)
            sim = forest_stats(tr, pa, de, len(sizes))
            for s in NULL_STATISTICS:
                v = sim[s].reshape(len(big), n_null)
                with np.errstate(invalid="ignore", divide="ignore"):
                    mu, sd = np.nanmean(v, axis=1), np.nanstd(v, axis=1, ddof=1)
                    z = np.where(sd > 0, (st[s][big] - mu) / sd, np.nan)
                col = np.full(T, np.nan)
                col[big] = z
                frame[f"z_{model}_{s}"] = col
    out = frame.iloc[keep].reset_index(drop=True)
    out.attrs["relation"] = relation
    return ShapeTable(out, models, int(n_null), g, int(null_min_descendants))


def _fitted_gamma(G: LineageGraph, relation: RelationFilter) -> float:
    from hftree.evolution.kernel import attachment_kernel  # same package, one direction

    try:
        return float(np.clip(attachment_kernel(G, relation=relation, n_boot=0).gamma, 0.0, 3.0))
    except ParameterError:
        return 1.0


def relation_name(code: int) -> str:
    """Name of a relation code of :attr:`LineageGraph.relation`."""
    return RELATIONS[code]
