"""``hftree fetch --dump``, ``hftree import`` of a dump and ``hftree info`` on it, in-process."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hftree.cli.main import main
from hftree.ingest import load_snapshot
from hftree.testing import FakeHub
from tests.ingest.test_dumps import _hub_stats, _records


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    import huggingface_hub.utils._detect_agent as agents

    monkeypatch.setattr(agents, "_registry", {"standardEnvVars": [], "harnesses": {}})
    monkeypatch.delenv("HF_TOKEN", raising=False)


@pytest.fixture(scope="module")
def dump_bytes(shared):
    t = _hub_stats(_records(shared, "hub-families"))
    created = t.column("createdAt").to_pylist()
    created[0] = created[1] = dt.datetime(2022, 3, 2, 23, 29, 4, tzinfo=dt.UTC)  # the Hub's placeholder
    t = t.set_column(t.schema.get_field_index("createdAt"), "createdAt",
                     pa.array(created, pa.timestamp("ms", tz="UTC")))
    sink = pa.BufferOutputStream()
    pq.write_table(t, sink)
    return sink.getvalue().to_pybytes()


def _run(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_fetch_dump_then_info(capsys, tmp_path, dump_bytes):
    with FakeHub() as hub:
        sha = hub.add_dataset_commit("mirror/stats", {"models.parquet": dump_bytes}, date="2025-02-01T00:00:00Z")
        code, out, err = _run(capsys, "fetch", "--dump", "hub-stats", "--repo", "mirror/stats", "--endpoint",
                              hub.endpoint, "--cache-dir", tmp_path / "cache", "-o", tmp_path / "snap",
                              "--backoff", "0.01")
    assert code == 0, err
    assert f"from mirror/stats@{sha[:12]}" in out and "1,585 models" in out
    snap = load_snapshot(tmp_path / "snap")
    assert snap.manifest["fetch"]["commit"] == sha
    code, out, err = _run(capsys, "info", tmp_path / "snap")
    assert code == 0, err
    assert "placeholder createdAt" in out and "2" in out.split("placeholder createdAt")[1].split("\n")[0]
    assert "declarations by source   baseModels" in out
    code, out, _ = _run(capsys, "info", tmp_path / "snap", "--json")
    s = json.loads(out)
    assert s["import_quality"]["placeholder_created_at"] == 2 and s["edges_by_source"]["tag"] > 0


def test_import_of_a_dump_reports_placeholders(capsys, tmp_path, dump_bytes):
    path = tmp_path / "models.parquet"
    path.write_bytes(dump_bytes)
    code, out, err = _run(capsys, "import", path, "-o", tmp_path / "snap")
    assert code == 0, err
    assert "2 models carry the placeholder createdAt" in out


def test_fetch_dump_local_file_and_bad_options(capsys, tmp_path, dump_bytes):
    path = tmp_path / "models.parquet"
    path.write_bytes(dump_bytes)
    code, out, err = _run(capsys, "fetch", "--dump", path, "-o", tmp_path / "snap")
    assert code == 0, err
    assert f"from {path}" in out
    code, _, err = _run(capsys, "fetch", "--dump", "hub-stats", "--family", "a/b", "-o", tmp_path / "x")
    assert code != 0 and "does not combine with --family" in err
    code, _, err = _run(capsys, "fetch", "--date", "2025-01-01", "-o", tmp_path / "x")
    assert code != 0 and "go with --dump" in err
    code, _, err = _run(capsys, "fetch", "--dump", "hub-stats", "--date", "yesterday", "-o", tmp_path / "x")
    assert code != 0 and "YYYY-MM-DD" in err
    code, _, err = _run(capsys, "fetch", "--dump", "nonsense", "-o", tmp_path / "x")
    assert code != 0 and "hub-stats, weekly, cards" in err
