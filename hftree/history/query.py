"""Queries over a history: per-model and per-family time series, births, deaths and churn.

Every query is one DuckDB scan of the Parquet files of the dates it needs (the file list is explicit)
and of the columns it names; DuckDB streams them with a memory limit, so memory stays bounded however
many snapshots the history holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from hftree._checks import whole_number
from hftree._results import Result
from hftree.errors import ModelNotFoundError

if TYPE_CHECKING:
    import duckdb

    from hftree.history.store import History

__all__ = ["HubChurn", "TimeSeries", "connect", "family_series", "hub_churn", "model_series", "scan"]


def connect(*, memory_limit: str = "1GB", threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a memory limit (spilling to a temporary directory)."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": memory_limit, "preserve_insertion_order": False})
    con.execute("SET enable_progress_bar = false")  # hftree's own bars only (hftree._progress)
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    return con


def scan(history: History, table: str, dates: Iterable[str] | None = None) -> str:
    """SQL for the ``table`` partitions of ``dates`` (``None``: all), with a ``snapshot`` DATE column."""
    files = history.files(table, dates)
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"read_parquet([{listed}], hive_partitioning = true, hive_types = {{'snapshot': DATE}})"


def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


@dataclass(frozen=True, repr=False)
class TimeSeries(Result):
    """One row per snapshot date of a model or a family.

    Attributes
    ----------
    kind : {"model", "family"}
    key : str
        The model id (or the family's root).
    table : DataFrame
        Index ``snapshot``; columns depend on ``kind`` (see :func:`model_series`, :func:`family_series`).
    """

    kind: str
    key: str
    table: pd.DataFrame
    title: ClassVar[str] = "Time series"

    def to_frame(self) -> pd.DataFrame:
        return self.table.reset_index()

    def _note(self) -> str:
        return f"{self.kind} {self.key}"


def model_series(history: History, model_id: str, *, dates: Iterable[str] | None = None) -> TimeSeries:
    """Downloads, likes and metadata of one model at every snapshot date, following renames.

    The model is found by its id in any snapshot; its Hub ``_id`` (``uid``) then finds it under every
    other name it had. ``downloads`` is the Hub's 30-day window at that date, ``downloads_all_time`` the
    cumulative count (null before the Hub served it).

    Returns
    -------
    TimeSeries
        Columns ``present, id, downloads, downloads_all_time, likes, license, pipeline_tag,
        library_name``; a date where the model is absent has ``present`` False and missing values.

    Raises
    ------
    ModelNotFoundError
        If no snapshot of the history holds ``model_id``.
    """
    days = history.check_dates(dates)
    con = connect()
    try:
        cols = "snapshot, id, uid, downloads, downloads_all_time, likes, license, pipeline_tag, library_name"
        rows = con.sql(f"SELECT {cols} FROM {scan(history, 'models', days)} WHERE id = {_lit(model_id)}").df()
        uids = sorted(set(rows["uid"].dropna()))
        seen = set(pd.to_datetime(rows["snapshot"]).dt.strftime("%Y-%m-%d"))
        rest = [d for d in days if d not in seen]  # under another name there? only those files are read
        if uids and rest:
            more = con.sql(f"SELECT {cols} FROM {scan(history, 'models', rest)} "
                           f"WHERE uid IN ({', '.join(map(_lit, uids))})").df()
            rows = pd.concat([rows, more], ignore_index=True) if len(more) else rows
    finally:
        con.close()
    rows = rows.drop(columns="uid")
    if rows.empty:
        raise ModelNotFoundError(model_id, f"model {model_id!r} is in none of the {len(days)} snapshots of "
                                 f"{history.path}")
    rows["snapshot"] = pd.to_datetime(rows["snapshot"]).dt.strftime("%Y-%m-%d")
    # a model deleted and re-created under the same id has two uids: keep, per date, the row of that id
    rows = rows.sort_values(["snapshot", "id"], key=lambda s: s if s.name == "snapshot" else s != model_id)
    rows = rows.drop_duplicates("snapshot").set_index("snapshot")
    out = rows.reindex(pd.Index(days, name="snapshot"))
    out.insert(0, "present", out["id"].notna())
    for c in ("downloads", "downloads_all_time", "likes"):
        out[c] = out[c].astype("Int64")
    return TimeSeries("model", model_id, out)


def family_series(history: History, root: str, *, dates: Iterable[str] | None = None) -> TimeSeries:
    """The family of ``root`` at every snapshot date: size, births and deaths of descendants, downloads.

    The family at a date is what that snapshot's lineage graph reaches from ``root`` over every relation
    (the history's ``members`` table).

    Returns
    -------
    TimeSeries
        Columns ``present`` (the root is a model of the snapshot), ``descendants`` (present at that
        date), ``new`` and ``deleted`` (descendant ids that appeared / disappeared since the previous
        date; a rename counts once in each), ``root_downloads``, ``root_downloads_all_time``,
        ``root_likes``, ``family_downloads`` (30-day downloads of the root and its descendants).

    Raises
    ------
    ModelNotFoundError
        If ``root`` is neither a model nor a family root in any snapshot of the history.
    """
    days = history.check_dates(dates)
    con = connect()
    try:
        con.execute(f"CREATE TEMP TABLE fam AS SELECT snapshot, id, downloads FROM {scan(history, 'members', days)} "
                    f"WHERE root = {_lit(root)}")
        head = con.sql(f"SELECT snapshot, downloads, downloads_all_time, likes FROM {scan(history, 'models', days)} "
                       f"WHERE id = {_lit(root)}").df()
        con.register("d", pd.DataFrame({"snapshot": pd.to_datetime(days[1:]).date,
                                        "prev": pd.to_datetime(days[:-1]).date}))
        per = con.sql(
            "WITH size AS (SELECT snapshot, count(*) AS descendants, sum(downloads) AS dl FROM fam GROUP BY 1), "
            "new AS (SELECT d.snapshot, count(*) AS new FROM fam f JOIN d ON d.snapshot = f.snapshot "
            "ANTI JOIN fam p ON p.snapshot = d.prev AND p.id = f.id GROUP BY 1), "
            "gone AS (SELECT d.snapshot, count(*) AS deleted FROM fam p JOIN d ON p.snapshot = d.prev "
            "ANTI JOIN fam f ON f.snapshot = d.snapshot AND f.id = p.id GROUP BY 1) "
            "SELECT d.snapshot, size.descendants, size.dl, coalesce(new.new, 0) AS new, "
            "coalesce(gone.deleted, 0) AS deleted FROM (SELECT snapshot FROM d UNION SELECT snapshot FROM size) d "
            "LEFT JOIN size USING (snapshot) LEFT JOIN new USING (snapshot) LEFT JOIN gone USING (snapshot)"
        ).df()
    finally:
        con.close()
    if per["descendants"].isna().all() and head.empty:
        raise ModelNotFoundError(root, f"model {root!r} is in none of the {len(days)} snapshots of {history.path}")
    idx = pd.Index(days, name="snapshot")
    for f in (per, head):
        f["snapshot"] = pd.to_datetime(f["snapshot"]).dt.strftime("%Y-%m-%d")
    per = per.set_index("snapshot").reindex(idx)
    head = head.assign(present=True).set_index("snapshot").reindex(idx)
    first = np.arange(len(idx)) == 0  # the first date has no previous one to compare with
    root_dl = head["downloads"].astype("Int64")
    fam_dl = per["dl"].astype("Int64").fillna(0) + root_dl.fillna(0)
    out = pd.DataFrame(
        {
            "present": head["present"].eq(True).to_numpy(),
            "descendants": per["descendants"].fillna(0).astype("Int64"),
            "new": per["new"].fillna(0).astype("Int64").mask(first),
            "deleted": per["deleted"].fillna(0).astype("Int64").mask(first),
            "root_downloads": root_dl,
            "root_downloads_all_time": head["downloads_all_time"].astype("Int64"),
            "root_likes": head["likes"].astype("Int64"),
            "family_downloads": fam_dl.mask(per["dl"].isna() & root_dl.isna()),
        },
        index=idx,
    )
    return TimeSeries("family", root, out)


@dataclass(frozen=True, repr=False)
class HubChurn(Result):
    """Births and deaths of the whole Hub per period, and churn of each cohort.

    Attributes
    ----------
    periods : DataFrame
        One row per snapshot date: ``models`` present, ``births`` (first seen at that date),
        ``deaths`` (seen at the previous date, not at this one); a model is followed by its ``uid``
        (renames are neither), by its id where the dump has no ``uid``.
    cohorts : DataFrame
        One row per date after the first whose cohort (models first seen then) has been followed for
        ``weeks`` weeks: ``born``, ``deleted_within`` (gone by the first snapshot ``weeks`` weeks later
        or earlier), ``share``.
    weeks : int
    """

    periods: pd.DataFrame
    cohorts: pd.DataFrame
    weeks: int
    title: ClassVar[str] = "Births, deaths and churn"

    def to_frame(self) -> pd.DataFrame:
        return self.periods.join(self.cohorts, how="left").reset_index()

    @property
    def churn(self) -> float:
        """Share of the followed cohorts' models deleted within ``weeks`` weeks (NaN: no cohort)."""
        born = self.cohorts["born"].sum()
        return float(self.cohorts["deleted_within"].sum() / born) if born else float("nan")

    def _note(self) -> str:
        return f"churn within {self.weeks} weeks: {self.churn:.2%}" if self.cohorts["born"].sum() else ""


def hub_churn(history: History, *, weeks: int = 4, dates: Iterable[str] | None = None) -> HubChurn:
    """Births and deaths per period and the share of new models deleted within ``weeks`` weeks.

    Parameters
    ----------
    history : History
    weeks : int
        The churn horizon, in weeks (a whole number >= 1).
    dates : list of str, optional
        Restrict to these dates (default all).

    Returns
    -------
    HubChurn
    """
    weeks = whole_number("weeks", weeks, minimum=1)
    days = history.check_dates(dates)
    con = connect()
    try:
        per = con.sql(
            f"WITH seen AS (SELECT coalesce(uid, id) AS k, min(snapshot) AS first, max(snapshot) AS last "
            f"FROM {scan(history, 'models', days)} GROUP BY 1) "
            "SELECT first, last, count(*) AS n FROM seen GROUP BY 1, 2"
        ).df()
    finally:
        con.close()
    d = pd.to_datetime(pd.Index(days))
    pos = {t: i for i, t in enumerate(d)}
    first = pd.to_datetime(per["first"]).map(pos).to_numpy(int)
    last = pd.to_datetime(per["last"]).map(pos).to_numpy(int)
    n = per["n"].to_numpy(np.int64)
    k = len(days)
    births = np.bincount(first, weights=n, minlength=k).astype(np.int64)
    deaths = np.zeros(k, np.int64)
    np.add.at(deaths, last[last < k - 1] + 1, n[last < k - 1])
    present = np.cumsum(births) - np.cumsum(deaths)  # a model seen at first..last (gaps are rare)
    idx = pd.Index(days, name="snapshot")
    births_col = pd.array([pd.NA, *births[1:]], dtype="Int64")  # the first date has no "before"
    deaths_col = pd.array([pd.NA, *deaths[1:]], dtype="Int64")
    periods = pd.DataFrame({"models": present, "births": births_col, "deaths": deaths_col}, index=idx)
    rows: dict[str, Any] = {}
    horizon = pd.Timedelta(weeks=weeks)
    for i in range(1, k):
        if d[i] + horizon > d[-1]:
            break
        end = int(np.searchsorted(d, d[i] + horizon, side="right")) - 1  # last date within the horizon
        cohort = first == i
        born = int(n[cohort].sum())
        gone = int(n[cohort & (last < end)].sum())  # not seen at `end`: gone by it
        rows[days[i]] = (born, gone, gone / born if born else float("nan"))
    cohorts = pd.DataFrame.from_dict(rows, orient="index", columns=["born", "deleted_within", "share"])
    cohorts.index.name = "snapshot"
    return HubChurn(periods, cohorts, weeks)
