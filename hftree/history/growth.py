"""Observed growth: family sizes and downloads as the snapshots of a history saw them.

A family's growth curve reconstructed from the creation dates of one snapshot misses every descendant
deleted before that snapshot. A history sees them: :func:`observed_growth` counts, at the end of each
bin since the root's creation, the descendants seen in any snapshot up to then (deleted ones stay
counted: a cumulative curve the adoption fitters take as they are), next to the descendants *present*
at each date (which falls when models are deleted) and the reconstruction from the last snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from hftree._checks import whole_number
from hftree._results import Result
from hftree.adoption._bins import Bins, _bin_edges, _check_bins
from hftree.errors import InputFormatError, ModelNotFoundError
from hftree.history.query import _lit, connect, scan
from hftree.history.store import History

__all__ = ["ObservedGrowth", "observed_downloads", "observed_growth"]


@dataclass(frozen=True, repr=False)
class ObservedGrowth(Result):
    """Observed and reconstructed family sizes.

    Attributes
    ----------
    series : DataFrame
        A series frame (:mod:`hftree.adoption.series`): index ``model`` (the roots), one column per
        bin since the root's creation; the descendants seen in any snapshot dated up to the bin's end.
        Bins ending before the first or after the last snapshot are NaN.
    sizes : DataFrame
        One row per (root, snapshot): ``present`` (descendants in that snapshot), ``ever_seen`` (in any
        snapshot up to it) and ``reconstructed`` (descendants in the last snapshot created by then).
    """

    series: pd.DataFrame
    sizes: pd.DataFrame
    title: ClassVar[str] = "Observed family growth"

    frame_attribute: ClassVar[str] = "sizes"

    @property
    def summary(self) -> pd.DataFrame:
        """Per root at the last date: present, ever seen, reconstructed, and the deleted share."""
        last = self.sizes.groupby("root").tail(1).set_index("root")
        out = last[["present", "ever_seen", "reconstructed"]].copy()
        out["missed_by_reconstruction"] = 1 - out["reconstructed"] / out["ever_seen"].where(out["ever_seen"] > 0)
        return out.reset_index()


def _roots(con, history: History, roots: Iterable[str] | None, min_size: int) -> list[str]:
    last = history.dates[-1]
    if roots is not None:
        wanted = list(dict.fromkeys(roots))
        got = {r[0] for r in con.sql(f"SELECT DISTINCT root FROM {scan(history, 'members')} WHERE root IN "
                                     f"({', '.join(map(_lit, wanted))})").fetchall()} if wanted else set()
        for r in wanted:
            if r not in got:
                raise ModelNotFoundError(r, f"{r!r} is the root of no family in any snapshot of {history.path}")
        return wanted
    rows = con.sql(f"SELECT root FROM {scan(history, 'members', [last])} GROUP BY 1 "
                   f"HAVING count(*) >= {min_size - 1} ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def observed_growth(
    history: History, roots: str | Iterable[str] | None = None, *, min_size: int = 2, bins: Bins = "month"
) -> ObservedGrowth:
    """Family sizes observed across the snapshots of a history (every relation), as a series frame.

    Parameters
    ----------
    history : History
    roots : str or list of str, optional
        Families to follow; default every root of the last snapshot with at least ``min_size`` models.
    min_size : int
        With ``roots=None``, the smallest family (root included) in the last snapshot.
    bins : {"month", "day"}
        Bins since each root's creation, as in :func:`hftree.adoption.growth_series`.

    Returns
    -------
    ObservedGrowth

    Raises
    ------
    ModelNotFoundError
        If a requested root heads no family in the history.
    InputFormatError
        If a root has no ``created_at`` in any snapshot.
    """
    _check_bins(bins)
    min_size = whole_number("min_size", min_size, minimum=1)
    roots = [roots] if isinstance(roots, str) else roots
    days = history.dates
    con = connect()
    try:
        chosen = _roots(con, history, roots, min_size)
        if not chosen:
            return ObservedGrowth(pd.DataFrame(columns=pd.RangeIndex(0, name=bins), index=pd.Index([], name="model")),
                                  pd.DataFrame(columns=["root", "snapshot", "present", "ever_seen", "reconstructed"]))
        con.register("chosen", pd.DataFrame({"root": chosen}))
        mem = con.sql(  # a descendant is followed by its uid: a renamed one is seen once
            f"WITH m AS (SELECT root, id, snapshot FROM {scan(history, 'members')} SEMI JOIN chosen USING (root)) "
            f"SELECT m.root, m.id, coalesce(x.uid, m.id) AS key, m.snapshot FROM m LEFT JOIN "
            f"(SELECT id, uid, snapshot FROM {scan(history, 'models')}) x ON x.snapshot = m.snapshot AND x.id = m.id"
        ).df()
        created = con.sql(
            f"SELECT id, max(created_at) AS created_at FROM {scan(history, 'models')} "
            f"WHERE id IN (SELECT root FROM chosen) OR id IN (SELECT id FROM {scan(history, 'members', [days[-1]])} "
            "SEMI JOIN chosen USING (root)) GROUP BY 1"
        ).df().set_index("id")["created_at"]
    finally:
        con.close()
    mem["snapshot"] = pd.to_datetime(mem["snapshot"]).dt.tz_localize("UTC")
    when = pd.to_datetime(pd.Index(days)).tz_localize("UTC")
    created = pd.to_datetime(created, utc=True)
    first_seen = mem.groupby(["root", "key"])["snapshot"].min()
    sizes, rows = [], []
    for r in chosen:
        t0 = created.get(r)
        if t0 is None or pd.isna(t0):
            raise InputFormatError(f"root {r!r} has no created_at in any snapshot of {history.path}",
                                   field="created_at")
        fs = np.sort(first_seen.loc[r].to_numpy(dtype="datetime64[ns]")) if r in first_seen.index \
            else np.array([], "datetime64[ns]")
        present = mem[mem["root"] == r].groupby("snapshot").size().reindex(when, fill_value=0).to_numpy()
        last_ids = mem.loc[(mem["root"] == r) & (mem["snapshot"] == when[-1]), "id"]
        born = np.sort(created.reindex(last_ids).dropna().to_numpy(dtype="datetime64[ns]"))
        wn = when.to_numpy(dtype="datetime64[ns]")
        sizes.append(pd.DataFrame({
            "root": r, "snapshot": list(days), "present": present,
            "ever_seen": np.searchsorted(fs, wn, side="right"),
            "reconstructed": np.searchsorted(born, wn, side="right"),
        }))
        ms = lambda ts: int(pd.Timestamp(ts).value // 1_000_000)  # noqa: E731
        edges = _bin_edges(ms(t0), ms(when[-1]), bins)  # bin ends in ms, up to the last snapshot
        ends = edges.astype("datetime64[ms]").astype("datetime64[ns]")
        vals = np.searchsorted(fs, ends, side="right").astype(float)
        vals[ends < wn[0]] = np.nan
        rows.append((r, vals))
    width = max(len(v) for _, v in rows)
    mat = np.full((len(rows), width), np.nan)
    for i, (_, v) in enumerate(rows):
        mat[i, : len(v)] = v
    series = pd.DataFrame(mat, index=pd.Index(chosen, name="model"), columns=pd.RangeIndex(width, name=bins))
    return ObservedGrowth(series, pd.concat(sizes, ignore_index=True))


def observed_downloads(history: History, models: str | Iterable[str], *, all_time: bool = True) -> pd.DataFrame:
    """Downloads of models at every snapshot date: one row per model id, one column per date.

    ``all_time=True`` reads ``downloads_all_time`` (cumulative, null before 2025-02-26 in the Hub's
    dumps); ``False`` the 30-day window of each date. Absent or unserved values are NaN.
    """
    ids = [models] if isinstance(models, str) else list(dict.fromkeys(models))
    col = "downloads_all_time" if all_time else "downloads"
    con = connect()
    try:
        rows = con.sql(f"SELECT id, snapshot, {col} AS v FROM {scan(history, 'models')} "
                       f"WHERE id IN ({', '.join(map(_lit, ids)) or 'NULL'})").df()
    finally:
        con.close()
    rows["snapshot"] = pd.to_datetime(rows["snapshot"]).dt.strftime("%Y-%m-%d")
    out = rows.pivot_table(index="id", columns="snapshot", values="v", aggfunc="max")
    out = out.reindex(index=pd.Index(ids, name="model"), columns=pd.Index(history.dates, name="snapshot"))
    return out.astype(float)
