"""Model distances, classical MDS and the model manifold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from hftree.errors import InputFormatError, NotFittedError, ParameterError
from hftree.kernels import (
    DataKernels,
    ModelManifold,
    OmnibusEmbed,
    classical_mds,
    knn_kernels,
    model_distances,
    sample_rdpg,
)

STEPS = np.linspace(0.0, 1.0, 8)


def test_mds_orders_a_family_of_perturbed_embeddings(synth):
    """Acceptance: MDS recovers the order of a one-parameter family (Spearman >= 0.9).

    Model t embeds the items as ``y + t * e`` for a fixed perturbation ``e``; the
    pipeline is kNN kernels (k = 10) -> omnibus (elbow) -> distances -> MDS.
    """
    rhos = []
    for seed in range(3):
        gen = np.random.default_rng(seed)
        y = synth.clustered_embeddings(300, gen)
        e = 2.0 * gen.normal(size=y.shape)
        kernels = knn_kernels({f"t={t:.2f}": y + t * e for t in STEPS}, k=10)
        manifold = ModelManifold().fit(OmnibusEmbed(random_state=seed).fit(kernels))
        rhos.append(abs(spearmanr(manifold.embedding_["mds_1"], STEPS).statistic))
    print(f"|Spearman| per seed: {np.round(rhos, 3).tolist()}")
    assert min(rhos) >= 0.9


def test_mds_orders_a_family_of_rdpg_perturbations(synth):
    """Same, on RDPG ground truth: item angles drift by ``t * delta_i``."""
    rhos = []
    for seed in range(3):
        gen = np.random.default_rng(10 + seed)
        angles = gen.uniform(0.2, 1.3, 250)
        drift = gen.normal(0.0, 0.6, 250)
        graphs = {f"t={t:.2f}": sample_rdpg(synth.arc_positions(angles + t * drift), random_state=gen) for t in STEPS}
        omni = OmnibusEmbed(n_components=2, random_state=seed).fit(DataKernels.from_matrices(graphs))
        manifold = ModelManifold().fit(model_distances(omni))
        rhos.append(abs(spearmanr(manifold.embedding_["mds_1"], STEPS).statistic))
    print(f"|Spearman| per seed: {np.round(rhos, 3).tolist()}")
    assert min(rhos) >= 0.9


def test_classical_mds_recovers_euclidean_configuration():
    gen = np.random.default_rng(0)
    points = gen.normal(size=(7, 2))
    d = np.linalg.norm(points[:, None] - points[None], axis=2)
    coords, eig = classical_mds(d, n_components=2)
    np.testing.assert_allclose(np.linalg.norm(coords[:, None] - coords[None], axis=2), d, atol=1e-10)
    assert np.allclose(eig[2:], 0.0, atol=1e-10)


def test_model_distances_are_rms_displacements():
    z = {"a": np.zeros((4, 2)), "b": np.ones((4, 2))}
    d = model_distances(z)
    assert d.loc["a", "b"] == pytest.approx(np.sqrt(2.0))
    assert d.index.name == "model_id" and list(d.columns) == ["a", "b"]


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_distances_invariant_to_relabelling_items_and_rotation(seed):
    gen = np.random.default_rng(seed)
    z = {m: gen.normal(size=(15, 3)) for m in "abc"}
    perm = gen.permutation(15)
    rot, _ = np.linalg.qr(gen.normal(size=(3, 3)))
    moved = {m: v[perm] @ rot for m, v in z.items()}
    np.testing.assert_allclose(model_distances(moved).values, model_distances(z).values, atol=1e-9)


def test_manifold_summary_scree_and_plots():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    z = {f"m{t}": np.full((5, 2), float(t)) for t in range(4)}
    manifold = ModelManifold().fit(model_distances(z))
    assert list(manifold.summary.columns) == ["mds_1", "mds_2", "mean_distance"]
    assert manifold.scree()["explained"].iloc[0] == pytest.approx(1.0)
    assert manifold.explained_[0] == pytest.approx(1.0)
    ax = manifold.plot()
    assert [t.get_text() for t in ax.texts] == ["m0", "m1", "m2", "m3"]
    assert manifold.plot_scree().get_title() == "MDS scree"
    assert "4 models in 2 dimensions" in repr(manifold) and "<table" in manifold._repr_html_()
    assert repr(ModelManifold()) == "ModelManifold(n_components=2)"


def test_manifold_errors():
    with pytest.raises(NotFittedError, match="fit the OmnibusEmbed"):
        model_distances(OmnibusEmbed())
    with pytest.raises(InputFormatError, match="2-D arrays of one shape"):
        model_distances({"a": np.zeros((3, 2)), "b": np.zeros((4, 2))})
    with pytest.raises(InputFormatError, match="fitted OmnibusEmbed or a non-empty mapping"):
        model_distances([])
    with pytest.raises(InputFormatError, match="square matrix of at least 2 models"):
        classical_mds(np.zeros((1, 1)))
    with pytest.raises(InputFormatError, match="finite and non-negative"):
        classical_mds(np.array([[0.0, -1.0], [-1.0, 0.0]]))
    with pytest.raises(InputFormatError, match="not symmetric"):
        classical_mds(np.array([[0.0, 1.0], [2.0, 0.0]]))
    with pytest.raises(ParameterError, match="n_components: expected a whole number between 1 and 2, got 3"):
        classical_mds(np.array([[0.0, 1.0], [1.0, 0.0]]), n_components=3)
    frame = pd.DataFrame([[0.0, 1.0], [1.0, 0.0]], index=["a", "b"], columns=["b", "a"])
    with pytest.raises(InputFormatError, match="same model ids, in the same order"):
        ModelManifold().fit(frame)
