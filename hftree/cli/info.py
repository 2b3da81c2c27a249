"""``hftree info``: counts, relations, roots, family sizes and data quality of a snapshot."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("info", help="summary and data-quality report of a snapshot")
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(run=run)
    return p


def summary(snapshot) -> dict:
    """The numbers ``hftree info`` prints, as a dict."""
    import warnings

    import numpy as np

    from hftree.families import family_members, family_size_distribution
    from hftree.lineage import LineageGraph

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        G = LineageGraph.from_snapshot(snapshot)
    mem = family_members(G)
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


def _largest(G, roots, sizes, k: int = 5) -> list[dict]:
    import numpy as np

    top = np.argsort(-sizes, kind="stable")[: 4 * k]
    cand = sorted(zip(G.id_of(roots[top]), sizes[top].tolist(), strict=True), key=lambda t: (-t[1], t[0]))
    return [{"root": r, "descendants": int(s)} for r, s in cand[:k]]


def run(args: argparse.Namespace) -> int:
    from hftree.cli._common import load

    s = summary(load(args.snapshot))
    if args.json:
        print(json.dumps(s, indent=2, default=str))
        return 0
    print(f"snapshot        {args.snapshot} (taken {s['snapshot_time']})")
    print(f"models          {s['models']:,}   cards {s['cards']:,}")
    print(f"external parents {s['external_parents']:,} (named as base model, no record)")
    print(f"edges           {s['edges']:,} (declared {s['declared_edges']:,})")
    for r, k in s["edges_by_relation"].items():
        print(f"  {r:<13} {k:>10,}")
    print(f"models with a parent   {s['models_with_parent']:,}")
    print(f"roots with descendants {s['roots_with_descendants']:,}   isolated models {s['isolated_models']:,}")
    print("largest families")
    for f in s["largest_families"]:
        print(f"  {f['descendants']:>8,}  {f['root']}")
    print("family sizes (descendants: families, share)")
    for row in s["family_sizes"]:
        print(f"  {row['descendants']:>12}: {row['families']:>9,}  {row['share']:.1%}")
    print("data quality")
    for k, v in {**s["import_quality"], **s["graph_quality"]}.items():
        print(f"  {k:<28} {v:,}" if isinstance(v, int) else f"  {k:<28} {v}")
    for e in s["cycle_edges_removed"]:
        print(f"  cycle broken: removed {e['parent']} -> {e['child']}")
    for e in s["near_miss_examples"]:
        print(f"  near-miss id (not joined): {e['external']} ~ {e['model']}")
    return 0
