"""Lineage coverage of the family table: per family, the members whose lineage is declared, inferred, or none.

Computed on the graph the family table was computed on (the same families, the same ``relation``)
by :func:`hftree.lineage.infer.coverage.family_coverage`, which :func:`~hftree.lineage.infer.lineage_coverage`
uses too. A family the table has but the graph does not gets NA (not computed), never 0.
"""

from __future__ import annotations

import pandas as pd

from hftree.lineage.graph import LineageGraph
from hftree.schema import RelationFilter

__all__ = ["LINEAGE_COLUMNS", "family_lineage_coverage", "with_lineage_coverage"]

#: Columns :func:`with_lineage_coverage` adds to a family table, with their meaning.
LINEAGE_COLUMNS: dict[str, str] = {
    "lineage_declared": "family members (root included) with a declared parent",
    "lineage_inferred": "members with only an inferred parent (confidence >= the threshold)",
    "lineage_none": "members with neither (the root itself is counted here)",
    "lineage_declared_share": "lineage_declared / (root + descendants)",
    "lineage_inferred_share": "lineage_inferred / (root + descendants)",
    "lineage_none_share": "lineage_none / (root + descendants)",
}


def family_lineage_coverage(G: LineageGraph, *, relation: RelationFilter = None) -> pd.DataFrame:
    """Per family of ``G`` (followed by ``relation``'s edges): members with a declared parent, with
    only an inferred one, and with none; models without a record are not counted.

    Parameters
    ----------
    G : LineageGraph
        A graph with declared and inferred edges (e.g. ``LineageGraph.from_tables(..., min_confidence=0.5)``).
    relation : str or list of str, optional
        Follow only these relations, as :func:`~hftree.families.stats.family_stats` does.

    Returns
    -------
    DataFrame
        ``root`` and the :data:`LINEAGE_COLUMNS`, one row per root with at least one descendant.

    Examples
    --------
    >>> models = pd.DataFrame({"id": ["a", "b", "c", "d"]})
    >>> edges = pd.DataFrame({"parent": ["a", "a", "c"], "child": ["b", "c", "d"],
    ...                       "relation": ["finetune", "finetune", "quantized"],
    ...                       "source": ["tag", "inferred", "tag"], "confidence": [None, 0.8, None]})
    >>> G = LineageGraph.from_tables(models, edges, min_confidence=0.5)
    >>> family_lineage_coverage(G)[["root", "lineage_declared", "lineage_inferred", "lineage_none"]].values.tolist()
    [['a', 2, 1, 1]]
    >>> family_lineage_coverage(G, relation="finetune")["lineage_declared"].tolist()  # c -> d not followed
    [1]
    """
    from hftree.lineage.infer.coverage import family_coverage

    per = family_coverage(G, relation=relation)
    out = pd.DataFrame({"root": per["family"].astype(object).to_numpy()})
    for k in ("declared", "inferred", "none"):
        out[f"lineage_{k}"] = pd.array(per[k].to_numpy(), dtype="Int64")
    for k in ("declared", "inferred", "none"):
        out[f"lineage_{k}_share"] = pd.array(per[f"{k}_share"].to_numpy(float), dtype="Float64")
    return out


def with_lineage_coverage(table: pd.DataFrame, G: LineageGraph, *, relation: RelationFilter = None) -> pd.DataFrame:
    """``table`` with the :data:`LINEAGE_COLUMNS` of each family (joined on ``root``).

    Parameters
    ----------
    table : DataFrame
        A family table (a ``root`` column), e.g. :func:`~hftree.families.stats.family_stats` of ``G``.
    G : LineageGraph
        The graph ``table`` was computed on (declared and inferred edges).
    relation : str or list of str, optional
        The relations ``table``'s families follow (its ``relation=``).

    Returns
    -------
    DataFrame
        ``table`` (same rows, same order) and the six columns; NA where ``G`` has no such family.

    Examples
    --------
    >>> models = pd.DataFrame({"id": ["a", "b", "c", "d"]})
    >>> edges = pd.DataFrame({"parent": ["a", "a"], "child": ["b", "c"], "relation": ["finetune", "unknown"],
    ...                       "source": ["tag", "inferred"], "confidence": [None, 0.8]})
    >>> G = LineageGraph.from_tables(models, edges, min_confidence=0.5)
    >>> t = with_lineage_coverage(pd.DataFrame({"root": ["a", "zz"]}), G)
    >>> [t[c].tolist() for c in ("lineage_declared", "lineage_inferred", "lineage_none")]
    [[1, <NA>], [1, <NA>], [1, <NA>]]
    >>> str(t["lineage_inferred"].dtype), t["lineage_inferred_share"].tolist()
    ('Int64', [0.3333333333333333, <NA>])
    """
    cov = family_lineage_coverage(G, relation=relation).set_index("root")
    out = table.drop(columns=[c for c in LINEAGE_COLUMNS if c in table.columns])
    keys = out["root"].astype(object).to_numpy()
    for c in LINEAGE_COLUMNS:
        out[c] = cov[c].reindex(keys).array  # absent root -> NA
    return out
