"""Lineage coverage of the family table: per family, the members whose lineage is declared, inferred, or none.

The figures are those of :func:`hftree.lineage.infer.lineage_coverage` (its ``families`` frame),
joined to a :func:`~hftree.families.stats.family_stats` table on the root; a family that frame has
no row for gets NA (not computed), never 0.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["LINEAGE_COLUMNS", "with_lineage_coverage"]

#: Columns :func:`with_lineage_coverage` adds to a family table, with their meaning.
LINEAGE_COLUMNS: dict[str, str] = {
    "lineage_declared": "family members (root included) with a declared parent",
    "lineage_inferred": "members with only an inferred parent (confidence >= the threshold)",
    "lineage_none": "members with neither (the root itself is counted here)",
    "lineage_declared_share": "lineage_declared / (root + descendants)",
    "lineage_inferred_share": "lineage_inferred / (root + descendants)",
    "lineage_none_share": "lineage_none / (root + descendants)",
}


def with_lineage_coverage(table: pd.DataFrame, snapshot: Any, inferred: pd.DataFrame, *,
                          min_confidence: float) -> pd.DataFrame:
    """``table`` with the :data:`LINEAGE_COLUMNS` of each family (joined on ``root``).

    Parameters
    ----------
    table : DataFrame
        A family table (a ``root`` column), e.g. :func:`~hftree.families.stats.family_stats` of a
        graph built with the same inferred edges.
    snapshot : Snapshot
        The models and their declared edges.
    inferred : DataFrame
        Inferred edges (``parent, child, confidence``), e.g. ``infer(snap).edge_table()``.
    min_confidence : float
        Inferred edges below this are not counted.

    Returns
    -------
    DataFrame
        ``table`` (same rows, same order) and the six columns; NA where a family has no coverage row.

    Examples
    --------
    >>> from hftree.ingest import Snapshot
    >>> snap = Snapshot(pd.DataFrame({"id": ["a", "b", "c", "d"]}),
    ...                 pd.DataFrame({"parent": ["a"], "child": ["b"], "relation": ["finetune"], "source": ["tag"]}))
    >>> inf = pd.DataFrame({"parent": ["a"], "child": ["c"], "confidence": [0.8]})
    >>> t = with_lineage_coverage(pd.DataFrame({"root": ["a", "zz"]}), snap, inf, min_confidence=0.5)
    >>> [t[c].tolist() for c in ("lineage_declared", "lineage_inferred", "lineage_none")]
    [[1, <NA>], [1, <NA>], [1, <NA>]]
    >>> str(t["lineage_inferred"].dtype), t["lineage_inferred_share"].tolist()
    ('Int64', [0.3333333333333333, <NA>])
    """
    from hftree.lineage.infer import lineage_coverage

    fam = lineage_coverage(snapshot, inferred, min_confidence=min_confidence).families
    cov = pd.DataFrame({"root": fam["family"].astype(object).to_numpy()})
    for k in ("declared", "inferred", "none"):
        cov[f"lineage_{k}"] = pd.array(fam[k].to_numpy(), dtype="Int64")
    for k in ("declared", "inferred", "none"):
        cov[f"lineage_{k}_share"] = pd.array(fam[f"{k}_share"].to_numpy(float), dtype="Float64")
    out = table.drop(columns=[c for c in LINEAGE_COLUMNS if c in table.columns])
    keys = out["root"].astype(object)
    cov = cov.drop_duplicates("root").set_index("root")
    for c in LINEAGE_COLUMNS:
        out[c] = cov[c].reindex(keys.to_numpy()).array  # absent root -> NA
    return out
