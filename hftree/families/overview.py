"""A whole-snapshot overview: counts, relations, roots, family sizes, data quality."""

from __future__ import annotations

from typing import Any

import numpy as np

from hftree.families.stats import family_size_distribution
from hftree.lineage.graph import LineageGraph

__all__ = ["snapshot_summary"]


def snapshot_summary(snapshot: Any, graph: LineageGraph | None = None) -> dict:
    """Counts, relations, roots, family sizes and data quality of a snapshot (what ``hftree info`` prints).

    Pass ``graph`` (its :class:`~hftree.lineage.LineageGraph`) when it is already built.
    """
    G = graph if graph is not None else LineageGraph.from_snapshot(snapshot, warn=False)
    mem = G.members()
    _, inn, _ = G.view()
    indeg = np.diff(inn.indptr)
    sizes = np.bincount(mem.root, minlength=G.n_nodes)[mem.roots]
    m = snapshot.manifest
    rep = {k: v for k, v in G.report.items() if not k.endswith("examples") and k != "cycle_edges_removed"}
    return {
        "snapshot_time": m.get("snapshot_time"),
        "sources": [s["path"] for s in m.get("sources", [])],
        "models": int((~G.external).sum()),
        "external_parents": int(G.external.sum()),
        "cards": m.get("counts", {}).get("cards", 0),
        "declared_edges": len(snapshot.edges),
        "edges": G.n_edges,
        "edges_by_relation": G.relation_counts(),
        "models_with_parent": int((indeg > 0).sum()),
        "roots_with_descendants": len(mem.roots),
        "isolated_models": int(((indeg == 0) & (np.diff(G.view()[0].indptr) == 0)).sum()),
        "largest_families": _largest(G, mem.roots, sizes),
        "family_sizes": family_size_distribution(sizes).to_dict("records"),
        "graph_quality": rep,
        "cycle_edges_removed": G.report.get("cycle_edges_removed", [])[:10],
        "near_miss_examples": G.report.get("near_miss_examples", [])[:10],
        "import_quality": {k: v for k, v in m.get("data_quality", {}).items() if not k.endswith("examples")},
    }


def _largest(G: LineageGraph, roots: np.ndarray, sizes: np.ndarray, k: int = 5) -> list[dict]:
    top = np.argsort(-sizes, kind="stable")[: 4 * k]
    cand = sorted(zip(G.id_of(roots[top]), sizes[top].tolist(), strict=True), key=lambda t: (-t[1], t[0]))
    return [{"root": r, "descendants": int(s)} for r, s in cand[:k]]
