"""The golden-section MLE that probes once per step equals, bit for bit, the one that probes twice."""

from __future__ import annotations

import numpy as np
import pytest

from hftree.evolution import _csn


@pytest.mark.parametrize("seed", range(40))
def test_one_probe_per_step_is_exactly_the_reference(seed):
    rng = np.random.default_rng(seed)
    x = _csn.sample_power_law(rng.uniform(1.3, 3.8), float(rng.integers(1, 80)), int(rng.integers(10, 4000)), rng)
    u, c = np.unique(x, return_counts=True)
    n = np.cumsum(c[::-1])[::-1].astype(np.float64)
    slog = np.cumsum((c * np.log(u))[::-1])[::-1]
    np.testing.assert_array_equal(_csn._mle(n, slog, u), _csn._mle_reference(n, slog, u))


def test_both_sides_of_the_series_split():
    u = np.array([1.0, 2.0, 29.0, 30.0, 31.0, 500.0])  # scipy's zeta below 30, the series from 30 on
    n = np.array([900.0, 400.0, 60.0, 58.0, 50.0, 3.0])
    slog = n * np.log(u) * 1.3
    np.testing.assert_array_equal(_csn._mle(n, slog, u), _csn._mle_reference(n, slog, u))
