"""``hftree adoption``: built with our own parser, as main.py would."""

from __future__ import annotations

import argparse
import io
import json
import warnings
from contextlib import redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from hftree.cli import adoption as cli
from hftree.errors import InputFormatError


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
    """SNAPSHOT goes through the lead's loader and LineageGraph; here both are stand-ins."""
    from hftree.adoption.simulate import simulate_lineage

    models, edges = simulate_lineage([(6.0, 0.0, 0.8)], snapshot_time="2025-01-01", random_state=0)

    class FakeGraph:
        def __init__(self):
            self.models = models
            self.snapshot_time = pd.Timestamp("2025-01-01", tz="UTC")

        def edge_frame(self):
            return edges

        @classmethod
        def from_snapshot(cls, snapshot):
            assert snapshot == "loaded:snap-dir"
            return cls()

    import hftree.lineage

    monkeypatch.setattr(cli, "load", lambda path: f"loaded:{path}")
    monkeypatch.setattr(hftree.lineage, "LineageGraph", FakeGraph)
    code, text = _run(["snap-dir", "--format", "json"])
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
    assert _run([])[0] == 2
    assert "give a SNAPSHOT or --counts" in capsys.readouterr().err
    assert _run(["snap", "--counts", "x.csv"])[0] == 2
    assert _run(["--counts", "x.csv", "--root", "a"])[0] == 2
    assert "apply to a SNAPSHOT" in capsys.readouterr().err
    assert _run(["--counts", "x.csv", "--backtest", "0"])[0] == 2


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
        "--min-descendants",
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
