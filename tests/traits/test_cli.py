"""``hftree inherit``: tables, tests, formats, and bad input as one line."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import hftree.cli.main as cli
from tests.conftest import rec, write_jsonl


@pytest.fixture
def main(monkeypatch):
    mods = tuple(cli.COMMAND_MODULES)
    if "hftree.cli.inherit" not in mods:  # until the command is registered in COMMAND_MODULES
        monkeypatch.setattr(cli, "COMMAND_MODULES", (*mods, "hftree.cli.inherit"))
    return cli.main


@pytest.fixture
def snapshot(tmp_path, main):
    recs = [rec("org/base", "license:mit", "en", pipeline_tag="text-generation", library_name="transformers")]
    for i in range(6):
        lic = "mit" if i % 2 else "apache-2.0"
        recs.append(rec(f"me/ft{i}", f"license:{lic}", "base_model:finetune:org/base", "en",
                        pipeline_tag="text-generation", library_name="transformers"))
        recs.append(rec(f"me/q{i}", f"license:{lic}", f"base_model:quantized:me/ft{i}",
                        pipeline_tag="text-generation"))
    path = write_jsonl(tmp_path / "m.jsonl", recs)
    out = tmp_path / "snap"
    assert main(["import", str(path), "-o", str(out), "-q"]) == 0
    return out


def test_table_wide_and_tests(main, snapshot, capsys, tmp_path):
    assert main(["inherit", str(snapshot), "--traits", "license,task", "--boot", "50", "--format", "csv"]) == 0
    df = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert set(df["trait"]) == {"license", "task"} and len(df) == 14
    pc = df[(df.trait == "license") & (df.kinship == "parent_child")].iloc[0]
    assert pc["mean"] == pytest.approx(9 / 12) and bool(pc["exact"])  # base→ft: 3 of 6 mit; ft→q: 6 of 6
    assert main(["inherit", str(snapshot), "--traits", "license", "--wide", "--boot", "0"]) == 0
    assert "parent_child" in capsys.readouterr().out
    out = tmp_path / "tests.json"
    assert main(["inherit", str(snapshot), "--traits", "license", "--tests", "--boot", "50", "-o", str(out)]) == 0
    claims = json.loads(out.read_text())
    assert [c["claim"] for c in claims] == ["siblings > parent–child", "parent–child > random pair, whole Hub"]


def test_relation_seed_and_samples(main, snapshot, capsys):
    args = ["inherit", str(snapshot), "--traits", "license", "--relation", "quantized", "--samples", "3",
            "--seed", "5", "--boot", "20", "--kinships", "parent_child,random_hub", "--format", "json"]
    assert main(args) == 0
    a = json.loads(capsys.readouterr().out)
    assert a[0]["population"] == 6 and a[0]["mean"] == 1.0  # quantized edges only
    assert a[1]["n_pairs"] == 3 and not a[1]["exact"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == a  # seeded


@pytest.mark.parametrize(("argv", "message"), [
    (["--traits", "licens"], "hftree: error: unknown trait 'licens'"),
    (["--kinships", "twins"], "hftree: error: unknown kinship 'twins'"),
    (["--traits", "card"], "hftree: error: trait 'card' needs the model-table column 'card'"),
])
def test_bad_input_is_one_line(main, snapshot, capsys, argv, message):
    assert main(["inherit", str(snapshot), *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_usage_errors_exit_2(main, snapshot):
    with pytest.raises(SystemExit) as e:
        main(["inherit", str(snapshot), "--weighting", "equal"])
    assert e.value.code == 2
