"""ASE, omnibus embedding and the Zhu–Ghodsi elbow."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import hftree._random
from hftree.errors import (
    ConvergenceError,
    DataQualityWarning,
    InputFormatError,
    ModelNotFoundError,
    NotFittedError,
    ParameterError,
)
from hftree.kernels import (
    AdjacencySpectralEmbed,
    DataKernels,
    ModelManifold,
    OmnibusEmbed,
    profile_likelihood,
    sample_rdpg,
    select_dimension,
)
from hftree.kernels._linalg import (
    check_random_state,
    orthogonal_procrustes,
    randomized_svd,
    top_eigenpairs,
)


def aligned_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a @ orthogonal_procrustes(a, b) - b).max())


# --- Zhu–Ghodsi ------------------------------------------------------------------


def test_profile_likelihood_by_hand():
    values = np.array([10.0, 9.0, 1.0, 0.5])
    q = 2  # split {10, 9} | {1, 0.5}: pooled variance (0.25 + 0.0625) / (4 - 2)
    variance = (0.5**2 * 2 + 0.25**2 * 2) / 2
    expected = -0.5 * 4 * np.log(2 * np.pi * variance) - (0.5**2 * 2 + 0.25**2 * 2) / (2 * variance)
    assert profile_likelihood(values)[q - 1] == pytest.approx(expected)
    assert int(np.argmax(profile_likelihood(values))) + 1 == 2


def test_select_dimension_finds_planted_gaps():
    scree = [50, 49, 48, 20, 19.5, 19, 18.5, 1, 0.9, 0.8, 0.7, 0.6]
    assert select_dimension(scree, n_elbows=2) == [3, 7]
    assert select_dimension(scree, n_elbows=1) == [3]
    assert select_dimension(scree[::-1], n_elbows=1) == [3]  # order does not matter


def test_select_dimension_zero_variance_split_is_perfect():
    assert select_dimension([5.0, 5.0, 1.0, 1.0], n_elbows=1) == [2]


def test_select_dimension_errors():
    with pytest.raises(InputFormatError, match="at least 2 values; got 1"):
        select_dimension([1.0])
    with pytest.raises(ParameterError, match="n_elbows: expected a whole number >= 1, got 0"):
        select_dimension([3.0, 2.0, 1.0], n_elbows=0)


# --- ASE -----------------------------------------------------------------------------


def test_ase_of_the_probability_matrix_recovers_positions_exactly(rng):
    x = rng.dirichlet([1.0, 1.0, 1.0], size=60) * 0.9
    p = x @ x.T
    ase = AdjacencySpectralEmbed(n_components=3, diag_aug=False, solver="dense").fit(p)
    assert aligned_error(ase.latent_positions_, x) < 1e-10
    assert ase.n_components_ == 3
    assert (np.diff(np.abs(ase.eigenvalues_)) <= 0).all()


def test_ase_elbow_picks_the_planted_dimension(synth, rng):
    x = synth.arc_positions(synth.arc_angles(300, rng))
    ase = AdjacencySpectralEmbed(random_state=0).fit(sample_rdpg(x, random_state=1))
    assert ase.n_components_ == 2
    assert ase.elbows_ == [1, 2]  # the first eigenvalue stands out, the second elbow is d
    assert ase.scree_.size == int(np.ceil(np.log2(300)))


def test_ase_estimates_rdpg_positions(synth, rng):
    x = synth.arc_positions(synth.arc_angles(400, rng))
    ase = AdjacencySpectralEmbed(n_components=2, random_state=0).fit(sample_rdpg(x, random_state=2))
    rms = np.sqrt(((ase.latent_positions_ @ orthogonal_procrustes(ase.latent_positions_, x) - x) ** 2).mean())
    assert rms < 0.07  # each position is off by about 0.05 (1 / sqrt(n p))


@pytest.mark.parametrize("solver", ["dense", "arpack"])
def test_solvers_agree(solver, synth, rng):
    x = synth.arc_positions(synth.arc_angles(120, rng))
    graph = sample_rdpg(x, random_state=3)
    ref = AdjacencySpectralEmbed(n_components=2, solver="dense").fit(graph)
    other = AdjacencySpectralEmbed(n_components=2, solver=solver, random_state=5).fit(graph)
    np.testing.assert_allclose(other.latent_positions_, ref.latent_positions_, atol=1e-10)


def test_negative_eigenvalues_are_kept_by_magnitude():
    # a bipartite graph: spectrum symmetric around 0, eigenvalue -sqrt(ab) as large as +sqrt(ab)
    a = np.zeros((6, 6))
    a[:3, 3:] = 1
    a += a.T
    ase = AdjacencySpectralEmbed(n_components=2, diag_aug=False).fit(a)
    np.testing.assert_allclose(sorted(ase.eigenvalues_), [-3.0, 3.0])


def test_self_loops_warn_and_are_dropped():
    a = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0]])
    with pytest.warns(DataQualityWarning, match="self-loops; they were dropped"):
        with_loops = AdjacencySpectralEmbed(n_components=1).fit(a)
    without = AdjacencySpectralEmbed(n_components=1).fit(a - np.diag([1, 0, 0]))
    np.testing.assert_allclose(with_loops.latent_positions_, without.latent_positions_)


def test_ase_errors():
    a = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    with pytest.raises(ParameterError, match="n_components: expected None or a whole number between 1 and 3, got 4"):
        AdjacencySpectralEmbed(n_components=4).fit(a)
    with pytest.raises(InputFormatError, match="is not symmetric"):
        AdjacencySpectralEmbed(n_components=1).fit(np.triu(a))
    with pytest.raises(ParameterError, match="solver: expected one of auto, dense, arpack, got 'lapack'"):
        AdjacencySpectralEmbed(n_components=1, solver="lapack").fit(np.ones((100, 100)) - np.eye(100))


# --- omnibus -------------------------------------------------------------------------


def test_omnibus_of_identical_graphs_gives_identical_positions(synth, rng):
    x = synth.arc_positions(synth.arc_angles(100, rng))
    g = sample_rdpg(x, random_state=4)
    omni = OmnibusEmbed(n_components=2, random_state=0).fit({"a": g, "b": g, "c": g})
    z = omni.latent_positions_
    assert z.shape == (3, 100, 2)
    assert np.abs(z[0] - z[1]).max() < 1e-10 and np.abs(z[0] - z[2]).max() < 1e-10
    # identical graphs: the omnibus matrix is 1 1^T (x) A, with eigenvectors [v; v; v] / sqrt(3)
    # and eigenvalues 3 lambda, so its positions are the ASE positions of A
    ase = AdjacencySpectralEmbed(n_components=2).fit(g)
    assert aligned_error(z[0], ase.latent_positions_) < 1e-8


def test_implicit_and_explicit_omnibus_operators_agree(synth, rng, monkeypatch):
    import hftree.kernels.embed as embed

    x = synth.arc_positions(synth.arc_angles(150, rng))
    graphs = {f"g{i}": sample_rdpg(x, random_state=10 + i) for i in range(3)}
    explicit = OmnibusEmbed(n_components=2, solver="arpack", random_state=0).fit(graphs)
    monkeypatch.setattr(embed, "_EXPLICIT_OMNIBUS_NNZ", 0)
    implicit = OmnibusEmbed(n_components=2, solver="arpack", random_state=0).fit(graphs)
    dense = OmnibusEmbed(n_components=2, solver="dense").fit(graphs)
    np.testing.assert_allclose(implicit.latent_positions_, explicit.latent_positions_, atol=1e-9)
    np.testing.assert_allclose(dense.latent_positions_, explicit.latent_positions_, atol=1e-9)


def test_omnibus_labels(rng):
    a = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]])
    kernels = DataKernels.from_matrices({"m1": a, "m2": a}, item_ids=["x", "y", "z"])
    omni = OmnibusEmbed(n_components=1).fit(kernels)
    assert omni.model_ids_ == ("m1", "m2") and omni.item_ids_ == ("x", "y", "z")
    assert list(omni.positions("m2").index) == ["x", "y", "z"]
    stacked = omni.positions()
    assert stacked.index.names == ["model_id", "item_id"] and len(stacked) == 6
    assert list(omni.summary.index) == ["m1", "m2"]
    assert "2 models x 3 items" in repr(omni)
    assert "<table" in omni._repr_html_()
    assert "n_components=None" in repr(OmnibusEmbed())
    with pytest.raises(ModelNotFoundError, match="model 'm3' was not embedded"):
        omni.positions("m3")


def test_omnibus_accepts_sequences_and_3d_arrays():
    a = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]], dtype=float)
    from_list = OmnibusEmbed(n_components=1).fit([a, a])
    from_array = OmnibusEmbed(n_components=1).fit(np.stack([a, a]))
    assert from_list.model_ids_ == ("0", "1")
    np.testing.assert_allclose(from_list.latent_positions_, from_array.latent_positions_)
    with pytest.raises(InputFormatError, match="graphs must be DataKernels"):
        OmnibusEmbed(n_components=1).fit(42)


# --- linear-algebra helpers ------------------------------------------------------------


def test_randomized_svd_matches_exact(rng):
    left, _ = np.linalg.qr(rng.normal(size=(80, 30)))
    right, _ = np.linalg.qr(rng.normal(size=(50, 30)))
    spectrum = np.r_[[10.0, 8.0, 6.0, 4.0, 2.0], np.linspace(0.1, 0.01, 25)]
    a = left @ np.diag(spectrum) @ right.T
    u, s, vt = randomized_svd(sp.csr_array(a), 5, random_state=0)
    np.testing.assert_allclose(s, spectrum[:5], rtol=1e-10)
    best = left[:, :5] @ np.diag(spectrum[:5]) @ right[:, :5].T
    np.testing.assert_allclose((u * s) @ vt, best, atol=1e-8)
    with pytest.raises(ParameterError, match="n_components: expected a whole number between 1 and 50, got 51"):
        randomized_svd(a, 51)


def test_random_state_errors_and_convergence_error(monkeypatch):
    with pytest.raises(ParameterError, match="random_state: expected None, an int, a SeedSequence"):
        check_random_state("seed")  # type: ignore[arg-type]
    assert check_random_state is hftree._random.check_random_state  # the one helper, re-exported

    def no_convergence(*args, **kwargs):
        raise spla.ArpackNoConvergence("no", np.empty(0), np.empty((0, 0)))

    monkeypatch.setattr(spla, "eigsh", no_convergence)
    with pytest.raises(ConvergenceError, match=r"ARPACK did not find the top 2 .* Things to try: 1\."):
        top_eigenpairs(sp.eye_array(100, format="csr"), 2, solver="arpack")
    with pytest.raises(ParameterError, match="between 1 and 3, got 4"):
        top_eigenpairs(np.eye(3), 4)


# --- estimator protocol ----------------------------------------------------------------


@pytest.mark.parametrize("make", [AdjacencySpectralEmbed, OmnibusEmbed, ModelManifold])
def test_estimators_raise_not_fitted_error_before_fit(make):
    estimator = make()
    name = type(estimator).__name__
    with pytest.raises(NotFittedError, match=rf"{name}.summary is learned by fit\(\)"):
        _ = estimator.summary
    with pytest.raises(NotFittedError, match=rf"{name}.eigenvalues_ is learned by fit\(\)"):
        _ = estimator.eigenvalues_
    assert isinstance(NotFittedError("x"), AttributeError) and not hasattr(estimator, "eigenvalues_")
    assert not estimator.fitted and repr(estimator).startswith(f"{name}(n_components=")
    assert "<table" not in estimator._repr_html_()
    with pytest.raises(AttributeError, match="no attribute 'nope'") as info:
        _ = estimator.nope
    assert not isinstance(info.value, NotFittedError)


def test_fitted_estimators_render_their_summary():
    a = np.kron(np.eye(2), np.ones((4, 4))) - np.eye(8)
    ase = AdjacencySpectralEmbed(n_components=2).fit(a)
    assert ase.fitted and repr(ase) == "AdjacencySpectralEmbed(fitted: 8 nodes, 2 dimensions)"
    assert list(ase.summary.columns) == ["eigenvalue", "magnitude"]
    html = OmnibusEmbed(n_components=2).fit({"<x>": a, "y": a})._repr_html_()
    assert "<table" in html and "&lt;x&gt;" in html and "<x>" not in html
