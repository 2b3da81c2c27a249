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

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hftree.lineage.graph import LineageGraph
from hftree.schema import RELATIONS
from hftree.traits._util import unique_inverse
from hftree.traits.kinship import DEFAULT_RELATIONS, KinshipStructure
from hftree.traits.stats import bootstrap_ratio

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


@dataclass(frozen=True)
class CardDrift:
    """Paired parent/child comparison of card length, templated cards and languages."""

    table: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def __repr__(self) -> str:
        t = self.table[self.table["relation"] == "all"]
        lines = ["<CardDrift (all relations analysed)>"]
        for r in t.itertuples(index=False):
            lines.append(f"  {r.quantity}: parent {r.parent:.3g} → child {r.child:.3g} "
                         f"(change {r.change:+.3g} [{r.ci_low:+.3g}, {r.ci_high:+.3g}], n={r.n_edges}, "
                         f"p={r.p_value:.2g})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape
        head = "".join(f"<th>{e(c)}</th>" for c in self.table.columns)
        body = "".join("<tr>" + "".join(f"<td>{e(f'{v:.4g}' if isinstance(v, float) else str(v))}</td>"
                                        for v in row) + "</tr>" for row in self.table.itertuples(index=False))
        return f"<div><b>Card drift</b><table><tr>{head}</tr>{body}</table></div>"


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
        p = float(stats.binomtest(b, b + c).pvalue) if b + c else 1.0
        test = "McNemar (exact)"
        med_x = med_y = np.nan
    else:
        nz = d != 0
        p = float(stats.wilcoxon(d[nz]).pvalue) if nz.sum() >= 1 else 1.0
        test = "Wilcoxon signed-rank"
        med_x, med_y = float(np.median(x)), float(np.median(y))
    return {**row, "parent": float(x.mean()), "child": float(y.mean()), "change": float(d.mean()),
            "ci_low": float(lo), "ci_high": float(hi), "parent_median": med_x, "child_median": med_y,
            "child_lower_share": float((d < 0).mean()), "child_higher_share": float((d > 0).mean()),
            "p_value": p, "test": test}


def card_drift(data: Any, graph: LineageGraph | None = None, *, relation: Any = DEFAULT_RELATIONS,
               n_boot: int = 1000, random_state: Any = None) -> CardDrift:
    """Parent vs child card length, templated share and languages, paired over edges, by relation.

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
    from hftree.traits.inheritance import _rng_for, prepare

    models, G, node_of_row = prepare(data, graph)
    s = KinshipStructure(G, relation)
    seed = random_state if isinstance(random_state, np.random.SeedSequence) else np.random.SeedSequence(random_state)
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
                                    _rng_for(seed, "cards", q, rname)))
    return CardDrift(pd.DataFrame(recs, columns=list(CARD_DRIFT_COLUMNS)),
                     {"relation": s.relation, "n_boot": n_boot, "random_state": random_state})
