"""The history store: dated snapshots as one hive-partitioned Parquet dataset per table.

Layout (any Parquet engine reads each table directory as one dataset, ``snapshot`` a partition column)::

    HISTORY/
      history.json                               the catalogue: the complete dates and what each holds
      models/snapshot=2025-06-04/data.parquet    id, uid, author, created_at, ..., sorted by id
      edges/snapshot=2025-06-04/data.parquet     parent, child, relation (one edge per pair), by parent
      members/snapshot=2025-06-04/data.parquet   root, id, depth, downloads (every family, all relations), by root

Adding a date is atomic: the three partitions are written into a staging directory, renamed into place
(a replaced date's old partitions are kept aside until the catalogue names the new ones), and the date
exists only once ``history.json``, written last and atomically, lists it. A partition directory that the
catalogue does not list is the remains of an interrupted add: hftree never reads it, and the next add of
that date removes it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hftree._atomic import write_atomic
from hftree._version import __version__
from hftree.errors import ParameterError, SnapshotError

__all__ = [
    "CATALOGUE",
    "EDGE_FIELDS",
    "MEMBER_FIELDS",
    "MODEL_FIELDS",
    "TABLES",
    "History",
    "add_snapshot",
    "add_tables",
    "history_tables",
    "open_history",
]

CATALOGUE = "history.json"
_FORMAT = "hftree-history"
_VERSION = 1
TABLES: tuple[str, ...] = ("models", "edges", "members")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ROW_GROUP = 65_536  # small row groups: a filter on the sort key skips most of a partition

_TS = pa.timestamp("ms", tz="UTC")
#: Columns of the ``models`` table (``uid`` is the Hub's ``_id``, stable across renames).
MODEL_FIELDS = pa.schema(
    [
        ("id", pa.string()),
        ("uid", pa.string()),
        ("author", pa.string()),
        ("created_at", _TS),
        ("last_modified", _TS),
        ("downloads", pa.int64()),
        ("downloads_all_time", pa.int64()),
        ("likes", pa.int64()),
        ("pipeline_tag", pa.string()),
        ("library_name", pa.string()),
        ("license", pa.string()),
        ("parameters", pa.int64()),
    ]
)
#: Columns of the ``edges`` table: the lineage graph's edges (one per pair, cycles broken).
EDGE_FIELDS = pa.schema([("parent", pa.string()), ("child", pa.string()), ("relation", pa.string())])
#: Columns of the ``members`` table: every (root, descendant) pair of the graph, all relations.
#: ``downloads`` is the member's 30-day window at that date (null for an external node).
MEMBER_FIELDS = pa.schema(
    [("root", pa.string()), ("id", pa.string()), ("depth", pa.int32()), ("downloads", pa.int64())]
)
_SCHEMAS = {"models": MODEL_FIELDS, "edges": EDGE_FIELDS, "members": MEMBER_FIELDS}
_SORT = {"models": "id", "edges": "parent", "members": "root"}


def _check_date(date: Any) -> str:
    text = date.isoformat() if isinstance(date, dt.date) else str(date)
    try:
        if not _DATE.match(text):
            raise ValueError
        dt.date.fromisoformat(text)
    except ValueError:
        raise ParameterError("date", "a day as YYYY-MM-DD", date) from None
    return text


@dataclass(frozen=True)
class History:
    """An opened history directory.

    Attributes
    ----------
    path : pathlib.Path
        The history directory.
    catalogue : dict
        ``history.json``: ``{"format", "version", "snapshots": {date: {...}}}``.
    """

    path: Path
    catalogue: dict[str, Any]
    #: The date the add that returned this history wrote (``None`` from :func:`open_history`).
    added: str | None = None

    @property
    def dates(self) -> list[str]:
        """The complete snapshot dates, oldest first (``YYYY-MM-DD``)."""
        return sorted(self.catalogue["snapshots"])

    def info(self, date: str) -> dict[str, Any]:
        """The catalogue entry of one date (counts, fields present, source)."""
        return self.catalogue["snapshots"][self.check_dates([date])[0]]

    def check_dates(self, dates: Iterable[str] | None) -> list[str]:
        """``dates`` validated against the catalogue (``None``: every date), sorted.

        Raises
        ------
        SnapshotError
            If a date is not in the history (the message lists the nearest ones).
        """
        if dates is None:
            return self.dates
        out = []
        for d in dates:
            d = _check_date(d)
            if d not in self.catalogue["snapshots"]:
                have = self.dates
                near = ", ".join(have[:3] + (["…"] if len(have) > 6 else []) + have[-3:]) if have else "none"
                raise SnapshotError(f"{self.path}: no snapshot dated {d} (dates: {near})")
            out.append(d)
        return sorted(set(out))

    def files(self, table: str, dates: Iterable[str] | None = None) -> list[str]:
        """The Parquet files of ``table`` for ``dates`` (``None``: all), oldest first."""
        return [str(self.path / table / f"snapshot={d}" / "data.parquet") for d in self.check_dates(dates)]


def _empty_catalogue() -> dict[str, Any]:
    return {"format": _FORMAT, "version": _VERSION, "hftree_version": __version__, "snapshots": {}}


def open_history(path: str | os.PathLike[str], *, create: bool = False) -> History:
    """Open a history directory (``create=True``: start an empty one if absent).

    A replaced date whose old partitions were set aside by an add that was killed before it wrote the
    catalogue gets them back here, so the catalogue always names partitions that exist.

    Raises
    ------
    SnapshotError
        If the directory is missing (and ``create`` is false), or ``history.json`` is not a history
        catalogue, or a listed partition is missing.
    """
    path = Path(path)
    cpath = path / CATALOGUE
    if not cpath.exists():
        if create and (not path.exists() or (path.is_dir() and not any(path.iterdir()))):
            path.mkdir(parents=True, exist_ok=True)
            write_atomic(cpath, json.dumps(_empty_catalogue(), indent=2))
        elif create:
            raise SnapshotError(f"{path} exists and is not a history (no {CATALOGUE}); choose a new directory")
        else:
            raise SnapshotError(f"{path} is not a history (no {CATALOGUE}); start one with `hftree history add`")
    try:
        cat = json.loads(cpath.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{cpath}: not valid JSON ({exc})") from exc
    if not isinstance(cat, dict) or cat.get("format") != _FORMAT or not isinstance(cat.get("snapshots"), dict):
        raise SnapshotError(f"{cpath}: not an hftree history catalogue")
    if not isinstance(cat.get("version"), int) or cat["version"] > _VERSION:
        raise SnapshotError(f"{cpath}: history version {cat.get('version')!r} is newer than this hftree; upgrade")
    for d in cat["snapshots"]:
        for t in TABLES:
            part = path / t / f"snapshot={d}"
            kept = path / t / f".snapshot={d}.old"
            if not part.exists() and kept.exists():
                os.replace(kept, part)  # an add killed between set-aside and catalogue: undo it
            if not (part / "data.parquet").exists():
                raise SnapshotError(f"{part}: listed in {CATALOGUE} but missing; the history is damaged")
    return History(path, cat)


# ----------------------------------------------------------------------------- building the tables


def history_tables(models: pd.DataFrame, edges: pd.DataFrame) -> dict[str, pa.Table]:
    """The three history tables of one snapshot's model and edge tables.

    ``uid`` is the Hub's ``_id`` (from the model table's ``uid`` column if it has one, else from
    ``extra``); the edges and families are those of :class:`hftree.lineage.LineageGraph` (one edge per
    pair by the graph's precedence, cycles broken; every root with at least one descendant).

    Parameters
    ----------
    models : DataFrame
        A model table (:data:`hftree.schema.MODEL_COLUMNS`; missing columns are null).
    edges : DataFrame
        Its edge table (``parent, child, relation`` and optionally ``source``).

    Returns
    -------
    dict of str to pyarrow.Table
        ``models``, ``edges``, ``members``, each sorted by its key (:data:`MODEL_FIELDS` ...).
    """
    import duckdb

    from hftree.lineage import LineageGraph

    cols = {}
    n = len(models)
    for f in MODEL_FIELDS:
        if f.name in models:
            cols[f.name] = pa.array(models[f.name], from_pandas=True).cast(f.type)
        elif f.name == "uid" and "extra" in models:
            con = duckdb.connect()
            con.register("x", pa.table({"extra": pa.array(models["extra"], pa.string(), from_pandas=True)}))
            cols["uid"] = con.sql("SELECT json_extract_string(extra, '$._id') AS uid FROM x").to_arrow_table()["uid"]
            con.close()
        else:
            cols[f.name] = pa.nulls(n, f.type)
    mt = pa.table(cols, schema=MODEL_FIELDS).sort_by("id")
    models = models.reset_index(drop=True)
    graph = LineageGraph.from_tables(models[["id"] + (["created_at"] if "created_at" in models else [])],
                                     edges, warn=False)
    ef = graph.edge_frame()
    et = pa.table(
        {"parent": pa.array(ef["parent"].to_numpy(object), pa.string()),
         "child": pa.array(ef["child"].to_numpy(object), pa.string()),
         "relation": pa.array(ef["relation"].astype(str).to_numpy(object), pa.string())},
        schema=EDGE_FIELDS,
    ).sort_by([("parent", "ascending"), ("child", "ascending")])
    mem = graph.members()
    ids = graph.id_array
    model_row = np.where(mem.node < n, mem.node, 0)  # node i < n is row i of the model table
    dl = pa.array(models["downloads"], pa.int64(), from_pandas=True) if "downloads" in models \
        else pa.nulls(n, pa.int64())
    dl = pc.if_else(pa.array(mem.node < n), dl.take(pa.array(model_row)), pa.scalar(None, pa.int64())) if n else \
        pa.nulls(len(mem.node), pa.int64())
    mbt = pa.table(
        {"root": ids.take(pa.array(mem.root)), "id": ids.take(pa.array(mem.node)),
         "depth": pa.array(mem.depth, pa.int32()), "downloads": dl},
        schema=MEMBER_FIELDS,
    ).sort_by([("root", "ascending"), ("id", "ascending")])
    return {"models": mt, "edges": et, "members": mbt}


def _fields_present(table: pa.Table) -> list[str]:
    return [c for c in table.column_names if table[c].null_count < table.num_rows]


# ----------------------------------------------------------------------------- adding


def add_snapshot(
    history: str | os.PathLike[str],
    snapshot: Any,
    *,
    date: str | dt.date | None = None,
    replace: bool = False,
) -> History:
    """Add one snapshot (a :class:`hftree.ingest.Snapshot` or its directory) to a history.

    Parameters
    ----------
    history : path
        The history directory (created if absent).
    snapshot : Snapshot or path
        What to add.
    date : str, optional
        Its date (``YYYY-MM-DD``); default the day of its ``snapshot_time`` (UTC).
    replace : bool
        Replace the date if the history has it already; without it, adding a date twice is refused.

    Returns
    -------
    History
        The history, reopened; ``added`` is the date written.

    Raises
    ------
    SnapshotError
        If the date is present and ``replace`` is false, or the snapshot or history is damaged.
    """
    from hftree.ingest.snapshot import Snapshot, load_snapshot

    source: dict[str, Any] = {}
    if not isinstance(snapshot, Snapshot):
        source["path"] = str(snapshot)
        snapshot = load_snapshot(snapshot)
    when = snapshot.snapshot_time.tz_convert("UTC") if snapshot.snapshot_time.tzinfo else snapshot.snapshot_time
    day = _check_date(date) if date is not None else when.date().isoformat()
    hist = open_history(history, create=True)
    _refuse_twice(hist, day, replace)  # before the work
    source.update(snapshot_time=str(snapshot.snapshot_time), snapshot_source=snapshot.manifest.get("fetch")
                  or snapshot.manifest.get("sources"))
    return add_tables(history, day, snapshot.models, snapshot.edges, replace=replace, source=source)


def _refuse_twice(hist: History, day: str, replace: bool) -> None:
    if day in hist.catalogue["snapshots"] and not replace:
        raise SnapshotError(f"{hist.path}: already holds the snapshot of {day}; pass replace=True "
                            "(CLI: --replace) to replace it")


def add_tables(
    history: str | os.PathLike[str],
    date: str | dt.date,
    models: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    replace: bool = False,
    source: dict[str, Any] | None = None,
) -> History:
    """Add the snapshot of ``date`` given as a model table and an edge table (see :func:`add_snapshot`).

    Raises
    ------
    SnapshotError
        If the date is present and ``replace`` is false, or another add is running on the history.
    ParameterError
        If ``date`` is not ``YYYY-MM-DD``.
    """
    day = _check_date(date)
    hist = open_history(history, create=True)
    _refuse_twice(hist, day, replace)
    tables = history_tables(models, edges)
    lock = hist.path / ".lock"
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        raise SnapshotError(f"{hist.path}: another add is running (or was killed: then remove {lock})") from None
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    try:
        hist = open_history(history)  # the catalogue as it is now, under the lock
        _refuse_twice(hist, day, replace)
        _write_date(hist, day, tables, source or {})
    finally:
        lock.unlink(missing_ok=True)
    return History(hist.path, open_history(history).catalogue, added=day)


def _write_date(hist: History, day: str, tables: dict[str, pa.Table], source: dict[str, Any]) -> None:
    stage = Path(tempfile.mkdtemp(prefix=f".staging-{day}-", dir=hist.path))
    moved: list[tuple[Path, Path | None]] = []  # (new partition, set-aside old one)
    try:
        for name, table in tables.items():
            d = stage / name
            d.mkdir()
            pq.write_table(table, d / "data.parquet", compression="zstd", compression_level=3,
                           row_group_size=_ROW_GROUP)
        for name in tables:
            part = hist.path / name / f"snapshot={day}"
            part.parent.mkdir(exist_ok=True)
            old: Path | None = None
            if part.exists():
                if day in hist.catalogue["snapshots"]:
                    old = part.with_name(f".snapshot={day}.old")
                    shutil.rmtree(old, ignore_errors=True)
                    os.replace(part, old)
                else:
                    shutil.rmtree(part)  # remains of an interrupted add: never listed, never read
            os.chmod(stage / name, 0o755)
            os.replace(stage / name, part)
            moved.append((part, old))
        cat = json.loads(json.dumps(hist.catalogue))
        cat["hftree_version"] = __version__
        cat["snapshots"][day] = {
            "added_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "rows": {name: t.num_rows for name, t in tables.items()},
            "fields": _fields_present(tables["models"]),
            **{k: v for k, v in source.items() if v is not None},
        }
        write_atomic(hist.path / CATALOGUE, json.dumps(cat, indent=2, default=str))
    except BaseException:
        for part, old in reversed(moved):
            shutil.rmtree(part, ignore_errors=True)
            if old is not None:
                os.replace(old, part)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    for _, old in moved:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
