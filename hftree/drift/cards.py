"""Card drift: do children document less than their parents?

Paired over parent → child edges (both ends must report the quantity), by relation:

* ``card_length`` — characters of the card; change = mean of child − parent,
  Wilcoxon signed-rank test;
* ``templated`` — the card is auto-generated or an unfilled template
  (``card_template``); change = child share − parent share, exact McNemar test
  (binomial test on the discordant edges);
* ``languages`` — number of languages declared, over edges where both declare
  at least one; Wilcoxon signed-rank test;
* ``declares_languages`` — whether any language is declared (all edges with two
  records); McNemar.

Intervals of the change are a bootstrap over parents. The tests treat edges as
independent, which siblings are not: read p-values as descriptive, the
intervals as the honest uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from hftree._checks import whole_number
from hftree._pvalues import binom_two_sided, wilcoxon_two_sided
from hftree._random import DEFAULT_RANDOM_STATE, RandomState
from hftree._results import Result
from hftree.lineage.graph import LineageGraph
from hftree.schema import RELATIONS, RelationFilter
from hftree.traits._util import unique_inverse
from hftree.traits.kinship import DEFAULT_RELATIONS, KinshipStructure
from hftree.traits.stats import bootstrap_ratio, seed_sequence, spawn_rng
from hftree.traits.tables import align_models

__all__ = ["CARD_DRIFT_COLUMNS", "CardDrift", "card_drift"]

CARD_DRIFT_COLUMNS: dict[str, str] = {
    "quantity": "card_length, templated, languages or declares_languages",
    "relation": "edge relation ('all': every relation analysed)",
    "n_edges": "edges where parent and child both report the quantity",
    "parent": "mean over parents (share for yes/no quantities)",
    "child": "mean over children",
    "change": "mean of child − parent",
    "ci_low": "bootstrap 95 % interval of the change (resampling parents), lower end",
    "ci_high": "upper end",
    "parent_median": "median over parents",
    "child_median": "median over children",
    "child_lower_share": "share of edges where the child's value is lower",
    "child_higher_share": "share of edges where the child's value is higher",
    "p_value": "two-sided p-value of the paired test",
    "test": "the paired test",
}


@dataclass(frozen=True, repr=False)
class CardDrift(Result):
    """Paired parent/child comparison of card length, templated cards and languages.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per quantity × relation, columns :data:`CARD_DRIFT_COLUMNS` (:meth:`to_frame`).
    settings : dict
        ``relation``, ``n_boot``, ``random_state``.
    """

    table: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    title: ClassVar[str] = "Card drift"

    frame_attribute: ClassVar[str] = "table"

    @property
    def summary(self) -> pd.DataFrame:
        """The rows over every relation analysed (``relation == "all"``)."""
        return self.table[self.table["relation"] == "all"].reset_index(drop=True)

    def _note(self) -> str:
        return "; ".join(f"{r.quantity}: parent {r.parent:.3g} → child {r.child:.3g} (n={r.n_edges})"
                         for r in self.summary.itertuples(index=False))


def _paired_row(quantity: str, relation: str, x: np.ndarray, y: np.ndarray, par: np.ndarray, binary: bool,
                n_boot: int, rng: np.random.Generator) -> dict[str, Any]:
    n = len(x)
    row: dict[str, Any] = {"quantity": quantity, "relation": relation, "n_edges": n}
    if n == 0:
        return {**row, **{k: np.nan for k in CARD_DRIFT_COLUMNS if k not in row}, "test": ""}
    d = y - x
    _, inv = unique_inverse(par)
    rep = bootstrap_ratio(np.bincount(inv, weights=d), np.bincount(inv).astype(np.float64), n_boot, rng)
    lo, hi = np.percentile(rep, [2.5, 97.5]) if len(rep) else (np.nan, np.nan)
    if binary:
        b, c = int(((x == 1) & (y == 0)).sum()), int(((x == 0) & (y == 1)).sum())
        p = binom_two_sided(b, b + c) if b + c else 1.0
        test = "McNemar (exact)"
        med_x = med_y = np.nan
    else:
        nz = d != 0
        p = wilcoxon_two_sided(d[nz]) if nz.sum() >= 1 else 1.0
        test = "Wilcoxon signed-rank"
        med_x, med_y = float(np.median(x)), float(np.median(y))
    return {**row, "parent": float(x.mean()), "child": float(y.mean()), "change": float(d.mean()),
            "ci_low": float(lo), "ci_high": float(hi), "parent_median": med_x, "child_median": med_y,
            "child_lower_share": float((d < 0).mean()), "child_higher_share": float((d > 0).mean()),
            "p_value": p, "test": test}


def card_drift(data: Any, graph: LineageGraph | None = None, *, relation: RelationFilter = DEFAULT_RELATIONS,
               n_boot: int = 1000, random_state: RandomState = DEFAULT_RANDOM_STATE) -> CardDrift:
    """Parent vs child card length, templated share and languages, paired over edges, by relation.

    Parameters
    ----------
    data : Snapshot or model table (with ``graph``)
    graph : LineageGraph, optional
    relation : str, sequence of str or None
        Edges compared (default every relation but ``merge``; ``None``: every edge).
    n_boot : int
        Bootstrap replicates of each change.
    random_state : int, SeedSequence, Generator or None
        Seed of the bootstrap (default 0).

    Examples
    --------
    >>> import pandas as pd
    >>> from hftree.lineage import LineageGraph
    >>> models = pd.DataFrame({"id": ["p", "c1", "c2"], "card_length": [900, 300, 600],
    ...                        "card_template": [False, True, True], "languages": [["en", "fr"], ["en"], []]})
    >>> G = LineageGraph.from_tables(models, pd.DataFrame({"parent": ["p", "p"], "child": ["c1", "c2"],
    ...                                                    "relation": "finetune"}))
    >>> d = card_drift(models, G, n_boot=0).table
    >>> d.loc[d["relation"] == "all", ["quantity", "parent", "child", "change"]].values.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    [['card_length', 900.0, 450.0, -450.0], ['templated', 0.0, 1.0, 1.0],
     ['languages', 2.0, 1.0, -1.0], ['declares_languages', 1.0, 0.5, -0.5]]
    """
    whole_number("n_boot", n_boot, 0)
    models, G, node_of_row = align_models(data, graph)
    s = KinshipStructure(G, relation)
    seed = seed_sequence(random_state)
    out, _, _ = G.view(s.relation)
    rel = np.asarray(G.relation)[out.edge]
    par, chi = s.src_of_out, s.out_indices
    both = (node_of_row >= 0)
    has_rec = np.zeros(G.n_nodes, dtype=bool)
    has_rec[node_of_row[both]] = True

    def at_nodes(values: np.ndarray) -> np.ndarray:
        v = np.full(G.n_nodes, np.nan)
        v[node_of_row[both]] = values[both]
        return v

    def col(name: str) -> np.ndarray:
        if name not in models:
            return np.full(len(models), np.nan)
        return pd.to_numeric(models[name].astype("Float64"), errors="coerce").to_numpy(dtype=np.float64,
                                                                                       na_value=np.nan)

    length = at_nodes(col("card_length"))
    templ = at_nodes(col("card_template"))
    if "languages" in models:
        nl = models["languages"]
        nlang = nl.map(lambda v: len(v) if v is not None and not (isinstance(v, float) and v != v) else 0) \
            if not isinstance(nl.dtype, pd.ArrowDtype) else nl.list.len().fillna(0)
        nlang = at_nodes(np.asarray(nlang, dtype=np.float64))
    else:
        nlang = np.full(G.n_nodes, np.nan)
    quantities = [
        ("card_length", length, False, np.isfinite(length)),
        ("templated", templ, True, np.isfinite(templ)),
        ("languages", nlang, False, np.isfinite(nlang) & (nlang > 0)),
        ("declares_languages", (nlang > 0).astype(np.float64), True, np.isfinite(nlang) & has_rec),
    ]
    rels = [("all", np.ones(len(par), dtype=bool))] + [
        (RELATIONS[r], rel == r) for r in range(len(RELATIONS)) if (rel == r).any()]
    recs = []
    for q, v, binary, ok_node in quantities:
        ok = ok_node[par] & ok_node[chi]
        for rname, m in rels:
            sel = ok & m
            recs.append(_paired_row(q, rname, v[par[sel]], v[chi[sel]], par[sel], binary, n_boot,
                                    spawn_rng(seed, "cards", q, rname)))
    return CardDrift(pd.DataFrame(recs, columns=list(CARD_DRIFT_COLUMNS)),
                     {"relation": s.relation, "n_boot": n_boot, "random_state": random_state})
