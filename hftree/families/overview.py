"""A whole-snapshot overview: counts, relations, roots, family sizes, data quality."""

from __future__ import annotations

from typing import Any

import numpy as np

from hftree.families.coverage import field_coverage, missing_fields
from hftree.families.stats import family_size_distribution
from hftree.lineage.graph import LineageGraph

__all__ = ["QUALITY_LABELS", "quality_label", "snapshot_summary"]

#: Data-quality keys (``import_quality``, ``graph_quality``) named for people; ``info`` and the report
#: print these (a declaration is one per source and pair, before merging: not a model's "declared parent").
QUALITY_LABELS = {
    "placeholder_created_at": "placeholder createdAt",
    "relation_disagreements": "relation disagreements",
    "duplicate_ids_dropped": "duplicate ids dropped",
    "skipped_lines": "skipped lines",
    "invalid_base_model_fields": "invalid base_model values",
    "out_of_range_values": "out-of-range values",
    "ignored_values": "wrong-type values ignored",
    "declared_edges": "parent declarations",
    "inferred_edges": "inferred parent links",
    "self_loops": "self-loops",
    "external_nodes": "ids without a record",
    "external_children": "of these, named as a child",
    "duplicate_edges": "declarations merged",
    "cycles_broken": "cycles broken",
    "near_miss_ids": "near-miss ids",
}


def quality_label(key: str) -> str:
    """How ``info`` and the report name a data-quality key.

    >>> quality_label("declared_edges"), quality_label("some_new_count")
    ('parent declarations', 'some new count')
    """
    return QUALITY_LABELS.get(key, key.replace("_", " "))


def snapshot_summary(snapshot: Any, graph: LineageGraph | None = None) -> dict:
    """Counts, relations, roots, family sizes and data quality of a snapshot (what ``hftree info`` prints).

    Parameters
    ----------
    snapshot : Snapshot
        The snapshot (its ``models``, ``edges`` and ``manifest`` are read).
    graph : LineageGraph, optional
        Its lineage graph, when it is already built.

    Returns
    -------
    dict
        Counts (``models``; ``external_parents``: ids without a record named as a parent,
        ``external_children``: named only as a child, e.g. by an edge list; ``external_nodes``
        both), ``edges_by_relation``, ``largest_families``, ``family_sizes``, the import and
        graph data-quality counts, ``field_coverage`` (one record per field:
        :func:`hftree.families.coverage.field_coverage`), ``missing_fields`` (the fields no
        model has) and ``children_before_parent`` (edges whose child is dated before its
        parent; ``roots_with_earlier_child``: families whose ``days_to_first_child`` is
        negative, with ``earlier_child_examples``), ``lineage_coverage`` (``models``,
        ``declared``: models with a parent in the graph, ``none``: without, their shares;
        ``inferred`` and its share are ``None``: not computed here, see
        :func:`hftree.lineage.infer.lineage_coverage`).
    """
    G = graph if graph is not None else LineageGraph.from_snapshot(snapshot, warn=False)
    mem = G.members()
    _, inn, _ = G.view()
    indeg = np.diff(inn.indptr)
    sizes = np.bincount(mem.root, minlength=G.n_nodes)[mem.roots]
    m = snapshot.manifest
    rep = {k: v for k, v in G.report.items() if not k.endswith("examples") and k != "cycle_edges_removed"}
    outdeg = np.diff(G.view()[0].indptr)
    early = _children_before_parent(G, indeg)
    return {
        "snapshot_time": m.get("snapshot_time"),
        "sources": [s["path"] for s in m.get("sources", [])],
        "models": int((~G.external).sum()),
        "external_nodes": int(G.external.sum()),
        "external_parents": int((G.external & (outdeg > 0)).sum()),
        "external_children": int((G.external & (outdeg == 0)).sum()),
        "cards": m.get("counts", {}).get("cards", 0),
        "declared_edges": len(snapshot.edges),
        "edges": G.n_edges,
        "edges_by_relation": G.relation_counts(),
        "models_with_parent": int(((indeg > 0) & ~G.external).sum()),  # ids with a record: as in lineage coverage
        "roots_with_descendants": len(mem.roots),
        "isolated_models": int(((indeg == 0) & (outdeg == 0) & ~G.external).sum()),
        "largest_families": _largest(G, mem.roots, sizes),
        "family_sizes": family_size_distribution(sizes).to_dict("records"),
        "graph_quality": rep,
        "cycle_edges_removed": G.report.get("cycle_edges_removed", [])[:10],
        "near_miss_examples": G.report.get("near_miss_examples", [])[:10],
        "import_quality": {k: v for k, v in m.get("data_quality", {}).items() if not k.endswith("examples")},
        "field_coverage": field_coverage(G.models).drop(columns="lacking").to_dict("records"),
        "missing_fields": list(missing_fields(G.models)),
        "lineage_coverage": _lineage_coverage(G, indeg),
        **early,
    }


def _lineage_coverage(G: LineageGraph, indeg: np.ndarray) -> dict[str, Any]:
    """Models with a parent in the graph (declared lineage) and without; inferred: not computed (``None``)."""
    own = ~G.external
    n = int(own.sum())
    declared = int(((indeg > 0) & own).sum())
    share = (lambda k: k / n) if n else (lambda k: None)
    return {"models": n, "declared": declared, "inferred": None, "none": n - declared,
            "declared_share": share(declared), "inferred_share": None, "none_share": share(n - declared)}


def _children_before_parent(G: LineageGraph, indeg: np.ndarray, k: int = 5) -> dict[str, Any]:
    """Edges whose child was created before its parent, and the roots (no parent) with such a child."""
    t = G.node_times("created_at")
    missing = np.iinfo(np.int64).min
    p, c = G.parent, G.child
    bad = (t[p] != missing) & (t[c] != missing) & (t[c] < t[p])
    at_root = bad & (indeg[p] == 0)
    roots, inv = np.unique(p[at_root], return_inverse=True)
    first = np.full(len(roots), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, inv, t[c[at_root]])
    days = np.round((first - t[roots]) / 86_400_000, 1)
    worst = sorted(zip(days.tolist(), G.id_of(roots), strict=True))
    return {
        "children_before_parent": int(bad.sum()),
        "roots_with_earlier_child": len(roots),
        "earlier_child_examples": [{"root": r, "days_to_first_child": d} for d, r in worst[:k]],
    }


def _largest(G: LineageGraph, roots: np.ndarray, sizes: np.ndarray, k: int = 5) -> list[dict]:
    top = np.argsort(-sizes, kind="stable")[: 4 * k]
    cand = sorted(zip(G.id_of(roots[top]), sizes[top].tolist(), strict=True), key=lambda t: (-t[1], t[0]))
    return [{"root": r, "descendants": int(s)} for r, s in cand[:k]]
