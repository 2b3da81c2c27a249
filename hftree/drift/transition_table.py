"""Transitions of trait values from parent to child, and the net flow between values.

Over the edges where both ends report the trait:

* **categorical** traits: an edge whose child's value ``b`` differs from its
  parent's ``a`` is one transition ``a → b``; equal values are *kept*.
* **set** traits (the paper's rule, Laufer, Oderinwale & Kleinberg 2025):
  every value ``y`` the child adds is reached from every value ``x`` of the
  parent (``x → y``), and every value ``x`` the child drops goes to every value
  ``y`` the child has (``x → y``). Values in both sets are kept.

The *net flow* of a pair of values is ``n(a → b) − n(b → a)``; the ordering that
agrees with the most net flows is :meth:`TransitionTable.ordering`.

:func:`transitions` (exported as ``hftree.drift.transitions``) lives here; the module is
named after the table it builds so that it does not collide with the function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from hftree._checks import whole_number
from hftree._results import Result
from hftree.drift.ordering import Method, Objective, TraitOrdering, order_values
from hftree.errors import TraitError
from hftree.lineage.graph import LineageGraph
from hftree.schema import RelationFilter
from hftree.traits._util import unique_counts, unique_inverse
from hftree.traits.encode import EncodedTrait, encode_trait
from hftree.traits.kinship import DEFAULT_RELATIONS, KinshipStructure, _ragged_product
from hftree.traits.registry import Trait, get_trait
from hftree.traits.tables import align_models

__all__ = ["DEFAULT_EXCLUDE", "TransitionTable", "transitions"]

#: Values left out of orderings by default, as in the paper (placeholders, not traits).
DEFAULT_EXCLUDE: tuple[str, ...] = ("other", "unknown", "none", "None", "", "[]")


@dataclass(frozen=True, repr=False)
class TransitionTable(Result):
    """Parent → child transitions of one trait (see :func:`transitions`).

    Attributes
    ----------
    trait, kind : str
    relation : tuple of str
        Edges followed.
    counts : pandas.DataFrame
        ``parent_value, child_value, n``: transitions between different values.
    kept : pandas.Series
        Per value, edges (categorical) or parent–child element matches (sets) keeping it.
    appearances : pandas.Series
        Per value, models of the table that have it (orders the top-K values).
    n_edges : int
        Edges where both ends report the trait.
    n_changed : int
        Of those, edges where the value (or set) differs.
    """

    trait: str
    kind: str
    relation: tuple[str, ...]
    counts: pd.DataFrame
    kept: pd.Series = field(repr=False)
    appearances: pd.Series = field(repr=False)
    n_edges: int
    n_changed: int

    title: ClassVar[str] = "Transitions"

    frame_attribute: ClassVar[str] = "counts"

    def _note(self) -> str:
        share = self.n_changed / self.n_edges if self.n_edges else float("nan")
        moves = ", ".join(f"{a} → {b} ({n})" for a, b, n in self.counts.head(5).itertuples(index=False))
        return (f"{self.trait}: {self.n_edges} edges, {self.n_changed} changed ({share:.1%})"
                + (f"; top: {moves}" if moves else ""))

    def top_values(self, top: int | None = None, exclude: tuple[str, ...] = DEFAULT_EXCLUDE) -> list[str]:
        """The ``top`` most common values (by appearances; all for ``None``), placeholders excluded."""
        vals = [v for v in self.appearances.index if str(v) not in exclude]
        return vals if top is None else vals[: whole_number("top", top, 1)]

    def matrix(self, values: list[str] | None = None) -> pd.DataFrame:
        """Transition counts as a square table (rows: parent value, columns: child value)."""
        vals = values if values is not None else self.top_values(None, ())
        m = self.counts.pivot_table(index="parent_value", columns="child_value", values="n", aggfunc="sum",
                                    fill_value=0)
        return m.reindex(index=vals, columns=vals, fill_value=0).astype(np.int64)

    def net_flow(self, values: list[str] | None = None) -> pd.DataFrame:
        """One row per pair of values with transitions: ``a, b, a_to_b, b_to_a, net, total``,
        oriented so that ``net ≥ 0`` (the flow runs ``a → b``), largest net first."""
        c = self.counts
        if values is not None:
            c = c[c["parent_value"].isin(values) & c["child_value"].isin(values)]
        fwd = c.groupby(["parent_value", "child_value"])["n"].sum()
        rows: dict[tuple[Any, Any], list[int]] = {}
        for (a, b), n in fwd.items():
            key = (a, b) if str(a) <= str(b) else (b, a)
            r = rows.setdefault(key, [0, 0])
            r[0 if (a, b) == key else 1] += int(n)
        out = []
        for (a, b), (ab, ba) in rows.items():
            if ab >= ba:
                out.append((a, b, ab, ba))
            else:
                out.append((b, a, ba, ab))
        df = pd.DataFrame(out, columns=["a", "b", "a_to_b", "b_to_a"])
        df["net"] = df["a_to_b"] - df["b_to_a"]
        df["total"] = df["a_to_b"] + df["b_to_a"]
        return df.sort_values(["net", "total", "a", "b"], ascending=[False, False, True, True]).reset_index(drop=True)

    def ordering(self, top: int = 10, *, objective: Objective = "pairs", method: Method = "auto",
                 max_exact: int = 20, exclude: tuple[str, ...] = DEFAULT_EXCLUDE,
                 values: list[str] | None = None) -> TraitOrdering:
        """The ordering of the ``top`` most common values agreeing with the most oriented
        transitions (exact for ``top ≤ max_exact``; see :mod:`hftree.drift.ordering`)."""
        vals = list(values) if values is not None else self.top_values(top, exclude)
        W = self.matrix(vals).to_numpy(dtype=np.float64)
        return order_values(self.trait, [str(v) for v in vals], W, objective=objective, method=method,
                            max_exact=max_exact, flow=self.net_flow(vals))


def _edge_codes(enc: EncodedTrait, s: KinshipStructure, edge_mask: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of parent and child on every edge where both report the trait, and the edge positions."""
    par, chi = s.src_of_out, s.out_indices
    ok = (enc.codes[par] >= 0) & (enc.codes[chi] >= 0)
    if edge_mask is not None:
        ok &= edge_mask
    pos = np.flatnonzero(ok)
    return enc.codes[par[pos]], enc.codes[chi[pos]], pos


def transitions(data: Any, graph: LineageGraph | None = None, *, trait: str | Trait,
                relation: RelationFilter = DEFAULT_RELATIONS) -> TransitionTable:
    """Parent → child transitions of ``trait`` over the edges of ``relation``.

    Parameters
    ----------
    data : Snapshot or model table (with ``graph``)
    graph : LineageGraph, optional
    trait : str or Trait
        A categorical or set trait (:class:`~hftree.errors.TraitError` otherwise).
    relation : str, sequence of str or None
        Edges followed (default every relation but ``merge``; ``None``: every edge).

    Examples
    --------
    >>> from hftree.datasets import toy_graph
    >>> G = toy_graph()
    >>> t = transitions(G.models, G, trait="license")
    >>> t.counts.values.tolist()
    [['llama3', 'apache-2.0', 2]]
    >>> t.n_edges, t.n_changed
    (4, 2)
    """
    tr = get_trait(trait)
    if tr.kind not in ("categorical", "set"):
        raise TraitError(f"transitions need a categorical or set trait; {tr.name!r} is {tr.kind}")
    models, G, node_of_row = align_models(data, graph)
    enc_rows = encode_trait(models, tr)
    enc = enc_rows.at_nodes(node_of_row, G.n_nodes)
    s = KinshipStructure(G, relation)
    cp, cc, _ = _edge_codes(enc, s)
    rel = s.relation if s.relation is not None else ()
    if tr.kind == "categorical":
        labels = enc.labels()
        changed = cp != cc
        key = cp[changed] * max(enc.n_values, 1) + cc[changed]
        uk, n = unique_counts(key)
        V = max(enc.n_values, 1)
        counts = pd.DataFrame({"parent_value": labels[uk // V], "child_value": labels[uk % V], "n": n})
        kept = pd.Series(np.bincount(cp[~changed], minlength=enc.n_values), index=labels)
        app = pd.Series(enc_rows.counts, index=labels)
    else:
        counts, kept, app = _set_transitions(enc, enc_rows, cp, cc)
        changed = cp != cc
    counts = counts.sort_values(["n", "parent_value", "child_value"], ascending=[False, True, True])
    app = app[app > 0].sort_values(ascending=False, kind="stable")
    return TransitionTable(tr.name, tr.kind, tuple(rel), counts.reset_index(drop=True),
                           kept[kept > 0], app, len(cp), int(changed.sum()))


def _set_transitions(enc: EncodedTrait, enc_rows: EncodedTrait, cp: np.ndarray, cc: np.ndarray
                     ) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    assert enc.set_indptr is not None and enc.set_elems is not None and enc.elements is not None
    names = enc.elements
    E = max(len(names), 1)
    V = max(enc.n_values, 1)
    uk, mult = unique_counts(cp * V + cc)
    A, B = uk // V, uk % V
    ip, el = enc.set_indptr, enc.set_elems

    def flat(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sizes = ip[codes + 1] - ip[codes]
        pair = np.repeat(np.arange(len(codes)), sizes)
        off = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        return pair, el[ip[codes][pair] + off]

    pa_, ea = flat(A)
    pb_, eb = flat(B)
    ka, kb = pa_ * E + ea, pb_ * E + eb
    a_in_b = np.isin(ka, kb)
    b_in_a = np.isin(kb, ka)
    kept = np.bincount(ea[a_in_b], weights=mult[pa_[a_in_b]], minlength=len(names))
    add_p, add_e = pb_[~b_in_a], eb[~b_in_a]  # grouped by pair, pairs ascending
    rem_p, rem_e = pa_[~a_in_b], ea[~a_in_b]
    n_pairs = len(A)

    def product(p1: np.ndarray, e1: np.ndarray, p2: np.ndarray, e2: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        l1 = np.bincount(p1, minlength=n_pairs)
        l2 = np.bincount(p2, minlength=n_pairs)
        s1 = np.r_[0, np.cumsum(l1)[:-1]]
        s2 = np.r_[0, np.cumsum(l2)[:-1]]
        g, i, j = _ragged_product(l1, l2)
        return e1[s1[g] + i], e2[s2[g] + j], mult[g]

    x1, y1, w1 = product(pa_, ea, add_p, add_e)  # every parent value → every added value
    x2, y2, w2 = product(rem_p, rem_e, pb_, eb)  # every dropped value → every child value
    x, y, w = np.r_[x1, x2], np.r_[y1, y2], np.r_[w1, w2]
    key = x * E + y
    uk2, inv = unique_inverse(key)
    n = np.bincount(inv, weights=w).astype(np.int64)
    counts = pd.DataFrame({"parent_value": names[uk2 // E], "child_value": names[uk2 % E], "n": n})
    # appearances of each element over the models of the table
    assert enc_rows.set_indptr is not None and enc_rows.set_elems is not None
    sizes = np.diff(enc_rows.set_indptr)
    per_el = np.bincount(enc_rows.set_elems, weights=np.repeat(enc_rows.counts, sizes), minlength=len(names))
    return counts, pd.Series(kept.astype(np.int64), index=names), pd.Series(per_el.astype(np.int64), index=names)
