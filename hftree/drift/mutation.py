"""Mutation rates: how often a trait changes from parent to child, by edge relation.

The mutation rate of a trait over a set of edges is the mean *distance* between
parent and child values, ``1 − similarity`` with the trait's default measure:
the Jaccard distance for sets, 0/1 for categories (so the rate is the share of
edges that change), ``1 − min/max`` for numbers, ``1 − TF-IDF cosine`` for
texts. Only edges where both ends report the trait count. Intervals come from a
bootstrap over parents (all edges of a parent resampled together).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from hftree._checks import whole_number
from hftree._random import DEFAULT_RANDOM_STATE, RandomState
from hftree._results import Result
from hftree.lineage.graph import LineageGraph
from hftree.schema import RELATIONS, RelationFilter
from hftree.traits._util import unique_inverse
from hftree.traits.encode import encode_trait
from hftree.traits.kinship import KinshipStructure
from hftree.traits.measures import DEFAULT_MEASURES, get_measure, pair_similarity
from hftree.traits.registry import DEFAULT_TRAITS, Trait, get_trait
from hftree.traits.stats import bootstrap_ratio, seed_sequence, spawn_rng
from hftree.traits.tables import align_models

__all__ = ["MUTATION_COLUMNS", "MutationRates", "mutation_rates"]

MUTATION_COLUMNS: dict[str, str] = {
    "trait": "trait name",
    "measure": "distance = 1 - this similarity",
    "relation": "edge relation ('all': every relation analysed)",
    "n_edges": "edges where parent and child both report the trait",
    "mutation_rate": "mean distance between parent and child values",
    "ci_low": "bootstrap 95 % interval (resampling parents), lower end",
    "ci_high": "upper end",
    "changed_share": "share of edges where the value differs at all",
}


@dataclass(frozen=True, repr=False)
class MutationRates(Result):
    """Mutation rate per trait and relation (see :func:`mutation_rates`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per trait × relation, columns :data:`MUTATION_COLUMNS` (:meth:`to_frame`).
    settings : dict
        ``relation``, ``n_boot``, ``random_state``.
    """

    table: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    title: ClassVar[str] = "Mutation rates"

    frame_attribute: ClassVar[str] = "table"

    @property
    def summary(self) -> pd.DataFrame:
        """Mutation rates as one row per trait, one column per relation."""
        return self.wide().reset_index()

    def _note(self) -> str:
        return f"traits {', '.join(map(str, pd.unique(self.table['trait'])))}; n_boot {self.settings.get('n_boot')}"

    def wide(self) -> pd.DataFrame:
        """Mutation rates as trait × relation."""
        return self.table.pivot_table(index="trait", columns="relation", values="mutation_rate", sort=False)


def mutation_rates(
    data: Any,
    graph: LineageGraph | None = None,
    *,
    traits: Iterable[str | Trait] | None = None,
    relation: RelationFilter = None,
    n_boot: int = 1000,
    random_state: RandomState = DEFAULT_RANDOM_STATE,
) -> MutationRates:
    """Mutation rate of each trait along parent → child edges, by relation and overall.

    Parameters
    ----------
    data : Snapshot or model table (with ``graph``)
    graph : LineageGraph, optional
    traits : iterable, optional
        Default :data:`~hftree.traits.registry.DEFAULT_TRAITS`.
    relation : str, sequence of str or None
        Relations analysed (default ``None``: every edge, merges included; each relation
        also gets its own rows).
    n_boot : int
        Bootstrap replicates.
    random_state : int, SeedSequence, Generator or None
        Seed of the bootstrap (default 0).

    Examples
    --------
    >>> from hftree.datasets import toy_graph
    >>> G = toy_graph()
    >>> m = mutation_rates(G.models, G, traits=["license"], n_boot=0)
    >>> m.table[["relation", "n_edges", "mutation_rate"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['all', 6, 0.6666666666666666], ['finetune', 1, 0.0], ['adapter', 1, 0.0], ['quantized', 1, 1.0],
     ['merge', 2, 1.0], ['unknown', 1, 1.0]]
    """
    whole_number("n_boot", n_boot, 0)
    models, G, node_of_row = align_models(data, graph)
    s = KinshipStructure(G, relation)
    seed = seed_sequence(random_state)
    rel_of_pos = np.asarray(G.relation)[_edge_positions(G, s)]
    recs = []
    for t in traits if traits is not None else DEFAULT_TRAITS:
        tr = get_trait(t)
        mname = DEFAULT_MEASURES[tr.kind][0]
        meas = get_measure(mname, tr.kind, tr.name)
        enc = encode_trait(models, tr).at_nodes(node_of_row, G.n_nodes)
        par, chi = s.src_of_out, s.out_indices
        ok = (enc.codes[par] >= 0) & (enc.codes[chi] >= 0)
        pos = np.flatnonzero(ok)
        sim = pair_similarity(enc, meas, enc.codes[par[pos]], enc.codes[chi[pos]])
        dist = 1.0 - sim
        changed = (enc.codes[par[pos]] != enc.codes[chi[pos]]).astype(np.float64)
        groups = [("all", np.ones(len(pos), dtype=bool))]
        present = set(np.bincount(rel_of_pos[pos].astype(np.int64)).nonzero()[0].tolist()) if len(pos) else set()
        groups += [(RELATIONS[r], rel_of_pos[pos] == r) for r in range(len(RELATIONS)) if r in present]
        for name, m in groups:
            d, p = dist[m], par[pos][m]
            n = len(d)
            if n:
                _, inv = unique_inverse(p)
                rep = bootstrap_ratio(np.bincount(inv, weights=d), np.bincount(inv).astype(np.float64), n_boot,
                                      spawn_rng(seed, "mutation", tr.name, name))
                lo, hi = np.percentile(rep, [2.5, 97.5]) if len(rep) else (np.nan, np.nan)
            else:
                lo = hi = np.nan
            recs.append({"trait": tr.name, "measure": mname, "relation": name, "n_edges": n,
                         "mutation_rate": float(d.mean()) if n else np.nan, "ci_low": float(lo),
                         "ci_high": float(hi), "changed_share": float(changed[m].mean()) if n else np.nan})
    return MutationRates(pd.DataFrame(recs, columns=list(MUTATION_COLUMNS)),
                         {"relation": s.relation, "n_boot": n_boot, "random_state": random_state})


def _edge_positions(G: LineageGraph, s: KinshipStructure) -> np.ndarray:
    """Edge id of every out-position of the structure's CSR."""
    out, _, _ = G.view(s.relation)
    return out.edge
