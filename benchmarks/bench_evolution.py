"""Evolution benchmark: Hub-wide laws and shape, and per-family shape with null models, at 2 M models.

    python benchmarks/bench_evolution.py [--models 2000000] [--cache DIR] [--n-boot 100] [--n-null 20]

Input: ``hftree.datasets.write_synthetic_hub(path, N, random_state=0)`` imported into a snapshot
(both cached). Timed, each step on its own after the graph is built (``time.perf_counter``, CPU
time by ``time.process_time``):

* Hub-wide: :func:`hftree.evolution.hub_laws` (CSN fits of family sizes and children per model,
  all edges and per relation, ``n_boot`` bootstrap replicates each, the five candidate laws
  compared with ``powerlaw``), :func:`hftree.evolution.hub_shape` and
  :func:`hftree.evolution.kernel_table` (the attachment kernel, all edges and per relation);
* per family: :func:`hftree.evolution.family_shape` for every family (≥ 1 descendant), null
  models ``uniform`` and ``fitted`` with ``n_null`` trees each for the families with ≥ 100
  descendants.

Prints one JSON object; ``--json`` also writes it to a file. Peak RSS: ``getrusage``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path


def _timed(res: dict, name: str, fn):
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    res[f"{name}_s"] = round(time.perf_counter() - t, 2)
    res[f"{name}_cpu_s"] = round(time.process_time() - c, 2)
    print(f"{name}: {res[f'{name}_s']} s", file=sys.stderr)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=2_000_000)
    ap.add_argument("--cache", default="benchmarks/out")
    ap.add_argument("--n-boot", type=int, default=100)
    ap.add_argument("--n-null", type=int, default=20)
    ap.add_argument("--json", help="also write the results as JSON here")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    src = cache / f"hub-{args.models}.jsonl.gz"
    snap_dir = cache / "snap" if args.models == 2_000_000 else cache / f"snap-{args.models}"
    from hftree.datasets import write_synthetic_hub
    from hftree.ingest import import_sources, load_snapshot
    from hftree.lineage import LineageGraph

    if not snap_dir.exists():
        if not src.exists():
            write_synthetic_hub(src, args.models, random_state=0)
        import_sources([src], snapshot_time="2025-07-01T00:00:00Z").save(snap_dir)
    res: dict = {"models": args.models, "cpus": os.cpu_count() or 1, "n_boot": args.n_boot, "n_null": args.n_null,
                 "load_average_at_start": round(os.getloadavg()[0], 2)}
    snap = load_snapshot(snap_dir)
    G = _timed(res, "graph", lambda: LineageGraph.from_snapshot(snap, warn=False))
    _timed(res, "members", lambda: G.members())  # shared by everything below; cached on the graph

    from hftree.evolution import family_shape, hub_laws, hub_shape, kernel_table

    laws = _timed(res, "hub_laws", lambda: hub_laws(G, n_boot=args.n_boot, random_state=0))
    hub = _timed(res, "hub_shape", lambda: hub_shape(G))
    kern = _timed(res, "kernel_table", lambda: kernel_table(G, n_boot=200, random_state=0))
    res["hub_wide_s"] = round(res["hub_laws_s"] + res["hub_shape_s"] + res["kernel_table_s"], 2)
    shape0 = _timed(res, "family_shape_no_null", lambda: family_shape(G, null=None))
    shape = _timed(res, "family_shape", lambda: family_shape(G, n_null=args.n_null, random_state=0))
    res["families"] = len(shape0.table)
    res["families_with_nulls"] = int(shape.table["z_uniform_depth"].notna().sum())
    res["null_vertices_per_model"] = int(shape.table.loc[shape.table["z_uniform_depth"].notna(), "size"].sum()
                                         * args.n_null)
    res["fitted_gamma"] = round(shape.gamma, 3)
    res["laws"] = laws.to_frame()[["quantity", "n", "xmin", "n_tail", "alpha", "alpha_se", "p_gof",
                                   "preferred"]].to_dict("records")
    res["kernel"] = kern[["relation", "gamma", "gamma_low", "gamma_high", "events"]].to_dict("records")
    res["leaf_share"] = hub.relations[["relation", "children", "leaf_share", "with_children"]].to_dict("records")
    res["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    text = json.dumps(res, indent=1, default=float)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
