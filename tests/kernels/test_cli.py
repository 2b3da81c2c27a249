"""``hftree kernels``: argument handling, outputs, one-line errors.

The command is exercised through its own ``register`` on a plain argparse parser and
through ``hftree.cli.main.main`` (registered there by the lead; until then the test puts
it into ``COMMAND_MODULES`` itself).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest

from hftree.cli import kernels as cli
from hftree.errors import InputFormatError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hftree")
    p.add_argument("--debug", action="store_true")
    cli.register(p.add_subparsers(dest="command"))
    return p


def run(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    return args.run(args)


@pytest.fixture
def inputs(tmp_path, synth):
    gen = np.random.default_rng(0)
    y = synth.clustered_embeddings(90, gen)
    np.save(tmp_path / "base.npy", y)
    np.save(tmp_path / "tuned.npy", y + 0.02 * gen.normal(size=y.shape))
    np.save(tmp_path / "other.npy", gen.normal(size=(90, 6)))
    (tmp_path / "labels.txt").write_text("\n".join(f"org/model-{i}" for i in range(90)) + "\n")
    return tmp_path


def test_writes_tables_and_figures(inputs, capsys):
    pytest.importorskip("matplotlib")
    out = inputs / "out"
    code = run(
        [
            "kernels",
            str(inputs / "base.npy"),
            str(inputs / "tuned.npy"),
            str(inputs / "other.npy"),
            "--labels",
            str(inputs / "labels.txt"),
            "--k",
            "6",
            "--bootstraps",
            "8",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    for name in [
        "models.csv",
        "model_distances.csv",
        "scree.csv",
        "datum_tests.csv",
        "summary.json",
        "manifold.png",
        "scree.png",
    ]:
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["models"] == ["base", "tuned", "other"] and summary["n_items"] == 90
    assert set(summary["moved"]) == {"base vs tuned", "base vs other"}
    tests = pd.read_csv(out / "datum_tests.csv")
    assert tests["item_id"].iloc[0] == "org/model-0" and len(tests) == 180
    models = pd.read_csv(out / "models.csv", index_col=0)
    assert list(models.index) == ["base", "tuned", "other"]
    printed = capsys.readouterr().out
    assert "3 models x 90 items, k=6" in printed and "base vs tuned:" in printed


def test_names_positions_and_no_plot(inputs):
    out = inputs / "out2"
    code = run(
        [
            "kernels",
            str(inputs / "base.npy"),
            str(inputs / "tuned.npy"),
            "--names",
            "A",
            "B",
            "--pairs",
            "none",
            "--n-components",
            "3",
            "--positions",
            "--no-plot",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    positions = pd.read_csv(out / "positions.csv.gz")
    assert list(positions.columns) == ["model_id", "item_id", "dim_1", "dim_2", "dim_3"]
    assert set(positions["model_id"]) == {"A", "B"}
    assert not (out / "manifold.png").exists()


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--names", "only-one"], "--names gives 1 model ids for 2 embedding files"),
        (["--names", "x", "x"], "model id 'x' is given twice"),
    ],
)
def test_name_errors(inputs, extra, match):
    with pytest.raises(InputFormatError, match=match):
        run(["kernels", str(inputs / "base.npy"), str(inputs / "tuned.npy"), "-o", str(inputs / "o"), *extra])


def test_file_errors(inputs):
    (inputs / "text.npy").write_text("not numpy")
    with pytest.raises(InputFormatError, match=r"text\.npy: not a numpy \.npy array"):
        run(["kernels", str(inputs / "base.npy"), str(inputs / "text.npy"), "-o", str(inputs / "o")])
    np.save(inputs / "flat.npy", np.zeros(90))
    with pytest.raises(InputFormatError, match=r"flat\.npy: expected a 2-D array .* found shape \(90,\)"):
        run(["kernels", str(inputs / "base.npy"), str(inputs / "flat.npy"), "-o", str(inputs / "o")])
    with pytest.raises(FileNotFoundError):
        run(["kernels", str(inputs / "missing.npy"), str(inputs / "base.npy"), "-o", str(inputs / "o")])


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        ("a\n\nb\n", r"labels\.txt:2: empty item id"),
        ("a\nb\na\n", r"labels\.txt:3: item id 'a' already on line 1"),
        ("a\nb\n", r"labels\.txt: 2 item ids for 90 embedded items"),
    ],
)
def test_label_errors(inputs, labels, match):
    (inputs / "labels.txt").write_text(labels)
    with pytest.raises(InputFormatError, match=match):
        run(
            [
                "kernels",
                str(inputs / "base.npy"),
                str(inputs / "tuned.npy"),
                "--labels",
                str(inputs / "labels.txt"),
                "-o",
                str(inputs / "o"),
            ]
        )


@pytest.mark.parametrize("bad", [["--k", "0"], ["--alpha", "1.5"], ["--bootstraps", "x"], ["--pairs", "some"]])
def test_usage_errors_exit_2(inputs, bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parser().parse_args(["kernels", str(inputs / "base.npy"), "-o", "o", *bad])
    assert exit_info.value.code == 2


def test_through_the_hftree_entry_point(inputs, capsys, monkeypatch):
    """Errors become one line on stderr and exit code 1 through ``hftree.cli.main``."""
    from hftree.cli import main as entry

    if "hftree.cli.kernels" not in entry.COMMAND_MODULES:  # until the lead registers it
        monkeypatch.setattr(entry, "COMMAND_MODULES", ("hftree.cli.kernels",))
    (inputs / "labels.txt").write_text("a\n")
    code = entry.main(
        [
            "kernels",
            str(inputs / "base.npy"),
            str(inputs / "tuned.npy"),
            "--labels",
            str(inputs / "labels.txt"),
            "-o",
            str(inputs / "o"),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("hftree: error: ") and "labels.txt: 1 item ids for 90 embedded items" in err
    assert err.count("\n") == 1
    code = entry.main(
        [
            "kernels",
            str(inputs / "base.npy"),
            str(inputs / "tuned.npy"),
            "--pairs",
            "none",
            "--no-plot",
            "-o",
            str(inputs / "ok"),
        ]
    )
    assert code == 0 and (inputs / "ok" / "summary.json").is_file()
