"""The ordering of trait values that agrees with the most oriented transitions.

Given transition counts ``W[i, j]`` (parent value ``i`` → child value ``j``), the
pair ``{i, j}`` is *oriented* ``i → j`` when ``W[i, j] > W[j, i]`` (net flow). An
ordering of the values *agrees* with an oriented pair when ``i`` comes before
``j``. Finding the ordering that agrees with the most oriented pairs is the
linear ordering problem (NP-hard in general). For up to ``max_exact = 20``
values hftree solves it exactly as the integer program of Laufer, Oderinwale &
Kleinberg (2025) with :func:`scipy.optimize.milp` (HiGHS): one binary ``x_ij`` per
pair ``i < j`` ("``i`` before ``j``") and, for every triple ``i < j < k``, the
transitivity constraints ``0 ≤ x_ij + x_jk − x_ik ≤ 1``. Beyond that a greedy
ordering improved by insertion moves is returned and flagged ``exact=False``.

``objective="pairs"`` counts agreeing oriented pairs (the paper's main measure);
``objective="net"`` weighs each by its net flow ``|W[i, j] − W[j, i]|``. Ties are
broken by the other objective, then by the order the values were given in.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations
from typing import ClassVar, Literal, get_args

import numpy as np
import pandas as pd

from hftree._checks import whole_number
from hftree._results import Result
from hftree.errors import OrderingError, ParameterError

__all__ = ["METHODS", "OBJECTIVES", "Method", "Objective", "OrderingError", "TraitOrdering", "greedy_ordering",
           "linear_ordering", "ordering_score"]

#: What an ordering maximises: agreeing oriented pairs, or their net flow.
Objective = Literal["pairs", "net"]
OBJECTIVES: tuple[str, ...] = get_args(Objective)
#: How the ordering is found (``auto``: exact up to ``max_exact`` values, else local search).
Method = Literal["auto", "milp", "greedy", "local-search", "brute-force"]
METHODS: tuple[str, ...] = get_args(Method)


@dataclass(frozen=True, repr=False)
class TraitOrdering(Result):
    """An ordering of trait values and how well it agrees with the observed transitions.

    Attributes
    ----------
    trait : str
    order : tuple of str
        Values, "upstream" first: transitions mostly run from earlier to later values.
    objective : {"pairs", "net"}
    method : {"milp", "greedy", "local-search", "brute-force"}
    exact : bool
        Proven optimal.
    oriented_pairs, agreeing_pairs : int
        Pairs of values with a net flow, and those whose flow runs forward in ``order``.
    transitions_total, transitions_agreeing : float
        Transitions between the values (both directions), and those running forward.
    """

    trait: str
    order: tuple[str, ...]
    objective: str
    method: str
    exact: bool
    oriented_pairs: int
    agreeing_pairs: int
    transitions_total: float
    transitions_agreeing: float
    flow: pd.DataFrame | None = None

    title: ClassVar[str] = "Ordering"

    @property
    def share_pairs_agree(self) -> float:
        """Share of oriented pairs whose net flow runs forward in the ordering."""
        return self.agreeing_pairs / self.oriented_pairs if self.oriented_pairs else float("nan")

    @property
    def share_transitions(self) -> float:
        """Share of all transitions between the values that run forward in the ordering."""
        return self.transitions_agreeing / self.transitions_total if self.transitions_total else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """One row per value: position, value, net transitions out and in (among the ordered values)."""
        rows = []
        f = self.flow
        for i, v in enumerate(self.order):
            out_ = float(f.loc[f["a"] == v, "net"].sum()) if f is not None else np.nan
            in_ = float(f.loc[f["b"] == v, "net"].sum()) if f is not None else np.nan
            rows.append({"position": i + 1, "value": v, "net_out": out_, "net_in": in_})
        return pd.DataFrame(rows)

    @property
    def summary(self) -> pd.DataFrame:
        """One row: the order (``a < b < …``), how it was found and how well it agrees."""
        return pd.DataFrame([{
            "trait": self.trait, "order": " < ".join(self.order), "objective": self.objective,
            "method": self.method, "exact": self.exact, "oriented_pairs": self.oriented_pairs,
            "agreeing_pairs": self.agreeing_pairs, "share_pairs_agree": self.share_pairs_agree,
            "transitions_total": self.transitions_total, "transitions_agreeing": self.transitions_agreeing,
            "share_transitions": self.share_transitions,
        }])

    def _note(self) -> str:
        return (f"{self.trait} ({self.method}{', exact' if self.exact else ''}): {' < '.join(self.order)}; "
                f"{self.agreeing_pairs}/{self.oriented_pairs} oriented pairs agree ({self.share_pairs_agree:.1%}), "
                f"{self.share_transitions:.1%} of transitions")


def _weights(W: np.ndarray, objective: str) -> tuple[np.ndarray, np.ndarray]:
    """Primary and tie-break weights of "i before j" for every ordered pair."""
    net = W - W.T
    pairs = (net > 0).astype(np.float64)
    netw = np.where(net > 0, net, 0.0).astype(np.float64)
    if objective == "pairs":
        return pairs, netw
    if objective == "net":
        return netw, pairs
    raise ParameterError("objective", " or ".join(repr(o) for o in OBJECTIVES), objective)


def ordering_score(W: np.ndarray, order: np.ndarray | list[int], objective: Objective = "pairs") -> float:
    """Objective value of ``order`` (indices into ``W``): agreeing oriented pairs, or their net flow."""
    P, _ = _weights(np.asarray(W, dtype=np.float64), objective)
    pos = np.empty(len(order), dtype=np.int64)
    pos[np.asarray(order)] = np.arange(len(order))
    before = pos[:, None] < pos[None, :]
    return float((P * before).sum())


def greedy_ordering(W: np.ndarray, objective: Objective = "pairs") -> np.ndarray:
    """Order values by (outgoing − incoming) oriented weight, descending; ties keep input order.

    >>> W = np.array([[0, 5, 0], [1, 0, 4], [2, 0, 0]])
    >>> greedy_ordering(W).tolist()
    [0, 1, 2]
    """
    P, T = _weights(np.asarray(W, dtype=np.float64), objective)
    score = P.sum(axis=1) - P.sum(axis=0)
    tie = T.sum(axis=1) - T.sum(axis=0)
    return np.lexsort((np.arange(len(score)), -tie, -score))


def _local_search(P: np.ndarray, T: np.ndarray, start: np.ndarray) -> np.ndarray:
    order: list[int] = [int(v) for v in start]
    eps = 1.0 / (1.0 + T.sum())

    def score(o: list[int]) -> float:
        idx = np.asarray(o)
        up = np.triu(np.ones((len(o), len(o)), dtype=bool), 1)
        return float((P[np.ix_(idx, idx)] * up).sum() + eps * (T[np.ix_(idx, idx)] * up).sum())

    best = score(order)
    improved = True
    while improved:  # first-improvement insertion moves until none helps
        improved = False
        for i in range(len(order)):
            v = order[i]
            rest = order[:i] + order[i + 1 :]
            for j in range(len(order)):
                if j == i:
                    continue
                cand = [*rest[:j], v, *rest[j:]]
                s = score(cand)
                if s > best + 1e-12:
                    order, best, improved = cand, s, True
                    break
            if improved:
                break
    return np.asarray(order)


def _milp(P: np.ndarray, T: np.ndarray) -> np.ndarray:
    from scipy.optimize import Bounds, LinearConstraint, milp

    K = len(P)
    iu, ju = np.triu_indices(K, 1)
    var = -np.ones((K, K), dtype=np.int64)
    var[iu, ju] = np.arange(len(iu))
    eps = 1.0 / (1.0 + T.sum())
    # maximise Σ_{i<j} (P_ij - P_ji) x_ij + eps (T_ij - T_ji) x_ij (+ constants); tie-break by index order
    gain = (P[iu, ju] - P[ju, iu]) + eps * (T[iu, ju] - T[ju, iu])
    tiny = eps / (1.0 + len(iu)) * 1e-3
    c = -(gain + tiny)
    rows, cols, vals = [], [], []
    r = 0
    for i in range(K):
        for j in range(i + 1, K):
            for k in range(j + 1, K):
                rows += [r, r, r]
                cols += [var[i, j], var[j, k], var[i, k]]
                vals += [1.0, 1.0, -1.0]
                r += 1
    constraints = []
    if r:
        from scipy.sparse import csr_matrix

        A = csr_matrix((vals, (rows, cols)), shape=(r, len(iu)))
        constraints.append(LinearConstraint(A, np.zeros(r), np.ones(r)))
    res = milp(c, integrality=np.ones(len(iu)), bounds=Bounds(0, 1), constraints=constraints,
               options={"mip_rel_gap": 0.0})
    if res.x is None:  # pragma: no cover - the LOP polytope is never empty
        raise OrderingError(f"the ordering integer program failed: {res.message}")
    x = np.round(res.x).astype(np.int64)
    before = np.zeros((K, K), dtype=np.int64)  # before[i, j] = 1: i before j
    before[iu, ju] = x
    before[ju, iu] = 1 - x
    n_before = before.sum(axis=0)  # how many values precede each value
    return np.argsort(n_before, kind="stable")


def linear_ordering(W: np.ndarray, *, objective: Objective = "pairs", method: Method = "auto",
                    max_exact: int = 20) -> tuple[np.ndarray, str, bool]:
    """Solve the linear ordering problem on transition counts ``W``.

    Returns ``(order, method used, exact)``. ``method``: ``"auto"`` (milp up to ``max_exact``
    values, else local search), ``"milp"``, ``"greedy"``, ``"local-search"``, ``"brute-force"``
    (all permutations; for tests, ≤ 9 values).

    >>> W = np.array([[0, 3, 0], [0, 0, 3], [1, 0, 0]])
    >>> order, how, exact = linear_ordering(W)
    >>> order.tolist(), how, exact
    ([0, 1, 2], 'milp', True)
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise OrderingError(f"transition counts must be a square matrix, got shape {W.shape}")
    if method not in METHODS:
        raise ParameterError("method", f"one of {', '.join(METHODS)}", method)
    whole_number("max_exact", max_exact, 0)
    K = len(W)
    P, T = _weights(W, objective)
    if K <= 1:
        return np.arange(K), "trivial", True
    if method == "auto":
        method = "milp" if max_exact >= K else "local-search"
    if method == "milp":
        return _milp(P, T), "milp", True
    if method == "greedy":
        return greedy_ordering(W, objective), "greedy", False
    if method == "local-search":
        return _local_search(P, T, greedy_ordering(W, objective)), "local-search", False
    if method == "brute-force":
        if K > 9:
            raise OrderingError(f"brute force over {K}! orderings is too slow; use method='milp'")
        eps = 1.0 / (1.0 + T.sum())
        up = np.triu(np.ones((K, K), dtype=bool), 1)
        best, best_o = -np.inf, None
        for o in permutations(range(K)):
            idx = np.asarray(o)
            s = (P[np.ix_(idx, idx)] * up).sum() + eps * (T[np.ix_(idx, idx)] * up).sum()
            if s > best + 1e-12:
                best, best_o = s, idx
        return np.asarray(best_o), "brute-force", True
    raise AssertionError(method)  # pragma: no cover - every method of METHODS is handled above


def order_values(trait: str, values: list[str], W: np.ndarray, *, objective: Objective = "pairs",
                 method: Method = "auto", max_exact: int = 20, flow: pd.DataFrame | None = None) -> TraitOrdering:
    """Order ``values`` (labels of the rows/columns of ``W``) and report agreement."""
    W = np.asarray(W, dtype=np.float64)
    order, how, exact = linear_ordering(W, objective=objective, method=method, max_exact=max_exact)
    pos = np.empty(len(order), dtype=np.int64)
    pos[order] = np.arange(len(order))
    before = pos[:, None] < pos[None, :]
    net = W - W.T
    oriented = net > 0
    off = ~np.eye(len(W), dtype=bool)
    return TraitOrdering(
        trait, tuple(values[i] for i in order), objective, how, exact,
        int(oriented.sum()), int((oriented & before).sum()),
        float(W[off].sum()), float(W[before].sum()), flow,
    )
