"""CSN fits against ``powerlaw`` (Alstott et al.), and the law comparison on trees of known growth."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from hftree.errors import ParameterError
from hftree.evolution import fit_law, hub_laws, law_samples, simulate_forest
from hftree.evolution._csn import alpha_se, sample_power_law, scan_xmin
from hftree.evolution._tpl import fit_truncated_power_law

powerlaw = pytest.importorskip("powerlaw")


def _powerlaw_fit(x, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return powerlaw.Fit(x, discrete=True, estimate_discrete=False, verbose=0, **kw)


@pytest.mark.parametrize(("alpha", "xmin", "seed"), [(2.2, 1, 0), (2.7, 5, 1), (1.8, 3, 2)])
def test_scan_matches_powerlaw(alpha, xmin, seed):
    rng = np.random.default_rng(seed)
    # a non-power-law body under the tail, so that x_min has to be found
    x = np.concatenate([sample_power_law(alpha, xmin, 2000, rng), rng.integers(1, xmin + 1, 300)])
    mine = scan_xmin(x)  # min_tail=1: powerlaw's own candidates
    ref = _powerlaw_fit(x)
    assert mine.xmin == ref.xmin
    assert mine.alpha == pytest.approx(ref.power_law.alpha, abs=2e-4)
    assert mine.ks == pytest.approx(ref.power_law.D, abs=2e-4)
    assert mine.n_tail == int(ref.n_tail)


def test_alpha_se_is_fisher_information_and_close_to_the_large_xmin_formula():
    # for a large x_min the discrete law is nearly continuous: SE -> (alpha - 1) / sqrt(n)
    assert alpha_se(2.5, 200, 4000) == pytest.approx(1.5 / np.sqrt(4000), rel=0.01)
    # at x_min = 1 the discrete information differs markedly from the continuous one
    assert abs(alpha_se(2.5, 1, 4000) / (1.5 / np.sqrt(4000)) - 1) > 0.05
    # and it predicts the spread of the estimate over repeated samples
    rng = np.random.default_rng(3)
    est = [scan_xmin(sample_power_law(2.5, 1, 2000, rng), xmin=1).alpha for _ in range(60)]
    assert np.std(est, ddof=1) == pytest.approx(alpha_se(2.5, 1, 2000), rel=0.3)


def test_sampler_follows_the_discrete_law():
    rng = np.random.default_rng(4)
    x = sample_power_law(2.0, 2, 200_000, rng)
    from scipy.special import zeta

    for v in (2, 3, 7, 40):
        assert (x == v).mean() == pytest.approx(v**-2.0 / zeta(2.0, 2), rel=0.05)


def test_truncated_power_law_matches_powerlaw():
    rng = np.random.default_rng(5)
    x = np.floor(rng.pareto(1.2, 3000) * 3 + 3)
    x = x[x < 300]
    ref = _powerlaw_fit(x, xmin=3)
    a, lam, ll = fit_truncated_power_law(ref.data, 3)
    tp = ref.truncated_power_law
    assert ll.sum() >= tp.loglikelihoods(ref.data).sum() - 1e-3  # at least as good an optimum
    assert a == pytest.approx(tp.alpha, abs=0.02)
    assert lam == pytest.approx(tp.Lambda, rel=0.05, abs=1e-5)


def test_bootstrap_p_value_accepts_a_power_law_and_rejects_a_geometric_sample():
    rng = np.random.default_rng(6)
    good = fit_law(sample_power_law(2.4, 1, 3000, rng), n_boot=60, compare=False, random_state=1)
    assert good.p_gof > 0.1
    fixed = fit_law(sample_power_law(2.4, 1, 3000, rng), xmin=1, n_boot=60, compare=False, random_state=1)
    assert fixed.p_gof > 0.1
    # a geometric sample from 1 on is no power law; (with x_min free, CSN find a steep far tail that is)
    bad = fit_law(rng.geometric(0.2, 3000), xmin=1, n_boot=60, compare=False, random_state=1)
    assert bad.p_gof < 0.1


def _out_degrees(gamma, n=20_000, seed=0):
    _, parent, _ = simulate_forest(np.array([n]), gamma=gamma, random_state=seed)
    deg = np.bincount(parent[parent >= 0], minlength=n)
    return deg[deg > 0]


def test_comparison_picks_the_generating_family():
    # linear preferential attachment: a power-law degree tail (exponent 3)
    pa = fit_law(_out_degrees(1.0), n_boot=0, random_state=0)
    assert pa.preferred in ("power_law", "truncated_power_law")
    assert pa.alpha == pytest.approx(3.0, abs=0.35)
    # uniform attachment (random recursive tree): geometric degrees, an exponential tail
    uni = fit_law(_out_degrees(0.0), n_boot=0, random_state=0)
    assert uni.preferred in ("exponential", "stretched_exponential")
    row = uni.summary.iloc[0]
    assert row["R_exponential"] < 0


def test_hub_laws_on_the_toy_graph_and_errors():
    from hftree.datasets import toy_graph

    G = toy_graph()
    s = law_samples(G)
    assert s["children_quantized"].tolist() == [1, 1]
    t = hub_laws(G, n_boot=0, compare=False)
    assert set(t.to_frame()["quantity"]) == {"family_size", "children"}  # one distinct value elsewhere
    with pytest.raises(ParameterError):
        fit_law(np.array([3, 3, 3]))
    with pytest.raises(ParameterError):
        hub_laws(G, quantities=["nope"])
    with pytest.raises(ParameterError):
        fit_law(np.array([1, 2, 3]), n_boot=-1)


@pytest.mark.parametrize("nested", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loglikelihood_ratio_is_powerlaws_to_the_last_bit(nested, seed):
    from powerlaw.statistics import loglikelihood_ratio as reference

    from hftree.evolution.laws import loglikelihood_ratio

    rng = np.random.default_rng(seed)
    a, b = rng.normal(-3, 1, 200), rng.normal(-3.1, 1.2, 200)
    a[3], b[7] = -np.inf, -np.inf  # a zero likelihood: both put the same floor in its place
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        R, p = reference(a.copy(), b.copy(), nested=nested)
        Rn, _ = reference(a.copy(), b.copy(), nested=nested, normalized_ratio=True)
    assert loglikelihood_ratio(a, b, nested=nested) == (float(R), float(Rn), float(p))
    assert np.isneginf(a[3])  # the caller's arrays are left alone
    assert loglikelihood_ratio(a[:0], b[:0], nested=nested) == (0.0, 0.0, 1.0)
