"""The lineage graph: parent → child edges between models, on integer ids and CSR arrays.

Node ``i`` for ``i < len(models)`` is row ``i`` of the model table; nodes after
that are *external*: ids named as a parent (or child, in edge lists) that have
no record in the snapshot. Heavy work runs on NumPy arrays; networkx and igraph
objects are built only on request (:mod:`hftree.lineage.export`).
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hftree.errors import DataQualityWarning, ModelNotFoundError, ParameterError
from hftree.lineage._build import build
from hftree.schema import (
    EDGE_SOURCES,
    RELATIONS,
    RelationFilter,
    SourceFilter,
    check_relations,
)

if TYPE_CHECKING:
    from hftree.lineage.membership import Membership

__all__ = ["CSR", "LineageGraph", "Rel"]

#: A relation filter (see :data:`hftree.schema.RelationFilter`).
Rel = RelationFilter
Direction = Literal["down", "up"]

_REL_CODE = {r: i for i, r in enumerate(RELATIONS)}


@dataclass(frozen=True)
class CSR:
    """Adjacency in compressed sparse row form: neighbours of ``v`` are
    ``indices[indptr[v]:indptr[v + 1]]`` reached by edges ``edge[indptr[v]:indptr[v + 1]]``."""

    indptr: np.ndarray
    indices: np.ndarray
    edge: np.ndarray

    def gather(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (source position, neighbour, edge id) triples of ``nodes``, vectorised."""
        starts = self.indptr[nodes]
        counts = self.indptr[nodes + 1] - starts
        total = int(counts.sum())
        if total == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, empty
        src = np.repeat(np.arange(len(nodes)), counts)
        offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        pos = np.repeat(starts, counts) + offs
        return src, self.indices[pos], self.edge[pos]


def bfs(adj: CSR, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes reachable from ``start`` (excluded) and their BFS distance, one frontier at a time."""
    seen = np.zeros(len(adj.indptr) - 1, dtype=bool)
    seen[start] = True
    frontier = np.unique(start)
    found: list[np.ndarray] = []
    dist: list[np.ndarray] = []
    level = 0
    while len(frontier):
        level += 1
        _, nxt, _ = adj.gather(frontier)
        nxt = np.unique(nxt)
        nxt = nxt[~seen[nxt]]
        seen[nxt] = True
        found.append(nxt)
        dist.append(np.full(len(nxt), level, dtype=np.int64))
        frontier = nxt
    if not found:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(found), np.concatenate(dist)


def _csr(keys: np.ndarray, vals: np.ndarray, n: int) -> CSR:
    order = np.argsort(keys, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=indptr[1:])
    return CSR(indptr, vals[order].astype(np.int64), order.astype(np.int64))


class LineageGraph:
    """Directed lineage graph of models (parent → child).

    Build it with :meth:`from_snapshot` or :meth:`from_tables`. Self-loops are
    dropped, duplicate declarations of one (parent, child) pair are merged
    (a typed relation beats ``unknown``), cycles are broken deterministically,
    and parents without a record are kept as *external* nodes; everything
    dropped or flagged is listed in :attr:`report`.

    Attributes
    ----------
    ids : numpy.ndarray of str
        Model id of each node.
    external : numpy.ndarray of bool
        True for nodes without a record in the model table.
    parent, child : numpy.ndarray of int64
        The edges, as node numbers.
    relation : numpy.ndarray of int8
        Edge relation, as an index into :data:`hftree.schema.RELATIONS`.
    models : pandas.DataFrame
        The model table (row ``i`` is node ``i``).
    snapshot_time : pandas.Timestamp
        When the data was taken.
    report : dict
        Data-quality report of the build.

    Examples
    --------
    >>> import pandas as pd
    >>> models = pd.DataFrame({"id": ["base", "ft", "q"]})
    >>> edges = pd.DataFrame({"parent": ["base", "ft"], "child": ["ft", "q"],
    ...                       "relation": ["finetune", "quantized"]})
    >>> G = LineageGraph.from_tables(models, edges)
    >>> G
    <LineageGraph 3 models (0 external), 2 edges: finetune 1, quantized 1>
    """

    def __init__(
        self,
        ids: pa.Array | np.ndarray,
        external: np.ndarray,
        parent: np.ndarray,
        child: np.ndarray,
        relation: np.ndarray,
        models: pd.DataFrame,
        snapshot_time: pd.Timestamp,
        report: dict[str, Any],
    ) -> None:
        self.id_array: pa.Array = ids if isinstance(ids, pa.Array) else pa.array(list(ids), pa.string())
        self._ids: np.ndarray | None = ids if isinstance(ids, np.ndarray) else None
        self.external = external
        self.parent = parent
        self.child = child
        self.relation = relation
        #: Source of each edge: index into :data:`hftree.schema.EDGE_SOURCES` (its length: none/other).
        self.source: np.ndarray = np.full(len(parent), len(EDGE_SOURCES), dtype=np.int8)
        self.models = models
        self.snapshot_time = snapshot_time
        self.report = report
        self._index: pd.Index | None = None
        self._views: dict[tuple[str, ...] | None, tuple[CSR, CSR, np.ndarray]] = {}
        self._members: dict[tuple[str, ...] | None, Membership] = {}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_snapshot(cls, snapshot: Any, *, warn: bool = True, sources: SourceFilter = None,
                      min_confidence: float = float("inf")) -> LineageGraph:
        """Build the graph of a :class:`hftree.ingest.Snapshot`.

        ``warn=False`` builds it silently; what was dropped is still in :attr:`report`.
        ``sources`` and ``min_confidence`` choose the edges as in :meth:`from_tables`.
        """
        return cls.from_tables(snapshot.models, snapshot.edges, snapshot_time=snapshot.snapshot_time,
                               warn=warn, sources=sources, min_confidence=min_confidence)

    @classmethod
    def from_tables(
        cls,
        models: pd.DataFrame,
        edges: pd.DataFrame,
        *,
        snapshot_time: pd.Timestamp | str | None = None,
        warn: bool = False,
        sources: SourceFilter = None, min_confidence: float = float("inf"),
    ) -> LineageGraph:
        """Build from a model table (needs ``id``) and an edge table (``parent, child, relation``).

        Parameters
        ----------
        models : DataFrame
            One row per model; ``created_at`` (if present) orders cycle breaking.
        edges : DataFrame
            Declared lineage; ``relation`` defaults to ``unknown`` when absent.
        snapshot_time : Timestamp, optional
            Defaults to the latest ``created_at`` in ``models`` (or now).
        warn : bool
            Emit a :class:`~hftree.errors.DataQualityWarning` summarising what was
            dropped or broken.
        sources : str or list of str, optional
            Keep only the edges of these sources (a ``source`` column is needed), e.g.
            ``["baseModels", "cardData", "tag"]``. A pair declared several times keeps one edge: typed
            beats ``unknown``, then :data:`~hftree.schema.EDGE_SOURCES` order, then the first declared.
        min_confidence : float
            Edges of source ``inferred`` (:mod:`hftree.lineage.infer`) are kept only when their
            ``confidence`` is at least this; the default keeps none (declared lineage only), and
            :attr:`report` ``["inferred_edges"]`` says how many were included.
        """
        b = build(models, edges, snapshot_time=snapshot_time, sources=sources, min_confidence=min_confidence)
        G = cls(b.ids, b.external, b.parent, b.child, b.relation, b.models, b.snapshot_time, b.report)
        G.source = b.source
        report = b.report
        if warn and (report["self_loops"] or report["cycles_broken"] or report["near_miss_ids"]):
            warnings.warn(
                f"lineage: dropped {report['self_loops']} self-loops, broke {report['cycles_broken']} "
                f"cycle edges, found {report['near_miss_ids']} parent ids that differ from a model id only in case "
                "(not joined); see LineageGraph.report",
                DataQualityWarning,
                stacklevel=2,
            )
        return G

    # ------------------------------------------------------------------ basics
    @property
    def ids(self) -> np.ndarray:
        """Model id of each node, as a NumPy object array (built on first use)."""
        if self._ids is None:
            self._ids = self.id_array.to_numpy(zero_copy_only=False).astype(object)
        return self._ids

    def id_of(self, nodes: np.ndarray) -> list[str]:
        """Model ids of ``nodes`` (cheaper than ``ids[nodes]`` on a large graph)."""
        return self.id_array.take(pa.array(np.asarray(nodes, dtype=np.int64))).to_pylist()

    @property
    def n_nodes(self) -> int:
        return len(self.id_array)

    @property
    def n_edges(self) -> int:
        return len(self.parent)

    @property
    def index(self) -> pd.Index:
        """Model id → node number (a pandas Index, built on first use)."""
        if self._index is None:
            self._index = pd.Index(self.ids)
        return self._index

    def node(self, model_id: str) -> int:
        """Node number of ``model_id``; raises :class:`~hftree.errors.ModelNotFoundError`."""
        if self._index is not None:
            i = self._index.get_indexer([model_id])[0]
        else:  # one C++ scan; avoids building a 2 M-entry index for a single lookup
            i = (pc.index(self.id_array, pa.scalar(model_id, self.id_array.type)).as_py()
                 if isinstance(model_id, str) else -1)
        if i < 0:
            hint = ""
            if isinstance(model_id, str):
                j = pc.index(pc.utf8_lower(self.id_array), model_id.lower()).as_py()
                if j >= 0:
                    hint = f"; ids are case-sensitive, did you mean {self.id_array[j].as_py()!r}?"
            raise ModelNotFoundError(model_id, f"model {model_id!r} is not in the lineage graph{hint}")
        return int(i)

    def __contains__(self, model_id: object) -> bool:
        try:
            self.node(model_id)  # type: ignore[arg-type]
        except ModelNotFoundError:
            return False
        return True

    def __len__(self) -> int:
        return self.n_nodes

    def view(self, relation: Rel = None) -> tuple[CSR, CSR, np.ndarray]:
        """``(children CSR, parents CSR, edge mask)`` restricted to ``relation`` (cached)."""
        key = self._key(relation)
        if key not in self._views:
            if key is None:
                mask = np.ones(self.n_edges, dtype=bool)
            else:
                mask = np.isin(self.relation, [_REL_CODE[r] for r in key])
            eid = np.flatnonzero(mask)
            out = _csr(self.parent[eid], self.child[eid], self.n_nodes)
            inn = _csr(self.child[eid], self.parent[eid], self.n_nodes)
            out = CSR(out.indptr, out.indices, eid[out.edge])
            inn = CSR(inn.indptr, inn.indices, eid[inn.edge])
            self._views[key] = (out, inn, mask)
        return self._views[key]

    def _key(self, relation: Rel) -> tuple[str, ...] | None:
        rel = check_relations(relation)
        return None if rel is None else tuple(sorted(rel))

    def reachable(
        self, nodes: Sequence[int] | np.ndarray, *, relation: Rel = None, direction: Direction = "down"
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nodes reachable from ``nodes`` (themselves excluded) and their distance.

        ``direction="down"`` follows parent → child (descendants), ``"up"`` child → parent
        (ancestors); only edges of ``relation`` are followed. The distance is the fewest
        edges from any start node.

        >>> from hftree.datasets import toy_graph
        >>> G = toy_graph()
        >>> found, dist = G.reachable([G.node("org/base-ft")])
        >>> sorted(zip(G.id_of(found), dist.tolist()))
        [('org/ft-GGUF', 1), ('org/merge', 1)]
        """
        if direction not in ("down", "up"):
            raise ParameterError("direction", "'down' or 'up'", direction)
        out, inn, _ = self.view(relation)
        start = np.asarray(nodes, dtype=np.int64)
        return bfs(out if direction == "down" else inn, start)

    def root_nodes(self, *, relation: Rel = None, min_size: int = 1) -> np.ndarray:
        """Node numbers of the roots: nodes without a parent (by ``relation``'s edges).

        The one definition of a root in hftree. ``min_size=k`` keeps only roots whose family
        (the root and its descendants by the same edges) has at least ``k`` models; the
        default 1 keeps every root, ``2`` the roots with at least one child.

        >>> from hftree.datasets import toy_graph
        >>> G = toy_graph()
        >>> G.id_of(G.root_nodes(min_size=2))
        ['org/base', 'other/base2']
        """
        if isinstance(min_size, bool) or not isinstance(min_size, int | np.integer) or min_size < 1:
            raise ParameterError("min_size", "a whole number >= 1", min_size)
        out, inn, _ = self.view(relation)
        is_root = np.diff(inn.indptr) == 0
        if min_size == 2:
            is_root &= np.diff(out.indptr) > 0
        elif min_size > 2:
            sizes = 1 + np.bincount(self.members(relation=relation).root, minlength=self.n_nodes)
            is_root &= sizes >= min_size
        return np.flatnonzero(is_root)

    def members(self, *, relation: Rel = None) -> Membership:
        """Every (root, descendant) pair of the graph restricted to ``relation`` (cached).

        See :func:`hftree.lineage.membership.family_members`.

        >>> from hftree.datasets import toy_graph
        >>> len(toy_graph().members().root)  # (root, descendant) pairs
        6
        """
        from hftree.lineage.membership import family_members  # same package; membership types on this class

        key = self._key(relation)
        if key not in self._members:
            self._members[key] = family_members(self, relation=key)
        return self._members[key]

    def align(self, table: pd.DataFrame) -> np.ndarray:
        """Node number of each row of ``table`` (matched by its ``id`` column; -1 where the id
        is not a model of this graph, external nodes included).

        The one way a table of models is matched to the graph: a table that *is* the graph's
        model table (same ids in the same order) maps row ``i`` to node ``i`` without a lookup.

        >>> import pandas as pd
        >>> from hftree.datasets import toy_graph
        >>> toy_graph().align(pd.DataFrame({"id": ["org/merge", "nope", "org/base"]})).tolist()
        [6, -1, 0]
        """
        if "id" not in table.columns:
            raise ParameterError("table", "a model table with an 'id' column", list(table.columns)[:5])
        gids = self.models["id"]
        if len(gids) == len(table) and (table is self.models or _same_ids(gids, table["id"])):
            return np.arange(len(table), dtype=np.int64)
        nodes = self.index.get_indexer(table["id"].to_numpy(dtype=object)).astype(np.int64)
        nodes[nodes >= len(gids)] = -1  # an external node has no record
        return nodes

    def node_column(self, name: str) -> np.ndarray:
        """Model-table column ``name`` as an object array aligned to node numbers
        (``None`` for external nodes and missing values)."""
        vals: np.ndarray = self.models[name].astype(object).to_numpy()
        if len(vals):
            vals = vals.copy()
            vals[np.asarray(pd.isna(vals), dtype=bool)] = None
        n_ext = self.n_nodes - len(vals)
        return np.concatenate([vals, np.full(n_ext, None, dtype=object)]) if n_ext else vals

    def node_codes(self, name: str) -> tuple[np.ndarray, list]:
        """Integer codes of a model-table column aligned to nodes (-1: missing or external),
        and the values the codes stand for; computed in Arrow, no Python object per model."""
        codes = np.full(self.n_nodes, -1, dtype=np.int64)
        if name not in self.models:
            return codes, []
        arr = pa.array(self.models[name], from_pandas=True)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        enc = pc.dictionary_encode(arr)
        idx = enc.indices.to_numpy(zero_copy_only=False)
        if enc.indices.null_count:
            idx = np.where(np.isnan(idx.astype(float)), -1, idx).astype(np.int64)
        codes[: len(idx)] = idx
        return codes, enc.dictionary.to_pylist()

    def node_times(self, name: str = "created_at") -> np.ndarray:
        """A timestamp column as int64 milliseconds since the epoch, aligned to nodes;
        missing values and external nodes are ``INT64_MIN`` (test with ``< 0`` only for
        dates after 1970, which Hub dates are)."""
        out = np.full(self.n_nodes, np.iinfo(np.int64).min, dtype=np.int64)
        if name in self.models:
            col = pd.to_datetime(self.models[name], utc=True)  # a naive column is read as UTC
            ms = col.astype("datetime64[ms, UTC]").to_numpy(dtype="datetime64[ms]").astype(np.int64)
            ms[col.isna().to_numpy()] = np.iinfo(np.int64).min
            out[: len(ms)] = ms
        return out

    def edge_frame(self, *, source: bool = False) -> pd.DataFrame:
        """Edges as a DataFrame with string columns ``parent, child, relation``; with ``source=True``
        also ``source``: the source whose declaration was kept (:data:`hftree.schema.EDGE_SOURCES`;
        missing where the edge table had none)."""
        cols = {
            "parent": pd.array(self.ids[self.parent], dtype="string"),
            "child": pd.array(self.ids[self.child], dtype="string"),
            "relation": pd.Categorical.from_codes(self.relation, categories=list(RELATIONS)),
        }
        if source:
            codes = np.where(self.source >= len(EDGE_SOURCES), -1, self.source).astype(np.int8)
            cols["source"] = pd.Categorical.from_codes(codes, categories=list(EDGE_SOURCES))
        return pd.DataFrame(cols)

    def relation_counts(self) -> dict[str, int]:
        """Number of edges of each relation."""
        counts = np.bincount(self.relation, minlength=len(RELATIONS))
        return {r: int(k) for r, k in zip(RELATIONS, counts, strict=True)}

    def __repr__(self) -> str:
        rc = ", ".join(f"{r} {k:,}" for r, k in self.relation_counts().items() if k)
        return (
            f"<LineageGraph {self.n_nodes:,} models ({int(self.external.sum()):,} external), "
            f"{self.n_edges:,} edges{': ' + rc if rc else ''}>"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(r)}</td><td style='text-align:right'>{k:,}</td></tr>"
            for r, k in self.relation_counts().items()
        )
        return (
            f"<div><b>LineageGraph</b>: {self.n_nodes:,} models "
            f"({int(self.external.sum()):,} external), {self.n_edges:,} edges, "
            f"snapshot {html.escape(str(self.snapshot_time))}"
            f"<table><tr><th>relation</th><th>edges</th></tr>{rows}</table></div>"
        )


def _same_ids(a: pd.Series, b: pd.Series) -> bool:
    try:  # Arrow-backed strings compare in C++
        eq = a.reset_index(drop=True).array == b.reset_index(drop=True).array
        return bool(np.asarray(eq, dtype=bool).all())
    except (TypeError, ValueError):
        return bool(np.array_equal(a.to_numpy(dtype=object), b.to_numpy(dtype=object)))
