"""``hftree adoption``: built with our own parser, as main.py would."""

from __future__ import annotations

import argparse
import io
import json
import types
import warnings
from contextlib import redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from hftree.cli import adoption as cli
from hftree.errors import InputFormatError, UsageError


def _run(argv: list[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="hftree")
    sub = parser.add_subparsers(dest="command")
    cli.register(sub)
    args = parser.parse_args(["adoption", *argv])
    out = io.StringIO()
    with redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = args.run(args)
    return code, out.getvalue()


def test_counts_table_json(finetune_files, tmp_path):
    amazon = str(next(f for f in finetune_files if f.name == "AMAZON.csv"))
    code, text = _run(["--counts", amazon, "--format", "json"])
    assert code == 0
    rows = json.loads(text)
    assert len(rows) == 19
    assert {
        "model",
        "lam",
        "mu",
        "sigma",
        "r2",
        "rmse",
        "aic",
        "flags",
        "c_inf",
        "impact_time",
        "outlier",
    } <= set(rows[0])
    out = tmp_path / "fits.csv"
    code, _ = _run(["--counts", amazon, "--mode", "paper", "-o", str(out)])
    assert code == 0
    tab = pd.read_csv(out)
    stored = pd.read_csv(amazon).set_index("model")
    # paper mode from the CLI reproduces the stored parameters of this file
    real = stored["lambda_i"] != 0.5
    got = tab.set_index("model").loc[stored.index[real]]
    assert ((got["lam"] / stored.loc[real, "lambda_i"] - 1).abs() < 0.01).mean() >= 0.95


def test_download_counts_by_day(download_dir):
    code, text = _run(["--counts", str(download_dir / "OpenAI.csv"), "--bins", "day", "--format", "csv"])
    assert code == 0
    tab = pd.read_csv(io.StringIO(text))
    assert len(tab) == 1 and tab["n_obs"].iloc[0] > 30


def test_snapshot_path_builds_growth_series(monkeypatch):
    """SNAPSHOT goes through the loader and LineageGraph.from_snapshot; the loader is a stand-in."""
    from hftree.adoption.simulate import simulate_lineage

    models, edges = simulate_lineage([(6.0, 0.0, 0.8)], snapshot_time="2025-01-01", random_state=0)
    snapshot = types.SimpleNamespace(models=models, edges=edges, snapshot_time=pd.Timestamp("2025-01-01", tz="UTC"))
    loaded = []
    monkeypatch.setattr(cli, "load", lambda path: loaded.append(path) or snapshot)
    code, text = _run(["snap-dir", "--format", "json"])
    assert loaded == ["snap-dir"]
    assert code == 0
    rows = json.loads(text)
    assert [r["model"] for r in rows] == ["sim/family-0"]
    assert rows[0]["flags"] == ""


def test_backtest_and_plots(finetune_files, tmp_path):
    pytest.importorskip("matplotlib")
    nvidia = str(next(f for f in finetune_files if f.name == "Nvidia.csv"))
    code, text = _run(["--counts", nvidia, "--backtest", "3", "--format", "csv", "--plot", str(tmp_path / "bt")])
    assert code == 0
    tab = pd.read_csv(io.StringIO(text))
    assert tab["method"].tolist()[0] == "hybrid (default)"
    assert {"median_ape", "p95_ape", "n"} <= set(tab.columns)
    assert (tmp_path / "bt" / "backtest_h3.png").stat().st_size > 1000
    code, _ = _run(["--counts", nvidia, "--plot", str(tmp_path / "figs"), "-o", str(tmp_path / "f.csv")])
    assert code == 0
    pngs = sorted(p.name for p in (tmp_path / "figs").glob("*.png"))
    assert "collapse.png" in pngs and len(pngs) > 5


def test_usage_errors(capsys):
    with pytest.raises(UsageError, match="give a SNAPSHOT or --counts"):
        _run([])
    with pytest.raises(UsageError, match="give a SNAPSHOT or --counts"):
        _run(["snap", "--counts", "x.csv"])
    with pytest.raises(UsageError, match="apply to a SNAPSHOT"):
        _run(["--counts", "x.csv", "--root", "a"])
    # through hftree's entry point every usage error is one line and exit code 2
    from hftree.cli.main import main

    for argv in (["adoption"], ["adoption", "--counts", "x.csv", "--root", "a"],
                 ["adoption", "--counts", "x.csv", "--backtest", "0"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_input_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(InputFormatError, match=r"bad\.csv:1: not a counts file"):
        _run(["--counts", str(bad)])
    with pytest.raises(FileNotFoundError):
        _run(["--counts", str(tmp_path / "missing.csv")])
    dup = tmp_path / "dup.csv"
    dup.write_text("model,0-month,1-month\nx,0,1\n")
    with pytest.raises(InputFormatError, match="model 'x' appears in"):
        _run(["--counts", str(dup), str(dup)])
    with pytest.raises(InputFormatError, match="cannot be read with --bins day"):
        _run(["--counts", str(dup), "--bins", "day"])
    empty = tmp_path / "empty.csv"
    empty.write_text("model,0-month\n")
    with pytest.raises(InputFormatError, match="no family to fit"):
        _run(["--counts", str(empty)])


def test_help_mentions_the_options():
    parser = argparse.ArgumentParser(prog="hftree")
    sub = parser.add_subparsers()
    p = cli.register(sub)
    text = p.format_help()
    for opt in (
        "--counts",
        "--root",
        "--min-size",
        "--relation",
        "--mode",
        "--bins",
        "--backtest",
        "--plot",
        "--format",
        "-o",
    ):
        assert opt in text
    assert Path(cli.__file__).name == "adoption.py"
