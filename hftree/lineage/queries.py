"""Queries on a :class:`~hftree.lineage.graph.LineageGraph`, networkx-style: ``f(G, ...)``.

Every query takes ``relation=`` (one relation or several) to follow only those
edges; ``None`` follows all of them. Results are plain Python values keyed by
model id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from hftree.lineage.graph import LineageGraph, Rel

__all__ = [
    "ancestors",
    "children",
    "descendants",
    "generations",
    "parents",
    "roots",
    "roots_of",
    "subgraph",
    "subtree",
]

def parents(G: LineageGraph, model_id: str, *, relation: Rel = None) -> list[str]:
    """Direct parents (base models) of ``model_id``.

    >>> from hftree.datasets import toy_graph
    >>> parents(toy_graph(), "org/merge")
    ['org/base-ft', 'other/base2']
    """
    _, inn, _ = G.view(relation)
    v = G.node(model_id)
    return G.id_of(np.sort(inn.indices[inn.indptr[v] : inn.indptr[v + 1]]))


def children(G: LineageGraph, model_id: str, *, relation: Rel = None) -> list[str]:
    """Direct children of ``model_id``, optionally only by ``relation``.

    >>> from hftree.datasets import toy_graph
    >>> children(toy_graph(), "org/base")
    ['org/base-ft', 'org/base-lora', 'org/base-GGUF']
    >>> children(toy_graph(), "org/base", relation="adapter")
    ['org/base-lora']
    """
    out, _, _ = G.view(relation)
    v = G.node(model_id)
    return G.id_of(np.sort(out.indices[out.indptr[v] : out.indptr[v + 1]]))


def descendants(G: LineageGraph, model_id: str, *, relation: Rel = None) -> set[str]:
    """All models reachable from ``model_id`` following parent → child edges.

    >>> from hftree.datasets import toy_graph
    >>> sorted(descendants(toy_graph(), "org/base-ft"))
    ['org/ft-GGUF', 'org/merge']
    """
    found, _ = G.reachable([G.node(model_id)], relation=relation)
    return set(G.id_of(found))


def ancestors(G: LineageGraph, model_id: str, *, relation: Rel = None) -> set[str]:
    """All models ``model_id`` derives from, directly or not.

    >>> from hftree.datasets import toy_graph
    >>> sorted(ancestors(toy_graph(), "org/merge"))
    ['org/base', 'org/base-ft', 'other/base2']
    """
    found, _ = G.reachable([G.node(model_id)], relation=relation, direction="up")
    return set(G.id_of(found))


def roots(G: LineageGraph, *, relation: Rel = None, min_size: int = 1) -> list[str]:
    """Models with no parent (in the graph restricted to ``relation``).

    ``min_size`` is the smallest family kept, in models (the root included): with
    ``min_size=2`` only roots that have at least one child are listed
    (a snapshot of the whole Hub has over a million childless, parentless models).

    >>> from hftree.datasets import toy_graph
    >>> roots(toy_graph(), min_size=2)
    ['org/base', 'other/base2']
    """
    return G.id_of(G.root_nodes(relation=relation, min_size=min_size))


def roots_of(G: LineageGraph, model_id: str, *, relation: Rel = None) -> list[str]:
    """The roots ``model_id`` descends from (itself if it has no parent).

    >>> from hftree.datasets import toy_graph
    >>> roots_of(toy_graph(), "org/merge")
    ['org/base', 'other/base2']
    """
    _, inn, _ = G.view(relation)
    v = G.node(model_id)
    found, _ = G.reachable([v], relation=relation, direction="up")
    cand = np.concatenate([[v], found])
    r = cand[np.diff(inn.indptr)[cand] == 0]
    return G.id_of(np.sort(r))


def generations(G: LineageGraph, *, relation: Rel = None) -> pd.Series:
    """Generation of every model: 0 for roots, else the BFS distance from the nearest root.

    For a tree this is the depth; a merge of a generation-1 and a generation-3
    model is generation 2 (the shortest path wins).

    >>> from hftree.datasets import toy_graph
    >>> generations(toy_graph())["org/ft-GGUF"]
    np.int64(2)
    """
    root_nodes = G.root_nodes(relation=relation)
    found, dist = G.reachable(root_nodes, relation=relation)
    gen = np.full(G.n_nodes, -1, dtype=np.int64)
    gen[root_nodes] = 0
    gen[found] = dist
    return pd.Series(gen, index=pd.Index(G.ids, name="id"), name="generation")


def subgraph(G: LineageGraph, model_ids) -> LineageGraph:
    """The graph induced on ``model_ids`` (edges with both ends in the set)."""
    nodes = np.unique(np.array([G.node(m) for m in model_ids], dtype=np.int64))
    return _induced(G, nodes)


def subtree(G: LineageGraph, root: str, *, relation: Rel = None) -> LineageGraph:
    """``root`` and all its descendants, as a new graph (edges restricted to ``relation``).

    >>> from hftree.datasets import toy_graph
    >>> subtree(toy_graph(), "org/base-ft")
    <LineageGraph 3 models (0 external), 2 edges: quantized 1, merge 1>
    """
    _, _, mask = G.view(relation)
    v = G.node(root)
    found, _ = G.reachable([v], relation=relation)
    nodes = np.sort(np.concatenate([[v], found]))
    return _induced(G, nodes, edge_mask=mask)


def _induced(G: LineageGraph, nodes: np.ndarray, edge_mask: np.ndarray | None = None) -> LineageGraph:
    inside = np.zeros(G.n_nodes, dtype=bool)
    inside[nodes] = True
    keep = inside[G.parent] & inside[G.child]
    if edge_mask is not None:
        keep &= edge_mask
    # model-table nodes first (they keep their row order), then externals
    real = nodes[~G.external[nodes]]
    ext = nodes[G.external[nodes]]
    order = np.concatenate([real, ext])
    new = np.full(G.n_nodes, -1, dtype=np.int64)
    new[order] = np.arange(len(order))
    models = G.models.iloc[real].reset_index(drop=True)
    ids = G.id_array.take(pa.array(order))
    ext_flag = np.zeros(len(order), dtype=bool)
    ext_flag[len(real) :] = True
    report = {"subgraph_of": repr(G)}
    sub = LineageGraph(
        ids, ext_flag, new[G.parent[keep]], new[G.child[keep]], G.relation[keep],
        models, G.snapshot_time, report,
    )
    sub.source = G.source[keep]  # the tree page tells inferred edges from declared ones
    return sub
