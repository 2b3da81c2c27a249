"""Per-datum test: size and power on RDPG ground truth, p-values, BH, the result object."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.stats

from hftree.errors import InputFormatError, ModelNotFoundError, ParameterError
from hftree.kernels import DataKernels, benjamini_hochberg, datum_shift_test, sample_rdpg
from hftree.kernels.inference import _pvalues

ALPHA = 0.05


def null_pvalues(synth, seed: int, n: int, draws: int) -> np.ndarray:
    gen = np.random.default_rng(seed)
    x = synth.arc_positions(synth.arc_angles(n, gen))
    kernels = DataKernels.from_matrices({"a": sample_rdpg(x, random_state=gen), "b": sample_rdpg(x, random_state=gen)})
    result = datum_shift_test(kernels, "a", "b", n_components=2, n_boot=draws, random_state=seed)
    return result.pvalue


@pytest.mark.slow
def test_size_under_the_null_is_alpha(synth):
    """Acceptance: empirical size within [0.5 alpha, 1.5 alpha] at alpha = 0.05 over 20 seeds.

    Both kernels are independent draws from the same RDPG (150 items, d = 2), so every
    item satisfies H0; the size is the share of items with p <= alpha.
    """
    pvalues = np.concatenate([null_pvalues(synth, seed, n=150, draws=40) for seed in range(20)])
    size = float((pvalues <= ALPHA).mean())
    print(f"empirical size over 20 seeds x 150 items: {size:.4f}")
    assert 0.5 * ALPHA <= size <= 1.5 * ALPHA
    # and the p-values are close to uniform overall
    assert scipy.stats.kstest(pvalues, "uniform").statistic < 0.05


@pytest.mark.slow
def test_power_on_moved_items(synth):
    """Acceptance: power >= 0.9 on the moved items for effect size 0.6.

    300 items, 30 of them moved in model b by a latent displacement of 0.6 (a chord
    of the radius-0.8 arc, about 0.8 of the distance between the two clusters);
    Benjamini–Hochberg at FDR 0.05, B = 50, three seeds.
    """
    power, false_share = [], []
    for seed in range(3):
        gen = np.random.default_rng(100 + seed)
        angles = synth.arc_angles(300, gen)
        moved = gen.choice(300, 30, replace=False)
        xa = synth.arc_positions(angles)
        xb = synth.arc_positions(synth.move_items(angles, moved, 0.6))
        np.testing.assert_allclose(np.linalg.norm(xa[moved] - xb[moved], axis=1), 0.6)
        kernels = DataKernels.from_matrices(
            {"a": sample_rdpg(xa, random_state=gen), "b": sample_rdpg(xb, random_state=gen)}
        )
        result = datum_shift_test(kernels, "a", "b", n_components=2, n_boot=50, random_state=seed)
        truth = np.zeros(300, dtype=bool)
        truth[moved] = True
        power.append(result.moved[truth].mean())
        false_share.append((result.moved & ~truth).sum() / max(result.n_moved, 1))
    print(f"power per seed {np.round(power, 3).tolist()}, false discovery share {np.round(false_share, 3).tolist()}")
    assert np.mean(power) >= 0.9
    assert np.mean(false_share) <= 0.15


def test_identical_kernels_move_nothing(synth, rng):
    x = synth.arc_positions(synth.arc_angles(60, rng))
    g = sample_rdpg(x, random_state=1)
    result = datum_shift_test({"a": g, "b": g}, "a", "b", n_components=2, n_boot=10, random_state=0)
    assert np.allclose(result.statistic, 0.0, atol=1e-12)
    assert result.n_moved == 0 and (result.pvalue > 0.9).all()


def test_a_strong_move_is_found_and_labelled(synth, rng):
    angles = synth.arc_angles(200, rng)
    moved = np.arange(0, 200, 10)  # 20 items
    xa = synth.arc_positions(angles)
    xb = synth.arc_positions(synth.move_items(angles, moved, 0.9))
    ids = [f"card-{i}" for i in range(200)]
    kernels = DataKernels.from_matrices(
        {"base": sample_rdpg(xa, random_state=2), "tuned": sample_rdpg(xb, random_state=3)}, item_ids=ids
    )
    result = datum_shift_test(kernels, "base", "tuned", n_components=2, n_boot=30, random_state=4)
    found = set(result.moved_items)
    assert len(found & {ids[i] for i in moved}) >= 18
    stats = [result.statistic[ids.index(i)] for i in result.moved_items]
    assert stats == sorted(stats, reverse=True)
    frame = result.to_frame()
    assert list(frame.columns) == ["statistic", "null_mean", "pvalue", "qvalue", "moved", "testable"]
    assert frame.index[0] == "card-0" and frame.index.name == "item_id"
    assert "base vs tuned: " in repr(result) and "<table" in result._repr_html_()
    assert result.summary["item_id"].iloc[0] == result.moved_items[0]  # largest statistic first


def test_items_without_a_null_distribution_are_not_testable(synth, rng):
    x = synth.arc_positions(synth.arc_angles(80, rng))
    x[:3] = 0.0  # three items that the RDPG never joins to anything
    graphs = {"a": sample_rdpg(x, random_state=1), "b": sample_rdpg(x, random_state=2)}
    result = datum_shift_test(graphs, "a", "b", n_components=2, n_boot=10, random_state=0)
    assert result.testable.tolist() == [False] * 3 + [True] * 77
    assert (result.pvalue[:3] == 1.0).all() and not result.moved[:3].any()
    assert result.to_frame()["testable"].sum() == 77


def test_elbow_dimension_is_used_for_the_bootstrap(synth, rng):
    x = synth.arc_positions(synth.arc_angles(150, rng))
    graphs = {"a": sample_rdpg(x, random_state=5), "b": sample_rdpg(x, random_state=6)}
    result = datum_shift_test(graphs, "a", "b", n_boot=5, random_state=0)
    assert result.n_components == 2


def test_result_is_frozen_and_read_only(synth, rng):
    x = synth.arc_positions(synth.arc_angles(40, rng))
    graphs = {"a": sample_rdpg(x, random_state=5), "b": sample_rdpg(x, random_state=6)}
    result = datum_shift_test(graphs, "a", "b", n_components=2, n_boot=3, random_state=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.alpha = 0.5  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        result.pvalue[0] = 0.0


def test_same_seed_same_result(synth, rng):
    x = synth.arc_positions(synth.arc_angles(80, rng))
    graphs = {"a": sample_rdpg(x, random_state=5), "b": sample_rdpg(x, random_state=6)}
    one = datum_shift_test(graphs, "a", "b", n_components=2, n_boot=8, random_state=42)
    two = datum_shift_test(graphs, "a", "b", n_components=2, n_boot=8, random_state=42)
    np.testing.assert_array_equal(one.pvalue, two.pvalue)


def test_sparse_bootstrap_path(rng):
    """kNN-like sparse kernels above 1000 items use the blocked sampler."""
    from hftree.kernels import knn_kernels

    centres = rng.normal(size=(5, 8)) * 3
    y = centres[rng.integers(0, 5, 1200)] + rng.normal(size=(1200, 8))
    kernels = knn_kernels({"a": y, "b": y + 0.01 * rng.normal(size=y.shape)}, k=10)
    result = datum_shift_test(kernels, "a", "b", n_components=4, n_boot=4, random_state=0)
    assert result.pvalue.shape == (1200,)
    assert result.n_moved == 0


# --- p-values and BH -----------------------------------------------------------------


def test_per_datum_pvalues_by_hand():
    null = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    stat = np.array([2.0, 6.0])
    np.testing.assert_allclose(_pvalues(stat, null, "per_datum"), [(1 + 2) / 4, 1 / 4])


def test_pooled_pvalues_are_uniform_when_scales_differ():
    """Items with very different null scales but a common shape: p-values stay uniform."""
    gen = np.random.default_rng(0)
    n, draws = 400, 20
    scales = gen.uniform(0.1, 10.0, size=n)
    null = scales * np.linalg.norm(gen.normal(size=(draws, n, 2)), axis=2)
    stat = scales * np.linalg.norm(gen.normal(size=(n, 2)), axis=1)
    pooled = _pvalues(stat, null, "pooled")
    assert scipy.stats.kstest(pooled, "uniform").pvalue > 0.01
    assert pooled.min() >= 1 / (n * draws + 1)
    # a large statistic gets a p-value far below the per-datum floor 1 / (B + 1)
    big = stat.copy()
    big[0] = 20 * scales[0]
    assert _pvalues(big, null, "pooled")[0] < 1 / (draws + 1) / 10


def test_benjamini_hochberg_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.5])
    # sorted 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.04*4/3... monotone step-up
    np.testing.assert_allclose(benjamini_hochberg(p), [0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert benjamini_hochberg(np.array([])).size == 0
    with pytest.raises(InputFormatError, match=r"p-values must be a 1-D array of numbers in \[0, 1\]"):
        benjamini_hochberg([0.5, 1.5])


# --- documented errors -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model_b": "a"}, "model_b: expected a model other than model_a = 'a', got 'a'"),
        ({"n_boot": 0}, "n_boot: expected a whole number >= 1, got 0"),
        ({"n_boot": 1}, "n_boot: expected a whole number >= 2 for pooled p-values"),
        ({"pvalues": "exact"}, "pvalues: expected one of pooled, per_datum, got 'exact'"),
        ({"alpha": 1.0}, r"alpha: expected a number in \(0, 1\), got 1.0"),
        ({"alpha": "0.1"}, r"alpha: expected a number in \(0, 1\), got '0.1'"),
    ],
)
def test_datum_test_errors(kwargs, match):
    a = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    args = {"model_a": "a", "model_b": "b", **kwargs}
    with pytest.raises(ParameterError, match=match):
        datum_shift_test({"a": a, "b": a}, **args)


def test_datum_test_unknown_model():
    a = np.array([[0, 1], [1, 0]])
    with pytest.raises(ModelNotFoundError, match="model 'c' has no data kernel"):
        datum_shift_test({"a": a, "b": a}, "a", "c")
