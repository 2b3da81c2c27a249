"""Kinship pairs of models in the lineage graph: enumerated exactly or sampled with a seed.

A *kinship instance* is a path that relates two models (the paper's "motifs"):

================ ===================================================================
kinship          instance
================ ===================================================================
parent_child     an edge ``p → c``
siblings         a parent ``p`` and two of its children ``{a, b}``
grandparent      a path ``g → m → c`` (pair ``g, c``)
aunt_uncle       ``g → p → c`` and another child ``a`` of ``g`` (pair ``a, c``)
cousins          ``g → p1 → c1`` and ``g → p2 → c2`` with ``p1 ≠ p2`` (pair ``c1, c2``)
random_family    two members of the same family (a root and everything below it)
random_hub       two models of the table, anywhere (the baseline)
================ ===================================================================

In a tree every pair of models has at most one instance; where a model has several
parents (merges are excluded by default, but adapters of two bases exist) a pair
related in two ways counts twice, and an instance joining a model to itself is
never measured. Only models that report the trait take part: the instances of a
trait are those whose two ends are both *valid*; the middle of a path need not be.

Sampling is vectorised: a *unit* (an edge, a parent, a middle node, a family) is
drawn with probability proportional to the number of instances it carries, then
an instance of it uniformly — every instance equally likely, which is the weighting
of the paper's samplers (``weighting="paper"``). With ``weighting="family"`` every
family carries the same total weight instead, so the estimate is the mean over
families of the within-family mean, and a few huge families do not dominate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from hftree._checks import whole_number
from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree.errors import KinshipError, ParameterError
from hftree.lineage.graph import LineageGraph
from hftree.schema import RELATIONS, RelationFilter, check_relations
from hftree.traits._util import unique_inverse

__all__ = [
    "DEFAULT_RELATIONS",
    "KINSHIPS",
    "KINSHIP_LABELS",
    "WEIGHTINGS",
    "KinshipError",
    "KinshipStructure",
    "Weighting",
    "kinship_counts",
    "kinship_pairs",
]

Kinship = Literal["parent_child", "siblings", "grandparent", "aunt_uncle", "cousins", "random_family",
                  "random_hub"]
KINSHIPS: tuple[str, ...] = ("parent_child", "siblings", "grandparent", "aunt_uncle", "cousins",
                             "random_family", "random_hub")
KINSHIP_LABELS: dict[str, str] = {
    "parent_child": "parent–child",
    "siblings": "siblings",
    "grandparent": "grandparent–grandchild",
    "aunt_uncle": "aunt/uncle–niece/nephew",
    "cousins": "cousins",
    "random_family": "random pair, same family",
    "random_hub": "random pair, whole Hub",
}
#: Edges the kinship analyses follow by default: every relation but ``merge`` (the paper's
#: setting: a merge has several parents of equal standing). Spelled out in each signature.
DEFAULT_RELATIONS: tuple[str, ...] = tuple(r for r in RELATIONS if r != "merge")
Weighting = Literal["paper", "family"]
WEIGHTINGS: tuple[str, ...] = get_args(Weighting)


def check_weighting(weighting: Any) -> str:
    """``weighting`` if it is one of :data:`WEIGHTINGS`, else :class:`~hftree.errors.ParameterError`."""
    if weighting not in WEIGHTINGS:
        raise ParameterError("weighting", " or ".join(repr(w) for w in WEIGHTINGS), weighting)
    return str(weighting)


def check_kinships(kinships: Any) -> tuple[str, ...]:
    """The kinships named (all of :data:`KINSHIPS` for ``None``); :class:`KinshipError` for an unknown one."""
    if kinships is None:
        return KINSHIPS
    ks = (kinships,) if isinstance(kinships, str) else tuple(kinships)
    bad = [k for k in ks if k not in KINSHIPS]
    if bad:
        raise KinshipError(f"unknown kinship {bad[0]!r}; expected one of {', '.join(KINSHIPS)}")
    return ks


def _rand_below(rng: np.random.Generator, k: np.ndarray) -> np.ndarray:
    """Uniform integers in ``[0, k)`` elementwise (k ≥ 1)."""
    r = (rng.random(len(k)) * k).astype(np.int64)
    return np.minimum(r, np.asarray(k, dtype=np.int64) - 1)


def _block_pairs(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All ``(block, i, j)`` with ``i < j < sizes[block]``, vectorised."""
    sizes = np.asarray(sizes, dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    blk = np.repeat(np.arange(len(sizes)), sizes)
    i = np.arange(int(sizes.sum())) - np.repeat(starts, sizes)
    partners = sizes[blk] - i - 1
    tot = int(partners.sum())
    if tot == 0:
        e = np.empty(0, dtype=np.int64)
        return e, e, e
    ii = np.repeat(i, partners)
    B = np.repeat(blk, partners)
    first = np.repeat(np.cumsum(partners) - partners, partners)
    jj = ii + 1 + (np.arange(tot) - first)
    return B, ii, jj


def _ragged_product(la: np.ndarray, lb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All ``(group, i, j)`` with ``i < la[group]``, ``j < lb[group]``, vectorised."""
    la = np.asarray(la, dtype=np.int64)
    lb = np.asarray(lb, dtype=np.int64)
    sizes = la * lb
    tot = int(sizes.sum())
    if tot == 0:
        e = np.empty(0, dtype=np.int64)
        return e, e, e
    g = np.repeat(np.arange(len(sizes)), sizes)
    k = np.arange(tot) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return g, k // lb[g], k % lb[g]


class KinshipStructure:
    """The lineage graph under a relation filter, in the arrays kinship code needs (shared by traits).

    Parameters
    ----------
    G : LineageGraph
    relation : str, sequence of str or None
        Edges followed (``None``: every edge); default every relation but ``merge``.
    """

    def __init__(self, G: LineageGraph, relation: RelationFilter = DEFAULT_RELATIONS) -> None:
        self.G = G
        self.relation = check_relations(relation)
        out, inn, _ = G.view(self.relation)
        self.n = G.n_nodes
        self.out_indptr, self.out_indices = out.indptr, out.indices
        self.in_indptr, self.in_indices = inn.indptr, inn.indices
        self.out_deg = np.diff(self.out_indptr)
        self.src_of_out = np.repeat(np.arange(self.n, dtype=np.int64), self.out_deg)
        self.is_model = ~G.external
        self._root: np.ndarray | None = None
        self._family: tuple[np.ndarray, np.ndarray] | None = None

    def families(self) -> tuple[np.ndarray, np.ndarray]:
        """``(root, member)`` of every family, sorted by root; a family is a root with at least
        one descendant, its members the root and its descendants."""
        if self._family is None:
            m = self.G.members(relation=self.relation)
            root = np.concatenate([m.roots, m.root])
            member = np.concatenate([m.roots, m.node])
            order = np.argsort(root, kind="stable")
            self._family = (root[order], member[order])
        return self._family

    def node_root(self) -> np.ndarray:
        """One family root per node (the smallest root reaching it; itself for roots and loners)."""
        if self._root is None:
            root, member = self.families()
            out = np.arange(self.n, dtype=np.int64)
            best = np.full(self.n, np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(best, member, root)
            has = best < np.iinfo(np.int64).max
            out[has] = best[has]
            self._root = out
        return self._root

    def restrict(self, valid: np.ndarray) -> _Valid:
        """The structure seen by a trait: only ``valid`` models can be pair ends."""
        return _Valid(self, np.asarray(valid, dtype=bool))


class _Valid:
    """Children / parents lists restricted to valid nodes, and the kinship units."""

    def __init__(self, s: KinshipStructure, valid: np.ndarray) -> None:
        self.s = s
        self.valid = valid
        keep = valid[s.out_indices]
        ck = np.r_[0, np.cumsum(keep)]
        self.vch_indptr = ck[s.out_indptr]
        self.vch_indices = s.out_indices[keep]
        self.vdeg_out = np.diff(self.vch_indptr)
        self.vrank_out = ck[:-1] - self.vch_indptr[s.src_of_out]  # rank among valid children at each edge
        keep_in = valid[s.in_indices]
        ci = np.r_[0, np.cumsum(keep_in)]
        self.vpar_indptr = ci[s.in_indptr]
        self.vpar_indices = s.in_indices[keep_in]
        self.vdeg_in = np.diff(self.vpar_indptr)

    # each returns a _Units
    def units(self, kinship: str) -> _Units:
        return getattr(self, "_u_" + kinship)()

    def _u_parent_child(self) -> _Units:
        s = self.s
        pos = np.flatnonzero(self.valid[s.src_of_out] & self.valid[s.out_indices])
        par, chi = s.src_of_out[pos], s.out_indices[pos]

        def draw(idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
            return par[idx], chi[idx]

        def enum() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            return par, chi, par

        return _Units(np.ones(len(pos), dtype=np.int64), par, draw, enum, 1)

    def _u_siblings(self) -> _Units:
        p = np.flatnonzero(self.vdeg_out >= 2)
        k = self.vdeg_out[p]
        start = self.vch_indptr[p]
        ind = self.vch_indices

        def draw(idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
            kk = k[idx]
            i = _rand_below(rng, kk)
            j = _rand_below(rng, kk - 1)
            j = j + (j >= i)
            return ind[start[idx] + i], ind[start[idx] + j]

        def enum() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            B, ii, jj = _block_pairs(k)
            return ind[start[B] + ii], ind[start[B] + jj], p[B]

        return _Units(k * (k - 1) // 2, p, draw, enum, 1)

    def _u_grandparent(self) -> _Units:
        w_all = self.vdeg_in * self.vdeg_out
        m = np.flatnonzero(w_all > 0)
        kin, kout = self.vdeg_in[m], self.vdeg_out[m]
        pst, cst = self.vpar_indptr[m], self.vch_indptr[m]

        def draw(idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
            g = self.vpar_indices[pst[idx] + _rand_below(rng, kin[idx])]
            c = self.vch_indices[cst[idx] + _rand_below(rng, kout[idx])]
            return g, c

        def enum() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            B, ii, jj = _ragged_product(kin, kout)
            return self.vpar_indices[pst[B] + ii], self.vch_indices[cst[B] + jj], m[B]

        return _Units(w_all[m], m, draw, enum, 1)

    def _u_aunt_uncle(self) -> _Units:
        s = self.s
        g_all, p_all = s.src_of_out, s.out_indices
        la_all = self.vdeg_out[g_all] - self.valid[p_all]
        w_all = la_all * self.vdeg_out[p_all]
        pos = np.flatnonzero(w_all > 0)
        g, p = g_all[pos], p_all[pos]
        la, lc = la_all[pos], self.vdeg_out[p]
        skip = np.where(self.valid[p], self.vrank_out[pos], np.iinfo(np.int64).max)
        gst, pst = self.vch_indptr[g], self.vch_indptr[p]
        ind = self.vch_indices

        def pick(B: np.ndarray, ii: np.ndarray, jj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            ii = ii + (skip[B] <= ii)
            return ind[gst[B] + ii], ind[pst[B] + jj]

        def draw(idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
            return pick(idx, _rand_below(rng, la[idx]), _rand_below(rng, lc[idx]))

        def enum() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            B, ii, jj = _ragged_product(la, lc)
            a, c = pick(B, ii, jj)
            return a, c, g[B]

        return _Units(w_all[pos], g, draw, enum, 1)

    def _u_cousins(self) -> _Units:
        s = self.s
        o = self.vdeg_out[s.out_indices]  # valid grandchildren through each edge g → p
        pb = np.r_[0, np.cumsum(o)]  # path block start of each edge
        S = np.bincount(s.src_of_out, weights=o, minlength=s.n).astype(np.int64)
        n_paths = int(pb[-1])
        path_edge = np.repeat(np.arange(len(o)), o)
        offs = np.arange(n_paths) - pb[path_edge]
        path_c = self.vch_indices[self.vch_indptr[s.out_indices[path_edge]] + offs]
        g_of_path = s.src_of_out[path_edge]
        w = S[g_of_path] - o[path_edge]
        gstart = pb[s.out_indptr[:-1]]  # first path of each g

        def draw(idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
            e = path_edge[idx]
            g = g_of_path[idx]
            r = gstart[g] + _rand_below(rng, S[g] - o[e])
            r = r + (r >= pb[e]) * o[e]
            return path_c[idx], path_c[r]

        def enum() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            # pairs of edges (g → p1, g → p2), p1 before p2, both with valid grandchildren
            e = np.flatnonzero(o > 0)
            ge = s.src_of_out[e]
            starts = np.flatnonzero(np.r_[True, ge[1:] != ge[:-1]]) if len(e) else np.empty(0, np.int64)
            sizes = np.diff(np.r_[starts, len(e)])
            B, ii, jj = _block_pairs(sizes)
            e1, e2 = e[starts[B] + ii], e[starts[B] + jj]
            G2, K1, K2 = _ragged_product(o[e1], o[e2])
            c1 = path_c[pb[e1[G2]] + K1]
            c2 = path_c[pb[e2[G2]] + K2]
            return c1, c2, s.src_of_out[e1[G2]]

        return _Units(w, g_of_path, draw, enum, 2)

    def _u_random_family(self) -> _Units:
        root, member = self.s.families()
        ok = self.valid[member]
        root, member = root[ok], member[ok]
        starts = np.flatnonzero(np.r_[True, root[1:] != root[:-1]]) if len(root) else np.empty(0, np.int64)
        sizes = np.diff(np.r_[starts, len(root)])
        big = sizes >= 2
        starts, sizes = starts[big], sizes[big]
        roots = root[starts]

        def draw(idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
            k = sizes[idx]
            i = _rand_below(rng, k)
            j = _rand_below(rng, k - 1)
            j = j + (j >= i)
            return member[starts[idx] + i], member[starts[idx] + j]

        def enum() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            B, ii, jj = _block_pairs(sizes)
            return member[starts[B] + ii], member[starts[B] + jj], roots[B]

        return _Units(sizes * (sizes - 1) // 2, roots, draw, enum, 1)

    def _u_random_hub(self) -> _Units:
        nodes = np.flatnonzero(self.valid & self.s.is_model)
        N = len(nodes)
        w = np.array([N * (N - 1) // 2], dtype=np.int64) if N >= 2 else np.empty(0, dtype=np.int64)
        fam = np.full(len(w), -1, dtype=np.int64)

        def draw(idx: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
            n = len(idx)
            i = rng.integers(0, N, n)
            j = rng.integers(0, N - 1, n)
            j = j + (j >= i)
            return nodes[i], nodes[j]

        def enum() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            _, ii, jj = _block_pairs(np.array([N]))
            return nodes[ii], nodes[jj], np.full(len(ii), -1, dtype=np.int64)

        return _Units(w, fam, draw, enum, 1)


@dataclass
class _Units:
    """Sampling units of one kinship: ``weight[i]`` instances (× ``multiplicity``) carried by
    unit ``i``; ``family_node[i]`` is its anchor node — the parent of siblings and of an
    edge, the middle of a grandparent path, the top of aunt/uncle and cousin paths, the
    root of a family (-1: random pairs of the Hub have no anchor). Pairs cluster under
    their anchor, and the anchor locates the family for ``weighting="family"``."""

    weight: np.ndarray
    family_node: np.ndarray
    draw: Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]
    enum: Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]]
    multiplicity: int  # each unordered instance appears this many times among the weights

    @property
    def n_instances(self) -> int:
        return int(self.weight.sum()) // self.multiplicity

    def enumerate(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every instance ``(u, v, anchor)`` (anchor -1: none); self-pairs dropped."""
        u, v, a = self.enum()
        keep = u != v
        return u[keep], v[keep], a[keep]

    def sample(self, n: int, rng: np.random.Generator, weighting: str = "paper",
               node_root: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``n`` instances ``(u, v, anchor)`` drawn independently (with replacement);
        self-pairs are redrawn."""
        if n <= 0 or len(self.weight) == 0 or self.weight.sum() == 0:
            e = np.empty(0, dtype=np.int64)
            return e, e, e
        if weighting == "family" and node_root is not None and (self.family_node >= 0).all():
            fam = node_root[self.family_node]
            _, finv = unique_inverse(fam)
            tot = np.bincount(finv, weights=self.weight.astype(np.float64))
            p = self.weight / tot[finv]
            cum = np.cumsum(p)

            def pick(k: int) -> np.ndarray:
                return np.minimum(np.searchsorted(cum, rng.random(k) * cum[-1], side="right"), len(cum) - 1)
        else:
            cum_i = np.cumsum(self.weight)

            def pick(k: int) -> np.ndarray:
                return np.searchsorted(cum_i, rng.integers(0, cum_i[-1], k), side="right")

        us, vs, an = [], [], []
        need = n
        for _ in range(50):
            idx = pick(need)
            u, v = self.draw(idx, rng)
            keep = u != v
            us.append(u[keep])
            vs.append(v[keep])
            an.append(self.family_node[idx[keep]])
            need -= int(keep.sum())
            if need <= 0:
                break
        return np.concatenate(us)[:n], np.concatenate(vs)[:n], np.concatenate(an)[:n]


def kinship_pairs(
    G: LineageGraph,
    kinship: str,
    *,
    relation: RelationFilter = DEFAULT_RELATIONS,
    samples: int | None = None,
    weighting: Weighting = "paper",
    valid: np.ndarray | None = None,
    max_pairs: int = 10_000_000,
    random_state: RandomState = DEFAULT_RANDOM_STATE,
) -> pd.DataFrame:
    """Kinship instances as a table of model-id pairs ``a, b`` (and the ``anchor`` that relates them).

    Parameters
    ----------
    G : LineageGraph
    kinship : str
        One of :data:`KINSHIPS`.
    relation : str, sequence of str or None
        Edges followed (default: all but ``merge``; ``None``: every edge).
    samples : int, optional
        Draw this many instances (with replacement, seeded); ``None`` enumerates all of them.
    weighting : {"paper", "family"}
        Sampling weights (see the module notes).
    valid : numpy.ndarray of bool, optional
        Nodes that may be pair ends (default: every model with a record).
    max_pairs : int
        Refuse to enumerate more instances than this (:class:`KinshipError`).
    random_state : int, SeedSequence, Generator or None
        Seed of the sample (default 0).

    Examples
    --------
    >>> from hftree.datasets import toy_graph
    >>> kinship_pairs(toy_graph(), "siblings", relation="finetune")
    Empty DataFrame
    Columns: [a, b, anchor]
    Index: []
    >>> kinship_pairs(toy_graph(), "siblings")
                   a              b    anchor
    0    org/base-ft  org/base-lora  org/base
    1    org/base-ft  org/base-GGUF  org/base
    2  org/base-lora  org/base-GGUF  org/base
    """
    if kinship not in KINSHIPS:
        raise KinshipError(f"unknown kinship {kinship!r}; expected one of {', '.join(KINSHIPS)}")
    check_weighting(weighting)
    if samples is not None:
        whole_number("samples", samples, 1)
    whole_number("max_pairs", max_pairs, 0)
    s = KinshipStructure(G, relation)
    units = s.restrict(~G.external if valid is None else valid).units(kinship)
    if samples is None:
        if units.n_instances > max_pairs:
            raise KinshipError(f"{kinship}: {units.n_instances:,} instances exceed max_pairs={max_pairs:,}; "
                               "pass samples=N to draw a sample instead")
        u, v, a = units.enumerate()
    else:
        u, v, a = units.sample(samples, check_random_state(random_state), weighting, s.node_root())
    ids = G.ids
    return pd.DataFrame({"a": ids[u], "b": ids[v],
                         "anchor": np.where(a >= 0, ids[np.maximum(a, 0)], None) if len(a) else ids[a]})


def kinship_counts(G: LineageGraph, *, relation: RelationFilter = DEFAULT_RELATIONS,
                   valid: np.ndarray | None = None) -> pd.Series:
    """Number of kinship paths among valid models (default: every model with a record).

    In a tree this is the number of related pairs. Where a model has two parents
    that are themselves related, a path can join it to itself; such a path is
    counted here but never measured. In the toy graph ``org/base-GGUF`` is a child
    of both ``org/base`` and its child ``org/base-lora``, so one of the 4
    aunt/uncle paths joins it to itself (:func:`kinship_pairs` lists the other 3).

    >>> from hftree.datasets import toy_graph
    >>> kinship_counts(toy_graph()).to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'parent_child': 5, 'siblings': 3, 'grandparent': 2, 'aunt_uncle': 4, 'cousins': 1,
     'random_family': 10, 'random_hub': 21}
    """
    s = KinshipStructure(G, relation).restrict(~G.external if valid is None else valid)
    return pd.Series({k: s.units(k).n_instances for k in KINSHIPS}, name="instances")
