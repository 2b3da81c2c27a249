"""The command line: happy paths, and bad input as one line + exit 1, never a traceback."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import rec, write_jsonl


@pytest.fixture
def snapshot(tmp_path, cli):
    path = write_jsonl(tmp_path / "m.jsonl", [
        rec("org/base", "license:mit"), rec("me/ft", "base_model:finetune:org/base"),
        rec("me/q", "base_model:quantized:me/ft"), rec("lone/model"),
    ])
    out = tmp_path / "snap"
    assert cli("import", path, "-o", out, "-q").code == 0
    return out


def test_import_info_families_tree(snapshot, tmp_path, cli):
    r = cli("info", snapshot)
    assert r.code == 0 and "models          4" in r.out and "finetune" in r.out
    r = cli("info", snapshot, "--json")
    assert json.loads(r.out)["roots_with_descendants"] == 1
    r = cli("families", snapshot, "--format", "csv")
    assert r.code == 0 and r.out.splitlines()[1].startswith("org/base,False,2,")
    out = tmp_path / "fam.parquet"
    assert cli("families", snapshot, "-o", out).code == 0
    assert pd.read_parquet(out)["root"].tolist() == ["org/base"]
    r = cli("families", snapshot, "--columns", "root, descendants", "--format", "csv")
    assert r.out.splitlines() == ["root,descendants", "org/base,2"]
    assert cli("tree", snapshot, "org/base", "-o", tmp_path / "t.html").code == 0
    assert "me/q" in (tmp_path / "t.html").read_text()


BAD_INPUTS = {
    "malformed": ([rec("a/b"), '{"id": '], "m.jsonl:2: malformed JSON"),
    "missing_id": ([{"downloads": 3}], "m.jsonl:1: record has no model id"),
    "non_utf8": ([b'{"id": "\xff"}'], "m.jsonl:1: line is not valid UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_exit_1(tmp_path, cli, case):
    lines, message = BAD_INPUTS[case]
    path = write_jsonl(tmp_path / "m.jsonl", lines)
    r = cli("import", path, "-o", tmp_path / "s")
    assert r.code == 1, r.err
    assert message in r.err and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()


def test_on_error_skip_counts(tmp_path, cli):
    path = write_jsonl(tmp_path / "m.jsonl", [rec("a/b"), "{bad", rec("c/d")])
    r = cli("import", path, "-o", tmp_path / "s", "--on-error", "skip")
    assert r.code == 0, r.err
    assert "hftree: warning: skipped 1 malformed lines" in r.err


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("empty", "file is empty"),
        ("truncated", "compressed data is truncated or corrupt"),
        ("cycle", None),
        ("selfloop", None),
        ("dupes", None),
        ("base_model_types", None),
    ],
)
def test_bad_data_never_crashes(tmp_path, cli, setup, message):
    p = tmp_path / "m.jsonl"
    if setup == "empty":
        p.write_bytes(b"")
    elif setup == "truncated":
        p = write_jsonl(tmp_path / "m.jsonl.gz", [rec(f"a/m{i}") for i in range(3000)], gz=True)
        p.write_bytes(p.read_bytes()[:5000])
    elif setup == "cycle":
        write_jsonl(p, [rec("a/x", "base_model:finetune:a/y"), rec("a/y", "base_model:finetune:a/x")])
    elif setup == "selfloop":
        write_jsonl(p, [rec("a/x", "base_model:finetune:a/x")])
    elif setup == "dupes":
        write_jsonl(p, [rec("a/x"), rec("a/x")])
    else:
        write_jsonl(p, [rec("a/x", cardData={"base_model": 3}), rec("a/y", cardData={"base_model": {"a": 1}}),
                        rec("a/z", cardData={"base_model": [["a/x"]]})])
    r = cli("import", p, "-o", tmp_path / "s")
    if message:
        assert r.code == 1 and message in r.err and "Traceback" not in r.err
        return
    assert r.code == 0, r.err
    r = cli("info", tmp_path / "s")
    assert r.code == 0 and "Traceback" not in r.err
    if setup == "cycle":
        assert "cycle broken: removed" in r.out
    if setup == "selfloop":
        assert "self-loops                   1" in r.out
    if setup == "dupes":
        assert "duplicate ids dropped        1" in r.out
    if setup == "base_model_types":
        assert "invalid base_model values    3" in r.out


def test_missing_snapshot_is_one_line_exit_1(tmp_path, cli):
    r = cli("families", tmp_path / "nope")
    assert r.code == 1 and r.err.startswith("hftree: error: ") and "not a snapshot directory" in r.err
    assert r.err.count("\n") == 1


def test_unknown_model_is_one_line(snapshot, tmp_path, cli):
    r = cli("tree", snapshot, "org/BASE", "-o", tmp_path / "t.html")
    assert r.code == 1 and "did you mean 'org/base'" in r.err and "Traceback" not in r.err


def test_debug_shows_traceback(tmp_path, cli):
    from hftree.errors import SnapshotError

    with pytest.raises(SnapshotError, match="not a snapshot directory"):
        cli("--debug", "families", tmp_path / "nope")


def test_demo_writes_table_and_trees(tmp_path, cli):
    r = cli("demo", "-o", tmp_path / "out")
    assert r.code == 0, r.err
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["families.csv", "info.txt", "report", "tree-1.html", "tree-2.html", "tree-3.html"]
    assert (tmp_path / "out" / "report" / "index.html").exists()
    assert "top families" in r.out


def test_version_and_help_exit_0(cli):
    r = cli("--version")
    assert r.code == 0 and r.out.startswith("hftree ")
    r = cli("families", "--help")
    assert r.code == 0 and "--min-size N" in r.out and "--min-descendants" not in r.out
