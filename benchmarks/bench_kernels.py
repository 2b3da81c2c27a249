"""Scale benchmark of hftree.kernels: n = 10,000 items, 8 models, k = 10.

Runs the full pipeline that ``hftree kernels`` runs -- kNN data kernels of every
model, the omnibus embedding of all 8 kernels (dimension by the Zhu–Ghodsi elbow),
model distances and the classical-MDS model manifold, and per-datum tests (each
model against the first, parametric bootstrap) -- on synthetic embeddings, and prints
wall time per stage and the peak resident memory of the process.

    python benchmarks/bench_kernels.py                 # the acceptance configuration
    python benchmarks/bench_kernels.py --n 2000 --bootstraps 50 --pairs all

The embeddings are synthetic but shaped like real ones: 10,000 items in 40 clusters of
unequal sizes and spreads in a 64-dimensional space, seen by 8 "models" that apply
their own random linear map to 32 ... 384 dimensions and add their own amount of noise.
Defaults are those of ``hftree kernels`` (each model tested against the first, 20
bootstrap draws per test).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hftree.kernels import compare_embeddings


def synthetic_embeddings(n: int, n_models: int, seed: int) -> dict[str, np.ndarray]:
    """``n_models`` noisy linear views of one clustered 64-d point cloud."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, 64)) * 3.0
    cluster = rng.choice(40, size=n, p=rng.dirichlet(np.ones(40)))
    spread = rng.uniform(0.5, 2.0, size=40)[cluster, None]
    base = centres[cluster] + spread * rng.normal(size=(n, 64))
    widths = [32, 64, 128, 384, 32, 64, 128, 384]
    out = {}
    for m in range(n_models):
        width = widths[m % len(widths)]
        noise = 0.25 * (m + 1)
        view = base @ rng.normal(size=(64, width)) / 8.0
        out[f"model_{m}"] = view + noise * rng.normal(size=view.shape)
    return out


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="data items (default 10000)")
    parser.add_argument("--models", type=int, default=8, help="models (default 8)")
    parser.add_argument("--k", type=int, default=10, help="neighbours (default 10)")
    parser.add_argument("--bootstraps", type=int, default=20, help="bootstrap draws per test (20)")
    parser.add_argument("--pairs", default="first", choices=["first", "all", "none"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    embeddings = synthetic_embeddings(args.n, args.models, args.seed)
    generate = time.perf_counter() - start
    rss_inputs = peak_rss_mb()

    load_before = os.getloadavg()
    cpu_start = time.process_time()
    start = time.perf_counter()
    result = compare_embeddings(
        embeddings,
        k=args.k,
        pairs=args.pairs,
        n_boot=args.bootstraps,
        random_state=args.seed,
    )
    total = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    rss = peak_rss_mb()

    report = {
        "n_items": args.n,
        "n_models": args.models,
        "k": args.k,
        "widths": [int(e.shape[1]) for e in embeddings.values()],
        "omnibus_dimension": result.omnibus.n_components_,
        "pairs_tested": len(result.tests),
        "n_boot": args.bootstraps,
        "seconds": {name: round(value, 2) for name, value in result.timings.items()},
        "pipeline_seconds": round(total, 2),
        "pipeline_cpu_seconds": round(cpu, 2),
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "generate_inputs_seconds": round(generate, 2),
        "peak_rss_mb": round(rss, 1),
        "peak_rss_inputs_mb": round(rss_inputs, 1),
        "moved_items": {f"{t.model_a} vs {t.model_b}": t.n_moved for t in result.tests},
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
    }
    print(f"hftree.kernels benchmark: n={args.n}, models={args.models}, k={args.k}")
    for name, value in result.timings.items():
        print(f"  {name:<10} {value:8.2f} s")
    print(f"  {'total':<10} {total:8.2f} s   (limit 60 s; {cpu:.1f} s of CPU)")
    print(f"  peak RSS   {rss:8.1f} MB  (limit 4096 MB; {rss_inputs:.1f} MB after making the inputs)")
    print(
        f"  omnibus dimension {result.omnibus.n_components_}; {len(result.tests)} pair(s) tested "
        f"with B={args.bootstraps}"
    )
    print(result.manifold.embedding_.round(3).to_string())
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
