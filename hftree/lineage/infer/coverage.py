"""Coverage: the share of models whose lineage is declared, only inferred, or unknown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from hftree._results import Result

__all__ = ["LineageCoverage", "family_coverage", "lineage_coverage"]


@dataclass(frozen=True)
class LineageCoverage(Result):
    """Hub-wide and per-family shares of models with declared, inferred and no lineage."""

    title: ClassVar[str] = "Lineage coverage"
    overall: pd.DataFrame
    families: pd.DataFrame
    min_confidence: float

    frame_attribute: ClassVar[str] = "families"

    @property
    def summary(self) -> pd.DataFrame:
        return self.overall.copy()

    def _note(self) -> str:
        return f"inferred: edges with source 'inferred' and confidence >= {self.min_confidence:g}"


def lineage_coverage(data: Any, inferred: pd.DataFrame | None = None, *, min_confidence: float = 0.5,
                     top: int | None = None) -> LineageCoverage:
    """Share of models with a declared parent, with only an inferred one, and with none.

    Parameters
    ----------
    data : Snapshot or LineageGraph
        The models and their declared edges (a graph's edges are all taken as declared).
    inferred : DataFrame, optional
        Inferred edges (``parent, child``, ``confidence``), e.g. ``infer(snap).edges``; default:
        the rows of the snapshot's edge table whose source is ``inferred``.
    min_confidence : float
        Inferred edges below this are not counted.
    top : int, optional
        Keep the ``top`` largest families (by models) in the per-family table.

    Returns
    -------
    LineageCoverage
        ``overall``: one row (``models, declared, inferred, none`` and their shares);
        ``families``: the same per family (a root and its descendants by declared and counted
        inferred edges; the root itself is counted under ``none``).

    Examples
    --------
    >>> from hftree.ingest import Snapshot
    >>> snap = Snapshot(pd.DataFrame({"id": ["a", "b", "c", "d"]}),
    ...                 pd.DataFrame({"parent": ["a"], "child": ["b"], "relation": ["finetune"], "source": ["tag"]}))
    >>> inf = pd.DataFrame({"parent": ["a"], "child": ["c"], "confidence": [0.8]})
    >>> lineage_coverage(snap, inf).overall[["models", "declared", "inferred", "none"]].iloc[0].tolist()
    [4, 1, 1, 2]
    """
    from hftree.lineage.graph import LineageGraph
    from hftree.lineage.infer.core import INFERRED_SOURCE, _check_confidence, declared_pairs

    min_confidence = _check_confidence(min_confidence)
    if isinstance(data, LineageGraph):
        models = data.models
        declared = data.edge_frame().astype(object)[["parent", "child"]]
        inf_rows = pd.DataFrame(columns=["parent", "child", "confidence"])
    else:
        models = data.models
        declared = declared_pairs(data.edges)[["parent", "child"]]
        e = data.edges
        inf_rows = (e[e["source"].astype(object) == INFERRED_SOURCE] if "source" in e and "confidence" in e
                    else pd.DataFrame(columns=["parent", "child", "confidence"]))
    if inferred is not None:
        inf_rows = inferred
    inf_rows = inf_rows[pd.to_numeric(inf_rows["confidence"], errors="coerce").to_numpy(float) >= min_confidence]
    ids = models["id"].astype(object)
    has_decl = ids.isin(set(declared["child"].tolist())).to_numpy()
    has_inf = ids.isin(set(inf_rows["child"].astype(object).tolist())).to_numpy() & ~has_decl
    state = np.where(has_decl, 0, np.where(has_inf, 1, 2))
    overall = _shares(pd.Series(state))
    both = pd.concat([declared.assign(relation="unknown", source="table"),
                      inf_rows[["parent", "child"]].astype(object).assign(relation="unknown", source=INFERRED_SOURCE,
                                                                          confidence=1.0)], ignore_index=True)
    per = family_coverage(LineageGraph.from_tables(models[["id"]], both, min_confidence=1.0))
    per = per.sort_values(["models", "family"], ascending=[False, True]).reset_index(drop=True)
    if top is not None:
        per = per.head(top)
    return LineageCoverage(overall, per, min_confidence)


def _shares(state: pd.Series) -> pd.DataFrame:
    counts = np.bincount(state.to_numpy(dtype=np.int64), minlength=3)
    total = int(counts.sum())
    row: dict[str, Any] = {"models": total, "declared": int(counts[0]), "inferred": int(counts[1]),
                           "none": int(counts[2])}
    for k in ("declared", "inferred", "none"):
        row[f"{k}_share"] = row[k] / total if total else np.nan
    return pd.DataFrame([row])


def family_coverage(G: Any, *, relation: Any = None) -> pd.DataFrame:
    """Per family of ``G`` (followed by ``relation``'s edges): its models with a declared parent, with
    only an inferred one, and with none (the root); models without a record are not counted.

    A member is *declared* when an edge the family follows into it is declared (any source but
    ``card_text`` and ``inferred``, as :func:`lineage_coverage` counts), *inferred* when such an edge
    is inferred and none is declared.

    >>> from hftree.lineage import LineageGraph
    >>> edges = pd.DataFrame({"parent": ["a", "a", "c"], "child": ["b", "c", "d"],
    ...                       "relation": ["finetune", "finetune", "quantized"],
    ...                       "source": ["tag", "inferred", "tag"], "confidence": [None, 0.8, None]})
    >>> G = LineageGraph.from_tables(pd.DataFrame({"id": list("abcd")}), edges, min_confidence=0.5)
    >>> family_coverage(G)[["family", "models", "declared", "inferred", "none"]].values.tolist()
    [['a', 4, 2, 1, 1]]
    >>> family_coverage(G, relation="finetune")["declared"].tolist()  # c -> d not followed
    [1]
    """
    from hftree.lineage.infer.core import _NOT_DECLARED, INFERRED_SOURCE
    from hftree.schema import EDGE_SOURCES

    mem = G.members(relation=relation)
    followed = np.flatnonzero(G.view(relation)[2])
    not_declared = np.isin(G.source[followed], [EDGE_SOURCES.index(x) for x in _NOT_DECLARED])
    inferred = G.source[followed] == EDGE_SOURCES.index(INFERRED_SOURCE)
    n_decl = np.bincount(G.child[followed[~not_declared]], minlength=G.n_nodes)
    n_inf = np.bincount(G.child[followed[inferred]], minlength=G.n_nodes)
    state = np.where(n_decl > 0, 0, np.where(n_inf > 0, 1, 2))
    root = np.concatenate([mem.roots, mem.root])
    st = np.concatenate([np.full(len(mem.roots), 2), state[mem.node]])  # a root counts under none
    own = ~G.external[np.concatenate([mem.roots, mem.node])]
    code = np.full(G.n_nodes, -1, dtype=np.int64)
    code[mem.roots] = np.arange(len(mem.roots))
    counts = np.zeros((len(mem.roots), 3), dtype=np.int64)
    np.add.at(counts, (code[root[own]], st[own]), 1)
    total = counts.sum(axis=1)
    per = pd.DataFrame({"family": G.id_of(mem.roots) if len(mem.roots) else [], "models": total,
                        "declared": counts[:, 0], "inferred": counts[:, 1], "none": counts[:, 2]})
    per = per[total > 0].reset_index(drop=True)  # a family of ids without a record has no models to count
    for k in ("declared", "inferred", "none"):
        per[f"{k}_share"] = per[k] / per["models"]
    return per
