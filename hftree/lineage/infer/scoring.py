"""Scoring and calibration: a logistic model of the evidence, then isotonic calibration.

:class:`InferenceModel` learns, from candidates whose truth is known (children with a declared
parent, their declarations hidden), how much each kind of evidence is worth: an L2-penalised
logistic regression on :data:`~hftree.lineage.infer.candidates.FEATURES` (fitted with
``scipy.optimize``), then an isotonic map (pool-adjacent-violators) from the score of each
child's best candidate to the share of such candidates that are right. The confidence of an
inferred edge is that calibrated share; :func:`reliability_table` checks it on held-out data.
Only NumPy and SciPy are used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from hftree._random import RandomState, check_random_state
from hftree.errors import NotFittedError, ParameterError
from hftree.lineage.infer.candidates import FEATURES, Candidates

__all__ = ["InferenceModel", "isotonic_fit", "reliability_table", "select_edges"]


def isotonic_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-decreasing least-squares fit of ``y`` on ``x`` (pool adjacent violators).

    Returns ``(xs, ys)``: the block edges and fitted values, for ``np.interp(x_new, xs, ys)``.

    >>> xs, ys = isotonic_fit(np.array([1., 2, 3, 4]), np.array([0., 1, 0, 1]))
    >>> ys.tolist()
    [0.0, 0.5, 0.5, 1.0]
    """
    # tied x values are one point (their mean y, weighted by their count): a step never splits a tie
    ux, inv = np.unique(np.asarray(x, float), return_inverse=True)
    w0 = np.bincount(inv).astype(float)
    y0 = np.bincount(inv, weights=np.asarray(y, float)) / w0
    vals: list[float] = []
    wts: list[float] = []
    lo: list[int] = []
    for i, (v, w) in enumerate(zip(y0.tolist(), w0.tolist(), strict=True)):
        vals.append(v)
        wts.append(w)
        lo.append(i)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            tot = wts[-2] + wts[-1]
            vals[-2] = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / tot
            wts[-2] = tot
            vals.pop()
            wts.pop()
            lo.pop()
    bounds = np.r_[lo, len(ux)]
    xs, ys = [], []
    for b in range(len(vals)):
        a, e = bounds[b], bounds[b + 1] - 1
        xs.extend([ux[a], ux[e]] if e > a else [ux[a]])
        ys.extend([vals[b]] * (2 if e > a else 1))
    return np.asarray(xs), np.asarray(ys)


def reliability_table(confidence: np.ndarray, correct: np.ndarray, *, bins: int = 10) -> pd.DataFrame:
    """Calibration check: per confidence bin, how many edges, their mean confidence, the share right.

    >>> t = reliability_table(np.array([0.05, 0.95, 0.92, 0.5]), np.array([False, True, True, False]), bins=2)
    >>> t[["bin", "edges", "share_correct"]].to_dict("list")
    {'bin': ['0.0-0.5', '0.5-1.0'], 'edges': [1, 3], 'share_correct': [0.0, 0.6666666666666666]}
    """
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="right") - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        m = which == b
        rows.append({"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "edges": int(m.sum()),
                     "mean_confidence": float(confidence[m].mean()) if m.any() else np.nan,
                     "share_correct": float(correct[m].mean()) if m.any() else np.nan})
    return pd.DataFrame(rows)


def _best_per_child(child: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Position of the highest-scoring candidate of each child (ties: the first)."""
    order = np.lexsort((-score, child))
    first = np.r_[True, child[order][1:] != child[order][:-1]]
    return order[first]


class InferenceModel:
    """Logistic scoring of candidate parents with isotonic calibration.

    Parameters
    ----------
    l2 : float
        Ridge penalty on the standardised coefficients.
    max_children : int
        Fit on the candidates of at most this many labelled children (a seeded random sample);
        more change the weights little and cost time on a Hub-sized snapshot.
    random_state : int, Generator or None
        Seed of that sample.

    Attributes
    ----------
    coef_ : numpy.ndarray
        One weight per feature of :data:`~hftree.lineage.infer.candidates.FEATURES` (standardised).
    intercept_ : float
    calibration_ : tuple of numpy.ndarray
        The isotonic map ``(scores, shares)`` from a child's best raw score to its confidence.
    n_train_ : int
        Labelled children the model was fitted on.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((400, len(FEATURES)))
    >>> y = X[:, 0] + 0.3 * rng.random(400) > 0.8
    >>> child = np.repeat(np.arange(200), 2)
    >>> m = InferenceModel().fit(X, y, child)
    >>> bool(m.coef_[0] > 0), m.n_train_
    (True, 200)
    """

    def __init__(self, *, l2: float = 1.0, max_children: int = 100_000, random_state: RandomState = 0) -> None:
        if not (isinstance(l2, int | float) and l2 >= 0):
            raise ParameterError("l2", "a number >= 0", l2)
        if isinstance(max_children, bool) or not isinstance(max_children, int) or max_children < 1:
            raise ParameterError("max_children", "a whole number >= 1", max_children)
        self.l2 = l2
        self.max_children = max_children
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray, child: np.ndarray) -> InferenceModel:
        """Fit on candidate features ``X``, truth ``y`` (the candidate is a declared parent) and the
        child of each candidate (calibration uses each child's best candidate)."""
        X = np.asarray(X, float)
        y = np.asarray(y, bool)
        child = np.asarray(child)
        if len(X) == 0:
            raise ParameterError("X", "at least one labelled candidate", "none")
        kids = np.unique(child)
        if len(kids) > self.max_children:
            rng = check_random_state(self.random_state)
            keep = np.isin(child, rng.choice(kids, self.max_children, replace=False))
            X, y, child = X[keep], y[keep], child[keep]
        self.mean_ = X.mean(axis=0)
        self.scale_ = np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
        Z = (X - self.mean_) / self.scale_
        ZT = np.ascontiguousarray(Z.T)  # the gradient reads it by feature: one contiguous pass
        t = y.astype(float)

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            z = Z @ w[1:] + w[0]
            e = np.exp(-np.abs(z))  # one exp serves the log-loss and the probability, overflow-free
            ll = np.log1p(e) + np.maximum(z, 0) - t * z
            p = np.where(z >= 0, 1, e) / (1 + e)
            g = p - t
            grad = np.r_[g.sum(), ZT @ g + self.l2 * w[1:]]
            return float(ll.sum() + 0.5 * self.l2 * w[1:] @ w[1:]), grad

        res = minimize(loss, np.zeros(Z.shape[1] + 1), jac=True, method="L-BFGS-B")
        self.intercept_ = float(res.x[0])
        self.coef_ = res.x[1:]
        raw = self.decision_function(X)
        best = _best_per_child(child, raw)
        self.calibration_ = isotonic_fit(raw[best], y[best].astype(float))
        self.n_train_ = len(best)
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """The logistic model's probability of each candidate (before calibration)."""
        if not hasattr(self, "coef_"):
            raise NotFittedError("InferenceModel is not fitted; call fit() first")
        z = ((np.asarray(X, float) - self.mean_) / self.scale_) @ self.coef_ + self.intercept_
        return 1 / (1 + np.exp(-z))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated confidence of each candidate."""
        raw = self.decision_function(X)
        xs, ys = self.calibration_
        return np.interp(raw, xs, ys)

    def weights(self) -> pd.DataFrame:
        """The fitted weight of each feature (on standardised features), largest first."""
        if not hasattr(self, "coef_"):
            raise NotFittedError("InferenceModel is not fitted; call fit() first")
        return (pd.DataFrame({"feature": list(FEATURES), "weight": self.coef_})
                .sort_values("weight", key=np.abs, ascending=False, ignore_index=True))


def select_edges(cand: Candidates, confidence: np.ndarray, *, top: int | None = 1) -> np.ndarray:
    """Positions of the candidates to report: each child's ``top`` best; when the best is a
    merge, also every other candidate with a merge relation (the other merged models).

    >>> import numpy as np
    >>> from hftree.lineage.infer.candidates import candidates
    >>> import pandas as pd
    >>> c = candidates(pd.DataFrame({"id": ["a/gemma", "b/gemma-GGUF", "c/gemma-lora"]}))
    >>> select_edges(c, np.array([0.9, 0.4])).tolist()
    [0, 1]
    """
    if len(cand) == 0:
        return np.empty(0, np.int64)
    order = np.lexsort((-confidence, cand.child))
    ch = cand.child[order]
    first = np.r_[True, ch[1:] != ch[:-1]]
    pos = np.arange(len(ch)) - np.maximum.accumulate(np.where(first, np.arange(len(ch)), 0))
    keep = pos < (top if top is not None else len(ch) + 1)
    best_rel = np.repeat(cand.relation[order][first], np.diff(np.r_[np.flatnonzero(first), len(ch)]))
    keep |= (best_rel == 3) & (cand.relation[order] == 3)
    return np.sort(order[keep])
