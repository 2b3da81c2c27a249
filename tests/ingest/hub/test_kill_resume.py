"""``kill -9`` a fetch at random points, ``--resume`` it: the snapshot equals an uninterrupted run's."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import numpy as np
import pytest

from hftree.ingest import load_snapshot
from hftree.ingest.hub import fetch
from hftree.testing import FaultPlan
from tests.ingest.hub.conftest import PY, assert_same_tables, cli_env


def start(out, hub, home, *extra: str) -> subprocess.Popen:
    args = [
        PY,
        "-m",
        "hftree.cli.fetch",
        "-o",
        str(out),
        "--endpoint",
        hub.endpoint,
        "-q",
        "--checkpoint-every",
        "1",
        "--checkpoint-seconds",
        "0",
        "--backoff",
        "0.01",
        "--max-backoff",
        "0.05",
        "--timeout",
        "5",
        *extra,
    ]
    return subprocess.Popen(args, env=cli_env(hub, home), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def kill_when(hub, proc: subprocess.Popen, n_requests: int, *, settle: float = 0.0) -> None:
    """SIGKILL the fetch once the stand-in has answered ``n_requests`` requests in total."""
    deadline = time.monotonic() + 120
    while hub.stats.requests < n_requests:
        assert proc.poll() is None, f"the fetch ended before request {n_requests}: {proc.stderr.read()!r}"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    time.sleep(settle)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL  # it was still running: a real interruption


def same_result(a, b) -> None:
    assert_same_tables(a, b, cards=a.cards is not None)
    assert a.manifest["counts"] == b.manifest["counts"]
    assert a.manifest["fetch"]["query"] == b.manifest["fetch"]["query"]


@pytest.mark.slow
def test_listing_killed_at_six_points_then_resumed(real_hub, tmp_path, fast):
    baseline = fetch(tmp_path / "baseline", endpoint=real_hub.endpoint, token=False, retry=fast, progress=False)
    pages = real_hub.stats.pages
    assert pages == 53
    real_hub.reset_stats()
    real_hub.faults = FaultPlan(delay=0.02, every=11, kinds=("500", "reset"))  # slow and flaky
    out = tmp_path / "snap"
    rng = np.random.default_rng(20250704)
    points = sorted(rng.choice(np.arange(4, 50), size=5, replace=False).tolist())
    for i, point in enumerate(points):
        proc = start(out, real_hub, tmp_path / "home", *(["--resume"] if i else []))
        kill_when(real_hub, proc, point)
        assert not out.exists()  # never visible before it is complete
    # the sixth kill: after the last page, while the snapshot is being built and saved
    proc = start(out, real_hub, tmp_path / "home", "--resume")
    state = tmp_path / ".snap.fetch" / "state.json"
    deadline = time.monotonic() + 120
    while not json.loads(state.read_text())["listing"]["done"]:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL and not out.exists()
    proc = start(out, real_hub, tmp_path / "home", "--resume")
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    resumed = load_snapshot(out)
    same_result(resumed, baseline)
    assert resumed.manifest["fetch"]["resumed"] == 6
    assert not (tmp_path / ".snap.fetch").exists()
    assert not list(tmp_path.glob(".snap.tmp-*"))  # no half-written snapshot left behind


@pytest.mark.slow
def test_family_with_cards_killed_in_crawl_and_card_phases(real_hub, tmp_path, fast):
    root = "meta-llama/Llama-2-7b"  # 91 models, 91 READMEs
    baseline = fetch(
        tmp_path / "baseline",
        family=root,
        cards=True,
        cache_dir=tmp_path / "c0",
        endpoint=real_hub.endpoint,
        token=False,
        retry=fast,
        progress=False,
    )
    total = real_hub.stats.requests
    crawl = baseline.manifest["fetch"]["counts"]["family_queries"] + 1
    assert total > crawl + 150  # the card phase is the larger part
    real_hub.reset_stats()
    real_hub.faults = FaultPlan(delay=0.005)
    out = tmp_path / "snap"
    rng = np.random.default_rng(7)
    points = [
        int(rng.integers(5, crawl - 5)),
        int(rng.integers(crawl + 10, crawl + 80)),
        int(rng.integers(crawl + 100, total - 20)),
    ]
    extra = ["--family", root, "--cards", "--cache-dir", str(tmp_path / "c1")]
    for i, point in enumerate(sorted(points)):
        proc = start(out, real_hub, tmp_path / "home", *extra, *(["--resume"] if i else []))
        kill_when(real_hub, proc, point)
    proc = start(out, real_hub, tmp_path / "home", *extra, "--resume")
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    same_result(load_snapshot(out), baseline)
