"""Which models belong to which family, computed for all roots at once.

A *family* is a root (a model with no parent in the graph, restricted to the
chosen relations) and everything reachable from it. A model reachable from
several roots — a merge of models from two families, or a descendant of one —
belongs to **each** of those families: it is counted once in every family it
descends from, and :func:`hftree.families.family_stats` reports how many of a
family's descendants are shared with another family. The graph caches the result
per relation filter (:meth:`LineageGraph.members`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hftree.schema import RelationFilter

if TYPE_CHECKING:
    from hftree.lineage.graph import LineageGraph

__all__ = ["Membership", "family_members", "widest_generation"]


@dataclass(frozen=True)
class Membership:
    """One entry per (root, descendant) pair, as node numbers.

    Attributes
    ----------
    root, node : numpy.ndarray of int64
        The root and a strict descendant of it.
    depth : numpy.ndarray of int64
        Generation of ``node`` in the family of ``root`` (shortest distance, ≥ 1).
    edge : numpy.ndarray of int64
        The edge through which ``node`` was first reached from ``root``.
    roots : numpy.ndarray of int64
        Every root that has at least one descendant.
    """

    root: np.ndarray
    node: np.ndarray
    depth: np.ndarray
    edge: np.ndarray
    roots: np.ndarray


def family_members(G: LineageGraph, *, relation: RelationFilter = None) -> Membership:
    """All (root, descendant) pairs of ``G``, by a breadth-first search from every root at once.

    Work is proportional to the number of pairs plus edges scanned; only pairs
    that reach a model with several parents need de-duplication.

    >>> from hftree.datasets import toy_graph
    >>> G = toy_graph()
    >>> m = family_members(G)
    >>> sorted((G.ids[r], G.ids[v], int(d)) for r, v, d in zip(m.root, m.node, m.depth))[:3]
    [('org/base', 'org/base-GGUF', 1), ('org/base', 'org/base-ft', 1), ('org/base', 'org/base-lora', 1)]
    """
    out, inn, _ = G.view(relation)
    n = G.n_nodes
    indeg = np.diff(inn.indptr)
    outdeg = np.diff(out.indptr)
    roots = np.flatnonzero((indeg == 0) & (outdeg > 0))
    multi = indeg > 1  # only pairs reaching such nodes can repeat
    f_root = roots.astype(np.int64)
    f_node = roots.astype(np.int64)
    roots_l: list[np.ndarray] = []
    nodes_l: list[np.ndarray] = []
    depth_l: list[np.ndarray] = []
    edge_l: list[np.ndarray] = []
    seen_multi = np.empty(0, dtype=np.int64)  # keys root*n+node of visited multi-parent pairs
    depth = 0
    while len(f_node):
        depth += 1
        src, nxt, eid = out.gather(f_node)
        r = f_root[src]
        m = multi[nxt]
        if m.any():
            keys = r[m] * n + nxt[m]
            # first occurrence within this level, then not seen at an earlier level
            _, first = np.unique(keys, return_index=True)
            keep_m = np.zeros(len(keys), dtype=bool)
            keep_m[first] = True
            keep_m &= ~np.isin(keys, seen_multi, assume_unique=False)
            seen_multi = np.union1d(seen_multi, keys[keep_m])
            keep = np.ones(len(nxt), dtype=bool)
            keep[np.flatnonzero(m)] = keep_m
            r, nxt, eid = r[keep], nxt[keep], eid[keep]
        roots_l.append(r)
        nodes_l.append(nxt)
        depth_l.append(np.full(len(nxt), depth, dtype=np.int64))
        edge_l.append(eid)
        f_root, f_node = r, nxt
        if depth > n:  # pragma: no cover - the graph is acyclic by construction
            raise AssertionError("lineage graph has a cycle")
    cat = lambda xs: np.concatenate(xs) if xs else np.empty(0, dtype=np.int64)  # noqa: E731
    return Membership(cat(roots_l), cat(nodes_l), cat(depth_l), cat(edge_l), roots)


def widest_generation(group: np.ndarray, depth: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """For each group (family, tree), the generation holding the most models and that count;
    ties go to the shallower generation, a group without members gets ``(0, 0)``.

    >>> widest_generation(np.array([0, 0, 0, 1]), np.array([1, 2, 2, 1]), 3)
    (array([2, 1, 0]), array([2, 1, 0]))
    """
    top = int(depth.max(initial=0)) + 1
    key = group.astype(np.int64) * top + depth
    if n_groups * top <= 50_000_000:  # a dense count is cheaper than sorting the keys
        count = np.bincount(key, minlength=n_groups * top)
        keys = np.flatnonzero(count)
        count = count[keys]
    else:
        keys, count = np.unique(key, return_counts=True)
    g, d = keys // top, keys % top
    order = np.lexsort((d, -count, g))
    first = np.ones(len(order), dtype=bool)
    first[1:] = g[order][1:] != g[order][:-1]
    widest = np.zeros(n_groups, dtype=np.int64)
    widest_n = np.zeros(n_groups, dtype=np.int64)
    widest[g[order][first]] = d[order][first]
    widest_n[g[order][first]] = count[order][first]
    return widest, widest_n
