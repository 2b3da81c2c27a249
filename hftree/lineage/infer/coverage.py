"""Coverage: the share of models whose lineage is declared, only inferred, or unknown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from hftree._results import Result

__all__ = ["LineageCoverage", "lineage_coverage"]


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
    both = pd.concat([declared.assign(relation="unknown"),
                      inf_rows[["parent", "child"]].astype(object).assign(relation="unknown")], ignore_index=True)
    G = LineageGraph.from_tables(models[["id"]], both)
    mem = G.members()
    n = len(models)
    inside = mem.node < n
    fam = pd.DataFrame({"root": np.concatenate([mem.roots, mem.root[inside]]),
                        "node": np.concatenate([mem.roots, mem.node[inside]])})
    fam = fam[fam["node"] < n]
    fam["state"] = state[fam["node"].to_numpy()]
    fam.loc[fam["root"] == fam["node"], "state"] = 2
    root_of, roots = pd.factorize(fam["root"].to_numpy())  # one row per family, by integer codes
    counts = np.zeros((len(roots), 3), dtype=np.int64)
    np.add.at(counts, (root_of, fam["state"].to_numpy(dtype=np.int64)), 1)
    total = counts.sum(axis=1)
    per = pd.DataFrame({"family": G.id_of(np.asarray(roots, dtype=np.int64)) if len(roots) else [],
                        "models": total, "declared": counts[:, 0], "inferred": counts[:, 1], "none": counts[:, 2]})
    for k in ("declared", "inferred", "none"):
        per[f"{k}_share"] = per[k] / total if len(roots) else pd.Series(dtype=float)
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
