"""Random-tree null models of family growth, simulated for many trees at once.

Each model grows a tree one model at a time; model ``i`` picks its parent among models
``0 … i − 1`` with probability proportional to ``A(k)``, ``k`` being the children the
candidate already has:

* ``"uniform"`` — ``A(k) = 1``: the uniform random recursive tree, the recursive-tree form of the
  Yule process (every existing model equally likely to be derived from next); drawn directly,
  ``parent[i] = ⌊u · i⌋``.
* ``"linear"`` — ``A(k) = k + 1``: linear preferential attachment (the plane-oriented recursive
  tree).
* ``"fitted"`` — ``A(k) = (k + 1)^γ`` with the exponent γ estimated from the graph's creation dates
  (:func:`hftree.evolution.attachment_kernel`).

The preferential models run one step per model of the largest tree, vectorised over every
tree still growing: a parent is proposed from the urn of ``k + 1`` copies per model (a uniform
model, or the parent of a uniform earlier model) and accepted with probability
``(k + 1)^(γ − 1)`` (γ ≤ 1) or ``((k + 1) / (k_max + 1))^(γ − 1)`` (γ > 1), which leaves exactly
``A(k) ∝ (k + 1)^γ``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree.errors import ParameterError
from hftree.evolution._trees import depth_of

__all__ = ["NULL_MODELS", "NullModel", "simulate_forest", "simulate_graph"]

NullModel = Literal["uniform", "linear", "fitted"]
NULL_MODELS: tuple[str, ...] = ("uniform", "linear", "fitted")


def simulate_forest(
    sizes: np.ndarray, *, gamma: float = 0.0, random_state: RandomState = DEFAULT_RANDOM_STATE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One random recursive tree per entry of ``sizes`` (models, the root included) with
    attachment kernel ``(k + 1)^gamma``; returns ``(tree, parent, depth)`` over all vertices.

    Vertex ``offset[t] + i`` is the ``i``-th model of tree ``t`` (``offset`` the cumulative
    sizes), so within a tree the vertex order is the creation order.

    >>> tree, parent, depth = simulate_forest(np.array([3, 2]), gamma=1.0)
    >>> tree.tolist(), parent[[0, 3]].tolist(), depth[[1, 4]].tolist()
    ([0, 0, 0, 1, 1], [-1, -1], [1, 1])
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    if len(sizes) and sizes.min() < 1:
        raise ParameterError("sizes", "tree sizes >= 1", int(sizes.min()))
    if not np.isfinite(gamma) or gamma < 0:
        raise ParameterError("gamma", "a kernel exponent >= 0", gamma)
    rng = check_random_state(random_state)
    n_trees = len(sizes)
    total = int(sizes.sum())
    offset = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
    tree = np.repeat(np.arange(n_trees, dtype=np.int64), sizes)
    local = np.arange(total, dtype=np.int64) - offset[tree]
    if gamma == 0.0:
        par_local = np.floor(rng.random(total) * local).astype(np.int64)
        parent = np.where(local > 0, offset[tree] + par_local, -1)
        return tree, parent, depth_of(parent)
    # preferential: step i for every tree larger than i, largest trees first
    order = np.argsort(-sizes, kind="stable")
    off_sorted = offset[order]
    size_sorted = sizes[order]
    parent_local = np.full(total, -1, dtype=np.int64)
    kids = np.zeros(total, dtype=np.int64)
    depth = np.zeros(total, dtype=np.int64)
    kmax = np.zeros(n_trees, dtype=np.int64)  # per sorted tree
    n_active = np.searchsorted(-size_sorted, -np.arange(int(sizes.max(initial=1))), side="left")
    tries = 1 if gamma == 1.0 else 8  # proposals per tree and round
    for i in range(1, int(sizes.max(initial=1))):
        act = int(n_active[i])  # trees with size > i
        base = off_sorted[:act]
        cand = np.empty(act, dtype=np.int64)
        todo = np.arange(act)
        while len(todo):
            r = (rng.random((len(todo), tries)) * (2 * i - 1)).astype(np.int64)
            copy = r >= i  # the parent of model r - i + 1 (>= 1) instead of model r itself
            b = base[todo][:, None]
            c = np.where(copy, parent_local[b + np.where(copy, r - i + 1, 0)], r)
            if gamma == 1.0:
                cand[todo] = c[:, 0]
                break
            k1 = kids[b + c] + 1.0
            if gamma < 1.0:
                acc = rng.random(c.shape) < k1 ** (gamma - 1.0)
            else:
                acc = rng.random(c.shape) < (k1 / (kmax[todo][:, None] + 1.0)) ** (gamma - 1.0)
            hit = acc.any(axis=1)
            first = acc.argmax(axis=1)
            cand[todo[hit]] = c[hit, first[hit]]
            todo = todo[~hit]
        v = base + i
        parent_local[v] = cand
        kids[base + cand] += 1
        np.maximum(kmax[:act], kids[base + cand], out=kmax[:act])
        depth[v] = depth[base + cand] + 1
    parent = np.where(parent_local >= 0, offset[tree] + parent_local, -1)
    return tree, parent, depth


def simulate_graph(
    n_models: int,
    *,
    gamma: float = 1.0,
    n_trees: int = 1,
    relation: str = "finetune",
    random_state: RandomState = DEFAULT_RANDOM_STATE,
):
    """A :class:`~hftree.lineage.LineageGraph` of ``n_trees`` trees of ``n_models`` models each,
    grown by :func:`simulate_forest` with kernel exponent ``gamma``; models are created one hour
    apart in growth order (trees interleaved), so the graph is ground truth for the kernel and
    law estimators.

    >>> G = simulate_graph(50, gamma=0.0, n_trees=2)
    >>> G.n_nodes, G.n_edges, len(G.root_nodes())
    (100, 98, 2)
    """
    from hftree.lineage.graph import LineageGraph

    tree, parent, _ = simulate_forest(np.full(n_trees, n_models), gamma=gamma, random_state=random_state)
    local = np.arange(len(tree)) - tree * n_models
    when = local * n_trees + tree  # interleave the trees' growth
    ids = np.array([f"t{t}/m{i}" for t, i in zip(tree.tolist(), local.tolist(), strict=True)], dtype=object)
    models = pd.DataFrame({"id": ids, "created_at": pd.Timestamp("2024-01-01", tz="UTC")
                           + pd.to_timedelta(when, unit="h")})
    has = parent >= 0
    edges = pd.DataFrame({"parent": ids[parent[has]], "child": ids[has], "relation": relation})
    return LineageGraph.from_tables(models, edges)
