"""Acceptance: ASE, omnibus and the elbow match graspologic (up to rotation/sign) within 1e-6.

graspologic is an optional test dependency (heavy: numba, gensim, POT); these tests
run wherever it is installed and are skipped otherwise. graspologic is run with its
exact LAPACK solver (``algorithm="full"``); ours with both of our solvers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from hftree.kernels import (
    AdjacencySpectralEmbed,
    OmnibusEmbed,
    knn_kernels,
    sample_rdpg,
    select_dimension,
)
from hftree.kernels._linalg import orthogonal_procrustes

graspologic = pytest.importorskip("graspologic")
from graspologic.embed import AdjacencySpectralEmbed as GraspASE  # noqa: E402
from graspologic.embed import OmnibusEmbed as GraspOmni  # noqa: E402
from graspologic.embed import select_dimension as grasp_select_dimension  # noqa: E402

TOL = 1e-6


def aligned_error(ours: np.ndarray, theirs: np.ndarray) -> float:
    """Largest entry-wise difference after the best orthogonal alignment."""
    return float(np.abs(ours @ orthogonal_procrustes(ours, theirs) - theirs).max())


@pytest.fixture(scope="module")
def graphs() -> list[np.ndarray]:
    gen = np.random.default_rng(0)
    x = gen.dirichlet([1.0, 1.0, 1.0], size=120) * 0.9
    return [sample_rdpg(x, random_state=seed).toarray() for seed in range(3)]


@pytest.fixture(scope="module")
def knn_graphs() -> list[np.ndarray]:
    gen = np.random.default_rng(1)
    centres = gen.normal(size=(4, 10)) * 3
    y = centres[gen.integers(0, 4, 150)] + gen.normal(size=(150, 10))
    kernels = knn_kernels({f"m{i}": y + 0.3 * i * gen.normal(size=y.shape) for i in range(3)}, k=8)
    return [kernels[m].toarray() for m in kernels.model_ids]


@pytest.mark.parametrize("solver", ["dense", "arpack"])
@pytest.mark.parametrize("n_components", [None, 3])
@pytest.mark.parametrize("which", ["graphs", "knn_graphs"])
def test_ase_matches_graspologic(request, which, n_components, solver):
    graph = request.getfixturevalue(which)[0]
    ours = AdjacencySpectralEmbed(n_components=n_components, solver=solver, random_state=0).fit(graph)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = GraspASE(n_components=n_components, algorithm="full").fit(graph)
    assert ours.n_components_ == theirs.n_components_
    np.testing.assert_allclose(ours.scree_[: ours.n_components_], theirs.singular_values_, rtol=1e-9)
    error = aligned_error(ours.latent_positions_, theirs.latent_left_)
    print(f"ASE {which} d={ours.n_components_} {solver}: max aligned difference {error:.2e}")
    assert error < TOL


@pytest.mark.parametrize("solver", ["dense", "arpack"])
@pytest.mark.parametrize("n_components", [None, 3])
@pytest.mark.parametrize("which", ["graphs", "knn_graphs"])
def test_omnibus_matches_graspologic(request, which, n_components, solver):
    graphs = request.getfixturevalue(which)
    ours = OmnibusEmbed(n_components=n_components, solver=solver, random_state=0).fit(graphs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = GraspOmni(n_components=n_components, algorithm="full").fit(graphs)
    assert ours.n_components_ == theirs.n_components_
    d = ours.n_components_
    error = aligned_error(ours.latent_positions_.reshape(-1, d), theirs.latent_left_.reshape(-1, d))
    print(f"omnibus {which} d={d} {solver}: max aligned difference {error:.2e}")
    assert error < TOL


def test_elbows_match_graspologic():
    gen = np.random.default_rng(3)
    for _ in range(100):
        values = np.sort(gen.gamma(1.0, size=gen.integers(2, 40)))[::-1]
        assert select_dimension(values, n_elbows=3) == list(grasp_select_dimension(values, n_elbows=3)[0])
