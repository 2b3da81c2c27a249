"""What a user sees: missing shown as missing, one-line reasons, -o that says what it wrote."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pandas as pd
import pytest

from tests.conftest import rec, write_jsonl


@pytest.fixture
def edge_snapshot(tmp_path, cli):
    """An edge list with records for two ids: no downloads, likes, licences or dates."""
    e = tmp_path / "edges.csv"
    e.write_text("source,target,edge\norg/base,a/ft,finetuned\norg/base,b/q,quantized\na/ft,c/ft2,finetuned\n")
    n = tmp_path / "nodes.csv"
    n.write_text("id,type,owner,architecture\na/ft,model,a,llama\nb/q,model,b,llama\n")
    out = tmp_path / "edge-snap"
    assert cli("import", e, n, "-o", out, "-q").code == 0
    return out


@pytest.fixture
def flat_snapshot(tmp_path, cli):
    """Records without any lineage (as the 2023 parquet table)."""
    recs = [rec("org/a", downloads=5), rec("org/b", downloads=7)]
    out = tmp_path / "flat-snap"
    assert cli("import", write_jsonl(tmp_path / "m.jsonl", recs), "-o", out, "-q").code == 0
    return out


@pytest.fixture
def dated_snapshot(tmp_path, cli):
    recs = [rec("org/base", "license:mit", createdAt="2024-03-01T00:00:00.000Z", downloads=10),
            rec("a/early", "base_model:finetune:org/base", createdAt="2024-01-01T00:00:00.000Z"),
            rec("b/late", "base_model:finetune:org/base", createdAt="2024-04-01T00:00:00.000Z")]
    out = tmp_path / "dated-snap"
    assert cli("import", write_jsonl(tmp_path / "m.jsonl", recs), "-o", out, "-q").code == 0
    return out


def test_families_shows_missing_as_missing(edge_snapshot, cli):
    r = cli("families", edge_snapshot)
    assert r.code == 0
    head, first = r.out.splitlines()[:2]
    assert "family_downloads" in head and "license_differs_share" in head
    row = dict(zip(head.split(), first.split(), strict=True))
    assert row["root"] == "org/base" and row["family_downloads"] == "—" and row["license_differs_share"] == "—"
    # said once which fields the snapshot lacks
    assert r.err.count("This snapshot has no") == 1 and "downloads" in r.err and "licences" in r.err
    csv = cli("families", edge_snapshot, "--format", "csv").out
    assert pd.read_csv(pd.io.common.StringIO(csv))["family_downloads"].isna().all()  # empty, not 0


def test_ecosystem_shows_missing_as_missing(edge_snapshot, cli):
    r = cli("ecosystem", edge_snapshot, "--table", "summary")
    assert r.code == 0
    lines = {ln.split()[0]: ln.split()[1] for ln in r.out.splitlines()[2:] if ln.strip()}
    assert lines["likes"] == "—" and lines["licensed_model_share"] == "—" and lines["downloads"] == "—"
    assert lines["models"] == "2"  # counts of what is there stay numbers
    assert r.err.count("This snapshot has no") == 1


def test_no_lineage_is_said_in_one_line(flat_snapshot, cli):
    for argv in (["families"], ["inherit"], ["drift", "--trait", "license"]):
        r = cli(*argv[:1], flat_snapshot, *argv[1:])
        assert r.code == 1 and r.out == ""
        assert r.err.startswith("hftree: error: no lineage edges in this snapshot") and r.err.count("\n") == 1
    info = cli("info", flat_snapshot).out
    assert "no lineage edges in this snapshot" in info


def test_info_shows_coverage_and_who_has_no_record(edge_snapshot, dated_snapshot, cli):
    out = cli("info", edge_snapshot).out
    assert "ids without a record 2: 1 named as a parent, 1 named only as a child" in out
    assert "field coverage" in out and "downloads" in out.split("field coverage", 1)[1]
    cov = out.split("field coverage", 1)[1].split("data quality", 1)[0]
    assert [ln.split()[:2] for ln in cov.splitlines() if ln.strip().startswith("likes")] == [["likes", "0"]]
    s = json.loads(cli("info", edge_snapshot, "--json").out)
    assert s["external_children"] == 1 and "likes" in s["missing_fields"]
    dated = cli("info", dated_snapshot).out
    assert "children dated before parent 1" in dated and "org/base: first child 60.0 days before the root" in dated


def test_negative_days_to_first_child_is_flagged(dated_snapshot, cli):
    r = cli("families", dated_snapshot, "--columns", "root,days_to_first_child")
    assert r.code == 0 and "-60" in r.out
    assert "1 family has a child created before their root" in r.err and "org/base: 60.0 days" in r.err


def test_unknown_extension_is_refused_and_nothing_written(dated_snapshot, tmp_path, cli):
    out = tmp_path / "fam.xlsx"
    r = cli("families", dated_snapshot, "-o", out)
    assert r.code == 2 and not out.exists()
    assert "cannot write" in r.err and ".csv, .json, .parquet or .txt" in r.err
    r = cli("families", dated_snapshot, "-o", out, "--format", "csv")  # said explicitly: written as asked
    assert r.code == 0 and out.read_text().startswith("root,")


def test_every_output_says_what_it_wrote_and_json_keeps_slashes(dated_snapshot, tmp_path, cli):
    for name, fmt in (("f.csv", "csv"), ("f.json", "json"), ("f.parquet", "parquet"), ("f.txt", "table")):
        out = tmp_path / name
        r = cli("families", dated_snapshot, "-o", out)
        assert r.code == 0 and f"wrote {out}: 1 row x " in r.err and f"({fmt})" in r.err
    text = (tmp_path / "f.json").read_text()
    assert '"root":"org/base"' in text and "\\/" not in text
    assert json.loads(text)[0]["root"] == "org/base"
    eco = cli("ecosystem", dated_snapshot, "-o", tmp_path / "eco.json")
    assert eco.code == 0 and f"wrote {tmp_path / 'eco.json'}: " in eco.err
    assert "\\/" not in (tmp_path / "eco.json").read_text()


def test_json_slash_unescaping_keeps_backslashes():
    from hftree.cli._common import to_json

    df = pd.DataFrame({"id": ["a/b", "back\\/slash", "x\\\\"]})
    assert json.loads(to_json(df, orient="records")) == df.to_dict("records")


def test_table_cells_are_safe_for_a_terminal():
    from hftree.cli._common import render

    text = render(pd.DataFrame({"id": ["org/\x1b[31mred"], "n": [1234567]}), "table")
    assert "\x1b" not in text and "\\x1b[31mred" in text and "1,234,567" in text


def test_adoption_without_dates_names_the_cause(edge_snapshot, cli):
    r = cli("adoption", edge_snapshot)
    assert r.code == 1 and "no model of this snapshot has a creation date" in r.err
    assert "enough descendants" not in r.err


def test_demo_shows_progress_when_stdout_is_not_a_terminal(tmp_path, cli, monkeypatch, capsys):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)  # a terminal on stderr only
    r = cli("demo", "-o", tmp_path / "d", "--no-report")
    assert r.code == 0 and "demo" in r.err and "step" in r.err
    q = cli("demo", "-o", tmp_path / "d", "--no-report", "-q")
    assert q.code == 0 and q.err == ""


def test_backtest_one_method_at_a_time_is_the_backtest(monkeypatch, capsys):
    import numpy as np

    from hftree.adoption.forecast import backtest
    from hftree.cli.adoption import _backtest

    rng = np.random.default_rng(0)
    rows = [np.cumsum(np.r_[0, rng.poisson(3 + i, 20)]).astype(float) for i in range(6)]
    counts = pd.DataFrame(rows, index=pd.Index([f"m{i}" for i in range(6)], name="model"))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    got = _backtest(counts, 3)
    want = backtest(counts, 3)
    pd.testing.assert_frame_equal(got.to_frame(), want.to_frame())
    assert "backtest h=3" in capsys.readouterr().err  # the bar


def test_version_starts_faster_than_importing_pandas():
    def best(*argv: str) -> float:
        times = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([sys.executable, *argv], check=True, capture_output=True)
            times.append(time.perf_counter() - t)
        return min(times)

    version = best("-m", "hftree", "--version")
    pandas = best("-c", "import pandas")
    assert version < 0.75 * pandas, (version, pandas)
    code = "import sys, hftree; print(sorted({'pandas', 'numpy', 'scipy'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_a_young_family_is_too_young_not_without_growth(tmp_path, cli):
    """18 fine-tunes all in the root's first month: only bin 0 (0 by definition) is observed."""
    recs = [rec("org/base", createdAt="2025-01-01T00:00:00.000Z")] + [
        rec(f"u{i}/ft", "base_model:finetune:org/base", createdAt=f"2025-01-{2 + i:02d}T00:00:00.000Z")
        for i in range(18)
    ]
    snap = tmp_path / "young"
    assert cli("import", write_jsonl(tmp_path / "m.jsonl", recs), "-o", snap, "-q",
               "--snapshot-time", "2025-01-25").code == 0
    r = cli("adoption", snap, "--format", "csv")
    assert r.code == 0, r.err
    flags = pd.read_csv(pd.io.common.StringIO(r.out)).set_index("model").loc["org/base", "flags"].split(",")
    assert "too_young" in flags and "no_growth" not in flags
