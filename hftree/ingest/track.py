"""Download tracking: an append-only time series of download and like counts.

The Hub only serves two download numbers per model: the last 30 days
(``downloads``) and all time (``downloadsAllTime``). Recording them at every run
(e.g. daily from cron) builds the download curves the adoption module fits.

A *store* is a directory::

    STORE/index.json                      runs: id, time, rows, file, query, versions
    STORE/runs/run-<time>-<id>.parquet    one file per run (the rows of that run)

A run fetches everything first and then writes its Parquet file under a
temporary name and renames it into place (the commit); ``index.json`` is
rewritten atomically afterwards. An interrupted run therefore leaves no partial
data; a run file the index does not list yet (interrupted between the two
renames) is still read and the next run adds it to the index. A lock file keeps
two runs from writing the same store at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import os
import re
import uuid
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hftree._atomic import atomic_path, write_atomic
from hftree._progress import progress_bar
from hftree._version import __version__
from hftree.errors import DataQualityWarning, InputFormatError, ParameterError, TrackStoreError
from hftree.ingest.hub.transport import RetryPolicy, hf_errors, hf_version, hub_session

__all__ = ["TRACK_COLUMNS", "TrackRun", "load_downloads", "read_watchlist", "track"]

#: Columns of the tracked time series (one row per model per run).
TRACK_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("time", pa.timestamp("ms", tz="UTC")),
        ("id", pa.string()),
        ("downloads", pa.int64()),  # last 30 days, as the Hub reports it at `time`
        ("downloads_all_time", pa.int64()),
        ("likes", pa.int64()),
        ("status", pa.string()),  # "ok" or "not_found"
        ("source", pa.string()),  # the watchlist entry that named the model
    ]
)
TRACK_COLUMNS: tuple[str, ...] = tuple(TRACK_SCHEMA.names)
_EXPAND = ["downloads", "downloadsAllTime", "likes"]
_INDEX = "index.json"
_RUNS = "runs"
_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")


@dataclass(frozen=True, eq=False)
class TrackRun:
    """One recorded run: what was stored, when, and what was not found.

    Attributes
    ----------
    run_id : str
    time : pandas.Timestamp
        When the counts were read (UTC, start of the run).
    store : pathlib.Path
    rows : pandas.DataFrame
        The rows this run appended (columns :data:`TRACK_COLUMNS`).
    not_found : tuple of str
        Watched ids the Hub does not know (deleted, renamed or private).
    requests : int
        HTTP requests made.
    """

    run_id: str
    time: pd.Timestamp
    store: Path
    rows: pd.DataFrame = field(repr=False)
    not_found: tuple[str, ...]
    requests: int

    def to_frame(self) -> pd.DataFrame:
        """The rows of this run."""
        return self.rows.copy()

    def __repr__(self) -> str:
        ok = int((self.rows["status"] == "ok").sum())
        return (
            f"<TrackRun {self.run_id} at {self.time.isoformat()}: {ok:,} models recorded, "
            f"{len(self.not_found):,} not found, into {self.store}>"
        )

    def _repr_html_(self) -> str:
        ok = int((self.rows["status"] == "ok").sum())
        return (
            f"<div><b>hftree track run</b> {html.escape(self.run_id)} at "
            f"{html.escape(self.time.isoformat())}<br>{ok:,} models recorded, "
            f"{len(self.not_found):,} not found, store {html.escape(str(self.store))}</div>"
        )


# ----------------------------------------------------------------------------- watchlist
def read_watchlist(path: str | os.PathLike[str]) -> list[str]:
    """Read a watchlist: one entry per line, ``#`` starts a comment.

    An entry is a model id (``org/name``), ``author:NAME`` (every model of an
    author or organisation) or ``filter:TAG`` (every model with a tag, e.g.
    ``filter:base_model:meta-llama/Llama-3.1-8B`` for direct derivatives).

    Raises
    ------
    InputFormatError
        A line is not a model id or a known ``kind:`` entry, or the file has no entries.
    """
    path = Path(path)
    entries: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            _check_entry(line, str(path), lineno)
            entries.append(line)
    if not entries:
        raise InputFormatError("watchlist has no entries; expected model ids, one per line", path=str(path))
    return entries


def _check_entry(entry: str, source: str | None, line: int | None) -> None:
    kind, sep, value = entry.partition(":")
    if sep and kind in ("author", "filter"):
        if not value.strip() or " " in value.strip():
            raise InputFormatError(f"{kind}: needs a value without spaces, got {entry!r}", path=source, line=line)
        return
    if not _ID.match(entry):
        raise InputFormatError(
            f"{entry!r} is not a model id (org/name), author:NAME or filter:TAG",
            path=source,
            line=line,
        )


# ----------------------------------------------------------------------------- the run
def track(
    watchlist: str | os.PathLike[str] | Sequence[str],
    store: str | os.PathLike[str],
    *,
    endpoint: str | None = None,
    token: str | bool | None = None,
    retry: RetryPolicy | None = None,
    workers: int = 4,
    progress: bool | None = None,
) -> TrackRun:
    """Record the current download and like counts of watched models into ``store``.

    Parameters
    ----------
    watchlist : path or sequence of str
        A watchlist file (:func:`read_watchlist`) or its entries.
    store : path
        The store directory (created if missing).
    endpoint, token, retry
        As for :func:`hftree.ingest.hub.fetch`.
    workers : int
        Concurrent ``model_info`` requests.
    progress : bool, optional
        Progress bar on stderr; default: when stderr is a terminal.

    Returns
    -------
    TrackRun

    Raises
    ------
    HubError
        The Hub stayed unreachable; nothing is written.
    TrackStoreError
        ``store`` is not a track store, is damaged, or another run is writing it
        (a :class:`~hftree.errors.SnapshotError`).
    ParameterError
        The watchlist has no entries, or ``workers`` < 1.
    """
    if isinstance(watchlist, str | os.PathLike):
        entries = read_watchlist(watchlist)
        wl_name = str(watchlist)
    else:
        entries = [str(e).strip() for e in watchlist if str(e).strip()]
        for e in entries:
            _check_entry(e, None, None)
        if not entries:
            raise ParameterError("watchlist", "at least one model id, author:NAME or filter:TAG", list(watchlist))
        wl_name = None
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ParameterError("workers", "a whole number >= 1", workers)
    from huggingface_hub import HfApi, constants, get_token

    endpoint = (endpoint or constants.ENDPOINT).rstrip("/")
    store = Path(store)
    if token is None:
        token = get_token()
    with _locked(store):
        index = _load_index(store, repair=True)
        started = pd.Timestamp(dt.datetime.now(dt.UTC)).floor("ms")
        run_id = uuid.uuid4().hex[:12]
        api = HfApi(endpoint=endpoint, token=token, library_name="hftree", library_version=__version__)
        with (
            hub_session(retry or RetryPolicy(), endpoint, resume_hint="nothing was written; run track again later")
            as session,
            hf_errors(token),
        ):
            rows = _read_counts(api, entries, token, workers, progress)
        df = pd.DataFrame(rows, columns=["id", "downloads", "downloads_all_time", "likes", "status", "source"])
        df.insert(0, "time", started)
        df.insert(0, "run_id", run_id)
        table = pa.Table.from_pandas(df, schema=TRACK_SCHEMA, preserve_index=False)
        meta = {
            "run_id": run_id,
            "time": started.isoformat(),
            "endpoint": endpoint,
            "watchlist": wl_name,
            "entries": entries,
            "hftree_version": __version__,
            "huggingface_hub_version": hf_version(),
            "requests": int(session.stats["requests"]),
            "authenticated": bool(token),
        }
        table = table.replace_schema_metadata({b"hftree-track": json.dumps(meta).encode()})
        name = f"run-{started.strftime('%Y%m%dT%H%M%S')}-{run_id}.parquet"
        with atomic_path(store / _RUNS / name, suffix=".tmp") as tmp:  # the rename is the commit
            pq.write_table(table, tmp, compression="zstd")
        index["runs"].append({**meta, "file": f"{_RUNS}/{name}", "rows": table.num_rows})
        _write_index(store, index)
    frame = _typed(table)
    not_found = tuple(frame.loc[frame["status"] != "ok", "id"])
    return TrackRun(
        run_id=run_id,
        time=started,
        store=store,
        rows=frame,
        not_found=not_found,
        requests=int(session.stats["requests"]),
    )


def _read_counts(api: Any, entries: list[str], token: Any, workers: int, progress: bool | None) -> list[tuple]:
    from huggingface_hub.errors import RepositoryNotFoundError

    values: dict[str, tuple] = {}  # id -> (downloads, downloads_all_time, likes, status)
    source: dict[str, str] = {}  # id -> the first watchlist entry that names it
    ids: list[str] = []
    for entry in entries:
        kind, sep, value = entry.partition(":")
        if sep and kind in ("author", "filter"):
            kw = {"author": value} if kind == "author" else {"filter": value}
            for info in api.list_models(expand=_EXPAND, token=token, **kw):
                values[info.id] = (info.downloads, info.downloads_all_time, info.likes, "ok")
                source.setdefault(info.id, entry)
        else:
            source.setdefault(entry, entry)
            ids.append(entry)

    def one(mid: str) -> tuple:
        try:
            info = api.model_info(mid, expand=_EXPAND, token=token)
        except RepositoryNotFoundError:  # deleted, renamed, or private without a token
            return (None, None, None, "not_found")
        return (info.downloads, info.downloads_all_time, info.likes, "ok")

    todo = list(dict.fromkeys(m for m in ids if m not in values))
    with (
        progress_bar(progress, desc="track", total=len(todo), unit="model") as bar,
        ThreadPoolExecutor(workers, thread_name_prefix="hftree-track") as pool,
    ):
        for mid, vals in zip(todo, pool.map(one, todo), strict=True):
            values[mid] = vals
            bar.update(1)
    return [(m, *values[m], source[m]) for m in sorted(values)]


# ----------------------------------------------------------------------------- the store
@contextlib.contextmanager
def _locked(store: Path) -> Iterator[None]:
    import fcntl

    if store.exists() and not store.is_dir():
        raise TrackStoreError(f"{store} is a file, not a track store directory")
    if store.is_dir() and any(store.iterdir()) and not (store / _INDEX).exists() and not (store / _RUNS).is_dir():
        raise TrackStoreError(f"{store} is not an hftree track store (no {_INDEX}); choose an empty or new directory")
    (store / _RUNS).mkdir(parents=True, exist_ok=True)
    fh = open(store / ".lock", "a+b")  # noqa: SIM115 - held for the whole block
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TrackStoreError(f"another hftree track run is writing {store}; try again when it is done") from None
        for stale in (store / _RUNS).glob(".run-*.tmp"):  # left by an interrupted run (atomic_path's names)
            stale.unlink(missing_ok=True)
        yield
    finally:
        fh.close()


def _load_index(store: Path, *, repair: bool = False) -> dict[str, Any]:
    """The store's index; rebuilt from the run files when it is unreadable (a truncated write).

    Each run file carries its own entry in its Parquet metadata, so a damaged ``index.json`` is
    rebuilt from them (with ``repair``, the damaged file is kept as ``index.json.damaged-*``
    and a new one written). A run file that cannot be read is listed with ``"damaged": True``
    and left where it is; readers skip it with a :class:`~hftree.errors.DataQualityWarning`.
    """
    path = store / _INDEX
    index: dict[str, Any] = {"format": "hftree-track", "version": 1, "runs": []}
    rebuilt = False
    if path.exists():
        try:
            index = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            warnings.warn(f"{path}: unreadable index ({exc}); rebuilt from the run files", DataQualityWarning,
                          stacklevel=3)
            index, rebuilt = {"format": "hftree-track", "version": 1, "runs": []}, True
        if not isinstance(index, dict) or index.get("format") != "hftree-track":
            raise TrackStoreError(f"{path}: not an hftree track index")
        if not isinstance(index.get("runs"), list) or not all(
            isinstance(r, dict) and isinstance(r.get("file"), str) for r in index["runs"]
        ):
            raise TrackStoreError(f"{path}: runs must be a list of objects with a file; the store is damaged")
    listed = {r["file"] for r in index["runs"]}
    for r in index["runs"]:
        f = r["file"]
        if Path(f).name != f.removeprefix(f"{_RUNS}/") or not f.startswith(f"{_RUNS}/"):
            raise TrackStoreError(f"{path}: run file {f!r} is outside {store / _RUNS}; refusing to read it")
        if not (store / f).exists():
            raise TrackStoreError(f"{store}: run file {f} listed in {_INDEX} is missing; the store is damaged")
    found = sorted(p for p in (store / _RUNS).glob("run-*.parquet")) if (store / _RUNS).is_dir() else []
    orphans = [p for p in found if f"{_RUNS}/{p.name}" not in listed]
    for p in orphans:  # committed runs whose index update was interrupted (or a lost index)
        try:
            raw = pq.read_schema(p).metadata or {}
            meta = json.loads(raw.get(b"hftree-track", b"{}"))
            entry = {**meta, "file": f"{_RUNS}/{p.name}", "rows": pq.read_metadata(p).num_rows}
        except (OSError, pa.ArrowInvalid, json.JSONDecodeError):
            entry = {"file": f"{_RUNS}/{p.name}", "time": "", "damaged": True}
        index["runs"].append(entry)
    if orphans:
        index["runs"].sort(key=lambda r: (r.get("time", ""), r["file"]))
    if repair and (orphans or rebuilt):
        if rebuilt:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
            os.replace(path, path.with_name(f"{_INDEX}.damaged-{stamp}"))  # kept, not lost
        _write_index(store, index)
    return index


def _write_index(store: Path, index: dict[str, Any]) -> None:
    runs = [r for r in index["runs"] if not r.get("damaged")]  # found again (and reported) at each load
    write_atomic(store / _INDEX, json.dumps({**index, "runs": runs}, indent=1))


def _typed(table: pa.Table) -> pd.DataFrame:
    from hftree.schema import to_pandas

    df = to_pandas(table)
    for c in ("status", "source", "run_id", "id"):
        df[c] = df[c].astype(object)
    return df


def load_downloads(store: str | os.PathLike[str]) -> pd.DataFrame:
    """Every recorded row of a store, oldest run first.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TRACK_COLUMNS`; one row per model per run. Pivot with
        ``df.pivot(index="time", columns="id", values="downloads_all_time")``
        for curves.

    Raises
    ------
    TrackStoreError
        ``store`` is missing, not a track store, or its index lists a missing run file.

    Warns
    -----
    DataQualityWarning
        A run file cannot be read (it is left out) or the index was rebuilt from the run files.
    """
    store = Path(store)
    if not store.is_dir() or not ((store / _INDEX).exists() or (store / _RUNS).is_dir()):
        raise TrackStoreError(f"{store} is not an hftree track store (run `hftree track WATCHLIST -o {store}`)")
    index = _load_index(store)
    tables = []
    for r in index["runs"]:
        try:
            tables.append(pq.read_table(store / r["file"], schema=TRACK_SCHEMA))
        except (OSError, pa.ArrowInvalid) as exc:  # one damaged run: the others are still history
            warnings.warn(f"{store / r['file']}: cannot read ({exc}); this run is left out", DataQualityWarning,
                          stacklevel=2)
    table = pa.concat_tables(tables) if tables else TRACK_SCHEMA.empty_table()
    return _typed(table.replace_schema_metadata(None))
