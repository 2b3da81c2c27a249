"""Building a lineage graph from a model table and an edge table: node numbering, duplicate and
self-loop removal, cycle breaking, near-miss ids. :meth:`LineageGraph.from_tables` is the entry point;
this module holds the work so the graph class stays readable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from hftree._hashing import has_duplicates, positions_in
from hftree.errors import InputFormatError
from hftree.schema import EDGE_SOURCES, RELATIONS, SourceFilter, check_sources, source_codes

__all__ = ["Built", "arrow_str", "build"]

_UNKNOWN = RELATIONS.index("unknown")
_EXAMPLES = 100


@dataclass(frozen=True)
class Built:
    """The arrays of a lineage graph (see :class:`~hftree.lineage.graph.LineageGraph`)."""

    ids: pa.Array
    external: np.ndarray
    parent: np.ndarray
    child: np.ndarray
    relation: np.ndarray
    source: np.ndarray
    models: pd.DataFrame
    snapshot_time: pd.Timestamp
    report: dict[str, Any]


def build(
    models: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    snapshot_time: pd.Timestamp | str | None = None,
    sources: SourceFilter = None,
    min_confidence: float = float("inf"),
) -> Built:
    """The arrays and data-quality report of the graph of ``models`` and ``edges``
    (the parameters are those of :meth:`~hftree.lineage.graph.LineageGraph.from_tables`)."""
    models = models.reset_index(drop=True)
    n_inferred = 0
    if "source" in edges and (inf := np.asarray(edges["source"].astype(object) == "inferred", bool)).any():
        keep_inf = np.asarray(edges.get("confidence", np.nan) >= min_confidence, bool)
        n_inferred = int((inf & keep_inf).sum())
        edges = edges[~inf | keep_inf]
    src = source_codes(edges["source"]) if "source" in edges else None
    wanted = check_sources(sources)
    if wanted is not None:
        if src is None:
            raise InputFormatError("sources= needs an edge table with a 'source' column", field="source")
        edges, src = edges[keep := np.isin(src, [EDGE_SOURCES.index(w) for w in wanted])], src[keep]
    id_arr = arrow_str(models["id"])
    n_models = len(id_arr)
    par = arrow_str(edges["parent"])
    chi = arrow_str(edges["child"])
    if has_duplicates(id_arr):
        dup = pd.Series(id_arr.to_pylist())
        raise ValueError(
            f"model table has duplicated ids, e.g. {dup[dup.duplicated()].head(5).tolist()}; "
            "import it through hftree.ingest"
        )
    # node codes: a model is its row (0..n_models-1); an id seen only as an edge endpoint (an
    # external node) gets the codes after that, in order of first appearance
    n_e = len(par)
    ends = pa.concat_arrays([par, chi])
    codes = positions_in(ends, id_arr)
    missing = codes < 0
    ext_names = pa.array([], pa.string())
    if missing.any():
        enc = pc.dictionary_encode(ends.filter(pa.array(missing)))
        codes[missing] = n_models + enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        ext_names = enc.dictionary
    p_all = codes[:n_e]
    c_all = codes[n_e:]
    if "relation" in edges:
        rel_a = pc.fill_null(arrow_str(edges["relation"]), "unknown")
        rel = pc.index_in(rel_a, value_set=pa.array(RELATIONS))
        if rel.null_count:
            bad = rel_a.filter(pc.is_null(rel))[0].as_py()
            raise InputFormatError(f"edge table: unknown relation {bad!r}; expected one of "
                                   f"{', '.join(RELATIONS)}", field="relation")
        rel = rel.to_numpy().astype(np.int8)
    else:
        rel = np.full(n_e, _UNKNOWN, dtype=np.int8)
    report: dict[str, Any] = {"declared_edges": len(par) - n_inferred, "inferred_edges": n_inferred}
    src = np.full(n_e, len(EDGE_SOURCES), dtype=np.int8) if src is None else src

    # self-loops
    loop = p_all == c_all
    report["self_loops"] = int(loop.sum())
    report["self_loop_examples"] = sorted(set(par.filter(pa.array(loop)).to_pylist()))[:_EXAMPLES]
    p, c, rel, src = p_all[~loop], c_all[~loop], rel[~loop], src[~loop]

    # node numbers: external nodes are the dictionary entries after the model ids
    ids = pa.concat_arrays([id_arr, ext_names.cast(id_arr.type)])
    n = len(ids)
    n_ext = n - n_models
    external = np.zeros(n, dtype=bool)
    external[n_models:] = True
    ext = ids.slice(n_models)
    report["external_nodes"] = int(n_ext)
    report["external_children"] = len(np.unique(c[c >= n_models]))

    # one edge per (parent, child): a typed relation beats "unknown", then source, then the first declared
    key = p * n + c
    order = np.lexsort((np.arange(len(key)), src, rel == _UNKNOWN, key))
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    keep = np.sort(order[first])
    report["duplicate_edges"] = int(len(key) - len(keep))
    p, c, rel, src = p[keep], c[keep], rel[keep], src[keep]

    # cycles: strongly connected components of size > 1
    p, c, both, broken = _break_cycles(p, c, rel.astype(np.int16) * 64 + src, ids, models, n)  # src rides along
    rel, src = (both // 64).astype(np.int8), (both % 64).astype(np.int8)
    report["cycles_broken"] = len(broken)
    report["cycle_edges_removed"] = broken[:_EXAMPLES]

    # near-miss ids: an external id equal to a model id up to letter case (not joined)
    near: list[dict[str, str]] = []
    if n_ext:
        # probe the 2 M lower-cased model ids against the (small) set of external ids
        low_ext = pc.utf8_lower(ext)
        hit = pc.index_in(pc.utf8_lower(id_arr), value_set=low_ext)
        rows = np.flatnonzero(pc.is_valid(hit).to_numpy(zero_copy_only=False))
        if len(rows):
            which = hit.take(pa.array(rows)).to_numpy(zero_copy_only=False).astype(np.int64)
            seen_ext: set[int] = set()
            for r, w in sorted(zip(rows.tolist(), which.tolist(), strict=True), key=lambda t: t[1]):
                if w not in seen_ext:
                    seen_ext.add(w)
                    near.append({"external": ext[w].as_py(), "model": id_arr[r].as_py()})
    report["near_miss_ids"] = len(near)
    report["near_miss_examples"] = near[:_EXAMPLES]

    if snapshot_time is None:
        if "created_at" in models and models["created_at"].notna().any():
            snapshot_time = models["created_at"].max()
        else:
            snapshot_time = pd.Timestamp.now(tz="UTC")
    ts = pd.Timestamp(snapshot_time)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return Built(ids, external, p, c, rel.astype(np.int8), src, models, ts, report)


def arrow_str(col: pd.Series) -> pa.Array:
    """A pandas column of ids as an Arrow string array (zero-copy when already Arrow-backed)."""
    arr = pa.array(col, from_pandas=True) if not isinstance(col, pa.Array) else col
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    return arr.cast(pa.string()) if pa.types.is_large_string(arr.type) else arr


def _break_cycles(
    p: np.ndarray, c: np.ndarray, rel: np.ndarray, ids: pa.Array, models: pd.DataFrame, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, str]]]:
    """Remove, inside each strongly connected component, the edges that point from a
    later model to an earlier one in the order (created_at, id): deterministic, and
    what remains inside the component follows a total order, so no cycle is left. Inferred
    edges inside a component go first: a guess never outweighs what the Hub declares."""
    if len(p) == 0:
        return p, c, rel, []
    adj = csr_matrix((np.ones(len(p), dtype=np.int8), (p, c)), shape=(n, n))
    n_comp, labels = connected_components(adj, directed=True, connection="strong")
    if n_comp == n:
        return p, c, rel, []
    sizes = np.bincount(labels)
    in_cycle = sizes[labels] > 1
    inside = in_cycle[p] & in_cycle[c] & (labels[p] == labels[c])
    guessed = inside & (rel % 64 == EDGE_SOURCES.index("inferred"))  # rel carries the source in its low bits
    if guessed.any():
        first = [{"parent": a, "child": b} for a, b in zip(ids.take(pa.array(p[guessed])).to_pylist(),
                                                          ids.take(pa.array(c[guessed])).to_pylist(), strict=True)]
        keep = ~guessed
        p, c, rel, rest = _break_cycles(p[keep], c[keep], rel[keep], ids, models, n)
        return p, c, rel, first + rest
    # rank of each node by (created_at, id); externals have no created_at (sort last)
    created = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    if "created_at" in models:
        ca = pd.to_datetime(models["created_at"], utc=True)
        vals = ca.to_numpy(dtype="datetime64[ms]").astype(np.int64)
        vals[ca.isna().to_numpy()] = np.iinfo(np.int64).max
        created[: len(vals)] = vals
    cyc = np.flatnonzero(in_cycle)  # only these need ranking
    rank = np.zeros(n, dtype=np.int64)
    cyc_ids = np.array(ids.take(pa.array(cyc)).to_pylist(), dtype=object)
    rank[cyc[np.lexsort((cyc_ids, created[cyc]))]] = np.arange(len(cyc))
    drop = inside & (rank[p] >= rank[c])
    broken = [
        {"parent": a, "child": b}
        for a, b in zip(ids.take(pa.array(p[drop])).to_pylist(), ids.take(pa.array(c[drop])).to_pylist(), strict=True)
    ]
    keep = ~drop
    return p[keep], c[keep], rel[keep], broken
