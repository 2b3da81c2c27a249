"""The command line: happy paths, and bad input as one line + exit 1, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hftree.cli.main import main
from tests.conftest import rec, write_jsonl


def run(*args: str):
    return subprocess.run([sys.executable, "-m", "hftree", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture
def snapshot(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [
        rec("org/base", "license:mit"), rec("me/ft", "base_model:finetune:org/base"),
        rec("me/q", "base_model:quantized:me/ft"), rec("lone/model"),
    ])
    out = tmp_path / "snap"
    assert main(["import", str(path), "-o", str(out), "-q"]) == 0
    return out


def test_import_info_families_tree(snapshot, tmp_path, capsys):
    assert main(["info", str(snapshot)]) == 0
    text = capsys.readouterr().out
    assert "models          4" in text and "finetune" in text
    assert main(["info", str(snapshot), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["roots_with_descendants"] == 1
    assert main(["families", str(snapshot), "--format", "csv"]) == 0
    csv = capsys.readouterr().out
    assert csv.splitlines()[1].startswith("org/base,False,2,")
    out = tmp_path / "fam.parquet"
    assert main(["families", str(snapshot), "-o", str(out)]) == 0
    import pandas as pd

    assert pd.read_parquet(out)["root"].tolist() == ["org/base"]
    assert main(["tree", str(snapshot), "org/base", "-o", str(tmp_path / "t.html")]) == 0
    assert "me/q" in (tmp_path / "t.html").read_text()


BAD_INPUTS = {
    "malformed": ([rec("a/b"), '{"id": '], "m.jsonl:2: malformed JSON"),
    "missing_id": ([{"downloads": 3}], "m.jsonl:1: record has no model id"),
    "non_utf8": ([b'{"id": "\xff"}'], "m.jsonl:1: line is not valid UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_exit_1(tmp_path, case):
    lines, message = BAD_INPUTS[case]
    path = write_jsonl(tmp_path / "m.jsonl", lines)
    r = run("import", str(path), "-o", str(tmp_path / "s"))
    assert r.returncode == 1, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()


def test_on_error_skip_counts(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [rec("a/b"), "{bad", rec("c/d")])
    r = run("import", str(path), "-o", str(tmp_path / "s"), "--on-error", "skip")
    assert r.returncode == 0, r.stderr
    assert "skipped 1 malformed lines" in r.stderr


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
def test_bad_data_never_crashes(tmp_path, setup, message):
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
    r = run("import", str(p), "-o", str(tmp_path / "s"))
    if message:
        assert r.returncode == 1 and message in r.stderr and "Traceback" not in r.stderr
        return
    assert r.returncode == 0, r.stderr
    r = run("info", str(tmp_path / "s"))
    assert r.returncode == 0 and "Traceback" not in r.stderr
    if setup == "cycle":
        assert "cycle broken: removed" in r.stdout
    if setup == "selfloop":
        assert "self_loops                   1" in r.stdout
    if setup == "dupes":
        assert "duplicate_ids_dropped        1" in r.stdout
    if setup == "base_model_types":
        assert "invalid_base_model_fields    3" in r.stdout


def test_usage_errors_exit_2(tmp_path):
    assert run("families").returncode == 2
    assert run().returncode == 2
    r = run("families", str(tmp_path / "nope"))
    assert r.returncode == 1 and "not a snapshot directory" in r.stderr


def test_unknown_model_is_one_line(snapshot, tmp_path):
    r = run("tree", str(snapshot), "org/BASE", "-o", str(tmp_path / "t.html"))
    assert r.returncode == 1 and "did you mean 'org/base'" in r.stderr and "Traceback" not in r.stderr


def test_debug_shows_traceback(tmp_path):
    r = run("--debug", "families", str(tmp_path / "nope"))
    assert r.returncode == 1 and "Traceback" in r.stderr


def test_demo_writes_table_and_trees(tmp_path):
    r = run("demo", "-o", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["families.csv", "info.txt", "report", "tree-1.html", "tree-2.html", "tree-3.html"]
    assert (tmp_path / "out" / "report" / "index.html").exists()


def test_python_dash_m_and_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("hftree ")
