"""The history store: layout, atomic adds, refusing or replacing a date, recovery after a kill."""

from __future__ import annotations

import json
import os

import pyarrow.dataset as ds
import pytest

from hftree.errors import ParameterError, SnapshotError
from hftree.history import add_snapshot, add_tables, open_history
from hftree.history import store as store_mod


def test_layout_is_one_hive_dataset_per_table(tmp_path, old_snap, new_snap):
    h = add_snapshot(tmp_path / "h", old_snap)
    h = add_snapshot(tmp_path / "h", new_snap)
    assert h.dates == ["2025-01-01", "2025-01-08"] and h.added == "2025-01-08"
    for table in ("models", "edges", "members"):
        assert sorted(p.name for p in (tmp_path / "h" / table).iterdir()) == [
            "snapshot=2025-01-01", "snapshot=2025-01-08"]
    # any Parquet engine (here pyarrow's dataset reader) sees one table with a snapshot column
    t = ds.dataset(tmp_path / "h" / "models", format="parquet", partitioning="hive").to_table()
    assert t.num_rows == len(old_snap.models) + len(new_snap.models)
    per = t.group_by("snapshot").aggregate([("id", "count")]).to_pylist()
    assert {str(r["snapshot"]): r["id_count"] for r in per} == {"2025-01-01": 9, "2025-01-08": 11}
    m = ds.dataset(tmp_path / "h" / "members", format="parquet", partitioning="hive").to_table().to_pylist()
    base = sorted((r["id"], r["downloads"]) for r in m
                  if r["root"] == "org/base" and str(r["snapshot"]) == "2025-01-01")
    assert base == [("org/ft1", 10), ("org/ft2", 7), ("org/old-name", 3), ("org/q", 4)]
    cat = json.loads((tmp_path / "h" / "history.json").read_text())
    assert cat["snapshots"]["2025-01-01"]["rows"] == {"models": 9, "edges": 5, "members": 5}
    fields = cat["snapshots"]["2025-01-01"]["fields"]
    assert "uid" in fields and "author" not in fields


def test_a_date_twice_is_refused_unless_replaced(tmp_path, old_snap, new_snap):
    add_snapshot(tmp_path / "h", old_snap)
    before = (tmp_path / "h" / "models" / "snapshot=2025-01-01" / "data.parquet").read_bytes()
    with pytest.raises(SnapshotError, match="already holds the snapshot of 2025-01-01"):
        add_snapshot(tmp_path / "h", new_snap, date="2025-01-01")
    assert (tmp_path / "h" / "models" / "snapshot=2025-01-01" / "data.parquet").read_bytes() == before
    h = add_snapshot(tmp_path / "h", new_snap, date="2025-01-01", replace=True)
    assert h.dates == ["2025-01-01"] and h.info("2025-01-01")["rows"]["models"] == 11
    assert not list((tmp_path / "h" / "models").glob(".*"))  # the set-aside old partition is gone


def test_a_failing_add_leaves_the_history_as_it_was(tmp_path, old_snap, new_snap, monkeypatch):
    add_snapshot(tmp_path / "h", old_snap)
    before = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "h").rglob("*") if p.is_file()}
    calls = []

    def broken(path, data):  # the catalogue write fails after the partitions were moved in
        calls.append(path)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_mod, "write_atomic", broken)
    for replace, snap in ((False, new_snap), (True, new_snap)):
        with pytest.raises(OSError, match="No space"):
            add_tables(tmp_path / "h", "2025-01-01" if replace else "2025-01-08", snap.models, snap.edges,
                       replace=replace)
        after = {p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "h").rglob("*") if p.is_file()}
        assert after == before
    assert len(calls) == 2
    assert open_history(tmp_path / "h").dates == ["2025-01-01"]


def test_an_add_killed_mid_replace_is_undone_on_open(tmp_path, old_snap):
    add_snapshot(tmp_path / "h", old_snap)
    part = tmp_path / "h" / "edges" / "snapshot=2025-01-01"
    os.replace(part, part.with_name(".snapshot=2025-01-01.old"))  # where a kill between the renames leaves it
    assert open_history(tmp_path / "h").dates == ["2025-01-01"]
    assert (part / "data.parquet").exists()


def test_unlisted_partitions_are_ignored_then_cleared(tmp_path, old_snap, new_snap):
    h = add_snapshot(tmp_path / "h", old_snap)
    orphan = tmp_path / "h" / "models" / "snapshot=2025-01-08"
    orphan.mkdir()
    (orphan / "data.parquet").write_bytes(b"half")
    assert open_history(tmp_path / "h").dates == ["2025-01-01"]
    assert h.files("models") == [str(tmp_path / "h" / "models" / "snapshot=2025-01-01" / "data.parquet")]
    h = add_snapshot(tmp_path / "h", new_snap)
    assert h.dates == ["2025-01-01", "2025-01-08"] and (orphan / "data.parquet").read_bytes()[:4] == b"PAR1"


def test_concurrent_adds_are_refused(tmp_path, old_snap, new_snap):
    add_snapshot(tmp_path / "h", old_snap)
    (tmp_path / "h" / ".lock").write_text("123")
    with pytest.raises(SnapshotError, match="another add is running"):
        add_snapshot(tmp_path / "h", new_snap)
    assert open_history(tmp_path / "h").dates == ["2025-01-01"]


def test_errors_name_the_problem(tmp_path, old_snap):
    with pytest.raises(SnapshotError, match="is not a history"):
        open_history(tmp_path / "nothing")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("x")
    with pytest.raises(SnapshotError, match="exists and is not a history"):
        add_snapshot(tmp_path / "busy", old_snap)
    with pytest.raises(ParameterError, match="YYYY-MM-DD"):
        add_snapshot(tmp_path / "h", old_snap, date="2025/01/01")
    h = add_snapshot(tmp_path / "h", old_snap)
    with pytest.raises(SnapshotError, match="no snapshot dated 2025-02-01"):
        h.check_dates(["2025-02-01"])
    (tmp_path / "h" / "history.json").write_text("{not json")
    with pytest.raises(SnapshotError, match=r"history\.json: not valid JSON"):
        open_history(tmp_path / "h")
