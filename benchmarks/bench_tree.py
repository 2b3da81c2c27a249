"""Benchmark of the interactive tree page: size, build time, time to a drawn state in headless Chromium.

    python benchmarks/bench_tree.py --cache /tmp/bench-tree [--n 50000] [--runs 3] [--full]

Generates a synthetic family of ``--n`` descendants (cached as Parquet under
``--cache``), renders it with :func:`hftree.viz.tree.tree_html` at the default
node budget (and, with ``--full``, with every model drawn), opens each page in
headless Chromium (``/usr/bin/chromium`` driven by Playwright, every network
request blocked and counted) and reports the median time from navigation to
``document.body.dataset.drawn`` (the first frame, graph labels included) and
the number of labels drawn there. Also renders the real SmolLM2 and
Llama-2-7b-chat-hf families when ``$HFTREE_SHARED_DATA`` (default ../shared/data)
has them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hftree.lineage import LineageGraph  # noqa: E402
from hftree.viz.tree import tree_html  # noqa: E402

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def synthetic_family(n: int, random_state: int, cache: Path) -> LineageGraph:
    """One root with ``n`` descendants (same generator as tests/viz/test_browser.py), cached."""
    mpath, epath = (
        cache / f"family-{n}-{random_state}-models.parquet",
        cache / f"family-{n}-{random_state}-edges.parquet",
    )
    if not (mpath.exists() and epath.exists()):
        rng = np.random.default_rng(random_state)
        i = np.arange(1, n + 1)
        parent = np.where(i < 50, 0, np.floor(i * rng.random(n) ** 3)).astype(np.int64)
        ids = np.array(
            ["org/root"]
            + [f"user{u}/model-{k}" for u, k in zip(rng.integers(0, 5000, n), i, strict=True)]
        )
        rel = rng.choice(
            ["finetune", "adapter", "quantized", "merge"], size=n, p=[0.36, 0.42, 0.2, 0.02]
        )
        models = pd.DataFrame(
            {
                "id": ids,
                "author": [m.split("/")[0] for m in ids],
                "downloads": (rng.pareto(1.2, n + 1) * 10).astype(np.int64),
                "likes": rng.poisson(1, n + 1),
                "created_at": pd.Timestamp("2024-01-01", tz="UTC")
                + pd.to_timedelta(np.arange(n + 1) * 600, unit="s"),
                "license": rng.choice(["apache-2.0", "mit", "llama3", None], n + 1),
                "pipeline_tag": rng.choice(["text-generation", "text-classification", None], n + 1),
            }
        )
        edges = pd.DataFrame({"parent": ids[parent], "child": ids[1:], "relation": rel})
        cache.mkdir(parents=True, exist_ok=True)
        models.to_parquet(mpath, index=False)
        edges.to_parquet(epath, index=False)
    return LineageGraph.from_tables(
        pd.read_parquet(mpath), pd.read_parquet(epath), snapshot_time="2025-07-01"
    )


def time_in_browser(path: Path, runs: int, chromium: str) -> dict:
    from playwright.sync_api import sync_playwright

    walls, inpage, blocked, labels = [], [], [], []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as pw:
        for _ in range(runs):  # a fresh browser and profile per run: no warm cache
            with tempfile.TemporaryDirectory() as profile:
                ctx = pw.chromium.launch_persistent_context(
                    profile,
                    executable_path=chromium,
                    headless=True,
                    args=FLAGS,
                    viewport={"width": 1400, "height": 900},
                )
                ctx.route("**/*", route)
                page = ctx.new_page()
                t0 = time.perf_counter()
                page.goto(path.as_uri(), timeout=300_000)
                page.wait_for_function(
                    "document.body.dataset.drawn === '1'", timeout=300_000, polling=20
                )
                walls.append(time.perf_counter() - t0)
                inpage.append(page.evaluate("performance.now()") / 1000)
                labels.append(page.evaluate("window.__hftreeLabels().length"))
                ctx.close()
    return {
        "drawn_s_median": statistics.median(walls),
        "drawn_s_runs": [round(w, 3) for w in walls],
        "page_clock_s_median": statistics.median(inpage),
        "requests_blocked": len(blocked),
        "labels_drawn": labels[-1],
    }


def bench(name: str, G: LineageGraph, root: str, runs: int, chromium: str, out: Path, **kw) -> dict:
    t0 = time.perf_counter()
    page = tree_html(G, root, **kw)
    build = time.perf_counter() - t0
    path = page.save(out / f"{name}.html")
    row = {
        "case": name,
        "models": page.models,
        "nodes_drawn": page.n_nodes,
        "edges_drawn": page.n_edges,
        "folded": page.collapsed,
        "html_mb": round(path.stat().st_size / 1e6, 3),
        "build_s": round(build, 3),
    }
    row.update(time_in_browser(path, runs, chromium))
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--cache", required=True, type=Path, help="folder for the generated family and pages"
    )
    ap.add_argument("--n", type=int, default=50_000, help="descendants of the synthetic family")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--full", action="store_true", help="also time the page with every model drawn")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--json", type=Path, help="write the results here as JSON")
    args = ap.parse_args(argv)
    rows = []
    shared = Path(os.environ.get("HFTREE_SHARED_DATA", ROOT.parent / "shared" / "data"))
    smol = shared / "smollm2-tree" / "models.jsonl.gz"
    if smol.exists():
        from hftree.ingest import import_sources

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the dump's data-quality notes are not what is measured
            snap = import_sources([smol])
        G = LineageGraph.from_snapshot(snap, warn=False)
        rows.append(
            bench("smollm2", G, "HuggingFaceTB/SmolLM2-1.7B", args.runs, args.chromium, args.cache)
        )
    hub = shared / "hub-families" / "models.jsonl.gz"
    if hub.exists():
        from hftree.ingest import import_sources

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            snap = import_sources([hub])
        G = LineageGraph.from_snapshot(snap, warn=False)
        rows.append(bench("llama2-7b-chat", G, "meta-llama/Llama-2-7b-chat-hf", args.runs, args.chromium, args.cache))
    G = synthetic_family(args.n, 0, args.cache)
    rows.append(bench(f"synthetic-{args.n}", G, "org/root", args.runs, args.chromium, args.cache))
    if args.full:
        rows.append(
            bench(
                f"synthetic-{args.n}-all-drawn",
                G,
                "org/root",
                1,
                args.chromium,
                args.cache,
                max_nodes=args.n + 1,
            )
        )
    frame = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(frame.drop(columns=["drawn_s_runs"]).to_string(index=False))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
