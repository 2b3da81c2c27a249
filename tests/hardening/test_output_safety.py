"""The user's own files: --force replaces only hftree outputs, writes are old-or-new, manifests
cannot point outside their snapshot (issue 15, items 2, 3, 14, 15)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hftree._atomic import recover_dir, replace_dir
from hftree.errors import SnapshotError
from hftree.ingest import import_sources
from hftree.ingest.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def records(tmp_path: Path) -> Path:
    p = tmp_path / "in.jsonl"
    recs = [{"id": "a/m1", "createdAt": "2024-01-01T00:00:00Z"},
            {"id": "a/m2", "createdAt": "2024-02-01T00:00:00Z", "cardData": {"base_model": "a/m1"}}]
    p.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    return p


def test_force_refuses_a_directory_of_other_files(cli, records, tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    (d / "thesis.tex").write_text("years of work")
    r = cli("import", records, "-o", d, "--force", "-q")
    assert r.code == 1 and "refusing to replace" in r.err and "\n" not in r.err.strip()
    assert (d / "thesis.tex").read_text() == "years of work"


def test_force_refuses_a_regular_file(cli, records, tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("keep me")
    r = cli("import", records, "-o", f, "--force", "-q")
    assert r.code == 1 and "not a directory" in r.err
    assert f.read_text() == "keep me"


def test_force_on_the_current_directory_is_a_one_line_error(cli, records, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "other.txt").write_text("x")
    r = cli("import", records, "-o", ".", "--force", "-q")
    assert r.code == 1 and r.err.startswith("hftree: error:") and "Traceback" not in r.err
    assert (tmp_path / "other.txt").exists()


def test_force_refuses_a_symlink_to_a_snapshot(cli, records, tmp_path):
    assert cli("import", records, "-o", tmp_path / "snap", "-q").code == 0
    (tmp_path / "link").symlink_to(tmp_path / "snap")
    r = cli("import", records, "-o", tmp_path / "link", "--force", "-q")
    assert r.code == 1 and "refusing" in r.err


def test_force_replaces_a_snapshot_and_leaves_no_litter(cli, records, tmp_path):
    out = tmp_path / "snap"
    assert cli("import", records, "-o", out, "-q").code == 0
    (tmp_path / ".snap.tmp-999999999-abc").mkdir()  # litter of a killed write (no such process)
    (tmp_path / ".snap.old-999999998-abc").mkdir()
    assert cli("import", records, "-o", out, "--force", "-q").code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "snap"]
    assert len(load_snapshot(out).models) == 2


def test_replace_dir_exchanges_in_one_rename(tmp_path, monkeypatch):
    import hftree._atomic as atomic

    calls = []
    real = atomic._exchange
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: calls.append((a, b)) or real(a, b))
    out = tmp_path / "o"
    replace_dir(out, lambda t: (t / "manifest.json").write_text('{"format": "x"}'), is_ours=lambda p: True)
    replace_dir(out, lambda t: (t / "v2").write_text("2"), is_ours=lambda p: True, overwrite=True)
    assert len(calls) == 1 and (out / "v2").exists() and not (out / "manifest.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["o"]


def test_a_failed_build_leaves_the_old_directory(tmp_path):
    out = tmp_path / "o"
    replace_dir(out, lambda t: (t / "old").write_text("1"), is_ours=lambda p: True)

    def broken(t: Path) -> None:
        (t / "half").write_text("x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        replace_dir(out, broken, is_ours=lambda p: True, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["old"] and [p.name for p in tmp_path.iterdir()] == ["o"]


def test_a_kill_between_the_two_renames_is_recovered_on_load(records, tmp_path):
    out = tmp_path / "snap"
    import_sources([records]).save(out)
    script = f"""
import os, sys
import hftree._atomic as a
a._exchange = lambda x, y: False  # a file system without exchange: the two-rename fallback
real = os.rename
n = [0]
def rename(s, d):
    n[0] += 1
    real(s, d)
    if n[0] == 1:
        os._exit(9)  # killed right after moving the old snapshot aside
os.rename = rename
from hftree.ingest import import_sources
import_sources([{str(records)!r}]).save({str(out)!r}, overwrite=True)
"""
    r = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert r.returncode == 9
    assert not out.exists() and any(p.name.startswith(".snap.old-") for p in tmp_path.iterdir())
    snap = load_snapshot(out)  # the previous snapshot is put back
    assert len(snap.models) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "snap"]


def test_recover_dir_keeps_litter_of_running_processes(tmp_path):
    (tmp_path / f".s.tmp-{os.getpid()}-x").mkdir()
    assert recover_dir(tmp_path / "s") == []
    assert (tmp_path / f".s.tmp-{os.getpid()}-x").exists()


# ----------------------------------------------------------------------------- confinement, schemas
def _tamper(snap_dir: Path, **files: object) -> None:
    m = json.loads((snap_dir / "manifest.json").read_text())
    m["files"].update(files)
    (snap_dir / "manifest.json").write_text(json.dumps(m))


@pytest.mark.parametrize("where", ["dotdot", "absolute", "symlink", "subdir"])
def test_manifest_paths_are_confined_to_the_snapshot(records, tmp_path, where):
    out = tmp_path / "snap"
    import_sources([records]).save(out)
    secret = tmp_path / "other"
    secret.mkdir()
    pq.write_table(pq.read_table(out / "models.parquet"), secret / "models.parquet")
    rows = pq.read_metadata(out / "models.parquet").num_rows
    name = {"dotdot": "../other/models.parquet", "absolute": str(secret / "models.parquet"),
            "symlink": "link.parquet", "subdir": "d/models.parquet"}[where]
    if where == "symlink":
        (out / "link.parquet").symlink_to(secret / "models.parquet")
    _tamper(out, models={"file": name, "rows": rows})
    with pytest.raises(SnapshotError, match=r"leaves the snapshot|symbolic link"):
        load_snapshot(out)


@pytest.mark.parametrize(
    "files, match",
    [
        ({"models": {"file": 7, "rows": 2}}, "files.models.file"),
        ({"models": {"file": "models.parquet", "rows": "2"}}, "files.models.rows"),
        ({"models": "models.parquet"}, "files.models must be an object"),
        ({"weights": {"file": "models.parquet", "rows": 2}}, "not a table of a snapshot"),
    ],
)
def test_wrong_typed_manifest_keys_are_one_line_errors(records, tmp_path, files, match):
    out = tmp_path / "snap"
    import_sources([records]).save(out)
    _tamper(out, **files)
    with pytest.raises(SnapshotError, match=match):
        load_snapshot(out)


def test_a_models_table_with_only_id_is_refused(records, tmp_path):
    out = tmp_path / "snap"
    import_sources([records]).save(out)
    pq.write_table(pa.table({"id": ["a/m1", "a/m2"]}), out / "models.parquet")
    with pytest.raises(SnapshotError, match="lacks the column"):
        load_snapshot(out)


def test_renamed_edge_columns_are_refused(records, tmp_path):
    out = tmp_path / "snap"
    import_sources([records]).save(out)
    t = pq.read_table(out / "edges.parquet")
    pq.write_table(t.rename_columns(["src", "dst", *t.column_names[2:]]), out / "edges.parquet")
    with pytest.raises(SnapshotError, match=r"edges table lacks the column.*parent"):
        load_snapshot(out)


def test_a_wrong_typed_column_is_refused(records, tmp_path):
    out = tmp_path / "snap"
    import_sources([records]).save(out)
    t = pq.read_table(out / "edges.parquet")
    pq.write_table(t.set_column(0, "parent", pa.array([[1]] * t.num_rows)), out / "edges.parquet")
    with pytest.raises(SnapshotError, match="column parent of the edges table"):
        load_snapshot(out)


# ----------------------------------------------------------------------------- reports and tree pages
def test_a_report_never_writes_into_a_folder_of_other_files(records, tmp_path):
    from hftree.report import write_report

    snap = import_sources([records])
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "index.html").write_text("<html>my homepage</html>")
    with pytest.raises(SnapshotError, match="not an hftree report"):
        write_report(snap, mine, analyses=False, top_trees=0)
    assert (mine / "index.html").read_text() == "<html>my homepage</html>"
    assert sorted(p.name for p in mine.iterdir()) == ["index.html"]
    out = tmp_path / "rep"
    write_report(snap, out, analyses=False, top_trees=0)
    write_report(snap, out, analyses=False, top_trees=0)  # an earlier report: rewritten
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(SnapshotError, match="not a directory"):
        write_report(snap, f, analyses=False, top_trees=0)


def test_a_report_interrupted_while_rewriting_leaves_the_old_one_whole(records, tmp_path, monkeypatch):
    import hftree.report.build as build
    from hftree.report import write_report

    snap = import_sources([records])
    out = tmp_path / "rep"
    write_report(snap, out, analyses=False, top_trees=1)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert Path("assets/tree-1.html") in before

    def killed(**kwargs):  # the last step of a rewrite: everything else is already written
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "page", killed)
    with pytest.raises(KeyboardInterrupt):
        write_report(snap, out, analyses=False, top_trees=0, svg=True)  # SVG figures: files the old one lacks
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "rep"]  # no half-written sibling left
    monkeypatch.undo()
    write_report(snap, out, analyses=False, top_trees=0)
    assert not (out / "assets" / "tree-1.html").exists()  # the new report alone: no stale page of the old one


def test_a_tree_page_overwrites_only_an_earlier_tree_page(records, tmp_path):
    from hftree.lineage import LineageGraph
    from hftree.viz.tree import tree_html

    page = tree_html(LineageGraph.from_snapshot(import_sources([records]), warn=False), "a/m1")
    target = tmp_path / "t.html"
    page.save(target)
    page.save(target)  # an earlier page: replaced
    other = tmp_path / "notes.html"
    other.write_text("<html>mine</html>")
    with pytest.raises(SnapshotError, match="not an hftree tree page"):
        page.save(other)
    assert other.read_text() == "<html>mine</html>"
