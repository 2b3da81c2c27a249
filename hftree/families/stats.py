"""Family statistics: one row per root (Laufer, Oderinwale & Kleinberg 2025, §3)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pandas as pd

from hftree.errors import ParameterError
from hftree.families.coverage import has_field
from hftree.lineage.graph import LineageGraph
from hftree.lineage.membership import widest_generation
from hftree.schema import RELATIONS, RelationFilter

__all__ = ["FAMILY_COLUMNS", "family_size_distribution", "family_stats"]

_DAY_MS = 86_400_000
_NAT = np.iinfo(np.int64).min

#: Columns of :func:`family_stats`, in order, with their meaning.
FAMILY_COLUMNS: dict[str, str] = {
    "root": "model id of the root (a model with no parent in the graph)",
    "root_external": "the root has no record in the snapshot (named only as a parent)",
    "descendants": "models reachable from the root (each counted once)",
    **{f"n_{r}": f"descendants whose link into the family is a {r} edge" for r in RELATIONS},
    "children": "direct children of the root",
    "depth": "deepest generation (root = 0)",
    "widest_generation": "the generation with the most models",
    "widest_generation_size": "models in that generation",
    "authors": "distinct authors among the descendants",
    "shared_descendants": "descendants that also belong to another family (merges)",
    "root_created_at": "creation time of the root",
    "first_descendant_at": "creation time of the earliest descendant",
    "last_descendant_at": "creation time of the latest descendant",
    "days_to_first_child": "days from the root's creation to its first direct child (negative: a child "
    "dated before its root)",
    "descendants_before_root": "descendants created before their root (a re-pointed base model or a wrong date)",
    "root_downloads": "downloads of the root (NA: the root has no download count)",
    "descendant_downloads": "downloads summed over the descendants that have a count (NA: none has)",
    "family_downloads": "root + descendant downloads",
    "top_descendant_share": "share of family downloads held by the most downloaded descendant",
    "root_likes": "likes of the root",
    "descendant_likes": "likes summed over the descendants",
    "root_license": "licence of the root",
    "license_differs_share": "share of descendants whose licence differs from the root's (missing = 'none'; "
    "NA when the snapshot has no licences)",
    "new_30d": "descendants created in the 30 days before the snapshot time",
    "new_90d": "... in the 90 days before",
    "new_365d": "... in the 365 days before",
}


def _whole(value: object, name: str, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise ParameterError(name, f"a whole number >= {least}", value)


def _check_columns(columns: Sequence[str] | None) -> list[str] | None:
    if columns is None:
        return None
    if isinstance(columns, str):  # one name is a list of one, not of its letters
        columns = [columns]
    cols = list(columns)
    bad = [c for c in cols if c not in FAMILY_COLUMNS]
    if bad or not cols:
        raise ParameterError("columns", f"names among {', '.join(FAMILY_COLUMNS)}", bad[0] if bad else cols)
    return cols


def family_stats(
    G: LineageGraph,
    *,
    relation: RelationFilter = None,
    min_size: int = 2,
    sort: str = "descendants",
    top: int | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Statistics of every family (a root and everything that descends from it).

    Parameters
    ----------
    G : LineageGraph
        The lineage graph.
    relation : str or list of str, optional
        Follow only edges of these relations (families are then defined on that
        restricted graph; :data:`hftree.schema.RelationFilter`).
    min_size : int
        Keep families of at least this many models, the root included (default 2:
        a root and one descendant; a root without descendants is no family, so
        ``1`` keeps the same rows).
    sort : str
        Column to sort by, descending (ties by root id).
    top : int, optional
        Keep the first ``top`` rows after sorting.
    columns : sequence of str, optional
        Keep only these columns of :data:`FAMILY_COLUMNS`, in this order (``sort``
        need not be among them).

    Raises
    ------
    ParameterError
        For ``min_size`` or ``top`` below 1, an unknown ``sort`` column or an unknown
        name in ``columns``.

    Returns
    -------
    pandas.DataFrame
        One row per root, the columns of :data:`FAMILY_COLUMNS`.

    Notes
    -----
    A model reachable from several roots (typically through a merge) is counted
    in *each* family it descends from; ``shared_descendants`` says how many of a
    family's descendants are such models. Generations are shortest distances
    from the root.

    Missing is not zero: a root without a download count has ``root_downloads``
    ``<NA>``, sums are over the models that have a count (``<NA>`` when none has),
    and ``license_differs_share`` is ``<NA>`` when the snapshot has no licences
    (:func:`hftree.families.coverage.missing_fields`).

    Examples
    --------
    >>> from hftree.datasets import toy_graph
    >>> family_stats(toy_graph())[["root", "descendants", "children", "depth", "n_merge"]]
              root  descendants  children  depth  n_merge
    0     org/base            5         3      2        1
    1  other/base2            1         1      1        1
    """
    _whole(min_size, "min_size", 1)
    if top is not None:
        _whole(top, "top", 1)
    if sort not in FAMILY_COLUMNS:
        raise ParameterError("sort", f"a column among {', '.join(FAMILY_COLUMNS)}", sort)
    keep = _check_columns(columns)
    mem = G.members(relation=relation)
    out, _, _ = G.view(relation)
    n = G.n_nodes
    roots = mem.roots
    # compact family index per root
    fam_of = np.full(n, -1, dtype=np.int64)
    fam_of[roots] = np.arange(len(roots))
    f = fam_of[mem.root]
    k = len(roots)
    node = mem.node

    size = np.bincount(f, minlength=k)
    by_rel = np.bincount(f * len(RELATIONS) + G.relation[mem.edge], minlength=k * len(RELATIONS))
    by_rel = by_rel.reshape(k, len(RELATIONS))
    children = np.diff(out.indptr)[roots]
    depth = np.zeros(k, dtype=np.int64)
    np.maximum.at(depth, f, mem.depth)
    widest, widest_n = widest_generation(f, mem.depth, k)  # ties -> the shallower generation

    shared_node = np.bincount(node, minlength=n) > 1
    shared = np.bincount(f, weights=shared_node[node], minlength=k).astype(np.int64)

    cols = G.models.columns
    codes, _ = G.node_codes("author")
    has_a = codes[node] >= 0
    pair = np.unique(f[has_a] * (int(codes.max(initial=0)) + 1) + codes[node][has_a])
    n_authors = np.bincount(pair // (int(codes.max(initial=0)) + 1), minlength=k)

    created = G.node_times("created_at")
    c_node = created[node]
    known = c_node != _NAT
    first_at = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    last_at = np.full(k, _NAT, dtype=np.int64)
    np.minimum.at(first_at, f[known], c_node[known])
    np.maximum.at(last_at, f[known], c_node[known])
    direct = known & (mem.depth == 1)
    first_child = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_child, f[direct], c_node[direct])
    root_created = created[roots]
    days_first = np.where(
        (first_child != np.iinfo(np.int64).max) & (root_created != _NAT),
        (first_child - root_created) / _DAY_MS,
        np.nan,
    )

    def num(name: str) -> tuple[np.ndarray, np.ndarray]:
        """Values (0 where missing) and which nodes have one; external nodes have none."""
        if name not in cols:
            return np.zeros(n), np.zeros(n, dtype=bool)
        col = G.models[name]
        v = col.to_numpy(dtype="float64", na_value=0.0)
        pad = n - len(v)
        return np.concatenate([v, np.zeros(pad)]), np.concatenate([col.notna().to_numpy(), np.zeros(pad, bool)])

    def na_int(values: np.ndarray, known: np.ndarray) -> pd.api.extensions.ExtensionArray:
        out = pd.array(np.where(known, values, 0).astype(np.int64), dtype="Int64")
        out[~known] = pd.NA
        return out

    dl, has_dl = num("downloads")
    likes, has_likes = num("likes")
    desc_dl = np.bincount(f, weights=dl[node], minlength=k)
    desc_has_dl = np.bincount(f, weights=has_dl[node], minlength=k) > 0
    top_dl = np.zeros(k)
    np.maximum.at(top_dl, f, dl[node])
    fam_dl = dl[roots] + desc_dl
    fam_has_dl = has_dl[roots] | desc_has_dl
    with np.errstate(invalid="ignore", divide="ignore"):
        top_share = np.where((fam_dl > 0) & desc_has_dl, top_dl / np.where(fam_dl > 0, fam_dl, 1), np.nan)
    desc_likes = np.bincount(f, weights=likes[node], minlength=k)
    desc_has_likes = np.bincount(f, weights=has_likes[node], minlength=k) > 0

    lcodes, lvalues = G.node_codes("license")  # -1 (missing) compares as the licence "none"
    if "none" in lvalues:
        lcodes = np.where(lcodes == lvalues.index("none"), -1, lcodes)
    differs = lcodes[node] != lcodes[roots][f]
    with np.errstate(invalid="ignore", divide="ignore"):
        lic_diff = np.bincount(f, weights=differs, minlength=k) / np.maximum(size, 1)
    if not has_field(G.models, "license"):  # no licence at all: nothing differs or agrees
        lic_diff = np.full(k, np.nan)
    # descendants created before their root (a re-pointed base_model, or a wrong date)
    early = np.bincount(f[known], weights=c_node[known] < created[roots][f[known]], minlength=k)
    early = np.where(root_created != _NAT, early, 0).astype(np.int64)

    snap = G.snapshot_time.value // 1_000_000  # ns -> ms
    new = {}
    for days in (30, 90, 365):
        recent = known & (c_node >= snap - days * _DAY_MS) & (c_node <= snap)
        new[days] = np.bincount(f[recent], minlength=k)

    def ts(ms: np.ndarray, missing: np.ndarray) -> pd.Series:
        s = pd.to_datetime(np.where(missing, 0, ms), unit="ms", utc=True)
        return pd.Series(s).where(~missing)

    frame = pd.DataFrame(
        {
            "root": pd.array(G.id_of(roots), dtype="string"),
            "root_external": G.external[roots],
            "descendants": size,
            **{f"n_{r}": by_rel[:, i] for i, r in enumerate(RELATIONS)},
            "children": children,
            "depth": depth,
            "widest_generation": widest,
            "widest_generation_size": widest_n,
            "authors": n_authors,
            "shared_descendants": shared,
            "root_created_at": ts(root_created, root_created == _NAT),
            "first_descendant_at": ts(first_at, first_at == np.iinfo(np.int64).max),
            "last_descendant_at": ts(last_at, last_at == _NAT),
            "days_to_first_child": days_first,
            "descendants_before_root": early,
            "root_downloads": na_int(dl[roots], has_dl[roots]),
            "descendant_downloads": na_int(desc_dl, desc_has_dl),
            "family_downloads": na_int(fam_dl, fam_has_dl),
            "top_descendant_share": pd.array(top_share, dtype="Float64"),
            "root_likes": na_int(likes[roots], has_likes[roots]),
            "descendant_likes": na_int(desc_likes, desc_has_likes),
            "root_license": pd.array(
                [None if k < 0 else lvalues[k] for k in lcodes[roots].tolist()], dtype="string"
            ),
            "license_differs_share": pd.array(lic_diff, dtype="Float64"),
            "new_30d": new[30],
            "new_90d": new[90],
            "new_365d": new[365],
        }
    )
    frame = frame[frame["descendants"] + 1 >= min_size]
    frame = frame.sort_values([sort, "root"], ascending=[False, True], kind="stable")
    if top is not None:
        frame = frame.head(top)
    if keep is not None:
        frame = frame[keep]
    frame.attrs["relation"] = relation
    frame.attrs["snapshot_time"] = str(G.snapshot_time)
    return frame.reset_index(drop=True)


def family_size_distribution(sizes: pd.Series | np.ndarray) -> pd.DataFrame:
    """Counts of families by size bucket (1, 2-9, 10-99, ...) with the share of families.

    >>> family_size_distribution([1, 1, 3, 12, 150])
      descendants  families  share
    0           1         2    0.4
    1         2-9         1    0.2
    2       10-99         1    0.2
    3     100-999         1    0.2
    """
    s = np.asarray(sizes, dtype=np.int64)
    s = s[s > 0]
    top = int(np.ceil(np.log10(s.max() + 1))) if len(s) else 1
    edges = [1, 2] + [10**i for i in range(1, top + 1)]
    labels = ["1"] + [f"{lo}-{hi - 1}" for lo, hi in pairwise(edges[1:])]
    counts = [int(((s >= lo) & (s < hi)).sum()) for lo, hi in pairwise(edges)]
    out = pd.DataFrame({"descendants": labels, "families": counts})
    out["share"] = out["families"] / max(len(s), 1)
    return out[out["families"] > 0].reset_index(drop=True)
