"""The linear-ordering solver: exact (milp) against brute force, a case where greedy is worse, shares."""

from __future__ import annotations

import numpy as np
import pytest

from hftree.drift import OrderingError, greedy_ordering, linear_ordering, ordering_score
from hftree.drift.ordering import order_values
from hftree.errors import ParameterError

# Oriented pairs (net flow): 0→3, 3→1, 3→2, 4→0, 4→1 — acyclic, so a perfect ordering
# 4 < 0 < 3 < {1, 2} exists. Sorting by (out − in) puts 3 (+1) before 0 (0) and loses 0→3.
W_GREEDY_LOSES = np.array([
    [0, 0, 0, 1, 1],
    [0, 0, 0, 0, 0],
    [0, 0, 0, 2, 0],
    [0, 3, 3, 0, 0],
    [2, 1, 0, 0, 0],
])


def test_exact_ordering_differs_from_greedy():
    W = W_GREEDY_LOSES
    exact, how, is_exact = linear_ordering(W)
    greedy = greedy_ordering(W)
    brute, _, _ = linear_ordering(W, method="brute-force")
    assert (how, is_exact) == ("milp", True)
    assert ordering_score(W, exact) == ordering_score(W, brute) == 5.0  # every oriented pair agrees
    assert ordering_score(W, greedy) == 4.0
    assert greedy.tolist() == [4, 3, 0, 2, 1]
    assert exact.tolist()[:3] == [4, 0, 3] and set(exact.tolist()[3:]) == {1, 2}
    local, how, is_exact = linear_ordering(W, method="local-search")
    assert ordering_score(W, local) == 5.0 and how == "local-search" and not is_exact


@pytest.mark.parametrize("objective", ["pairs", "net"])
@pytest.mark.parametrize("seed", range(12))
def test_milp_is_optimal_against_brute_force(seed, objective):
    rng = np.random.default_rng(seed)
    K = int(rng.integers(3, 8))
    W = (rng.random((K, K)) < 0.5) * rng.integers(1, 6, (K, K))
    np.fill_diagonal(W, 0)
    exact, _, _ = linear_ordering(W, objective=objective)
    brute, _, _ = linear_ordering(W, objective=objective, method="brute-force")
    assert ordering_score(W, exact, objective) == ordering_score(W, brute, objective)
    assert ordering_score(W, exact, objective) >= ordering_score(W, greedy_ordering(W, objective), objective)


def test_twenty_values_solve_exactly_and_beyond_is_heuristic():
    rng = np.random.default_rng(0)
    W = (rng.random((20, 20)) < 0.3) * rng.integers(1, 9, (20, 20))
    np.fill_diagonal(W, 0)
    order, how, exact = linear_ordering(W)
    assert how == "milp" and exact and sorted(order.tolist()) == list(range(20))
    assert ordering_score(W, order) >= ordering_score(W, greedy_ordering(W))
    W21 = np.pad(W, ((0, 1), (0, 1)))
    _, how, exact = linear_ordering(W21)
    assert (how, exact) == ("local-search", False)


def test_shares_reported():
    labels = ["a", "b", "c", "d", "e"]
    o = order_values("t", labels, W_GREEDY_LOSES)
    assert o.order[:3] == ("e", "a", "d")
    assert (o.oriented_pairs, o.agreeing_pairs) == (5, 5) and o.share_pairs_agree == 1.0
    # 13 transitions; forward in e < a < d < {b, c}: e→a 2, e→b 1, a→d 1, d→b 3, d→c 3 = 10;
    # against it: a→e 1, c→d 2
    assert o.transitions_total == W_GREEDY_LOSES.sum() == 13
    assert o.transitions_agreeing == 10 and o.share_transitions == pytest.approx(10 / 13)
    assert "e < a < d" in repr(o) and "e &lt; a &lt; d" in o._repr_html_()
    assert o.summary.loc[0, "order"].startswith("e < a < d") and o.summary.loc[0, "agreeing_pairs"] == 5
    assert o.to_frame()["value"].tolist() == list(o.order)


def test_errors():
    with pytest.raises(OrderingError, match="square matrix, got shape \\(2, 3\\)"):
        linear_ordering(np.zeros((2, 3)))
    with pytest.raises(ParameterError, match=r"method: expected one of auto, milp, .*got 'anneal'"):
        linear_ordering(np.zeros((3, 3)), method="anneal")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="objective: expected 'pairs' or 'net', got 'weighted'"):
        linear_ordering(np.zeros((3, 3)), objective="weighted")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="max_exact: expected a whole number >= 0, got -1"):
        linear_ordering(np.zeros((3, 3)), max_exact=-1)
    with pytest.raises(OrderingError, match="brute force over 10! orderings is too slow"):
        linear_ordering(np.zeros((10, 10)), method="brute-force")
