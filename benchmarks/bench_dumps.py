"""Dump benchmark: a hub-stats-shaped ``models.parquet`` of 1 M and 3 M models → ``import_sources``.

    python benchmarks/bench_dumps.py [--models 1000000 3000000] [--cache /tmp/bench/dumps] [--repeat 3]
                                     [--json OUT.json]

For each size, generates the file once (``benchmarks/make_hub_dump.py``, seeded; ≥ 1 GB at 3 M) and
then, alternating, in fresh interpreters (so each peak RSS is that step's alone, as ``/usr/bin/time -v``
reports it): pyarrow's bare read of the whole file (``pq.read_table``: the floor), and the import
(``hftree.ingest.import_sources``: parse, normalise, lineage from ``baseModels``/tags/``cardData``,
provenance and disagreement counts, placeholder dates, duplicate check, the pandas model table). Prints
wall and CPU seconds, peak RSS and the ratio import / bare read, each pair measured back to back, with
the load average; checks that every ``baseModels`` edge and every tag edge of the file is in the import.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
_STEP = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
what, path = sys.argv[1], sys.argv[2]
t, c = time.perf_counter(), time.process_time()
out = {}
if what == "touch":  # the first touch of fresh memory: what this machine charges for it now
    import numpy as np
    out["rows"] = int(np.ones(int(path) // 8).size)
elif what == "pyarrow":
    import pyarrow.parquet as pq
    tab = pq.read_table(path)
    out["rows"] = tab.num_rows
else:
    from hftree.ingest import import_sources
    snap = import_sources([path])
    out["rows"] = len(snap.models)
    out["edges"] = len(snap.edges)
    out["edges_by_source"] = snap.manifest["edges_by_source"]
    dq = snap.data_quality
    out["placeholder_created_at"] = dq["placeholder_created_at"]
    out["relation_disagreements"] = dq["relation_disagreements"]
out["wall_s"] = time.perf_counter() - t
out["cpu_s"] = time.process_time() - c
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def _run(what: str, path: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    # the checkout's hftree, wherever the script is run from (not an installed copy)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", _STEP, what, str(path)], check=True, capture_output=True, text=True,
                          env=env)
    out = json.loads(proc.stdout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["process_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    out["load_average"] = round(load, 2)
    return out


def _expected(path: Path) -> dict[str, int]:
    """Distinct (parent, child) pairs of the file's ``baseModels`` and lineage tags (DuckDB, independent
    of hftree's reader), and its placeholder dates: what the import must find."""
    import duckdb

    src = f"read_parquet('{path}')"
    con = duckdb.connect()
    hub = con.sql(f"SELECT count(*) FROM (SELECT DISTINCT id, unnest(baseModels.models).id AS p FROM {src})")
    tag = con.sql(
        f"SELECT count(*) FROM (SELECT DISTINCT id, regexp_replace(t, '^base_model:((adapter|finetune|quantized|"
        f"merge):)?', '') AS p FROM (SELECT id, unnest(tags) AS t FROM {src}) WHERE starts_with(t, 'base_model:'))")
    ph = con.sql(f"SELECT count(*) FROM {src} WHERE createdAt = TIMESTAMPTZ '2022-03-02 23:29:04+00'")
    return {"baseModels": hub.fetchall()[0][0], "tag": tag.fetchall()[0][0], "placeholder": ph.fetchall()[0][0]}


#: seconds for memory freed by one step to be handed back (a VM's free page reporting waits about 2 s)
_SETTLE = 3


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, nargs="+", default=[1_000_000, 3_000_000])
    ap.add_argument("--cache", default="/tmp/bench/dumps")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="also write the results as JSON here")
    args = ap.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_hub_dump import write_dump

    results = []
    for n in args.models:
        path = cache / f"hub-stats-{n}.parquet"
        if not path.exists():
            t = time.perf_counter()
            write_dump(n, path)
            print(f"generated {path} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        expected = _expected(path)
        time.sleep(_SETTLE)
        touch = _run("touch", str(1 << 30))
        print(f"first touch of 1 GiB in a fresh interpreter: {touch['wall_s']:.2f} s", flush=True)
        time.sleep(_SETTLE)  # the touched memory goes back to the host before the pairs run
        for i in range(args.repeat):
            floor = _run("pyarrow", path)
            imp = _run("import", path)
            got = imp["edges_by_source"]
            complete = got.get("baseModels") == expected["baseModels"] and got.get("tag") == expected["tag"] \
                and imp["placeholder_created_at"] == expected["placeholder"]
            row = {"models": n, "file_gb": round(path.stat().st_size / 1e9, 3), "run": i + 1,
                   "first_touch_gib_s": round(touch["wall_s"], 3), "pyarrow": floor,
                   "import": imp, "ratio_wall": imp["wall_s"] / floor["wall_s"],
                   "ratio_cpu": imp["process_cpu_s"] / floor["process_cpu_s"], "expected": expected,
                   "all_edges_found": complete}
            results.append(row)
            print(f"{n:>9,} models {row['file_gb']:.2f} GB run {i + 1}: pyarrow {floor['wall_s']:.2f} s "
                  f"({floor['process_cpu_s']:.1f} CPU-s, {floor['peak_rss_mb']:,.0f} MB) | import "
                  f"{imp['wall_s']:.2f} s ({imp['process_cpu_s']:.1f} CPU-s, {imp['peak_rss_mb']:,.0f} MB) | "
                  f"ratio {row['ratio_wall']:.2f}x wall, {row['ratio_cpu']:.2f}x CPU | load {imp['load_average']} | "
                  f"edges complete: {complete}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
