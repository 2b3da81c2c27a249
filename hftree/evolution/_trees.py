"""Shape statistics of a whole forest at once, on flat arrays (no Python loop per tree).

A forest is given as three arrays over its vertices: ``tree`` (which tree), ``parent`` (the
vertex index of the parent, ``-1`` for a root) and ``depth`` (edges from the root). The same
code measures the families of a lineage graph (one BFS tree per family) and the simulated
trees of the null models, so observed and null statistics are computed identically.

Definitions (multifurcating trees; every vertex is a model, internal vertices included):

* **Sackin** — sum over leaves of their depth; normalised: divided by the number of leaves
  (DendroPy's ``sackin_index(normalize=True)``, the mean leaf depth).
* **Colless** — for each vertex with ``k >= 2`` children whose subtrees hold ``L_1 … L_k``
  leaves, ``Σ_{i<j} |L_i − L_j| / (k − 1)``; summed over vertices. On a bifurcating tree this is
  Colless' index ``Σ |L − R|``; a vertex with one child adds 0. Normalised: multiplied by
  ``2 / (n_L (n_L − 3) + 2)`` (DendroPy's ``"max"``: the caterpillar of ``n_L`` leaves scores 1).
* **Cherries** — internal vertices all of whose children are leaves (TreeSwift's
  ``num_cherries``).
* **Wiener index** — sum of path lengths over all unordered vertex pairs,
  ``Σ_edges s (n − s)`` with ``s`` the vertices below the edge; normalised: the mean path length
  ``W / C(n, 2)``.
"""

from __future__ import annotations

import numpy as np

from hftree.lineage.membership import widest_generation

__all__ = ["FOREST_COLUMNS", "depth_of", "forest_stats"]

#: Per-tree columns of :func:`forest_stats`.
FOREST_COLUMNS: dict[str, str] = {
    "size": "models in the tree, the root included",
    "depth": "deepest generation (root = 0)",
    "mean_depth": "mean generation of the descendants",
    "widest_generation": "the generation with the most models (ties: the shallower)",
    "widest_generation_size": "models in that generation",
    "root_children": "children of the root",
    "root_share": "share of descendants that are children of the root (1 = a star)",
    "max_children": "most children of any one model",
    "internal": "models with at least one child",
    "mean_branching": "mean children per internal model",
    "leaves": "models without children",
    "leaf_share": "share of models (root included) without children",
    "sackin": "Sackin index: sum of the leaves' depths",
    "sackin_norm": "Sackin index per leaf (mean leaf depth)",
    "colless": "Colless index, generalised to multifurcating trees (module notes)",
    "colless_norm": "Colless index divided by its maximum for a bifurcating tree of as many leaves",
    "cherries": "internal models all of whose children are leaves",
    "cherry_share": "cherries per model",
    "wiener": "Wiener index: sum of path lengths over all pairs of models",
    "wiener_norm": "mean path length between two models",
}


def depth_of(parent: np.ndarray) -> np.ndarray:
    """Depth of every vertex from its parent pointers, by pointer doubling (``O(n log depth)``).

    >>> depth_of(np.array([-1, 0, 1, 1, -1, 4])).tolist()
    [0, 1, 2, 2, 0, 1]
    """
    jump = np.asarray(parent, dtype=np.int64).copy()
    dist = (jump >= 0).astype(np.int64)
    while True:
        live = np.flatnonzero(jump >= 0)
        live = live[jump[jump[live]] >= 0] if len(live) else live
        if not len(live):
            break
        nxt = jump[live]
        dist[live] += dist[nxt]
        jump[live] = jump[nxt]
    return dist


def forest_stats(tree: np.ndarray, parent: np.ndarray, depth: np.ndarray, n_trees: int) -> dict[str, np.ndarray]:
    """The columns of :data:`FOREST_COLUMNS` for every tree of a forest, in tree order.

    Parameters
    ----------
    tree : array of int
        Tree of each vertex, ``0 … n_trees − 1``.
    parent : array of int
        Vertex index of each vertex's parent; ``-1`` for the root (one per tree).
    depth : array of int
        Generation of each vertex (root 0); ``depth[v] == depth[parent[v]] + 1``.
    n_trees : int
        Number of trees.

    Returns
    -------
    dict of str to numpy.ndarray
        One array of length ``n_trees`` per column.

    Examples
    --------
    A root with two children, one of which has two leaf children (a caterpillar of 3 leaves):

    >>> s = forest_stats(np.zeros(5, int), np.array([-1, 0, 0, 1, 1]), np.array([0, 1, 1, 2, 2]), 1)
    >>> {k: float(s[k][0]) for k in ("sackin", "colless", "cherries", "wiener", "leaf_share")}
    {'sackin': 5.0, 'colless': 1.0, 'cherries': 1.0, 'wiener': 18.0, 'leaf_share': 0.6}
    """
    tree = np.asarray(tree, dtype=np.int64)
    parent = np.asarray(parent, dtype=np.int64)
    depth = np.asarray(depth, dtype=np.int64)
    m = len(tree)
    # vertices by depth: the children of level d are level d + 1, contiguous
    small = depth.astype(np.int16) if depth.max(initial=0) < 32_000 else depth
    order = np.argsort(small, kind="stable")  # a radix sort for 16-bit keys
    inv = np.empty(m, dtype=np.int64)
    inv[order] = np.arange(m)
    tree, depth = tree[order], depth[order]
    par = parent[order]
    nonroot = par >= 0
    par = np.where(nonroot, inv[np.maximum(par, 0)], -1)
    kids = np.bincount(par[nonroot], minlength=m)
    leaf = kids == 0
    top = int(depth.max(initial=0))
    bounds = np.searchsorted(depth, np.arange(top + 2))
    size = np.ones(m)
    nleaf = leaf.astype(np.float64)
    for d in range(top, 0, -1):  # one step per generation, vectorised over all trees
        lo, hi, plo = bounds[d], bounds[d + 1], bounds[d - 1]
        p = par[lo:hi] - plo
        width = bounds[d] - plo
        size[plo:lo] += np.bincount(p, weights=size[lo:hi], minlength=width)
        nleaf[plo:lo] += np.bincount(p, weights=nleaf[lo:hi], minlength=width)

    def per_tree(w: np.ndarray) -> np.ndarray:
        return np.bincount(tree, weights=w, minlength=n_trees)

    n = np.bincount(tree, minlength=n_trees).astype(np.float64)
    roots = np.flatnonzero(~nonroot)
    root_of = np.empty(n_trees, dtype=np.int64)
    root_of[tree[roots]] = roots
    leaves = per_tree(leaf.astype(np.float64))
    internal = n - leaves
    max_depth = np.zeros(n_trees, dtype=np.int64)
    np.maximum.at(max_depth, tree, depth)
    max_kids = np.zeros(n_trees, dtype=np.int64)
    np.maximum.at(max_kids, tree, kids)
    widest, widest_n = widest_generation(tree, depth, n_trees)

    sackin = per_tree(np.where(leaf, depth, 0).astype(np.float64))
    # Colless: children of a vertex sorted by leaf count; Σ_{i<j}|L_i − L_j| = Σ_r (2r − k + 1) L_(r)
    child = np.flatnonzero(nonroot)
    lc = nleaf[child]
    cpar = par[child]
    srt = np.argsort(cpar * (m + 1) + lc.astype(np.int64))  # by parent, then leaf count
    cpar, lc = cpar[srt], lc[srt]
    start = np.flatnonzero(np.r_[True, cpar[1:] != cpar[:-1]]) if len(cpar) else np.empty(0, dtype=np.int64)
    k_of = kids[cpar]
    rank = np.arange(len(cpar)) - np.repeat(start, np.diff(np.r_[start, len(cpar)]))
    contrib = (2 * rank - k_of + 1) * lc / np.maximum(k_of - 1, 1)
    colless = np.maximum(per_tree_at(tree[cpar], contrib, n_trees), 0.0)  # rounding can leave -1e-20
    # cherries: internal vertices none of whose children is internal
    internal_child = np.bincount(par[nonroot], weights=(~leaf[nonroot]).astype(np.float64), minlength=m)
    cherry = (~leaf) & (internal_child == 0)
    cherries = per_tree(cherry.astype(np.float64))
    wiener = per_tree(np.where(nonroot, size * (n[tree] - size), 0.0))

    with np.errstate(invalid="ignore", divide="ignore"):
        desc = n - 1
        out = {
            "size": n.astype(np.int64),
            "depth": max_depth,
            "mean_depth": per_tree(depth.astype(np.float64)) / desc,
            "widest_generation": widest,
            "widest_generation_size": widest_n,
            "root_children": kids[root_of],
            "root_share": kids[root_of] / desc,
            "max_children": max_kids,
            "internal": internal.astype(np.int64),
            "mean_branching": desc / internal,
            "leaves": leaves.astype(np.int64),
            "leaf_share": leaves / n,
            "sackin": sackin,
            "sackin_norm": sackin / leaves,
            "colless": colless,
            "colless_norm": np.where(leaves >= 3, colless * 2.0 / (leaves * (leaves - 3) + 2), np.nan),
            "cherries": cherries,
            "cherry_share": cherries / n,
            "wiener": wiener,
            "wiener_norm": wiener / (n * desc / 2),
        }
    return out


def per_tree_at(tree_of: np.ndarray, values: np.ndarray, n_trees: int) -> np.ndarray:
    """Sum of ``values`` per tree (``bincount`` with weights; empty input gives zeros)."""
    return np.bincount(tree_of, weights=values, minlength=n_trees) if len(tree_of) else np.zeros(n_trees)
