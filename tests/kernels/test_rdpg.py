"""The exact RDPG samplers (dense and blocked) draw every edge with probability P_ij."""

from __future__ import annotations

import numpy as np
import pytest

from hftree.errors import InputFormatError
from hftree.kernels import rdpg_probabilities, sample_rdpg
from hftree.kernels.rdpg import BlockedSampler


def edge_frequencies(x, signs, method, draws, leaf=None):
    n = x.shape[0]
    total = np.zeros((n, n))
    gen = np.random.default_rng(7)
    if method == "blocked" and leaf is not None:
        sampler = BlockedSampler(x, np.ones(x.shape[1]) if signs is None else signs, leaf=leaf)
        for _ in range(draws):
            total += sampler.draw(gen).toarray()
    else:
        for _ in range(draws):
            total += sample_rdpg(x, signs, random_state=gen, method=method).toarray()
    return total / draws


@pytest.mark.parametrize(("method", "leaf"), [("dense", None), ("blocked", None), ("blocked", 16)])
def test_edge_frequencies_match_probabilities(method, leaf):
    """z-scores of the empirical edge frequencies are standard normal (exactness)."""
    gen = np.random.default_rng(0)
    x = gen.dirichlet([0.5, 0.5, 0.5], size=150) * gen.uniform(0.2, 1.0, size=(150, 1))
    p = rdpg_probabilities(x)
    draws = 300
    freq = edge_frequencies(x, None, method, draws, leaf)
    iu = np.triu_indices(150, 1)
    informative = (p[iu] > 0.05) & (p[iu] < 0.95)
    z = (freq[iu] - p[iu])[informative] / np.sqrt(p[iu] * (1 - p[iu]) / draws)[informative]
    assert abs(z.mean()) < 0.02  # ~6000 pairs: the mean z has standard error ~0.013
    assert 0.95 < z.std() < 1.05
    assert freq[iu][p[iu] == 0].max(initial=0.0) == 0.0  # impossible edges never appear
    total_z = (freq[iu].sum() - p[iu].sum()) / np.sqrt((p[iu] * (1 - p[iu])).sum() / draws)
    assert abs(total_z) < 4


def test_generalised_rdpg_with_negative_signs():
    gen = np.random.default_rng(1)
    x = gen.normal(size=(120, 2)) * 0.4
    signs = np.array([1.0, -1.0])
    p = rdpg_probabilities(x, signs)
    freq = edge_frequencies(x, signs, "blocked", 300, leaf=16)
    iu = np.triu_indices(120, 1)
    assert np.abs(freq[iu] - p[iu]).max() < 0.12
    assert abs(freq[iu].sum() - p[iu].sum()) / p[iu].sum() < 0.02


def test_sampled_graph_is_symmetric_hollow_binary():
    x = np.random.default_rng(2).uniform(0.1, 0.6, size=(1500, 2))  # above the dense limit
    graph = sample_rdpg(x, random_state=3)
    assert graph.shape == (1500, 1500)
    assert (graph != graph.T).nnz == 0
    assert not graph.diagonal().any()
    assert set(np.unique(graph.data)) == {1.0}


def test_blocked_sampler_skips_orthogonal_leaves():
    x = np.repeat([[0.9, 0.0], [0.0, 0.9]], 200, axis=0)
    sampler = BlockedSampler(x, np.ones(2), leaf=50)
    graph = sampler.draw(np.random.default_rng(0))
    assert graph[:200, 200:].sum() == 0
    # only the leaf pairs inside each block are ever proposed
    assert float(sampler.cells @ sampler.q) == pytest.approx(2 * 10 * 50 * 50 * 0.81)  # 4 + 6 leaf pairs


def test_same_seed_same_graph():
    x = np.full((50, 1), 0.5)
    a = sample_rdpg(x, random_state=11)
    b = sample_rdpg(x, random_state=11)
    assert (a != b).nnz == 0


def test_rdpg_errors():
    with pytest.raises(InputFormatError, match="at least 2 rows"):
        sample_rdpg(np.ones((1, 2)))
    with pytest.raises(InputFormatError, match="NaN or infinite"):
        sample_rdpg(np.array([[0.5], [np.nan]]))
    with pytest.raises(InputFormatError, match="signs must be 2 values of"):
        sample_rdpg(np.ones((3, 2)) * 0.5, signs=[1.0])
    with pytest.raises(InputFormatError, match="method must be"):
        sample_rdpg(np.ones((3, 2)) * 0.5, method="poisson")
