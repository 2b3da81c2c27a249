"""Listing throughput of ``hftree fetch`` against the local Hub stand-in.

    python benchmarks/bench_fetch.py [--models 100000] [--page-size 1000] [--cache DIR] [--json FILE]

The stand-in (``python -m hftree.testing.fake_hub``) runs in its own process, so the
server and the client each have a core, and serves ``--models`` synthetic Hub
records (``hftree.datasets.synthetic_hub``, seeded; generated once and cached under
``--cache``) with ``--page-size`` models per page, as the Hub does (1,000). One run
measures, in this order:

* ``server floor``: every page fetched with a bare HTTP client, bytes only -- what
  the stand-in can deliver at most (the client cannot be faster than this);
* ``list_models``: ``HfApi.list_models(expand=FETCH_EXPAND)`` iterated to the end
  (HTTP, JSON, huggingface_hub's ``ModelInfo``);
* ``fetch``: ``hftree.ingest.hub.fetch`` end to end -- listing, conversion to API
  records, checkpoints, normalisation (``import_sources``) and the atomic snapshot
  write;
* ``fetch, faults``: the same with a fault on every 7th request (429, 5xx, dropped
  connection, slow answer) and short backoff.

Target (issue 3): ``fetch`` >= 2,000 models/s. The load average is printed because the
machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path


def start_hub(records: Path, page_size: int, fault_every: int = 0) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hftree.testing.fake_hub",
            "--records",
            str(records),
            "--page-size",
            str(page_size),
            "--fault-every",
            str(fault_every),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()  # "endpoint http://127.0.0.1:PORT models N"
    if not line.startswith("endpoint "):
        proc.kill()
        raise RuntimeError(f"the stand-in did not start: {line!r}")
    return proc, line.split()[1]


def stop_hub(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=100_000)
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--cache", default="benchmarks/out")
    ap.add_argument("--skip-faults", action="store_true")
    ap.add_argument("--json", help="also write the results as JSON here")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    import orjson

    from hftree.datasets import synthetic_hub
    from hftree.testing import hub_record

    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    src = cache / f"fetch-hub-{args.models}.jsonl"
    if not src.exists():
        t = time.perf_counter()
        tmp = src.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            for r in synthetic_hub(args.models, random_state=0):
                fh.write(orjson.dumps(hub_record(r)) + b"\n")
        os.replace(tmp, src)
        print(f"generated {src} in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    import httpx2
    from huggingface_hub import HfApi

    from hftree.ingest.hub import FETCH_EXPAND, RetryPolicy, fetch

    res: dict[str, object] = {
        "models": args.models,
        "page_size": args.page_size,
        "cpus": os.cpu_count() or 1,
        "load_before": os.getloadavg()[0],
    }
    work = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
    proc, endpoint = start_hub(src, args.page_size)
    os.environ["HF_ENDPOINT"] = endpoint  # huggingface_hub's own registry lookup stays on loopback
    try:
        # server floor: bytes only
        params = [("expand", e) for e in FETCH_EXPAND]
        with httpx2.Client(timeout=60) as client:
            client.get(f"{endpoint}/api/models", params=[*params, ("limit", "1")])  # warm the cache
            t = time.perf_counter()
            url, qp, pages, nbytes = f"{endpoint}/api/models", params, 0, 0
            while url:
                r = client.get(url, params=qp)
                nbytes += len(r.content)
                pages += 1
                url, qp = r.links.get("next", {}).get("url"), None
            res["floor_s"] = time.perf_counter() - t
        res["pages"], res["mb"] = pages, round(nbytes / 1e6, 1)

        api = HfApi(endpoint=endpoint, token=False)
        t = time.perf_counter()
        n = sum(1 for _ in api.list_models(expand=list(FETCH_EXPAND)))
        res["list_models_s"] = time.perf_counter() - t
        assert n == args.models

        t = time.perf_counter()
        snap = fetch(work / "snap", endpoint=endpoint, token=False, progress=False)
        res["fetch_s"] = time.perf_counter() - t
        assert len(snap.models) == args.models
        res["fetch_requests"] = snap.manifest["fetch"]["counts"]["requests"]
    finally:
        stop_hub(proc)

    if not args.skip_faults:
        proc, endpoint = start_hub(src, args.page_size, fault_every=7)
        os.environ["HF_ENDPOINT"] = endpoint
        try:
            retry = RetryPolicy(backoff=0.05, max_backoff=0.5, timeout=2.0, random_state=0)
            t = time.perf_counter()
            snap2 = fetch(work / "snap2", endpoint=endpoint, token=False, progress=False, retry=retry)
            res["fetch_faults_s"] = time.perf_counter() - t
            c = snap2.manifest["fetch"]["counts"]
            res["faults_retries"] = c["retries"]
            import pandas as pd

            pd.testing.assert_frame_equal(snap.models, snap2.models)
            res["faults_same_snapshot"] = True
        finally:
            stop_hub(proc)
    shutil.rmtree(work, ignore_errors=True)
    res["load_after"] = os.getloadavg()[0]

    m = args.models
    rows = [
        ("server floor (bytes only)", res["floor_s"]),
        ("list_models (huggingface_hub)", res["list_models_s"]),
        ("fetch (end to end)", res["fetch_s"]),
    ]
    if "fetch_faults_s" in res:
        rows.append(("fetch, fault every 7th request", res["fetch_faults_s"]))
    print(
        f"{m:,} models, {res['pages']} pages of {args.page_size}, {res['mb']} MB; {res['cpus']} CPUs, "
        f"load average {res['load_before']:.1f} -> {res['load_after']:.1f}"
    )
    print(f"{'':34s} {'seconds':>8s} {'models/s':>10s}")
    for name, s in rows:
        print(f"{name:34s} {s:8.2f} {m / s:10,.0f}")
        res[name] = round(m / s)
    res["fetch_models_per_s"] = round(m / res["fetch_s"])
    ok = res["fetch_models_per_s"] >= 2000
    print(f"target >= 2,000 models/s for fetch: {'met' if ok else 'NOT met'} ({res['fetch_models_per_s']:,})")
    if "faults_retries" in res:
        print(f"with faults: {res['faults_retries']} retries, same snapshot: {res['faults_same_snapshot']}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
