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

__all__ = ["Family", "family_tree", "fold", "layout"]

# layout (px): slot width, generation gap, row gap inside a block of leaves
_DX, _GEN_GAP, _ROW_DY = 44, 170, 36
# leaves of one parent beyond this many are laid out as a block of rows
_WRAP = 12


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
    dl : numpy.ndarray
        Downloads (0 when missing).
    desc, tree_desc : numpy.ndarray
        Descendants inside the family, each counted once, and descendants in the drawn tree.
    sub_dl : numpy.ndarray
        Downloads summed over the node's drawn subtree, itself included.
    max_gen : int
    """

    graph: LineageGraph
    nodes: np.ndarray
    gen: np.ndarray
    tpar: np.ndarray
    rel: np.ndarray
    e_par: np.ndarray
    e_chi: np.ndarray
    e_rel: np.ndarray
    dl: np.ndarray
    desc: np.ndarray
    tree_desc: np.ndarray
    sub_dl: np.ndarray
    max_gen: int


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

    if "downloads" in sub.models:
        d = sub.models["downloads"].to_numpy(dtype="float64", na_value=0.0)
        dl_all = np.concatenate([d, np.zeros(n - len(d))])
    else:
        dl_all = np.zeros(n)
    dl = np.maximum(dl_all[nodes], 0.0)

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

    # subtree sums on the tree, deepest generation first
    tree_desc = np.zeros(n, dtype=np.int64)
    sub_dl = dl.copy()
    max_gen = int(gen.max(initial=0))
    for g in range(max_gen, 0, -1):
        sel = np.flatnonzero(gen == g)
        np.add.at(tree_desc, tpar[sel], 1 + tree_desc[sel])
        np.add.at(sub_dl, tpar[sel], sub_dl[sel])
    desc = tree_desc.copy() if len(tree_e) == len(e_par) else _closure_sizes(e_par, e_chi, n, max_gen)
    return Family(sub, nodes, gen, tpar, rel, e_par, e_chi, e_rel, dl, desc, tree_desc, sub_dl, max_gen)


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
    fam: Family, max_nodes: int, keep_by: str
) -> tuple[np.ndarray, dict[tuple[int, int], np.ndarray]]:
    """Kept local indices (BFS order) and, per (kept parent, relation), the folded local indices.

    Keeps the ``k`` most important models, with ``k`` the largest number (found by
    bisection) for which ``k`` plus the summary nodes needed fit in ``max_nodes``.
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

    lo, hi = 1, max_nodes
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


def layout(
    fam: Family, kept: np.ndarray, groups: dict[tuple[int, int], np.ndarray]
) -> tuple[dict[int, tuple[float, float]], list[tuple[float, float]]]:
    """Layered tidy layout: x slots in depth-first order, y by generation.

    Leaves under one parent beyond ``_WRAP`` are laid out as a block of rows,
    and a generation's band is as tall as its tallest block. Returns the
    position of each kept local index and of each summary node (in ``groups``
    order)."""
    children: dict[int, list[int]] = {}
    for v in kept.tolist():
        if v:
            children.setdefault(int(fam.tpar[v]), []).append(v)
    summary_of: dict[int, list[int]] = {}
    for s, (p, _) in enumerate(groups):
        summary_of.setdefault(p, []).append(-1 - s)  # summary nodes as negative keys
    gen = fam.gen
    # order children: subtrees first (by relation, then subtree downloads), then leaves, then summaries
    layout_children: dict[int, tuple[list[int], list[int]]] = {}
    for p in set(children) | set(summary_of):
        kids = sorted(
            children.get(p, []), key=lambda v: (fam.rel[v], -fam.sub_dl[v], int(fam.nodes[v]))
        )
        inner = [v for v in kids if v in children or v in summary_of]
        leaves = [v for v in kids if not (v in children or v in summary_of)] + summary_of.get(p, [])
        layout_children[p] = (inner, leaves)

    width: dict[int, int] = {}
    block_rows: dict[int, int] = {}
    block_cols: dict[int, int] = {}
    for v in kept[::-1].tolist():  # reverse BFS: children before parents
        if v not in layout_children:
            width[v] = 1
            continue
        inner, leaves = layout_children[v]
        if len(leaves) > _WRAP:
            cols = max(_WRAP, int(np.ceil(np.sqrt(1.5 * len(leaves)))))
            block_cols[v] = cols
            block_rows[v] = int(np.ceil(len(leaves) / cols))
            lw = cols
        else:
            lw = len(leaves)
        width[v] = max(1, sum(width[c] for c in inner) + lw)

    # generation bands: a block of leaves under a generation-g parent sits in band g + 1; the gap
    # between bands grows with the tree's width so that the whole tree fits a screen's proportions
    band = np.ones(fam.max_gen + 2, dtype=np.int64)
    for v, rows in block_rows.items():
        band[gen[v] + 1] = max(band[gen[v] + 1], rows)
    rows_h = (band[:-1] - 1) * _ROW_DY
    gap = float(_GEN_GAP)
    if fam.max_gen:
        gap = float(
            np.clip(
                (0.45 * width[0] * _DX - rows_h[: fam.max_gen].sum()) / fam.max_gen,
                _GEN_GAP,
                40 * _GEN_GAP,
            )
        )
    y_of_gen = np.concatenate([[0.0], np.cumsum(rows_h + gap)])

    pos: dict[int, tuple[float, float]] = {}
    spos: list[tuple[float, float]] = [(0.0, 0.0)] * len(groups)
    stack = [(0, 0.0)]
    while stack:
        v, start = stack.pop()
        pos[v] = ((start + width[v] / 2) * _DX, float(y_of_gen[gen[v]]))
        if v not in layout_children:
            continue
        inner, leaves = layout_children[v]
        # subtrees split around the block of leaves, which sits under the parent
        cum = np.cumsum([0] + [width[c] for c in inner])
        half = int(np.argmin(np.abs(2 * cum - cum[-1])))  # equal widths left and right
        x = start
        for c in inner[:half]:
            stack.append((c, x))
            x += width[c]
        cols = block_cols.get(v, max(len(leaves), 1))
        lw = min(cols, len(leaves))
        y0 = float(y_of_gen[gen[v] + 1])
        for i, c in enumerate(leaves):
            xy = ((x + i % cols + 0.5) * _DX, y0 + (i // cols) * _ROW_DY)
            if c >= 0:
                pos[c] = xy
            else:
                spos[-1 - c] = xy
        x += lw
        for c in inner[half:]:
            stack.append((c, x))
            x += width[c]
    return pos, spos

