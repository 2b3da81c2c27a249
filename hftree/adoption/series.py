"""Cumulative adoption series: from the paper's CSV files and from a lineage graph.

Every function here returns the same shape of table, a *series frame*: one row
per family (index ``model``, the root's model id), one column per bin since the
root was created (``0, 1, 2, …``; the column index is named ``"month"`` or
``"day"``), holding the cumulative count at the end of that bin. Bins after the
data were collected are ``NaN`` -- never zero -- so a family that is six months
old has six observed months and no fake flat tail.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from os import PathLike
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from hftree.errors import DataQualityWarning, InputFormatError, ModelNotFoundError

__all__ = [
    "BIN_UNITS",
    "Bins",
    "download_series",
    "growth_series",
    "read_download_csv",
    "read_finetune_csv",
    "read_paper_fits",
    "series_arrays",
]

Bins = Literal["month", "day"]
Scope = Literal["all", "children"]

#: Length of one bin in years (the time unit of the fitted parameters).
BIN_UNITS: dict[str, float] = {"month": 1.0 / 12.0, "day": 1.0 / 365.25}

_MONTH_COL = re.compile(r"^(\d+)-month$")
_PAPER_FIT_COLUMNS = ("lambda_i", "mu_i", "sigma_i")


class _Graph(Protocol):  # the part of hftree.lineage.LineageGraph used here
    models: pd.DataFrame
    snapshot_time: pd.Timestamp

    def edge_frame(self) -> pd.DataFrame: ...


# --------------------------------------------------------------------------- CSV


def _read_csv(path: str | PathLike[str]) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise InputFormatError("the file is empty; expected a CSV with a header", path=str(path)) from None
    except pd.errors.ParserError as exc:
        raise InputFormatError(f"not a readable CSV file ({exc})", path=str(path)) from None


def read_finetune_csv(path: str | PathLike[str]) -> pd.DataFrame:
    """Read monthly cumulative counts in the format of Bhandari, Chen & Gao (2025).

    The file has a ``model`` column and columns ``0-month``, ``1-month``, …
    (month 0 is the release; cells after the collection date are blank). Other
    columns (the paper's fitted parameters, ``company``, ``created_at`` …) are
    ignored here; see :func:`read_paper_fits`.

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        A series frame: index ``model``, integer columns named ``"month"``.

    Raises
    ------
    InputFormatError
        If the ``model`` column or every ``N-month`` column is missing, a count
        is not a number, a count is negative or decreases, or a blank is followed
        by a number (blanks may only trail).

    Examples
    --------
    >>> import io
    >>> text = "model,0-month,1-month,2-month\\nacme/base,0,3,\\nacme/other,0,1,4\\n"
    >>> read_finetune_csv(io.StringIO(text))  # doctest: +NORMALIZE_WHITESPACE
    month         0    1    2
    model
    acme/base   0.0  3.0  NaN
    acme/other  0.0  1.0  4.0
    """
    raw = _read_csv(path)
    name = str(getattr(path, "name", path))
    if "model" not in raw.columns:
        raise InputFormatError(f"no 'model' column; found {list(raw.columns)[:5]}", path=name, field="model")
    months = sorted((int(m.group(1)), c) for c in raw.columns if (m := _MONTH_COL.match(str(c))))
    if not months:
        raise InputFormatError("no '<N>-month' columns (expected '0-month', '1-month', …)", path=name, field="0-month")
    idx = [k for k, _ in months]
    if idx != list(range(len(idx))):
        raise InputFormatError(
            f"month columns must run 0, 1, 2, … without gaps; found {idx[:10]}",
            path=name,
            field="month",
        )
    block = raw[[c for _, c in months]]
    values = _numeric_block(block, name)
    frame = pd.DataFrame(
        values,
        index=pd.Index(raw["model"].astype(str).to_numpy(), name="model"),
        columns=pd.RangeIndex(len(idx), name="month"),
    )
    _check_cumulative(frame, name, first_line=2)
    return frame


def _numeric_block(block: pd.DataFrame, name: str) -> np.ndarray:
    out = np.empty(block.shape, dtype=float)
    for j, col in enumerate(block.columns):
        vals = pd.to_numeric(block[col], errors="coerce")
        bad = vals.isna() & block[col].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputFormatError(
                f"expected a number, found {block[col].iloc[i]!r}",
                path=name,
                line=i + 2,
                field=str(col),
            )
        out[:, j] = vals.to_numpy(dtype=float)
    return out


def _check_cumulative(frame: pd.DataFrame, name: str, first_line: int) -> None:
    v = frame.to_numpy()
    obs = ~np.isnan(v)
    # blanks may only trail: once NaN, always NaN
    seen_nan = np.logical_or.accumulate(~obs, axis=1)
    bad = obs & np.roll(seen_nan, 1, axis=1)
    bad[:, 0] = False
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputFormatError(
            f"model {frame.index[i]!r}: a count follows a blank cell (blanks may only trail)",
            path=name,
            line=int(i) + first_line,
            field=f"{frame.columns[j]}-month",
        )
    if np.nanmin(v, initial=0.0) < 0:
        i, j = np.argwhere(v < 0)[0]
        raise InputFormatError(
            f"model {frame.index[i]!r}: negative count {v[i, j]:g}",
            path=name,
            line=int(i) + first_line,
            field=f"{frame.columns[j]}-month",
        )
    with np.errstate(invalid="ignore"):
        dec = np.diff(v, axis=1) < 0
    if dec.any():
        i, j = np.argwhere(dec)[0]
        raise InputFormatError(
            f"model {frame.index[i]!r}: cumulative count decreases from {v[i, j]:g} to {v[i, j + 1]:g}",
            path=name,
            line=int(i) + first_line,
            field=f"{frame.columns[j + 1]}-month",
        )


def read_paper_fits(path: str | PathLike[str]) -> pd.DataFrame:
    """Read the paper's stored fit of every row of a ``finetune/<Company>.csv`` file.

    Returns
    -------
    pandas.DataFrame
        Index ``model``; columns ``lam, mu, sigma`` (the stored ``lambda_i, mu_i,
        sigma_i``), ``label`` (``approx_cond_label``), ``stuck`` (stored
        parameters equal the paper's starting point (0.5, 2.0, 0.5): a fit that
        never moved) and ``real`` (label "Fit the model" and not stuck), plus
        ``company`` and ``created_at`` where present.

    Raises
    ------
    InputFormatError
        If a ``lambda_i``/``mu_i``/``sigma_i`` or ``model`` column is missing.
    """
    raw = _read_csv(path)
    name = str(getattr(path, "name", path))
    for col in ("model", *_PAPER_FIT_COLUMNS):
        if col not in raw.columns:
            raise InputFormatError(f"no {col!r} column (is this a finetune/ file?)", path=name, field=col)
    out = pd.DataFrame(
        {
            "lam": pd.to_numeric(raw["lambda_i"], errors="coerce").to_numpy(),
            "mu": pd.to_numeric(raw["mu_i"], errors="coerce").to_numpy(),
            "sigma": pd.to_numeric(raw["sigma_i"], errors="coerce").to_numpy(),
        },
        index=pd.Index(raw["model"].astype(str).to_numpy(), name="model"),
    )
    out["label"] = raw["approx_cond_label"].astype(str).to_numpy() if "approx_cond_label" in raw else "unknown"
    out["stuck"] = (out["lam"] == 0.5) & (out["mu"] == 2.0) & (out["sigma"] == 0.5)
    out["real"] = (out["label"] == "Fit the model") & ~out["stuck"]
    for extra in ("company", "created_at"):
        if extra in raw:
            out[extra] = raw[extra].to_numpy()
    return out


def read_download_csv(path: str | PathLike[str], *, bins: Bins = "day") -> pd.DataFrame:
    """Read daily cumulative downloads (``adoption/download/<Company>.csv``).

    Each row holds a model's cumulative downloads on calendar dates (one column
    per date) and its ``created_at``. The result is re-indexed by time since
    creation: bin ``k`` is the value on the ``k``-th day (or month, counted as
    calendar-month anniversaries) after the creation date. Dates the file does
    not cover are ``NaN``, and so are the leading zeros after creation: they
    are days before the collector started tracking the model, not days without
    downloads (the paper drops them as well).

    Parameters
    ----------
    path
        The CSV file.
    bins
        ``"day"`` or ``"month"`` (monthly anniversaries of the creation date).

    Returns
    -------
    pandas.DataFrame
        A series frame (index ``model``, columns named ``bins``).

    Raises
    ------
    InputFormatError
        If ``model``/``created_at`` is missing, a column header is not a date,
        a value is not a number or a cumulative count decreases.
    ValueError
        If ``bins`` is not ``"day"`` or ``"month"``.
    """
    _check_bins(bins)
    raw = _read_csv(path)
    name = str(getattr(path, "name", path))
    for col in ("model", "created_at"):
        if col not in raw.columns:
            raise InputFormatError(f"no {col!r} column", path=name, field=col)
    date_cols = [c for c in raw.columns if c not in ("model", "created_at")]
    try:
        dates = pd.to_datetime(pd.Index(date_cols), utc=True, format="mixed")
    except (ValueError, TypeError):
        bad = next(c for c in date_cols if pd.isna(pd.to_datetime(c, errors="coerce", utc=True)))
        raise InputFormatError(f"column header {bad!r} is not a date", path=name, line=1, field=str(bad)) from None
    values = _numeric_block(raw[date_cols], name)
    created = pd.to_datetime(raw["created_at"], utc=True, errors="coerce")
    if created.isna().any():
        i = int(np.flatnonzero(created.isna().to_numpy())[0])
        raise InputFormatError(
            f"created_at {raw['created_at'].iloc[i]!r} is not a date",
            path=name,
            line=i + 2,
            field="created_at",
        )
    with np.errstate(invalid="ignore"):
        dec = np.diff(values, axis=1) < 0
    if dec.any():
        i, j = np.argwhere(dec)[0]
        raise InputFormatError(
            f"model {raw['model'].iloc[i]!r}: cumulative downloads decrease on {date_cols[j + 1]}",
            path=name,
            line=int(i) + 2,
            field=str(date_cols[j + 1]),
        )
    day0 = dates.normalize()
    rows = []
    for i in range(len(raw)):
        c0 = created.iloc[i].normalize()
        v = values[i]
        keep = (day0 > c0) & ~np.isnan(v)
        # leading zeros after creation = not tracked yet
        nz = np.flatnonzero(keep & (v > 0))
        if nz.size:
            keep &= np.arange(len(v)) >= nz[0]
        else:
            keep[:] = False
        if bins == "day":
            k = ((day0[keep] - c0) / pd.Timedelta(days=1)).astype(int).to_numpy()
        else:
            # the value at the k-th monthly anniversary: last observed day on or before it
            obs_days = day0[keep]
            k_max = _months_between(c0, obs_days.max()) if len(obs_days) else -1
            anniv = pd.DatetimeIndex([c0 + pd.DateOffset(months=m) for m in range(k_max + 1)])
            pos = np.searchsorted(obs_days.as_unit("ms").asi8, anniv.as_unit("ms").asi8, side="right") - 1
            valid = pos >= 0
            # only anniversaries that fall inside the tracked span
            valid &= anniv >= obs_days.min() if len(obs_days) else valid
            k = np.arange(k_max + 1)[valid]
            rows.append((raw["model"].iloc[i], k, v[keep][pos[valid]]))
            continue
        rows.append((raw["model"].iloc[i], k, v[keep]))
    width = max((int(k.max()) + 1 for _, k, _ in rows if len(k)), default=0)
    out = np.full((len(rows), width), np.nan)
    for r, (_, k, vals) in enumerate(rows):
        out[r, k] = vals
    return pd.DataFrame(
        out,
        index=pd.Index([str(m) for m, _, _ in rows], name="model"),
        columns=pd.RangeIndex(width, name=bins),
    )


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
    ValueError
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


def _padded(rows: list[tuple[str, np.ndarray]], bins: str) -> pd.DataFrame:
    """One row per (model, series), series of different lengths padded with NaN on the right."""
    width = max((len(v) for _, v in rows), default=0)
    mat = np.full((len(rows), width), np.nan)
    for i, (_, v) in enumerate(rows):
        mat[i, : len(v)] = v
    return pd.DataFrame(
        mat, index=pd.Index([m for m, _ in rows], name="model"), columns=pd.RangeIndex(width, name=bins)
    )


def _months_between(t0: pd.Timestamp, t1: pd.Timestamp) -> int:
    """Largest k with t0 + k months <= t1 (-1 if t1 < t0)."""
    if t1 < t0:
        return -1
    k = (t1.year - t0.year) * 12 + (t1.month - t0.month)
    while k > 0 and t0 + pd.DateOffset(months=k) > t1:
        k -= 1
    return k


def _check_bins(bins: str) -> None:
    if bins not in BIN_UNITS:
        raise ValueError(f"bins must be 'month' or 'day', got {bins!r}")


# --------------------------------------------------------------------------- graph


def growth_series(
    graph: _Graph,
    roots: Iterable[str] | None = None,
    *,
    min_descendants: int = 1,
    relations: Sequence[str] | None = ("finetune",),
    scope: Scope = "all",
    bins: Bins = "month",
) -> pd.DataFrame:
    """Cumulative number of descendants of each root since the root was created.

    Parameters
    ----------
    graph
        A lineage graph: anything with ``edge_frame()`` (columns ``parent``,
        ``child``, ``relation``), ``models`` (columns ``id``, ``created_at``) and
        ``snapshot_time``, such as :class:`hftree.lineage.LineageGraph`.
    roots
        Model ids to build series for. ``None``: every model of the table that
        has no parent in the table under ``relations`` and at least
        ``min_descendants`` descendants (external parents do not count).
    min_descendants
        With ``roots=None``, the least number of dated descendants (in ``scope``)
        a root needs by the snapshot time.
    relations
        Follow only edges of these relations (``None``: all). The paper counts
        fine-tunes only, which is the default.
    scope
        ``"all"`` counts every descendant reachable through ``relations``;
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
        If a requested root is not in the model table.
    InputFormatError
        If a requested root has no ``created_at`` or the graph lacks the needed
        columns.
    ValueError
        If ``bins``, ``scope`` or a relation is not one of the allowed values, or
        ``min_descendants`` is negative.

    Warns
    -----
    DataQualityWarning
        When descendants have no creation time (they cannot be placed in time
        and are left out) or were created before their root (counted from bin 1).

    Examples
    --------
    >>> import types
    >>> import pandas as pd
    >>> t = lambda s: pd.Timestamp(s, tz="UTC")
    >>> g = types.SimpleNamespace(
    ...     models=pd.DataFrame({"id": ["b", "c1", "c2", "g1"],
    ...                          "created_at": [t("2024-01-01"), t("2024-01-15"),
    ...                                         t("2024-02-20"), t("2024-03-10")]}),
    ...     edge_frame=lambda: pd.DataFrame({"parent": ["b", "b", "c1"],
    ...                                      "child": ["c1", "c2", "g1"],
    ...                                      "relation": ["finetune"] * 3}),
    ...     snapshot_time=t("2024-04-15"))
    >>> growth_series(g, ["b"])  # doctest: +NORMALIZE_WHITESPACE
    month    0    1    2    3
    model
    b      0.0  1.0  2.0  3.0
    >>> growth_series(g, ["b"], scope="children").to_numpy().tolist()
    [[0.0, 1.0, 2.0, 2.0]]
    """
    _check_bins(bins)
    if scope not in ("all", "children"):
        raise ValueError(f"scope must be 'all' or 'children', got {scope!r}")
    if min_descendants < 0:
        raise ValueError(f"min_descendants must be >= 0, got {min_descendants}")
    models = graph.models
    for col in ("id", "created_at"):
        if col not in models.columns:
            raise InputFormatError(f"the graph's model table has no {col!r} column", field=col)
    edges = graph.edge_frame()
    for col in ("parent", "child", "relation"):
        if col not in edges.columns:
            raise InputFormatError(f"the graph's edge frame has no {col!r} column", field=col)
    snap = pd.Timestamp(graph.snapshot_time)
    if snap.tzinfo is None:
        snap = snap.tz_localize("UTC")

    rel = edges["relation"].astype(str).to_numpy()
    if relations is not None:
        relations = [relations] if isinstance(relations, str) else list(relations)
        allowed = ("finetune", "adapter", "quantized", "merge", "unknown")
        bad = [r for r in relations if r not in allowed]
        if bad:
            raise ValueError(f"unknown relation {bad[0]!r}; expected one of {', '.join(allowed)}")
        keep = np.isin(rel, relations)
    else:
        keep = np.ones(len(rel), dtype=bool)
    parent = edges["parent"].astype(str).to_numpy()[keep]
    child = edges["child"].astype(str).to_numpy()[keep]

    ids = models["id"].astype(str).to_numpy()
    created = pd.to_datetime(models["created_at"], utc=True)
    created_ms = _to_ms(created)
    # one node numbering over model ids and any external ids in edges
    all_ids = pd.Index(ids).append(pd.Index(parent)).append(pd.Index(child)).unique()
    n = len(all_ids)
    node_time = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    in_table = np.zeros(n, dtype=bool)
    pos = all_ids.get_indexer(ids)
    node_time[pos] = created_ms
    in_table[pos] = True
    pi = all_ids.get_indexer(parent)
    ci = all_ids.get_indexer(child)

    from scipy import sparse
    from scipy.sparse import csgraph

    adj = sparse.csr_matrix((np.ones(len(pi), dtype=np.int8), (pi, ci)), shape=(n, n))
    adj.sum_duplicates()

    def descendants_of(node: int) -> np.ndarray:
        if scope == "children":
            return np.unique(adj.indices[adj.indptr[node] : adj.indptr[node + 1]])
        order = csgraph.breadth_first_order(adj, node, directed=True, return_predecessors=False)
        return order[order != node]

    missing = np.iinfo(np.int64).min
    if roots is None:
        has_parent_in_table = np.zeros(n, dtype=bool)
        has_parent_in_table[ci[in_table[pi]]] = True
        candidates = np.flatnonzero(in_table & ~has_parent_in_table & (node_time != missing))
        candidates = candidates[np.diff(adj.indptr)[candidates] > 0] if min_descendants > 0 else candidates
        explicit = False
    else:
        roots = [roots] if isinstance(roots, str) else list(roots)
        candidates_list = []
        for r in roots:
            j = all_ids.get_indexer([r])[0]
            if j < 0 or not in_table[j]:
                raise ModelNotFoundError(str(r), f"root {r!r} is not in the graph's model table")
            if node_time[j] == missing:
                raise InputFormatError(
                    f"root {r!r} has no created_at, so its growth cannot be placed in time",
                    field="created_at",
                )
            candidates_list.append(j)
        candidates = np.asarray(candidates_list, dtype=np.int64)
        explicit = True

    unit = bins
    n_undated = 0
    n_early = 0
    out_rows: list[tuple[str, np.ndarray]] = []
    snap_ms = int(snap.value // 1_000_000)
    for j in candidates:
        desc = descendants_of(int(j))
        t = node_time[desc]
        undated = t == missing
        n_undated += int(undated.sum())
        t = np.sort(t[~undated])
        if not explicit and t.size < min_descendants:
            continue
        t0 = int(node_time[j])
        early = t < t0
        n_early += int(early.sum())
        t = np.maximum(t, t0)
        bounds = _bin_edges(t0, snap_ms, unit)
        counts = np.searchsorted(t, bounds, side="left").astype(float)
        # a descendant created exactly at the root's creation instant still
        # makes month 0 = 0, like the paper's series
        counts[0] = 0.0
        # descendants created after the snapshot time do not exist yet
        out_rows.append((str(all_ids[j]), counts))
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


def _to_ms(ts: pd.Series) -> np.ndarray:
    out = np.full(len(ts), np.iinfo(np.int64).min, dtype=np.int64)
    ok = ts.notna().to_numpy()
    if ok.any():
        out[ok] = ts[ok].astype("datetime64[ms, UTC]").to_numpy(dtype="datetime64[ms]").astype(np.int64)
    return out


def _bin_edges(t0_ms: int, snap_ms: int, bins: str) -> np.ndarray:
    """End of bins 0, 1, … (ms since epoch) that lie at or before the snapshot."""
    if snap_ms < t0_ms:
        return np.zeros(0, dtype=np.int64)
    if bins == "day":
        k = (snap_ms - t0_ms) // 86_400_000
        return t0_ms + np.arange(k + 1, dtype=np.int64) * 86_400_000
    span = (snap_ms - t0_ms) // (28 * 86_400_000) + 2  # more months than can fit
    edges = _add_months(t0_ms, np.arange(span, dtype=np.int64))
    return edges[edges <= snap_ms]


def _add_months(t0_ms: int, k: np.ndarray) -> np.ndarray:
    """``t0 + k calendar months`` in ms, as ``pandas.DateOffset(months=k)`` does.

    The day of the month is kept and clipped to the target month's length
    (Jan 31 + 1 month = Feb 28/29); the time of day is kept.
    """
    t0 = np.datetime64(int(t0_ms), "ms")
    month0 = t0.astype("datetime64[M]")
    day0 = t0.astype("datetime64[D]")
    dom = int((day0 - month0.astype("datetime64[D]")) / np.timedelta64(1, "D"))  # 0-based
    tod = int((t0 - day0.astype("datetime64[ms]")) / np.timedelta64(1, "ms"))
    target = month0 + k
    month_len = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    day = target.astype("datetime64[D]") + np.minimum(dom, month_len - 1)
    return day.astype("datetime64[ms]").astype(np.int64) + tod


# --------------------------------------------------------------------------- helpers


def series_arrays(counts: Any, *, bins: str | None = None) -> tuple[pd.Index, np.ndarray, float]:
    """Normalise counts into (ids, values (K, n) with NaN = unobserved, bin length in years).

    Accepts a series frame, a pandas Series (one family) or a 1-D/2-D array.
    """
    if isinstance(counts, pd.DataFrame):
        ids = counts.index
        values = counts.to_numpy(dtype=float)
        unit_name = bins or counts.columns.name or "month"
    elif isinstance(counts, pd.Series):
        ids = pd.Index([counts.name if counts.name is not None else 0], name="model")
        values = counts.to_numpy(dtype=float)[None, :]
        unit_name = bins or counts.index.name or "month"
    else:
        values = np.asarray(counts, dtype=float)
        if values.ndim == 1:
            values = values[None, :]
        if values.ndim != 2:
            raise ValueError(f"counts must be 1-D or 2-D, got {values.ndim} dimensions")
        ids = pd.RangeIndex(values.shape[0], name="model")
        unit_name = bins or "month"
    if unit_name not in BIN_UNITS:
        unit_name = "month"
    return ids, values, BIN_UNITS[unit_name]
