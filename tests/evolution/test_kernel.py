"""Attachment-kernel recovery on trees grown with a known exponent."""

from __future__ import annotations

import numpy as np
import pytest

from hftree.errors import ParameterError
from hftree.evolution import attachment_kernel, kernel_table, simulate_graph


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 1.5])
def test_recovers_the_exponent(gamma):
    G = simulate_graph(8000, gamma=gamma, random_state=int(gamma * 10))
    k = attachment_kernel(G, n_boot=100)
    assert abs(k.gamma - gamma) < 0.08
    assert k.gamma_low <= k.gamma <= k.gamma_high
    assert k.gamma_high - k.gamma_low < 0.3


def test_several_trees_compete_for_one_attachment_process():
    # trees grown independently, interleaved in time: each tree has its own normaliser, yet within a
    # window the kernel still shows through (uniform stays near 0, linear near 1)
    for g in (0.0, 1.0):
        k = attachment_kernel(simulate_graph(1500, gamma=g, n_trees=4, random_state=3), n_boot=0)
        assert abs(k.gamma - g) < 0.25


def test_kernel_table_and_errors():
    G = simulate_graph(600, gamma=1.0, relation="adapter")
    t = kernel_table(G, relations=(None, "adapter", "finetune"), n_boot=20)
    assert t["relation"].tolist() == ["all", "adapter", "finetune"]
    assert np.isnan(t.loc[2, "gamma"]) and t.loc[0, "gamma"] == pytest.approx(t.loc[1, "gamma"])
    with pytest.raises(ParameterError):
        attachment_kernel(G, n_windows=0)
    from hftree.datasets import toy_graph

    with pytest.raises(ParameterError):
        attachment_kernel(toy_graph())  # too few events for two degree bins
