"""Conversions to networkx and igraph that keep model ids and attributes.

igraph numbers vertices 0..n-1: vertex ``i`` is node ``i`` of the
:class:`~hftree.lineage.graph.LineageGraph` and carries the model id in its
``name`` attribute, so ``g.vs.find(name=...)`` and ``G.ids[i]`` agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hftree.lineage.graph import LineageGraph
from hftree.schema import RELATIONS

__all__ = ["to_igraph", "to_networkx"]

_DEFAULT_ATTRS = ("author", "created_at", "downloads", "likes", "pipeline_tag", "library_name", "license")


def _attrs(G: LineageGraph, attrs: Sequence[str] | None) -> dict[str, np.ndarray]:
    names = [a for a in (_DEFAULT_ATTRS if attrs is None else attrs) if a in G.models.columns]
    missing = [a for a in (attrs or ()) if a not in G.models.columns]
    if missing:
        raise ValueError(f"model table has no column {missing[0]!r}; columns are {list(G.models.columns)}")
    out = {}
    for a in names:
        col = G.node_column(a)
        if len(col) and isinstance(next((x for x in col if x is not None), None), pd.Timestamp):
            col = np.array([None if x is None else x.isoformat() for x in col], dtype=object)
        out[a] = col
    return out


def to_networkx(G: LineageGraph, *, attrs: Sequence[str] | None = None):
    """A :class:`networkx.DiGraph` with model ids as nodes.

    Node attributes: ``external`` and the model-table columns ``attrs``
    (default: author, created_at (ISO text), downloads, likes, pipeline_tag,
    library_name, license); edge attribute ``relation``.

    >>> from hftree.datasets import toy_graph
    >>> D = to_networkx(toy_graph())
    >>> D.number_of_nodes(), D.number_of_edges(), D.edges["org/base", "org/base-lora"]["relation"]
    (7, 7, 'adapter')
    """
    import networkx as nx

    D = nx.DiGraph()
    cols = _attrs(G, attrs)
    names = list(cols)
    ext = G.external.tolist()
    values = [c.tolist() for c in cols.values()]
    D.add_nodes_from(
        (mid, {"external": e, **dict(zip(names, vals, strict=True))})
        for mid, e, *vals in zip(G.ids.tolist(), ext, *values, strict=True)
    )
    rel = np.array(RELATIONS, dtype=object)[G.relation]
    D.add_edges_from(
        (a, b, {"relation": r})
        for a, b, r in zip(G.ids[G.parent].tolist(), G.ids[G.child].tolist(), rel.tolist(), strict=True)
    )
    return D


def to_igraph(G: LineageGraph, *, attrs: Sequence[str] | None = None):
    """A directed :class:`igraph.Graph`; vertex ``i`` is node ``i``, its ``name`` the model id.

    >>> from hftree.datasets import toy_graph
    >>> g = to_igraph(toy_graph())
    >>> g.vs[g.vs.find(name="org/merge").index]["name"], g.es[0]["relation"] in (
    ...     "finetune", "adapter", "quantized", "merge")
    ('org/merge', True)
    """
    import igraph as ig

    g = ig.Graph(n=G.n_nodes, edges=np.column_stack([G.parent, G.child]).tolist(), directed=True)
    g.vs["name"] = G.ids.tolist()
    g.vs["external"] = G.external.tolist()
    for a, col in _attrs(G, attrs).items():
        g.vs[a] = col.tolist()
    g.es["relation"] = np.array(RELATIONS, dtype=object)[G.relation].tolist()
    return g
