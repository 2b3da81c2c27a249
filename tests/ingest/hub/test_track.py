"""``track``: an append-only store of download counts, safe against interruption."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pandas as pd
import pytest

from hftree.errors import InputFormatError, ParameterError, SnapshotError, TrackStoreError
from hftree.ingest import track as track_mod
from hftree.ingest.hub import HubError, RetryPolicy
from hftree.ingest.track import TRACK_COLUMNS, load_downloads, read_watchlist, track
from hftree.testing import FaultPlan, hub_record
from tests.ingest.hub.conftest import PY, cli_env


def models() -> list[dict]:
    return [
        hub_record(
            {
                "id": f"org/m{i}",
                "downloads": 10 * i,
                "downloadsAllTime": 100 * i,
                "likes": i,
                "tags": ["watched"] if i < 3 else [],
            }
        )
        for i in range(6)
    ]


@pytest.fixture
def hub(make_hub):
    return make_hub(models(), page_size=2)


def write_watchlist(path, *lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_runs_append_rows(hub, tmp_path, fast):
    wl = write_watchlist(
        tmp_path / "watch.txt", "# my models", "org/m4   # by id", "filter:watched", "org/gone", "", "author:org"
    )
    store = tmp_path / "store"
    r1 = track(wl, store, endpoint=hub.endpoint, token=False, retry=fast)
    assert r1.not_found == ("org/gone",)
    assert set(r1.rows["id"]) == {f"org/m{i}" for i in range(6)} | {"org/gone"}
    row = r1.rows.set_index("id").loc["org/m4"]
    assert (row["downloads"], row["downloads_all_time"], row["likes"], row["source"]) == (40, 400, 4, "org/m4")
    assert r1.rows.set_index("id").loc["org/m1", "source"] == "filter:watched"
    hub.update("org/m4", downloads=45, downloadsAllTime=460)
    r2 = track(wl, store, endpoint=hub.endpoint, token=False, retry=fast)
    df = load_downloads(store)
    assert list(df.columns) == list(TRACK_COLUMNS)
    assert len(df) == 14 and df["run_id"].nunique() == 2
    curve = df[df["id"] == "org/m4"].sort_values("time")
    assert list(curve["downloads_all_time"]) == [400, 460] and curve["time"].is_monotonic_increasing
    gone = df[df["id"] == "org/gone"]
    assert (gone["status"] == "not_found").all() and gone["downloads"].isna().all()
    index = json.loads((store / "index.json").read_text())
    assert [r["run_id"] for r in index["runs"]] == [r1.run_id, r2.run_id]
    assert index["runs"][0]["entries"][0] == "org/m4" and index["runs"][0]["rows"] == 7
    assert "org/m4" in repr(r1.to_frame().id.tolist()) and "not found" in repr(r1)
    assert (
        "&lt;"
        in track_mod.TrackRun(
            run_id="<x>", time=r1.time, store=store, rows=r1.rows, not_found=(), requests=0
        )._repr_html_()
    )


def test_track_survives_faults_and_never_writes_partial_runs(hub, tmp_path, fast):
    store = tmp_path / "store"
    ids = [f"org/m{i}" for i in range(6)]
    track(ids, store, endpoint=hub.endpoint, token=False, retry=fast)
    hub.faults = FaultPlan(every=3, kinds=("500", "reset", "429"))
    track(ids, store, endpoint=hub.endpoint, token=False, retry=fast)
    hub.faults = FaultPlan(down=True)
    with pytest.raises(HubError, match=r"did not answer GET .* after 2 attempts"):
        track(ids, store, endpoint=hub.endpoint, token=False, retry=RetryPolicy(max_retries=1, backoff=0.01, timeout=1))
    assert load_downloads(store)["run_id"].nunique() == 2  # the failed run wrote nothing
    # kill -9 in the middle of a (slow) run: nothing half-written, the next run works
    hub.faults = FaultPlan(delay=0.3)
    wl = write_watchlist(tmp_path / "w.txt", *ids)
    proc = subprocess.Popen(
        [PY, "-m", "hftree.cli.track", str(wl), "-o", str(store), "-q", "--endpoint", hub.endpoint, "--workers", "1"],
        env=cli_env(hub, tmp_path / "home"),
    )
    before = hub.stats.requests
    while hub.stats.requests < before + 3:
        assert proc.poll() is None
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    assert load_downloads(store)["run_id"].nunique() == 2
    hub.faults = FaultPlan()
    track(ids, store, endpoint=hub.endpoint, token=False, retry=fast)
    assert load_downloads(store)["run_id"].nunique() == 3


def test_a_run_committed_but_not_indexed_is_kept_and_the_index_repaired(hub, tmp_path, fast, monkeypatch):
    store = tmp_path / "store"
    track(["org/m1"], store, endpoint=hub.endpoint, token=False, retry=fast)

    def crash(*_a, **_k):
        raise KeyboardInterrupt  # interrupted between the run file's rename and the index update

    monkeypatch.setattr(track_mod, "_write_index", crash)
    with pytest.raises(KeyboardInterrupt):
        track(["org/m2"], store, endpoint=hub.endpoint, token=False, retry=fast)
    monkeypatch.undo()
    assert len(json.loads((store / "index.json").read_text())["runs"]) == 1
    assert set(load_downloads(store)["id"]) == {"org/m1", "org/m2"}  # the committed run is read
    track(["org/m3"], store, endpoint=hub.endpoint, token=False, retry=fast)
    assert len(json.loads((store / "index.json").read_text())["runs"]) == 3  # and indexed again


def test_watchlist_and_store_errors(hub, tmp_path, fast):
    bad = write_watchlist(tmp_path / "bad.txt", "org/m1", "not a model id")
    with pytest.raises(InputFormatError, match=r"bad.txt:2: 'not a model id' is not a model id"):
        read_watchlist(bad)
    with pytest.raises(InputFormatError, match=r"bad2.txt:1: author: needs a value"):
        read_watchlist(write_watchlist(tmp_path / "bad2.txt", "author:"))
    with pytest.raises(InputFormatError, match="watchlist has no entries"):
        read_watchlist(write_watchlist(tmp_path / "empty.txt", "# nothing"))
    other = tmp_path / "other"
    other.mkdir()
    (other / "data.csv").write_text("x\n")
    with pytest.raises(TrackStoreError, match="is not an hftree track store"):
        track(["org/m1"], other, endpoint=hub.endpoint, token=False, retry=fast)
    with pytest.raises(SnapshotError, match="is not an hftree track store"):  # TrackStoreError is one
        load_downloads(tmp_path / "nowhere")
    with pytest.raises(ParameterError, match="watchlist: expected at least one model id"):
        track(["  ", ""], tmp_path / "s2", endpoint=hub.endpoint, token=False, retry=fast)
    with pytest.raises(ParameterError, match="workers: expected a whole number >= 1, got 0"):
        track(["org/m1"], tmp_path / "s2", endpoint=hub.endpoint, token=False, retry=fast, workers=0)
    store = tmp_path / "store"
    track(["org/m1"], store, endpoint=hub.endpoint, token=False, retry=fast)
    with track_mod._locked(store), pytest.raises(TrackStoreError, match="another hftree track run is writing"):
        track(["org/m1"], store, endpoint=hub.endpoint, token=False, retry=fast)
    for f in (store / "runs").glob("run-*.parquet"):
        f.unlink()
    with pytest.raises(SnapshotError, match=r"listed in index\.json is missing; the store is damaged"):
        load_downloads(store)


def test_pivot_to_curves(hub, tmp_path, fast):
    store = tmp_path / "s"
    for k in range(3):
        hub.update("org/m2", downloadsAllTime=200 + 50 * k)
        track(["org/m2", "org/m5"], store, endpoint=hub.endpoint, token=False, retry=fast)
    curves = load_downloads(store).pivot(index="time", columns="id", values="downloads_all_time")
    assert list(curves["org/m2"]) == [200, 250, 300] and list(curves["org/m5"]) == [500] * 3
    assert isinstance(curves.index, pd.DatetimeIndex)
