"""Time the history queries on the first K snapshots of a history, K = 13, 26, 52 (peak RSS per query).

    python benchmarks/make_history.py /tmp/hist --models 1000000 --snapshots 52
    python benchmarks/bench_history.py /tmp/hist [--snapshots 13 26 52] [--repeat 3]

Every (query, K) runs ``--repeat`` times, each in a fresh Python process, so the peak RSS reported is
that query's alone (``ru_maxrss`` of the child, what ``/usr/bin/time -v`` prints as "Maximum resident set
size"); wall and CPU times are the medians. The queries are restricted to the first K dates with
``dates=``, which reads exactly the files of those dates, as a history of K snapshots would:

* ``family``: :func:`hftree.history.family_series` of the largest family of date K;
* ``model``: :func:`hftree.history.model_series` of that family's root;
* ``renamed``: :func:`hftree.history.model_series` of a model renamed between date 1 and date K (it is
  then looked up by ``uid`` in the dates that lack its last id);
* ``diff``: :func:`hftree.history.diff_snapshots` of dates K-1 and K (two snapshots whatever K);
* ``churn``: :func:`hftree.history.hub_churn` over all K dates (4 weeks).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

_CHILD = r"""
import json, resource, sys, time
from hftree.history import diff_snapshots, family_series, hub_churn, model_series, open_history
path, query, k, root = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
h = open_history(path)
dates = h.dates[:k]
t0, c0 = time.perf_counter(), time.process_time()
if query == "family":
    out = len(family_series(h, root, dates=dates).table)
elif query == "model":
    out = len(model_series(h, root, dates=dates).table)
elif query == "renamed":
    out = int(model_series(h, sys.argv[5], dates=dates).table["present"].sum())
elif query == "diff":
    out = int(diff_snapshots((h, dates[-2]), (h, dates[-1])).to_frame()["count"].sum())
else:
    out = len(hub_churn(h, weeks=4, dates=dates).periods)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"wall": wall, "cpu": cpu, "rows": out,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _largest_root(path: str, k: int) -> tuple[str, int]:
    from hftree.history import open_history
    from hftree.history.query import connect, scan

    h = open_history(path)
    con = connect()
    root, n = con.execute(f"SELECT root, count(*) FROM {scan(h, 'members', [h.dates[k - 1]])} GROUP BY 1 "
                          "ORDER BY 2 DESC LIMIT 1").fetchall()[0]
    con.close()
    return root, n


def _renamed(path: str, k: int) -> str:
    from hftree.history import open_history
    from hftree.history.query import connect, scan

    h = open_history(path)
    con = connect()
    (name,) = con.execute(f"SELECT b.id FROM {scan(h, 'models', [h.dates[0]])} a JOIN "
                          f"{scan(h, 'models', [h.dates[k - 1]])} b ON a.uid = b.uid WHERE a.id <> b.id "
                          "ORDER BY b.id LIMIT 1").fetchall()[0]
    con.close()
    return name


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("history")
    ap.add_argument("--snapshots", type=int, nargs="+", default=[13, 26, 52])
    ap.add_argument("--queries", nargs="+", default=["family", "model", "renamed", "diff", "churn"])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    from hftree.history import open_history

    have = len(open_history(args.history).dates)
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[:3]
    print(f"history {args.history}: {have} snapshots; load average {load}")
    print(f"{'query':8} {'K':>3} {'wall s':>8} {'cpu s':>8} {'peak RSS MB':>12} {'rows':>9}  root")
    results = []
    for k in args.snapshots:
        if k > have:
            print(f"skipping K={k}: the history has {have} snapshots")
            continue
        root, size = _largest_root(args.history, k)
        renamed = _renamed(args.history, k)
        for q in args.queries:
            runs = []
            for _ in range(args.repeat):
                out = subprocess.run([sys.executable, "-c", _CHILD, args.history, q, str(k), root, renamed],
                                     check=True, capture_output=True, text=True)
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            row = {"query": q, "k": k, "root": root, "family_size": size,
                   "wall": statistics.median(r["wall"] for r in runs), "cpu": statistics.median(r["cpu"] for r in runs),
                   "rss_mb": max(r["rss_mb"] for r in runs), "rows": runs[0]["rows"]}
            results.append(row)
            what = renamed if q == "renamed" else f"{root} ({size:,} descendants)"
            print(f"{q:8} {k:>3} {row['wall']:8.2f} {row['cpu']:8.2f} {row['rss_mb']:12.0f} {row['rows']:>9,}  "
                  f"{what}", flush=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    t0 = time.perf_counter()
    rc = main()
    print(f"total {time.perf_counter() - t0:.0f} s; parent peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", file=sys.stderr)
    sys.exit(rc)
