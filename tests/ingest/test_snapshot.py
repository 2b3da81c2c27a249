"""Snapshots on disk: round trip, atomic writes, damaged directories."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from hftree.errors import SnapshotError
from hftree.ingest import import_sources, load_snapshot
from tests.conftest import rec, write_jsonl


@pytest.fixture
def snap(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [rec("org/base", "license:mit", "en"),
                                               rec("me/ft", "base_model:finetune:org/base")])
    return import_sources([path])


def test_round_trip(snap, tmp_path):
    out = snap.save(tmp_path / "snap")
    back = load_snapshot(out)
    assert back.models.equals(snap.models)
    assert back.edges.equals(snap.edges)
    m = json.loads((out / "manifest.json").read_text())
    assert m["schema_version"] == 2 and m["counts"]["models"] == 2
    assert m["files"]["models"]["rows"] == 2 and "hftree_version" in m
    assert "2 models" in repr(back) and "<table>" in back._repr_html_()


def test_refuses_to_overwrite_unless_asked(snap, tmp_path):
    snap.save(tmp_path / "snap")
    with pytest.raises(SnapshotError, match="already exists"):
        snap.save(tmp_path / "snap")
    snap.save(tmp_path / "snap", overwrite=True)
    assert load_snapshot(tmp_path / "snap").models["id"].tolist() == ["org/base", "me/ft"]


def test_interrupted_write_leaves_nothing_loadable(snap, tmp_path, monkeypatch):
    calls = {"n": 0}
    real = pq.write_table

    def dying(table, where, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # as if Ctrl-C hit between two tables
        return real(table, where, **kw)

    monkeypatch.setattr(pq, "write_table", dying)
    with pytest.raises(KeyboardInterrupt):
        snap.save(tmp_path / "snap")
    assert not (tmp_path / "snap").exists()
    assert list(tmp_path.glob(".snap*")) == []  # temp dir cleaned up
    with pytest.raises(SnapshotError, match="not a snapshot directory"):
        load_snapshot(tmp_path / "snap")


def test_interrupted_overwrite_keeps_the_old_snapshot(snap, tmp_path, monkeypatch):
    snap.save(tmp_path / "snap")
    monkeypatch.setattr(pq, "write_table", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        snap.save(tmp_path / "snap", overwrite=True)
    assert len(load_snapshot(tmp_path / "snap").models) == 2


def test_directory_without_manifest(tmp_path):
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "models.parquet").write_bytes(b"PAR1")
    with pytest.raises(SnapshotError, match=r"has no manifest\.json"):
        load_snapshot(tmp_path / "half")


def test_row_count_mismatch_is_damage(snap, tmp_path):
    out = snap.save(tmp_path / "snap")
    m = json.loads((out / "manifest.json").read_text())
    m["files"]["models"]["rows"] = 3
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(SnapshotError, match="manifest says 3"):
        load_snapshot(out)


def test_newer_schema_version_is_refused(snap, tmp_path):
    out = snap.save(tmp_path / "snap")
    m = json.loads((out / "manifest.json").read_text())
    m["schema_version"] = 99
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(SnapshotError, match="upgrade hftree"):
        load_snapshot(out)
