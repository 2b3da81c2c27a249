"""``fetch_dump``: whole-Hub dumps from dataset repositories on the local stand-in, through
huggingface_hub: by commit and by date, with faults, killed and resumed, and from a local file."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hftree.errors import HubError, ParameterError, SnapshotError, UsageError
from hftree.ingest import import_sources, load_snapshot
from hftree.ingest.hub import fetch_dump
from hftree.testing import FaultPlan
from tests.ingest.hub.conftest import assert_same_tables, cli_env
from tests.ingest.test_dumps import _hub_stats, _librarian, _records


def _parquet(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, row_group_size=500)
    return sink.getvalue().to_pybytes()


@pytest.fixture(scope="module")
def dumps(shared):
    recs = _records(shared, "hub-families") + _records(shared, "smollm2-tree")
    full = _hub_stats(recs)
    return {"old": _parquet(full.slice(0, 1000)), "new": _parquet(full), "recs": recs}


@pytest.fixture
def dump_hub(make_hub, dumps):
    hub = make_hub()
    hub.add_dataset_commit("cfahlgren1/hub-stats", {"models.parquet": dumps["old"], "README.md": "# hub-stats"},
                           date="2025-01-10T04:00:00Z")
    hub.add_dataset_commit("cfahlgren1/hub-stats", {"models.parquet": dumps["new"]}, date="2025-01-11T04:00:00Z")
    return hub


def _expected(tmp_path, data: bytes, name: str = "models.parquet"):
    path = tmp_path / "expected" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return import_sources([path])


def test_newest_commit_by_default_same_as_importing_the_file(dump_hub, dumps, tmp_path, fast):
    snap = fetch_dump(tmp_path / "snap", dump="hub-stats", endpoint=dump_hub.endpoint, token=False,
                      cache_dir=tmp_path / "cache", retry=fast, progress=False)
    assert_same_tables(snap, _expected(tmp_path, dumps["new"]), cards=False)
    f = snap.manifest["fetch"]
    newest = dump_hub._datasets["cfahlgren1/hub-stats"].commits[-1]["sha"]
    assert f["repo"] == "cfahlgren1/hub-stats" and f["commit"] == newest
    assert f["files"] == [{"path": "models.parquet", "bytes": len(dumps["new"])}]
    assert snap.snapshot_time == snap.snapshot_time.tz_convert("UTC") and str(snap.snapshot_time.date()) == "2025-01-11"
    # cached: a second fetch of the same commit downloads nothing
    gets = dump_hub.stats.by_kind["dataset_get"]
    fetch_dump(tmp_path / "again", dump="hub-stats", endpoint=dump_hub.endpoint, token=False,
               cache_dir=tmp_path / "cache", retry=fast, progress=False)
    assert dump_hub.stats.by_kind["dataset_get"] == gets


def test_date_and_revision_pick_an_older_commit(dump_hub, dumps, tmp_path, fast):
    kw = dict(endpoint=dump_hub.endpoint, token=False, cache_dir=tmp_path / "cache", retry=fast, progress=False)
    by_date = fetch_dump(tmp_path / "d", dump="hub-stats", date="2025-01-10", **kw)
    first = dump_hub._datasets["cfahlgren1/hub-stats"].commits[0]["sha"]
    assert by_date.manifest["fetch"]["commit"] == first and len(by_date.models) == 1000
    by_rev = fetch_dump(tmp_path / "r", dump="hub-stats", revision=first, **kw)
    assert_same_tables(by_rev, by_date, cards=False)
    with pytest.raises(HubError, match="no commit on or before 2024-12-31"):
        fetch_dump(tmp_path / "x", dump="hub-stats", date="2024-12-31", **kw)
    with pytest.raises(UsageError):
        fetch_dump(tmp_path / "x", dump="hub-stats", date="2025-01-10", revision=first, **kw)
    with pytest.raises(ParameterError, match="YYYY-MM-DD"):
        fetch_dump(tmp_path / "x", dump="hub-stats", date="last tuesday", **kw)
    with pytest.raises(SnapshotError, match="already exists"):
        fetch_dump(tmp_path / "d", dump="hub-stats", **kw)


def test_configurable_repo_weekly_folders_and_card_shards(make_hub, dumps, shared, tmp_path, fast):
    hub = make_hub()
    hub.add_dataset_commit("mirror/weekly", {"models/2024-07-24/models.parquet": dumps["old"],
                                             "models/2024-07-31/models.parquet": dumps["new"]})
    kw = dict(endpoint=hub.endpoint, token=False, cache_dir=tmp_path / "cache", retry=fast, progress=False)
    newest = fetch_dump(tmp_path / "w", dump="weekly", repo="mirror/weekly", **kw)
    assert len(newest.models) == len(dumps["recs"]) and str(newest.snapshot_time.date()) == "2024-07-31"
    week = fetch_dump(tmp_path / "w1", dump="weekly", repo="mirror/weekly", date="2024-07-24", **kw)
    assert len(week.models) == 1000
    with pytest.raises(HubError, match="no weekly snapshot for 2024-08-07; the nearest are 2024-07-31"):
        fetch_dump(tmp_path / "w2", dump="weekly", repo="mirror/weekly", date="2024-08-07", **kw)
    lib = _librarian(dumps["recs"], {})
    hub.add_dataset_commit("mirror/cards", {"data/train-00000-of-00002.parquet": _parquet(lib.slice(0, 1300)),
                                            "data/train-00001-of-00002.parquet": _parquet(lib.slice(1300)),
                                            "README.md": "cards"})
    cards = fetch_dump(tmp_path / "c", dump="cards", repo="mirror/cards", **kw)
    assert len(cards.models) == len(dumps["recs"]) and len(cards.manifest["fetch"]["files"]) == 2
    with pytest.raises(HubError, match="refused"):
        fetch_dump(tmp_path / "c2", dump="cards", **kw)  # the default repository is not on this Hub


def test_faults_do_not_change_the_result(dump_hub, dumps, tmp_path, fast):
    dump_hub.faults = FaultPlan(every=2, kinds=("500", "reset", "429", "502"), paths=("info", "resolve"))
    snap = fetch_dump(tmp_path / "snap", dump="hub-stats", endpoint=dump_hub.endpoint, token=False,
                      cache_dir=tmp_path / "cache", retry=fast, progress=False)
    assert_same_tables(snap, _expected(tmp_path, dumps["new"]), cards=False)
    assert sum(dump_hub.stats.faults.values()) >= 2


def test_local_file_works_the_same_way(dumps, tmp_path):
    path = tmp_path / "local" / "models.parquet"
    path.parent.mkdir()
    path.write_bytes(dumps["new"])
    snap = fetch_dump(tmp_path / "snap", dump=str(path), progress=False)
    assert snap.manifest["fetch"]["dump"] == "local" and len(snap.models) == len(dumps["recs"])
    with pytest.raises(ParameterError, match="hub-stats, weekly, cards"):
        fetch_dump(tmp_path / "x", dump=str(tmp_path / "missing.parquet"))


# huggingface_hub writes a download to disk every DOWNLOAD_CHUNK_SIZE (10 MB); the test file is smaller,
# so the child writes every 32 KB, as it would for a real 1.4 GB dump
_CHILD = """
import sys
import huggingface_hub.constants
huggingface_hub.constants.DOWNLOAD_CHUNK_SIZE = 32 * 1024
from hftree.ingest.hub import fetch_dump, RetryPolicy
fetch_dump(sys.argv[1], dump="hub-stats", cache_dir=sys.argv[2], token=False, progress=False,
           retry=RetryPolicy(max_retries=4, backoff=0.01, max_backoff=0.05, timeout=5))
"""


@pytest.mark.slow
def test_killed_mid_download_then_resumed_with_a_range_request(dump_hub, dumps, tmp_path, fast):
    expected = _expected(tmp_path, dumps["new"])
    dump_hub.faults = FaultPlan(delay=0.03)  # every 16 KB chunk of the file comes 30 ms apart
    out, cache = tmp_path / "snap", tmp_path / "cache"
    env = cli_env(dump_hub, tmp_path / "home")
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(out), str(cache)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while dump_hub.stats.by_kind["dataset_get"] < 1:
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(0.3)  # part of the body is on disk
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL and not out.exists()
    parts = list(cache.rglob("*.part"))
    assert parts and 0 < parts[0].stat().st_size < len(dumps["new"]), "the kill should leave a partial download"
    dump_hub.faults = FaultPlan()
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(out), str(cache)], env=env, capture_output=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert dump_hub.stats.by_kind["range"] >= 1  # resumed, not downloaded again from the start
    assert_same_tables(load_snapshot(out), expected, cards=False)
