"""Conversions to networkx and igraph that keep model ids and attributes, and family files.

igraph numbers vertices 0..n-1: vertex ``i`` is node ``i`` of the
:class:`~hftree.lineage.graph.LineageGraph` and carries the model id in its
``name`` attribute, so ``g.vs.find(name=...)`` and ``G.ids[i]`` agree.

:func:`family_tables` cuts one family (a root and its descendants, optionally
only some relations and generations) out of a graph as a node and an edge
table; :func:`write_family` writes it as CSV tables, GraphML, node-link JSON or
a snapshot directory that every hftree command reads.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd

from hftree._atomic import atomic_path, write_atomic
from hftree.errors import ParameterError, UsageError
from hftree.lineage.graph import LineageGraph, Rel
from hftree.schema import RELATIONS

__all__ = ["FAMILY_FORMATS", "FamilyFormat", "family_tables", "to_igraph", "to_networkx", "write_family"]

FamilyFormat = Literal["csv", "graphml", "json", "snapshot"]
#: File formats of :func:`write_family`.
FAMILY_FORMATS: tuple[str, ...] = get_args(FamilyFormat)

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


# --------------------------------------------------------------------------- one family as files
def _check_depth(max_depth: int | None) -> None:
    if max_depth is not None and (
        isinstance(max_depth, bool) or not isinstance(max_depth, int | np.integer) or max_depth < 0
    ):
        raise ParameterError("max_depth", "a whole number >= 0 (generations below the root) or None", max_depth)


def _family_nodes(G: LineageGraph, root: str, relation: Rel, max_depth: int | None) -> tuple[np.ndarray, np.ndarray]:
    _check_depth(max_depth)
    r = G.node(root)
    found, dist = G.reachable([r], relation=relation)
    if max_depth is not None:
        keep = dist <= max_depth
        found, dist = found[keep], dist[keep]
    return np.concatenate([[r], found]).astype(np.int64), np.concatenate([[0], dist]).astype(np.int64)


def family_tables(
    G: LineageGraph,
    root: str,
    *,
    relation: Rel = None,
    max_depth: int | None = None,
    attrs: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The family of ``root`` as a node table and an edge table.

    Parameters
    ----------
    G : LineageGraph
    root : str
        Any model: it and its descendants are the family.
    relation : str or list of str, optional
        Follow (and keep) only these edges.
    max_depth : int, optional
        Keep only models at most this many generations below ``root``
        (shortest distance); ``0`` keeps the root alone.
    attrs : list of str, optional
        Model-table columns of the node table (default: author, created_at,
        downloads, likes, pipeline_tag, library_name, license, where present).

    Returns
    -------
    nodes : DataFrame
        ``id, external, generation`` and ``attrs``, root first, then by generation.
    edges : DataFrame
        ``parent, child, relation``: every edge of ``relation`` between two models of the family.

    Raises
    ------
    ModelNotFoundError
        ``root`` is not in the graph.
    ParameterError
        Bad ``relation`` or ``max_depth``.

    Examples
    --------
    >>> from hftree.datasets import toy_graph
    >>> nodes, edges = family_tables(toy_graph(), "org/base", max_depth=1)
    >>> nodes["id"].tolist(), len(edges)
    (['org/base', 'org/base-ft', 'org/base-lora', 'org/base-GGUF'], 4)
    >>> family_tables(toy_graph(), "org/base", relation="quantized")[1].values.tolist()
    [['org/base', 'org/base-GGUF', 'quantized']]
    """
    nodes, gen = _family_nodes(G, root, relation, max_depth)
    order = np.lexsort((nodes, gen))
    nodes, gen = nodes[order], gen[order]
    _, _, mask = G.view(relation)
    inside = np.zeros(G.n_nodes, dtype=bool)
    inside[nodes] = True
    e = np.flatnonzero(mask & inside[G.parent] & inside[G.child])
    node_t = pd.DataFrame({"id": G.ids[nodes].astype(str), "external": G.external[nodes], "generation": gen})
    for a, col in _attrs(G, attrs).items():
        node_t[a] = col[nodes]
    edge_t = pd.DataFrame(
        {
            "parent": G.ids[G.parent[e]].astype(str),
            "child": G.ids[G.child[e]].astype(str),
            "relation": np.array(RELATIONS, dtype=object)[G.relation[e]],
        }
    )
    return node_t, edge_t


def _plain(v: object) -> object:
    """A value GraphML and JSON can hold (None stays None; NaN becomes None)."""
    if v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


def write_family(
    G: LineageGraph,
    root: str,
    path: str | os.PathLike[str],
    *,
    format: FamilyFormat = "csv",
    relation: Rel = None,
    max_depth: int | None = None,
    cards: pd.DataFrame | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write the family of ``root`` (see :func:`family_tables`) to ``path``.

    Parameters
    ----------
    G : LineageGraph
    root : str
    path : str or path
        A directory for ``"csv"`` (``nodes.csv`` and ``edges.csv``) and
        ``"snapshot"``; a file for ``"graphml"`` and ``"json"``.
    format : {"csv", "graphml", "json", "snapshot"}
        ``graphml`` is written by networkx (node attributes that are missing
        are left out); ``json`` is networkx's node-link form (``nodes`` with
        ``id`` and attributes, ``edges`` with ``source``, ``target``,
        ``relation``; read it with ``networkx.node_link_graph(data, edges="edges")``);
        ``snapshot`` is an hftree snapshot directory (the models' full records,
        the family's edges and, if given, their ``cards``) that
        :func:`hftree.ingest.load_snapshot` and every command read. Files are
        written atomically.
    relation, max_depth
        As in :func:`family_tables`.
    cards : DataFrame, optional
        ``id, card`` (e.g. ``snapshot.cards``), for ``format="snapshot"``.
    overwrite : bool
        Replace an existing snapshot directory (files are always replaced).

    Returns
    -------
    list of Path
        The files (or the snapshot directory) written.

    Raises
    ------
    ParameterError
        Bad ``format``, ``relation`` or ``max_depth``.
    UsageError
        ``format="snapshot"`` for a graph whose model table is not a snapshot's.

    Examples
    --------
    >>> import tempfile, networkx as nx
    >>> from hftree.datasets import toy_graph
    >>> d = tempfile.mkdtemp()
    >>> [p.name for p in write_family(toy_graph(), "org/base-ft", d + "/ft.graphml", format="graphml")]
    ['ft.graphml']
    >>> sorted(nx.read_graphml(d + "/ft.graphml").edges(data="relation"))
    [('org/base-ft', 'org/ft-GGUF', 'quantized'), ('org/base-ft', 'org/merge', 'merge')]
    """
    if format not in FAMILY_FORMATS:
        raise ParameterError("format", f"one of {', '.join(FAMILY_FORMATS)}", format)
    path = Path(path)
    nodes, edges = family_tables(G, root, relation=relation, max_depth=max_depth)
    if format == "csv":
        path.mkdir(parents=True, exist_ok=True)
        out = [path / "nodes.csv", path / "edges.csv"]
        write_atomic(out[0], nodes.to_csv(index=False))
        write_atomic(out[1], edges.to_csv(index=False))
        return out
    if format == "snapshot":
        return [_write_snapshot(G, nodes, edges, path, cards, overwrite, str(root))]
    attr_names = [c for c in nodes.columns if c != "id"]
    node_rows = [
        (mid, {k: _plain(v) for k, v in zip(attr_names, vals, strict=True) if _plain(v) is not None})
        for mid, *vals in nodes.itertuples(index=False)
    ]
    if format == "graphml":
        import networkx as nx

        D = nx.DiGraph(root=str(root))
        D.add_nodes_from(node_rows)
        D.add_edges_from((p, c, {"relation": r}) for p, c, r in edges.itertuples(index=False))
        with atomic_path(path) as tmp:
            nx.write_graphml(D, tmp)
        return [path]
    data = {
        "directed": True,
        "multigraph": False,
        "graph": {"root": str(root)},
        "nodes": [{"id": mid, **a} for mid, a in node_rows],
        "edges": [{"source": p, "target": c, "relation": r} for p, c, r in edges.itertuples(index=False)],
    }
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    return [path]


def _write_snapshot(
    G: LineageGraph,
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    path: Path,
    cards: pd.DataFrame | None,
    overwrite: bool,
    root: str,
) -> Path:
    from hftree.ingest import Snapshot
    from hftree.schema import MODEL_SCHEMA, SCHEMA_VERSION

    missing = [c for c in MODEL_SCHEMA.names if c not in G.models.columns]
    if missing:
        raise UsageError(
            f"format='snapshot' needs a graph built from a snapshot (its model table lacks {missing[:3]}); "
            "use format='csv', 'graphml' or 'json'"
        )
    rows = np.array([G.node(m) for m in nodes["id"][~nodes["external"].to_numpy()]], dtype=np.int64)
    models = G.models.iloc[np.sort(rows)].reset_index(drop=True)
    edge_t = edges.assign(source="family-export")
    card_t = None
    if cards is not None:
        card_t = cards[cards["id"].isin(set(models["id"]))].reset_index(drop=True)
    manifest: Mapping[str, object] = {
        "format": "hftree-snapshot",
        "schema_version": SCHEMA_VERSION,
        "snapshot_time": pd.Timestamp(G.snapshot_time).isoformat(),
        "sources": [{"family_of": root, "graph": repr(G)}],
        "counts": {
            "models": len(models),
            "edges": len(edge_t),
            "cards": 0 if card_t is None else len(card_t),
        },
    }
    snap = Snapshot(models=models, edges=edge_t, cards=card_t, manifest=dict(manifest))
    return snap.save(path, overwrite=overwrite)
