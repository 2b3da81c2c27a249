"""Cumulative adoption series: from a lineage graph, from tracked downloads and from the paper's files.

Every function here returns the same shape of table, a *series frame*: one row
per family (index ``model``, the root's model id), one column per bin since the
root was created (``0, 1, 2, …``; the column index is named ``"month"`` or
``"day"``), holding the cumulative count at the end of that bin. Bins after the
data were collected are ``NaN`` -- never zero -- so a family that is six months
old has six observed months and no fake flat tail.

* :func:`growth_series` -- descendants of each root of a
  :class:`~hftree.lineage.LineageGraph`, built on the graph's own operations;
* :func:`download_series` -- downloads recorded by ``hftree track``;
* :func:`read_finetune_csv`, :func:`read_paper_fits`, :func:`read_download_csv`
  -- the paper's files (defined in :mod:`hftree.adoption.paper_files`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from hftree._checks import whole_number
from hftree.adoption._bins import BIN_UNITS, Bins, _bin_edges, _check_bins, _padded, series_arrays
from hftree.adoption.paper_files import read_download_csv, read_finetune_csv, read_paper_fits
from hftree.errors import DataQualityWarning, InputFormatError, ModelNotFoundError, ParameterError
from hftree.schema import RelationFilter, check_relations

if TYPE_CHECKING:
    from hftree.lineage import LineageGraph

__all__ = [
    "BIN_UNITS",
    "Bins",
    "Scope",
    "download_series",
    "growth_series",
    "read_download_csv",
    "read_finetune_csv",
    "read_paper_fits",
    "series_arrays",
]

Scope = Literal["all", "children"]

_MISSING = np.iinfo(np.int64).min  # LineageGraph.node_times: no created_at, or an external node


# --------------------------------------------------------------------------- graph


def growth_series(
    graph: LineageGraph,
    roots: str | Iterable[str] | None = None,
    *,
    min_size: int = 2,
    relation: RelationFilter = "finetune",
    scope: Scope = "all",
    bins: Bins = "month",
) -> pd.DataFrame:
    """Cumulative number of descendants of each root since the root was created.

    Built on the graph's operations: the roots are :meth:`LineageGraph.root_nodes
    <hftree.lineage.LineageGraph.root_nodes>` (a root has no parent by the chosen
    relations), the descendants come from :meth:`~hftree.lineage.LineageGraph.members`
    (or :meth:`~hftree.lineage.LineageGraph.reachable` for a requested model that is
    not a root), the times from :meth:`~hftree.lineage.LineageGraph.node_times`.

    Parameters
    ----------
    graph
        A :class:`hftree.lineage.LineageGraph` whose model table has ``created_at``.
    roots
        Model ids to build series for (any model, a root or not). ``None``: every
        root of the graph by ``relation`` that is a model of the table with a
        ``created_at`` and whose family has at least ``min_size`` models.
    min_size
        With ``roots=None``, the smallest family kept, counted in models: the root
        plus its descendants that the series counts (dated, within ``scope``).
        The default 2 keeps every root with at least one dated descendant.
    relation
        Follow only edges of this relation or these relations (``None``: all). The
        paper counts fine-tunes only, which is the default.
    scope
        ``"all"`` counts every descendant reachable through ``relation``;
        ``"children"`` only direct children.
    bins
        ``"month"``: bin ``k`` ends ``k`` calendar months after the root's
        creation (as in the paper, where month 0 is 0); ``"day"``: ``k`` days.

    Returns
    -------
    pandas.DataFrame
        A series frame: index ``model`` (the roots, sorted by id), integer
        columns named ``bins``; bin ``k`` counts descendants created before the
        end of bin ``k``. Bins ending after ``graph.snapshot_time`` are ``NaN``.

    Raises
    ------
    ModelNotFoundError
        If a requested root is not a model of the table (external nodes have no record).
    InputFormatError
        If a requested root has no ``created_at``, or the model table has no
        ``created_at`` column or no model has a value in it.
    ParameterError
        If ``bins``, ``scope`` or a relation is not one of the allowed values, or
        ``min_size`` is not a whole number >= 1.

    Warns
    -----
    DataQualityWarning
        When descendants have no creation time (they cannot be placed in time
        and are left out) or were created before their root (counted from bin 1).

    Notes
    -----
    A model whose only parents are external (named by an edge, no record in the
    table) is *not* a root: its external parent is, and an external node has no
    ``created_at``, so that family gets no series with ``roots=None``. (Before the
    graph's definition of a root was used here, such a model counted as a root;
    pass its id in ``roots`` to get its series.)

    Examples
    --------
    >>> import pandas as pd
    >>> from hftree.lineage import LineageGraph
    >>> t = lambda s: pd.Timestamp(s, tz="UTC")
    >>> models = pd.DataFrame({"id": ["b", "c1", "c2", "g1"],
    ...                        "created_at": [t("2024-01-01"), t("2024-01-15"),
    ...                                       t("2024-02-20"), t("2024-03-10")]})
    >>> edges = pd.DataFrame({"parent": ["b", "b", "c1"], "child": ["c1", "c2", "g1"],
    ...                       "relation": ["finetune"] * 3})
    >>> g = LineageGraph.from_tables(models, edges, snapshot_time=t("2024-04-15"))
    >>> growth_series(g)  # doctest: +NORMALIZE_WHITESPACE
    month    0    1    2    3
    model
    b      0.0  1.0  2.0  3.0
    >>> growth_series(g, ["b"], scope="children").to_numpy().tolist()
    [[0.0, 1.0, 2.0, 2.0]]
    >>> growth_series(g, min_size=5).empty
    True
    """
    _check_bins(bins)
    if not isinstance(scope, str) or scope not in ("all", "children"):
        raise ParameterError("scope", "'all' or 'children'", scope)
    min_size = whole_number("min_size", min_size)
    rel = check_relations(relation)
    if "created_at" not in graph.models.columns:
        raise InputFormatError("the graph's model table has no 'created_at' column", field="created_at")
    if len(graph.models) and not graph.models["created_at"].notna().any():
        raise InputFormatError(
            "no model of this snapshot has a creation date (created_at), so no family's growth can be "
            "placed in time; listings from before 2022 (and bare edge lists) have none",
            field="created_at",
        )
    node_time = graph.node_times("created_at")
    n_models = len(graph.models)

    if roots is None:
        candidates = graph.root_nodes(relation=rel, min_size=min(min_size, 2))
        candidates = candidates[(candidates < n_models) & (node_time[candidates] != _MISSING)]
        explicit = False
    else:
        wanted = [roots] if isinstance(roots, str) else list(roots)
        candidates = graph.align(pd.DataFrame({"id": pd.Series(wanted, dtype=object)}))
        for r, j in zip(wanted, candidates, strict=True):
            if j < 0:
                raise ModelNotFoundError(str(r), f"root {r!r} is not in the graph's model table")
            if node_time[j] == _MISSING:
                raise InputFormatError(
                    f"root {r!r} has no created_at, so its growth cannot be placed in time",
                    field="created_at",
                )
        explicit = True

    descendants = _descendants(graph, candidates, rel, scope)
    snap_ms = int(pd.Timestamp(graph.snapshot_time).value // 1_000_000)
    n_undated = 0
    n_early = 0
    out_rows: list[tuple[str, np.ndarray]] = []
    names = graph.id_of(candidates)
    for name, j, desc in zip(names, candidates, descendants, strict=True):
        t = node_time[desc]
        undated = t == _MISSING
        n_undated += int(undated.sum())
        t = np.sort(t[~undated])
        if not explicit and t.size + 1 < min_size:
            continue
        t0 = int(node_time[j])
        early = t < t0
        n_early += int(early.sum())
        t = np.maximum(t, t0)
        bounds = _bin_edges(t0, snap_ms, bins)
        counts = np.searchsorted(t, bounds, side="left").astype(float)
        # a descendant created exactly at the root's creation instant still
        # makes month 0 = 0, like the paper's series
        counts[:1] = 0.0
        out_rows.append((str(name), counts))
    if n_undated:
        warnings.warn(
            f"{n_undated} descendant(s) have no created_at (or are external) and were left out of the growth series",
            DataQualityWarning,
            stacklevel=2,
        )
    if n_early:
        warnings.warn(
            f"{n_early} descendant(s) were created before their root; counted from bin 1",
            DataQualityWarning,
            stacklevel=2,
        )
    return _padded(out_rows, bins).sort_index()


def _descendants(
    graph: LineageGraph, nodes: np.ndarray, relation: RelationFilter, scope: Scope
) -> list[np.ndarray]:
    """The descendants of each of ``nodes`` that a growth series counts (the node itself excluded)."""
    out, inn, _ = graph.view(relation)
    if scope == "children":
        # the graph keeps one edge per (parent, child), so children are distinct
        return [out.indices[out.indptr[j] : out.indptr[j + 1]] for j in nodes]
    mem = graph.members(relation=relation)
    order = np.argsort(mem.root, kind="stable")
    by_root = mem.root[order]
    lo = np.searchsorted(by_root, nodes, side="left")
    hi = np.searchsorted(by_root, nodes, side="right")
    is_root = np.diff(inn.indptr)[nodes] == 0
    # members() covers roots; a requested model that has a parent is searched on its own
    return [
        mem.node[order[a:b]] if r else graph.reachable([j], relation=relation)[0]
        for j, a, b, r in zip(nodes, lo, hi, is_root, strict=True)
    ]


# --------------------------------------------------------------------------- tracked downloads


def download_series(
    records: pd.DataFrame,
    created_at: pd.Series | pd.DataFrame,
    *,
    value: str = "downloads_all_time",
    bins: Bins = "day",
) -> pd.DataFrame:
    """Cumulative downloads since creation from tracked records (``hftree track``).

    Parameters
    ----------
    records
        Long table with columns ``id``, ``time`` and ``value`` (and optionally
        ``status``; only ``"ok"`` rows are used), as returned by
        :func:`hftree.ingest.track.load_downloads`.
    created_at
        Creation time of each model: a Series indexed by model id, or a model
        table with ``id`` and ``created_at`` (``graph.models``). Models without
        one are left out.
    value
        The cumulative column to use (the Hub's all-time downloads by default).
    bins
        ``"day"`` or ``"month"``: bin ``k`` holds the latest record made during
        that bin (up to creation + ``k`` days or calendar months). Bins without
        a record -- before the first run, between runs, after the last -- are
        ``NaN``: the fitters handle gaps.

    Returns
    -------
    pandas.DataFrame
        A series frame (index ``model``, columns named ``bins``).

    Raises
    ------
    InputFormatError
        If a needed column is missing.
    ParameterError
        If ``bins`` is not ``"day"`` or ``"month"``.

    Warns
    -----
    DataQualityWarning
        When a counter decreases between records (it is held at its running
        maximum) or tracked models have no creation time.

    Examples
    --------
    >>> rec = pd.DataFrame({"id": ["a", "a", "a"], "time": pd.to_datetime(
    ...     ["2025-01-03", "2025-01-04", "2025-01-06"], utc=True), "downloads_all_time": [5, 9, 20]})
    >>> created = pd.Series(pd.to_datetime(["2025-01-01"], utc=True), index=["a"])
    >>> download_series(rec, created).to_numpy().tolist()
    [[nan, nan, 5.0, 9.0, nan, 20.0]]
    """
    _check_bins(bins)
    for col in ("id", "time", value):
        if col not in records.columns:
            raise InputFormatError(f"the records have no {col!r} column", field=col)
    if isinstance(created_at, pd.DataFrame):
        for col in ("id", "created_at"):
            if col not in created_at.columns:
                raise InputFormatError(f"the model table has no {col!r} column", field=col)
        created = pd.Series(
            pd.to_datetime(created_at["created_at"], utc=True).to_numpy(),
            index=created_at["id"].astype(str).to_numpy(),
        )
    else:
        created = pd.Series(pd.to_datetime(created_at, utc=True).to_numpy(), index=created_at.index.astype(str))
    rec = records
    if "status" in rec.columns:
        rec = rec[rec["status"].astype(str) == "ok"]
    rec = rec[["id", "time", value]].dropna()
    rec = rec.assign(id=rec["id"].astype(str), time=pd.to_datetime(rec["time"], utc=True)).sort_values(["id", "time"])
    known = rec["id"].isin(created.index[created.notna()])
    if (~known).any():
        warnings.warn(
            f"{rec.loc[~known, 'id'].nunique()} tracked model(s) have no created_at and were left out",
            DataQualityWarning,
            stacklevel=2,
        )
    rows: list[tuple[str, np.ndarray]] = []
    n_decreasing = 0
    for mid, g in rec[known].groupby("id", sort=True):
        t = g["time"].to_numpy(dtype="datetime64[ms]").astype(np.int64)
        v = g[value].to_numpy(dtype=float)
        run = np.maximum.accumulate(v)
        n_decreasing += int((v < run).any())
        t0 = int(pd.Timestamp(created[mid]).value // 1_000_000)
        edges = _bin_edges(t0, int(t[-1]), bins)
        pos = np.searchsorted(t, edges, side="right") - 1
        # a bin holds its latest record; a bin without a record stays NaN (no fake flat steps)
        fresh = pos > np.concatenate([[-1], pos[:-1]])
        out = np.where(fresh & (pos >= 0), run[np.maximum(pos, 0)], np.nan)
        rows.append((str(mid), out))
    if n_decreasing:
        warnings.warn(
            f"{n_decreasing} model(s) have a decreasing '{value}' counter; held at its running maximum",
            DataQualityWarning,
            stacklevel=2,
        )
    return _padded(rows, bins)
