"""Core scale benchmark: 2 M-model Hub-shaped JSONL.gz → import → lineage graph → family table.

    python benchmarks/bench_core.py [--models 2000000] [--cache DIR] [--skip-networkx]

Prints one table of wall times, peak RSS and the ratios, all measured in this one run:
against a straightforward networkx implementation (DiGraph with node attributes,
``nx.descendants`` per root) and against the time DuckDB needs just to read the
file (``read_json`` with explicit columns), which is near the floor for this work.
The input is generated once (seeded) and cached.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=2_000_000)
    ap.add_argument("--cache", default="benchmarks/out")
    ap.add_argument("--skip-networkx", action="store_true")
    ap.add_argument("--json", help="also write the results as JSON here")
    ap.add_argument("--irregular", type=int, default=0, metavar="N",
                    help="also import a copy of the input where N records have a field of an odd JSON type "
                         "(picked out and normalised by the Python reader), and time the Python reader on it")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    src = cache / f"hub-{args.models}.jsonl.gz"
    from hftree.datasets import write_synthetic_hub

    if not src.exists():
        t = time.perf_counter()
        write_synthetic_hub(src, args.models, random_state=0)
        print(f"generated {src} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    res: dict[str, float | int | str] = {"models": args.models, "file_mb": round(src.stat().st_size / 1e6, 1),
                                          "cpus": os.cpu_count() or 1}

    import duckdb

    res["load_average_at_start"] = round(os.getloadavg()[0], 2)
    con = duckdb.connect()
    t = time.perf_counter()
    c = time.process_time()
    n = con.sql(
        f"SELECT count(*), sum(len(tags)) FROM read_json('{src}', format='newline_delimited', columns="
        "{id: 'VARCHAR', author: 'VARCHAR', createdAt: 'VARCHAR', lastModified: 'VARCHAR', downloads: 'BIGINT', "
        "likes: 'BIGINT', pipeline_tag: 'VARCHAR', library_name: 'VARCHAR', tags: 'VARCHAR[]', cardData: 'JSON', "
        "safetensors: 'JSON'})"
    ).fetchall()[0]
    res["duckdb_read_s"] = time.perf_counter() - t
    res["duckdb_read_cpu_s"] = time.process_time() - c
    con.close()
    assert n[0] == args.models

    from hftree.families import family_stats
    from hftree.ingest import import_sources
    from hftree.lineage import LineageGraph

    t = time.perf_counter()
    c = time.process_time()
    snap = import_sources([src], snapshot_time="2025-07-01T00:00:00Z")
    res["import_s"] = time.perf_counter() - t
    res["import_cpu_s"] = time.process_time() - c
    t = time.perf_counter()
    snap.save(cache / "snap", overwrite=True)
    res["snapshot_write_s"] = time.perf_counter() - t
    t = time.perf_counter()
    c = time.process_time()
    G = LineageGraph.from_snapshot(snap)
    res["graph_s"] = time.perf_counter() - t
    t = time.perf_counter()
    fam = family_stats(G)
    res["family_table_s"] = time.perf_counter() - t
    res["graph_plus_families_cpu_s"] = time.process_time() - c
    res["graph_plus_families_s"] = res["graph_s"] + res["family_table_s"]
    res["edges"] = G.n_edges
    res["families"] = len(fam)
    res["largest_family"] = int(fam["descendants"].max())
    res["peak_rss_mb_hftree"] = round(rss_mb())

    if args.irregular:  # before networkx: its millions of Python objects would slow the cyclic GC down
        _irregular(src, args.irregular, res)
    if not args.skip_networkx:
        import networkx as nx

        models = snap.models
        edges = G.edge_frame()
        del G, fam
        gc.collect()
        t = time.perf_counter()
        D = nx.DiGraph()
        cols = ["author", "created_at", "downloads", "likes", "license"]
        D.add_nodes_from(
            (mid, dict(zip(cols, vals, strict=True)))
            for mid, *vals in zip(models["id"].tolist(), *(models[c].tolist() for c in cols), strict=True)
        )
        D.add_edges_from(
            (a, b, {"relation": r})
            for a, b, r in zip(edges["parent"].tolist(), edges["child"].tolist(), edges["relation"].tolist(),
                               strict=True)
        )
        rows = []
        for r in D.nodes:
            if D.in_degree(r) == 0 and D.out_degree(r) > 0:
                desc = nx.descendants(D, r)
                rows.append((r, len(desc), D.out_degree(r)))
        res["networkx_graph_plus_descendants_s"] = time.perf_counter() - t
        res["networkx_families"] = len(rows)
        res["ratio_networkx_over_hftree"] = res["networkx_graph_plus_descendants_s"] / res["graph_plus_families_s"]
    res["ratio_import_over_duckdb_read"] = res["import_s"] / res["duckdb_read_s"]
    res["peak_rss_mb_process"] = round(rss_mb())
    res["load_average_at_end"] = round(os.getloadavg()[0], 2)
    width = max(map(len, res))
    for k, v in res.items():
        print(f"{k:<{width}}  {v:.2f}" if isinstance(v, float) else f"{k:<{width}}  {v}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))
    return 0


def _irregular(src: Path, n_odd: int, res: dict) -> None:
    """Import a copy of ``src`` with ``n_odd`` evenly spread irregular records, and read it with the
    Python reader alone (what a single odd record used to cost), in the same run."""
    import orjson

    from hftree.ingest.jsonl import open_jsonl

    odd = src.with_name(src.name.replace(".jsonl.gz", f"-odd{n_odd}.jsonl.gz"))
    if not odd.exists():
        from isal import igzip

        every = max(1, res["models"] // n_odd)
        tmp = odd.with_suffix(".tmp")
        with open_jsonl(src) as fin, igzip.open(tmp, "wb", compresslevel=1) as fout:
            for i, line in enumerate(fin):
                if i % every == every // 2:
                    rec = orjson.loads(line)
                    card = rec.get("cardData") or {}
                    card["language"] = ["en", 1]  # a number in a list of languages
                    rec["cardData"] = card
                    rec["downloads"] = str(rec.get("downloads", 0))  # a number written as a string
                    line = orjson.dumps(rec) + b"\n"
                fout.write(line)
        tmp.rename(odd)
    # each in a fresh interpreter, as a user would run it (this process holds the 2 M-model snapshot)
    code = ("import sys, time; from hftree.ingest import import_sources; from hftree.ingest.jsonl import read_jsonl; "
            "t = time.perf_counter(); r = import_sources([sys.argv[2]]).data_quality['ignored_values'] "
            "if sys.argv[1] == 'import' else read_jsonl(sys.argv[2])[3]; print(time.perf_counter() - t, r)")

    def timed(what: str) -> tuple[float, int]:
        out = subprocess.run([sys.executable, "-W", "ignore", "-c", code, what, str(odd)], check=True,
                             capture_output=True, text=True).stdout.split()
        return float(out[0]), int(out[1])

    res["irregular_records"] = n_odd
    res["import_with_irregular_s"], res["ignored_values_reported"] = timed("import")
    res["python_reader_s"], _ = timed("python-reader")
    res["ratio_python_reader_over_import_with_irregular"] = res["python_reader_s"] / res["import_with_irregular_s"]


if __name__ == "__main__":
    sys.exit(main())
