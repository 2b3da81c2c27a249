"""``hftree ecosystem``: outputs, formats, usage errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hftree.cli.ecosystem import TABLES
from hftree.ecosystem import ecosystem_stats
from hftree.ingest import import_sources, load_snapshot
from hftree.lineage import LineageGraph
from tests.conftest import rec, write_jsonl

RECORDS = [
    rec(
        "org/base",
        "license:apache-2.0",
        downloads=1000,
        likes=40,
        pipeline_tag="text-generation",
        library_name="transformers",
    ),
    rec(
        "me/ft",
        "license:mit",
        "base_model:finetune:org/base",
        downloads=300,
        likes=3,
        pipeline_tag="text-generation",
        library_name="transformers",
        createdAt="2024-02-03T00:00:00.000Z",
    ),
    rec(
        "me/q",
        "base_model:quantized:me/ft",
        downloads=50,
        likes=1,
        library_name="gguf",
        createdAt="2024-03-01T00:00:00.000Z",
    ),
    rec(
        "you/lora",
        "license:llama3",
        "base_model:adapter:org/base",
        downloads=7,
        likes=0,
        library_name="peft",
        createdAt="2024-03-09T00:00:00.000Z",
    ),
    rec(
        "lone/model",
        "license:gpl-3.0",
        downloads=90,
        likes=9,
        pipeline_tag="fill-mask",
        createdAt="2023-12-30T00:00:00.000Z",
    ),
]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    d = tmp_path_factory.mktemp("eco")
    path = write_jsonl(d / "m.jsonl", RECORDS)
    import_sources([path]).save(d / "snap")
    return d / "snap"


@pytest.fixture
def run(cli):
    """``run(argv)``: ``hftree ecosystem ARGV`` in this process -> ``CliRun``."""
    return lambda argv: cli("ecosystem", *argv)


def expected(snapshot, **kw):
    snap = load_snapshot(snapshot)
    G = LineageGraph.from_snapshot(snap)
    return ecosystem_stats(G.models, G, **kw)


def test_screen_output(snapshot, run):
    r = run([str(snapshot)])
    assert r.code == 0
    out = r.out
    for name in (
        "summary",
        "license_shares",
        "concentration",
        "family_concentration",
        "created_by_task",
    ):
        assert f"# {name} (" in out
    assert "permissive_model_share" in out and "1,447" in out  # total downloads with separators
    assert "# selection" not in out


def test_directory_output_equals_the_api(snapshot, tmp_path, run):
    out = tmp_path / "tables"
    assert run([str(snapshot), "--top", "3", "--by", "likes", "-o", str(out)]).code == 0
    res = expected(snapshot, top=3, by="likes")
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.csv" for n in res.tables)
    assert list(res.tables) == list(TABLES)  # the CLI's --table names are the API's tables
    lic = pd.read_csv(out / "license_shares.csv", keep_default_na=False)
    assert lic["license"].tolist() == res.license_shares["license"].tolist()
    assert lic["models"].tolist() == res.license_shares["models"].tolist()
    summ = pd.read_csv(out / "summary.csv")
    assert summ["value"].tolist() == pytest.approx(res.summary["value"].tolist(), nan_ok=True)
    assert pd.read_csv(out / "selection.csv")["id"].tolist() == ["org/base", "lone/model", "me/ft"]


def test_parquet_directory_and_single_files(snapshot, tmp_path, run):
    assert run([str(snapshot), "--format", "parquet", "-o", str(tmp_path / "pq")]).code == 0
    res = expected(snapshot)
    got = pd.read_parquet(tmp_path / "pq" / "concentration.parquet")
    assert got["gini"].tolist() == pytest.approx(res.concentration["gini"].tolist(), nan_ok=True)
    assert run([str(snapshot), "--table", "correlation", "-o", str(tmp_path / "c.csv")]).code == 0
    assert pd.read_csv(tmp_path / "c.csv")["pearson_r2"].iloc[0] == pytest.approx(
        res.value("pearson_r2")
    )
    assert run([str(snapshot), "-o", str(tmp_path / "all.json")]).code == 0
    data = json.loads((tmp_path / "all.json").read_text())
    assert list(data) == list(res.tables)
    assert data["license_class_shares"][0]["license_class"] == "permissive"
    assert (
        run(
            [
                str(snapshot),
                "--table",
                "summary",
                "--table",
                "task_shares",
                "-o",
                str(tmp_path / "two.txt"),
            ]
        ).code
        == 0
    )
    text = (tmp_path / "two.txt").read_text()
    assert (
        text.startswith("# summary (")
        and "# task_shares (" in text
        and "# license_shares" not in text
    )


def test_stdout_csv_and_json(snapshot, run):
    r = run([str(snapshot), "--format", "json", "--table", "license_class_shares"])
    assert r.code == 0
    data = json.loads(r.out)
    assert [r["license_class"] for r in data["license_class_shares"]][:2] == [
        "permissive",
        "copyleft",
    ]
    r = run([str(snapshot), "--format", "csv", "--no-families", "--top-values", "1", "--table", "license_shares"])
    assert r.code == 0
    out = r.out
    assert out.startswith("# license_shares\nlicense,license_class,kind")
    assert out.count("\n") == 5  # title, header, 1 value, (other), (none)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "parquet"], "--format parquet needs -o DIR or -o FILE.parquet"),
        (["-o", "{tmp}/x.csv"], "a single csv file holds one table: add --table NAME"),
        (["-o", "{tmp}/x.xlsx"], "cannot tell the format of"),
        (["--table", "selection"], "table 'selection' is not computed without --top"),
        (
            ["--no-families", "--table", "family_concentration"],
            "is not computed with --no-families",
        ),
    ],
)
def test_usage_errors(snapshot, tmp_path, run, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    r = run([str(snapshot), *argv])
    assert r.code == 2 and r.err.startswith("hftree: error: ") and message in r.err and r.err.count("\n") == 1


@pytest.mark.parametrize(
    "bad",
    [["--top", "0"], ["--top", "-3"], ["--top", "x"], ["--by", "size"], ["--top-values", "-1"], ["--n-values", "-1"]],
)
def test_argument_errors_exit_2(snapshot, run, bad):
    r = run([str(snapshot), *bad])
    assert r.code == 2 and r.err.startswith(f"hftree: error: argument {bad[0]}: ") and r.err.count("\n") == 1


def test_analysis_errors_are_one_line(snapshot, tmp_path, run):
    undated = write_jsonl(
        tmp_path / "u.jsonl", [rec("a/b", createdAt=None), rec("c/d", createdAt=None)]
    )
    import_sources([undated]).save(tmp_path / "undated")
    r = run([str(tmp_path / "undated"), "--top", "1", "--by", "created"])
    assert r.code == 1
    assert r.err.startswith("hftree: error: cannot rank by creation time: no model has a 'created_at' value")
    assert r.err.count("\n") == 1
    r = run([str(tmp_path / "undated"), "--top", "1", "--by", "created", "--time-column", "last_modified",
             "--table", "selection"])
    assert r.code == 0 and "a/b" in r.out
    r = run([str(tmp_path / "missing")])
    assert r.code == 1 and r.err.startswith("hftree: error:")
