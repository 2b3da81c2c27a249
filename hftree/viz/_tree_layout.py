"""The drawn tree of one family: generations, tree parents, folding above a node budget, positions.

The family is :func:`hftree.lineage.subtree` of the root (the root and every
model reachable from it by the chosen relations), a graph of its own; its nodes
are put in breadth-first order (root first, then generation by generation),
the order the page draws and filters them in. A model with several parents in
the family hangs under its most downloaded parent one generation up; the other
edges are drawn as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from hftree.lineage.graph import LineageGraph, Rel
from hftree.lineage.queries import subtree
from hftree.schema import EDGE_SOURCES

__all__ = ["Family", "family_tree", "fold", "layout"]

# layout (px): row height, gap between a node's column and its children's, room left of a label
# for its node, px per character of a label; children columns are at least _WRAP rows tall and
# a subtree's box about _ASPECT times as wide as tall
_ROW, _GEN_GAP, _PAD, _CHAR = 24, 50, 18, 6.6
_WRAP, _ASPECT = 8, 1.0


@dataclass(frozen=True)
class Family:
    """A family in drawing order; arrays are aligned to :attr:`nodes` ("local indices").

    Attributes
    ----------
    graph : LineageGraph
        The family as a graph of its own (:func:`hftree.lineage.subtree`).
    nodes : numpy.ndarray
        Node numbers of :attr:`graph` in breadth-first order; ``nodes[0]`` is the root.
    gen : numpy.ndarray
        Generation (shortest distance from the root).
    tpar, rel : numpy.ndarray
        Local index of the tree parent and relation code of the tree edge (-1 for the root).
    e_par, e_chi, e_rel : numpy.ndarray
        Every edge of the family, as local indices and relation codes.
    e_inf : numpy.ndarray
        Whether each of those edges is inferred (:mod:`hftree.lineage.infer`), not declared.
    dl : numpy.ndarray
        Downloads (0 when missing: see :attr:`dl_na`).
    desc, tree_desc : numpy.ndarray
        Descendants inside the family, each counted once, and descendants in the drawn tree.
    sub_dl : numpy.ndarray
        Downloads summed over the node's drawn subtree, itself included.
    max_gen : int
    dl_na : numpy.ndarray
        Whether the model has no download count (drawn as 0, shown as NA).
    t_inf : numpy.ndarray
        Whether the model's tree edge is inferred (False for the root).
    """

    graph: LineageGraph
    nodes: np.ndarray
    gen: np.ndarray
    tpar: np.ndarray
    rel: np.ndarray
    e_par: np.ndarray
    e_chi: np.ndarray
    e_rel: np.ndarray
    e_inf: np.ndarray
    dl: np.ndarray
    desc: np.ndarray
    tree_desc: np.ndarray
    sub_dl: np.ndarray
    max_gen: int
    dl_na: np.ndarray
    t_inf: np.ndarray


def family_tree(G: LineageGraph, root: str, relation: Rel = None) -> Family:
    """The family of ``root`` in ``G`` by ``relation``'s edges, with its drawn tree.

    >>> from hftree.datasets import toy_graph
    >>> fam = family_tree(toy_graph(), "org/base")
    >>> fam.graph.id_of(fam.nodes)[:2], fam.gen.tolist(), fam.desc.tolist()
    (['org/base', 'org/base-ft'], [0, 1, 1, 1, 2, 2], [5, 2, 1, 0, 0, 0])
    """
    sub = subtree(G, root, relation=relation)
    r = sub.node(root)
    found, dist = sub.reachable([r])  # the subtree holds only the chosen edges
    nodes = np.concatenate([[r], found]).astype(np.int64)
    gen = np.concatenate([[0], dist]).astype(np.int64)
    n = len(nodes)
    local = np.empty(n, dtype=np.int64)
    local[nodes] = np.arange(n)
    e_par, e_chi, e_rel = local[sub.parent], local[sub.child], sub.relation.astype(np.int64)
    e_inf = sub.source == EDGE_SOURCES.index("inferred")

    if "downloads" in sub.models:
        d = sub.models["downloads"].to_numpy(dtype="float64", na_value=np.nan)
        dl_all = np.concatenate([d, np.full(n - len(d), np.nan)])  # external nodes have no count
    else:
        dl_all = np.full(n, np.nan)
    dl_na = np.isnan(dl_all[nodes])
    dl = np.maximum(np.nan_to_num(dl_all[nodes], nan=0.0), 0.0)

    # tree parent: among parents one generation up, the most downloaded (then the smaller node number)
    tree_e = np.flatnonzero(gen[e_par] == gen[e_chi] - 1)
    order = np.lexsort((nodes[e_par[tree_e]], -dl[e_par[tree_e]], e_chi[tree_e]))
    tree_e = tree_e[order]
    first = np.ones(len(tree_e), dtype=bool)
    first[1:] = e_chi[tree_e][1:] != e_chi[tree_e][:-1]
    tree_e = tree_e[first]
    tpar = np.full(n, -1, dtype=np.int64)
    rel = np.full(n, -1, dtype=np.int64)
    tpar[e_chi[tree_e]] = e_par[tree_e]
    rel[e_chi[tree_e]] = e_rel[tree_e]
    t_inf = np.zeros(n, dtype=bool)
    t_inf[e_chi[tree_e]] = e_inf[tree_e]

    # subtree sums on the tree, deepest generation first
    tree_desc = np.zeros(n, dtype=np.int64)
    sub_dl = dl.copy()
    max_gen = int(gen.max(initial=0))
    for g in range(max_gen, 0, -1):
        sel = np.flatnonzero(gen == g)
        np.add.at(tree_desc, tpar[sel], 1 + tree_desc[sel])
        np.add.at(sub_dl, tpar[sel], sub_dl[sel])
    desc = tree_desc.copy() if len(tree_e) == len(e_par) else _closure_sizes(e_par, e_chi, n, max_gen)
    return Family(sub, nodes, gen, tpar, rel, e_par, e_chi, e_rel, e_inf, dl, desc, tree_desc, sub_dl, max_gen,
                  dl_na, t_inf)


def _closure_sizes(e_par: np.ndarray, e_chi: np.ndarray, n: int, max_gen: int) -> np.ndarray:
    """Descendants of every node, each once: row sums of the transitive closure
    (pairs ~ models x depth for Hub families), grown until a fixpoint."""
    A = csr_matrix((np.ones(len(e_par), dtype=np.int32), (e_par, e_chi)), shape=(n, n))
    reach, step = A.copy(), A.copy()
    for _ in range(max_gen * 4):  # the longest path may exceed the BFS depth; stop at a fixpoint
        step = step @ A
        step.data[:] = 1
        if step.nnz == 0:
            break
        grown = reach + step
        grown.data[:] = 1
        if grown.nnz == reach.nnz:
            break
        reach = grown
    reach.data[:] = 1
    return np.asarray(reach.sum(axis=1)).ravel().astype(np.int64)


def fold(
    fam: Family, max_nodes: int, keep_by: str, must: int | None = None
) -> tuple[np.ndarray, dict[tuple[int, int], np.ndarray]]:
    """Kept local indices (BFS order) and, per (kept parent, relation), the folded local indices.

    Keeps the ``k`` most important models, with ``k`` the largest number (found by
    bisection) for which ``k`` plus the summary nodes needed fit in ``max_nodes``;
    ``must`` (a local index) and its drawn-tree ancestors rank first.
    """
    n = len(fam.nodes)
    if n <= max_nodes:
        return np.arange(n), {}
    # a parent always ranks above its tree children: its subtree holds theirs (>= downloads,
    # strictly more descendants), so any top-k set forms a tree hanging from the root
    if keep_by == "downloads":
        order = np.lexsort((fam.nodes, fam.gen, -fam.tree_desc, -fam.sub_dl))
    else:
        order = np.lexsort((fam.nodes, fam.gen, -fam.sub_dl, -fam.tree_desc))
    if must is not None and must > 0:
        chain = [int(must)]
        while fam.tpar[chain[-1]] >= 0:
            chain.append(int(fam.tpar[chain[-1]]))
        first = np.array(chain[::-1], dtype=np.int64)  # ancestors first: still a tree at every k
        order = np.concatenate([first, order[~np.isin(order, first)]])
    else:
        first = np.zeros(1, dtype=np.int64)
    by_gen = [np.flatnonzero(fam.gen == g) for g in range(1, fam.max_gen + 1)]

    def fold(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        keep = np.zeros(n, dtype=bool)
        keep[order[:k]] = True
        keep[0] = True
        # top folded ancestor of every folded model, one generation at a time
        top = np.arange(n)
        for sel in by_gen:
            inherit = sel[~keep[sel] & ~keep[fam.tpar[sel]]]
            top[inherit] = top[fam.tpar[inherit]]
        folded = np.flatnonzero(~keep)
        return keep, folded, fam.tpar[top[folded]], fam.rel[top[folded]]

    def n_groups(key_par: np.ndarray, key_rel: np.ndarray) -> int:
        return len(np.unique(key_par * 8 + key_rel + 1))

    lo = len(first)  # the focused model's chain is kept even beyond the budget
    hi = max(max_nodes, lo)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        _, _, kp, kr = fold(mid)
        if mid + n_groups(kp, kr) <= max_nodes:
            lo = mid
        else:
            hi = mid - 1
    keep, folded, key_par, key_rel = fold(lo)
    # a summary node standing for one model costs as much as the model itself: draw the model
    key = key_par * 8 + key_rel + 1
    _, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    single = cnt[inv] == 1
    if single.any():
        keep[folded[single]] = True
        folded, key_par, key_rel = folded[~single], key_par[~single], key_rel[~single]
    groups: dict[tuple[int, int], np.ndarray] = {}
    o = np.lexsort((folded, -fam.dl[folded], key_rel, key_par))
    folded, key_par, key_rel = folded[o], key_par[o], key_rel[o]
    if len(folded):
        brk = np.flatnonzero((np.diff(key_par) != 0) | (np.diff(key_rel) != 0)) + 1
        for chunk in np.split(np.arange(len(folded)), brk):
            groups[(int(key_par[chunk[0]]), int(key_rel[chunk[0]]))] = folded[chunk]
    return np.flatnonzero(keep), groups


def label_width(text: str) -> float:
    """Width in px of a drawn label at the page's label font (12 px system sans), estimated
    generously from its characters (the page measures the real width before drawing).

    >>> round(label_width("org/base"), 1), round(label_width("Org/MW"), 1)
    (56.8, 50.5)
    """
    wide = sum(1 for c in text if c.isupper() or c in "mwMW@%")
    return (len(text) + 0.35 * wide) * _CHAR + 4


def layout(
    fam: Family, kept: np.ndarray, groups: dict[tuple[int, int], np.ndarray], labels: list[str], sum_labels: list[str]
) -> tuple[dict[int, tuple[float, float]], list[tuple[float, float]]]:
    """Left-to-right layout of nested boxes whose columns are as wide as their labels.

    Every drawn subtree is a box: the node's own column (as wide as its label)
    and, right of it, its children's boxes packed into columns, filled top to
    bottom, each column as wide as its widest box; the columns are about as
    tall as the whole region is wide (``_ASPECT``), so a generation of 400
    siblings becomes a block of columns rather than one very tall stack, and a
    family of thousands stays roughly square. Leaves are one row (``_ROW`` px)
    high; a node sits at the middle of its box. Boxes never overlap, so at 1:1
    zoom every label has its own row and column and the page's level-of-detail
    rule can draw all of them. Children are ordered by relation, then subtree
    downloads; summary nodes come last. Returns the position of each kept local
    index (``labels`` aligned to ``kept``) and of each summary node (``groups``
    order, ``sum_labels``).
    """
    lw: dict[int, float] = {v: label_width(t) + _PAD for v, t in zip(kept.tolist(), labels, strict=True)}
    for s, t in enumerate(sum_labels):
        lw[-1 - s] = label_width(t) + _PAD
    kids: dict[int, list[int]] = {}
    for v in kept.tolist():
        if v:
            kids.setdefault(int(fam.tpar[v]), []).append(v)
    for p in kids:
        kids[p].sort(key=lambda v: (fam.rel[v], -fam.sub_dl[v], int(fam.nodes[v])))
    for s, (p, _) in enumerate(groups):
        kids.setdefault(p, []).append(-1 - s)  # summary nodes as negative keys, after the models

    size: dict[int, tuple[float, float]] = {}  # box (width, height) of each subtree
    cols_of: dict[int, list[tuple[float, list[int]]]] = {}  # parent -> columns (width, boxes)
    order = [-1 - s for s in range(len(groups))] + kept[::-1].tolist()  # children before parents
    for v in order:
        ks = kids.get(v)
        if not ks:
            size[v] = (lw[v], float(_ROW))
            continue
        area = sum(size[c][0] * size[c][1] for c in ks)
        col_h = max(max(size[c][1] for c in ks), float(np.sqrt(area / _ASPECT)), _WRAP * _ROW)
        cols: list[tuple[float, list[int]]] = []
        cur: list[int] = []
        h = w = 0.0
        for c in ks:
            if cur and h + size[c][1] > col_h:
                cols.append((w, cur))
                cur, h, w = [], 0.0, 0.0
            cur.append(c)
            h += size[c][1]
            w = max(w, size[c][0])
        cols.append((w, cur))
        cols_of[v] = cols
        region_h = max(sum(size[c][1] for c in col) for _, col in cols)
        size[v] = (lw[v] + _GEN_GAP + sum(w for w, _ in cols), max(float(_ROW), region_h))

    pos: dict[int, tuple[float, float]] = {}
    spos: list[tuple[float, float]] = [(0.0, 0.0)] * len(groups)
    stack = [(0, 0.0, 0.0)]
    while stack:
        v, x0, y0 = stack.pop()
        _, h = size[v]
        y = y0 + np.floor((h / _ROW - 1) / 2) * _ROW  # the middle row of its box
        if v >= 0:
            pos[v] = (x0, float(y))
        else:
            spos[-1 - v] = (x0, float(y))
        x = x0 + lw[v] + _GEN_GAP
        for w, col in cols_of.get(v, []):
            yy = y0
            for c in col:
                stack.append((c, x, yy))
                yy += size[c][1]
            x += w
    return pos, spos
