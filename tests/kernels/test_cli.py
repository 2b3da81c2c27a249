"""``hftree kernels``: argument handling, outputs, one-line errors (through ``hftree.cli.main``)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def inputs(tmp_path, synth):
    gen = np.random.default_rng(0)
    y = synth.clustered_embeddings(90, gen)
    np.save(tmp_path / "base.npy", y)
    np.save(tmp_path / "tuned.npy", y + 0.02 * gen.normal(size=y.shape))
    np.save(tmp_path / "other.npy", gen.normal(size=(90, 6)))
    (tmp_path / "labels.txt").write_text("\n".join(f"org/model-{i}" for i in range(90)) + "\n")
    return tmp_path


def test_writes_tables_and_figures(inputs, cli):
    pytest.importorskip("matplotlib")
    out = inputs / "out"
    r = cli(
        *[
            "kernels",
            str(inputs / "base.npy"),
            str(inputs / "tuned.npy"),
            str(inputs / "other.npy"),
            "--labels",
            str(inputs / "labels.txt"),
            "--k",
            "6",
            "--n-boot",
            "8",
            "-o",
            str(out),
        ]
    )
    assert r.code == 0, r.err
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
    assert "3 models x 90 items, k=6" in r.out and "base vs tuned:" in r.out
    assert summary["n_boot"] == 8 and summary["random_state"] == 0


def test_names_positions_and_no_plot(inputs, cli):
    out = inputs / "out2"
    r = cli(
        *[
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
    assert r.code == 0, r.err
    positions = pd.read_csv(out / "positions.csv.gz")
    assert list(positions.columns) == ["model_id", "item_id", "dim_1", "dim_2", "dim_3"]
    assert set(positions["model_id"]) == {"A", "B"}
    assert not (out / "manifold.png").exists()


def one_line_error(r, expected: str) -> None:
    assert r.code == 1 and r.err.startswith("hftree: error: ") and r.err.count("\n") == 1, r.err
    assert expected in r.err, r.err


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--names", "only-one"], "--names gives 1 model ids for 2 embedding files"),
        (["--names", "x", "x"], "model id 'x' is given twice"),
    ],
)
def test_name_errors(inputs, cli, extra, expected):
    one_line_error(cli("kernels", inputs / "base.npy", inputs / "tuned.npy", "-o", inputs / "o", *extra), expected)


def test_file_errors(inputs, cli):
    (inputs / "text.npy").write_text("not numpy")
    r = cli("kernels", inputs / "base.npy", inputs / "text.npy", "-o", inputs / "o")
    one_line_error(r, "text.npy: not a numpy .npy array")
    np.save(inputs / "flat.npy", np.zeros(90))
    r = cli("kernels", inputs / "base.npy", inputs / "flat.npy", "-o", inputs / "o")
    one_line_error(r, "flat.npy: expected a 2-D array (n_items x d), found shape (90,)")
    r = cli("kernels", inputs / "missing.npy", inputs / "base.npy", "-o", inputs / "o")
    one_line_error(r, "missing.npy")


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ("a\n\nb\n", "labels.txt:2: empty item id"),
        ("a\nb\na\n", "labels.txt:3: item id 'a' already on line 1"),
        ("a\nb\n", "labels.txt: 2 item ids for 90 embedded items"),
        ("a\n", "labels.txt: 1 item ids for 90 embedded items"),
    ],
)
def test_label_errors(inputs, cli, labels, expected):
    (inputs / "labels.txt").write_text(labels)
    r = cli("kernels", inputs / "base.npy", inputs / "tuned.npy", "--labels", inputs / "labels.txt", "-o", inputs / "o")
    one_line_error(r, expected)


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (["--k", "0"], "argument --k: expected a positive whole number, got '0'"),
        (["--alpha", "1.5"], "argument --alpha: expected a number in (0, 1), got '1.5'"),
        (["--n-boot", "x"], "argument --n-boot: expected a positive whole number, got 'x'"),
        (["--bootstraps", "0"], "argument --bootstraps: expected a positive whole number, got '0'"),
        (["--pairs", "some"], "argument --pairs: invalid choice: 'some'"),
        (["--top", "-3"], "argument --top: expected a whole number >= 0, got '-3'"),
    ],
)
def test_usage_errors_exit_2(inputs, cli, bad, expected):
    r = cli("kernels", inputs / "base.npy", "-o", "o", *bad)
    assert r.code == 2 and r.err.startswith(f"hftree: error: {expected}") and r.err.count("\n") == 1
