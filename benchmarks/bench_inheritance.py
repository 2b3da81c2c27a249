"""Benchmark: trait inheritance and mutation rates on the 2 M-model synthetic Hub.

Measures, on one process:

1. ``hftree.traits.inheritance`` (module ``hftree.traits.resemblance``) over the categorical
   and set traits (licence, languages, task, library, datasets, architecture) and every kinship —
   parent–child over all edges (exact), siblings exact through per-parent value
   groups, the other kinships sampled at 10,000 pairs each — plus
   ``hftree.drift.mutation_rates`` of the same traits: wall and CPU time, peak RSS
   (the process's maximum resident set, loading included).
2. The ratio against enumerating sibling pairs naively: every sibling pair of a
   random subset of parents is generated (vectorised NumPy, the strongest naive
   baseline) and compared on the licence; the time per pair is extrapolated
   linearly to all sibling pairs of the graph, and divided by the time of the
   exact grouped computation of the same mean. The subset's naive mean is checked
   against the grouped computation on the same parents.

Usage::

    python benchmarks/bench_inheritance.py [--cache DIR] [--n 2000000] [--snapshot DIR] [--json out.json]

Everything needed is generated under ``--cache`` when missing (the synthetic Hub
with ``random_state=0`` — the core benchmark's input, same file name — and its
snapshot); ``--snapshot`` reuses an existing snapshot instead.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KiB on Linux


class Timer:
    def __enter__(self) -> Timer:
        self.w, self.c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.w
        self.cpu = time.process_time() - self.c


def snapshot(cache: Path, n: int):
    from hftree.datasets import write_synthetic_hub
    from hftree.ingest import import_sources, load_snapshot

    snap_dir = cache / f"snap-{n}"
    if not (snap_dir / "manifest.json").exists():
        src = cache / f"hub-{n}.jsonl.gz"
        if not src.exists():
            print(f"generating {src} ...", file=sys.stderr)
            write_synthetic_hub(src, n, random_state=0)
        print(f"importing into {snap_dir} ...", file=sys.stderr)
        import_sources([src], snapshot_time="2025-07-01T00:00:00Z").save(snap_dir, overwrite=True)
    return load_snapshot(snap_dir)


def naive_siblings(G, codes: np.ndarray, relation, parents_budget_pairs: int, rng: np.random.Generator):
    """Enumerate every sibling pair of randomly chosen parents (until the budget) and compare codes."""
    from hftree.traits.kinship import KinshipStructure, _block_pairs

    s = KinshipStructure(G, relation).restrict(codes >= 0)
    deg = s.vdeg_out
    parents = np.flatnonzero(deg >= 2)
    pairs_per = deg[parents] * (deg[parents] - 1) // 2
    total_pairs = int(pairs_per.sum())
    order = rng.permutation(len(parents))
    chosen, acc = [], 0
    for i in order:  # pick parents at random until the pair budget is met
        if acc + pairs_per[i] > parents_budget_pairs and chosen:
            continue
        chosen.append(i)
        acc += int(pairs_per[i])
        if acc >= parents_budget_pairs * 0.9:
            break
    chosen = np.asarray(chosen)
    p = parents[chosen]
    with Timer() as t:
        hits = 0
        n_pairs = 0
        for lo in range(0, len(p), 2000):
            blk = p[lo : lo + 2000]
            B, ii, jj = _block_pairs(deg[blk])
            start = s.vch_indptr[blk]
            a = s.vch_indices[start[B] + ii]
            b = s.vch_indices[start[B] + jj]
            hits += int((codes[a] == codes[b]).sum())
            n_pairs += len(a)
    return {"parents": len(p), "pairs": n_pairs, "mean": hits / n_pairs, "wall_s": t.wall, "cpu_s": t.cpu,
            "total_pairs": total_pairs, "subset_parents": p}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=Path("benchmarks/out"),
                    help="folder for the generated Hub and snapshot (default benchmarks/out)")
    ap.add_argument("--snapshot", type=Path, help="use this existing snapshot instead of generating one")
    ap.add_argument("--n", type=int, default=2_000_000, help="models in the synthetic Hub")
    ap.add_argument("--naive-pairs", type=int, default=20_000_000, help="sibling pairs enumerated naively")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)

    import hftree
    from hftree._random import check_random_state
    from hftree.drift import mutation_rates
    from hftree.traits import DEFAULT_TRAITS, inheritance
    from hftree.traits.encode import encode_trait
    from hftree.traits.kinship import DEFAULT_RELATIONS, KinshipStructure
    from hftree.traits.measures import MEASURES
    from hftree.traits.registry import get_trait
    from hftree.traits.resemblance import _aggregate, _siblings_grouped

    out: dict = {"n_models": args.n, "traits": list(DEFAULT_TRAITS)}
    with Timer() as t:
        snap = hftree.load_snapshot(args.snapshot) if args.snapshot else snapshot(args.cache, args.n)
    out["n_models"] = len(snap.models)
    out["load_s"] = round(t.wall, 2)
    with Timer() as t:
        G = hftree.LineageGraph.from_snapshot(snap, warn=False)
    out["graph_s"] = round(t.wall, 2)
    out["edges"] = int(G.n_edges)
    out["rss_before_gb"] = round(_rss_gb(), 2)

    with Timer() as t_inh:
        res = inheritance(snap, G, traits=DEFAULT_TRAITS, samples=10_000, random_state=0)
    with Timer() as t_mut:
        mut = mutation_rates(snap, G, traits=DEFAULT_TRAITS, random_state=0)
    out["inheritance_wall_s"] = round(t_inh.wall, 2)
    out["inheritance_cpu_s"] = round(t_inh.cpu, 2)
    out["mutation_wall_s"] = round(t_mut.wall, 2)
    out["mutation_cpu_s"] = round(t_mut.cpu, 2)
    out["total_wall_s"] = round(t_inh.wall + t_mut.wall, 2)
    out["total_cpu_s"] = round(t_inh.cpu + t_mut.cpu, 2)
    out["peak_rss_gb"] = round(_rss_gb(), 2)
    tab = res.table
    out["exact_rows"] = tab.groupby("kinship")["exact"].all().to_dict()
    out["sibling_pairs_exact"] = {r.trait: int(r.n_pairs) for r in tab[tab.kinship == "siblings"].itertuples()}

    # grouped (exact) siblings of the licence alone vs naive enumeration
    models = snap.models
    enc = encode_trait(models, get_trait("license")).at_nodes(np.arange(len(models)), G.n_nodes)
    struct = KinshipStructure(G, DEFAULT_RELATIONS)
    view = struct.restrict(enc.valid)
    with Timer() as t_grp:
        s, w, a = _siblings_grouped(view, enc, MEASURES["equality"], 10**9)
        _, _, _, grouped_mean, _, grouped_pairs = _aggregate(s, w, a, ci="cluster", family_of=None)
    naive = naive_siblings(G, enc.codes, DEFAULT_RELATIONS, args.naive_pairs, check_random_state(0))
    subset = np.isin(a, naive.pop("subset_parents"))
    subset_mean = float((w[subset] * s[subset]).sum() / w[subset].sum())
    rate = naive["pairs"] / naive["wall_s"]
    extrapolated = naive["total_pairs"] / rate
    out["siblings_license"] = {
        "grouped_wall_s": round(t_grp.wall, 3), "grouped_mean": grouped_mean, "pairs": int(grouped_pairs),
        "naive_subset": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in naive.items()},
        "naive_subset_mean_matches_grouped": bool(abs(subset_mean - naive["mean"]) < 1e-12),
        "naive_pairs_per_s": round(rate),
        "naive_extrapolated_s": round(extrapolated, 1),
        "speedup_vs_naive": round(extrapolated / t_grp.wall),
    }
    print(json.dumps(out, indent=1, default=str))
    print(res)
    print(mut)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
