"""The p-values of hftree._pvalues against scipy.stats, which they stand in for."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hftree._pvalues import binom_two_sided, normal_two_sided, t_two_sided, wilcoxon_two_sided


@pytest.mark.parametrize("z", [0.0, 0.3, -1.96, 4.2, -12.0, np.inf])
def test_normal_tail_is_scipys_to_the_last_bit(z):
    assert normal_two_sided(z) == float(2 * stats.norm.sf(abs(z)))


@pytest.mark.parametrize(("t", "df"), [(0.0, 3), (2.1, 1), (-3.4, 17), (40.0, 250), (0.7, 2.5)])
def test_t_tail_is_scipys_to_the_last_bit(t, df):
    assert t_two_sided(t, df) == float(2 * stats.t.sf(abs(t), df))


def test_binomial_test_agrees_with_scipy_on_every_split_up_to_60():
    for n in range(1, 61):
        for k in range(n + 1):
            assert binom_two_sided(k, n) == pytest.approx(stats.binomtest(k, n).pvalue, rel=1e-11, abs=1e-300)
    with pytest.raises(ValueError, match="0 <= k <= n"):
        binom_two_sided(5, 4)


def _cases():
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 5, 8, 13, 14, 20, 50, 51, 80, 300):
        yield rng.normal(0.3, 1, n)  # no ties: exact up to 50, normal beyond
        tied = rng.integers(-4, 6, n).astype(float)  # ties: sign flips up to 13, normal beyond
        tied[tied == 0] = 1.0
        yield tied
    yield np.array([2.0, 2.0, 2.0])  # all tied, all positive
    yield np.array([-1.0, 1.0, -1.0, 1.0])  # a tie across signs


@pytest.mark.parametrize("d", list(_cases()), ids=lambda d: f"n{len(d)}")
def test_wilcoxon_agrees_with_scipys_default_rule(d):
    assert wilcoxon_two_sided(d) == pytest.approx(stats.wilcoxon(d).pvalue, rel=1e-12, abs=1e-300)


def test_wilcoxon_refuses_zeros_and_empty_input():
    for bad in (np.array([]), np.array([1.0, 0.0])):
        with pytest.raises(ValueError, match="none of them zero"):
            wilcoxon_two_sided(bad)
