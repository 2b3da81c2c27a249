"""``hftree inherit``: tables, tests, formats, and bad input as one line."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from tests.conftest import rec, write_jsonl


@pytest.fixture
def snapshot(tmp_path, cli):
    recs = [rec("org/base", "license:mit", "en", pipeline_tag="text-generation", library_name="transformers")]
    for i in range(6):
        lic = "mit" if i % 2 else "apache-2.0"
        recs.append(rec(f"me/ft{i}", f"license:{lic}", "base_model:finetune:org/base", "en",
                        pipeline_tag="text-generation", library_name="transformers"))
        recs.append(rec(f"me/q{i}", f"license:{lic}", f"base_model:quantized:me/ft{i}",
                        pipeline_tag="text-generation"))
    path = write_jsonl(tmp_path / "m.jsonl", recs)
    out = tmp_path / "snap"
    assert cli("import", path, "-o", out, "-q").code == 0
    return out


def test_table_wide_and_tests(cli, snapshot, tmp_path):
    r = cli("inherit", snapshot, "--traits", "license,task", "--n-boot", "50", "--format", "csv")
    assert r.code == 0
    df = pd.read_csv(io.StringIO(r.out))
    assert set(df["trait"]) == {"license", "task"} and len(df) == 14
    pc = df[(df.trait == "license") & (df.kinship == "parent_child")].iloc[0]
    assert pc["mean"] == pytest.approx(9 / 12) and bool(pc["exact"])  # base→ft: 3 of 6 mit; ft→q: 6 of 6
    r = cli("inherit", snapshot, "--traits", "license", "--wide", "--n-boot", "0")
    assert r.code == 0 and "parent_child" in r.out
    out = tmp_path / "tests.json"
    assert cli("inherit", snapshot, "--traits", "license", "--tests", "--n-boot", "50", "-o", out).code == 0
    claims = json.loads(out.read_text())
    assert [c["claim"] for c in claims] == ["siblings > parent–child", "parent–child > random pair, whole Hub"]


def test_relation_seed_and_samples(cli, snapshot):
    args = ["inherit", snapshot, "--traits", "license", "--relation", "quantized", "--samples", "3",
            "--random-state", "5", "--n-boot", "20", "--kinships", "parent_child,random_hub", "--format", "json"]
    r = cli(*args)
    assert r.code == 0
    a = json.loads(r.out)
    assert a[0]["population"] == 6 and a[0]["mean"] == 1.0  # quantized edges only
    assert a[1]["n_pairs"] == 3 and not a[1]["exact"]
    assert json.loads(cli(*args).out) == a  # seeded


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["--traits", "licens"], 1, "hftree: error: unknown trait 'licens'"),
    (["--kinships", "twins"], 2, "hftree: error: argument --kinships: invalid choice: 'twins'"),
    (["--traits", "card"], 1, "hftree: error: trait 'card' needs the model-table column 'card'"),
    (["--weighting", "equal"], 2, "hftree: error: argument --weighting: invalid choice: 'equal'"),
    (["--n-boot", "-1"], 2, "hftree: error: argument --n-boot: expected a whole number >= 0, got '-1'"),
])
def test_bad_input_is_one_line(cli, snapshot, argv, code, message):
    r = cli("inherit", snapshot, *argv)
    assert r.code == code and r.err.startswith(message) and r.err.count("\n") == 1
