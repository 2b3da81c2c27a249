"""Snapshots: the model table, the declared lineage and the cards, on disk and in memory.

A snapshot directory holds ``models.parquet``, ``edges.parquet``, optionally
``cards.parquet``, and ``manifest.json`` (source, times, schema and hftree
versions, counts, data-quality findings). It is written into a temporary
sibling directory and renamed into place when complete, so an interrupted write
never leaves something that later loads as a valid snapshot.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hftree._atomic import is_hftree_dir, recover_dir, replace_dir
from hftree._hashing import has_duplicates
from hftree._memory import bulk_allocations
from hftree._version import __version__
from hftree.errors import DataQualityWarning, InputFormatError, ParameterError, SnapshotError
from hftree.ingest.jsonl import open_jsonl, read_jsonl
from hftree.ingest.manifest import check_manifest, check_table, table_path
from hftree.ingest.provenance import disagreements, placeholder_count, source_counts, upgrade_v1
from hftree.ingest.records import Issues, check_on_error
from hftree.ingest.tables import (
    card_features,
    card_lineage,
    read_cards,
    read_csv_strict,
    read_edge_list,
    read_model_table,
)
from hftree.schema import (
    CARD_SCHEMA,
    EDGE_SCHEMA,
    MODEL_SCHEMA,
    SCHEMA_VERSION,
    to_pandas,
)

__all__ = ["Snapshot", "detect_kind", "import_sources", "is_snapshot_dir", "load_snapshot"]

_MANIFEST = "manifest.json"
_EXAMPLES = 100  # data-quality examples kept in the manifest per kind
_FAST_MIN_BYTES = 4 << 20  # JSON Lines files from this size on go through the DuckDB fast path


@dataclass(eq=False)
class Snapshot:
    """A model table, its declared lineage and (optionally) model cards, with provenance.

    Attributes
    ----------
    models : pandas.DataFrame
        The model table (columns of :data:`hftree.schema.MODEL_COLUMNS`), one row per id.
    edges : pandas.DataFrame
        Declared lineage: ``parent, child, relation, source``; one row per declaration.
    cards : pandas.DataFrame or None
        ``id, card`` README texts, when they were imported.
    manifest : dict
        Provenance and counts (see ``manifest.json``).
    """

    models: pd.DataFrame
    edges: pd.DataFrame
    cards: pd.DataFrame | None = None
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def snapshot_time(self) -> pd.Timestamp:
        """When the data was taken (manifest ``snapshot_time``)."""
        return pd.Timestamp(self.manifest["snapshot_time"])

    @property
    def data_quality(self) -> dict[str, Any]:
        """Findings of the import: duplicates, skipped lines, ignored fields."""
        return self.manifest.get("data_quality", {})

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the snapshot directory atomically (temp dir + rename)."""
        return _write(self, Path(path), overwrite=overwrite)

    def __repr__(self) -> str:
        c = self.manifest.get("counts", {})
        return (
            f"<Snapshot {c.get('models', len(self.models)):,} models, "
            f"{c.get('edges', len(self.edges)):,} declared edges, "
            f"{'no' if self.cards is None else format(len(self.cards), ',')} cards, "
            f"taken {self.manifest.get('snapshot_time', '?')}>"
        )

    def _repr_html_(self) -> str:
        c = self.manifest.get("counts", {})
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>"
            for k, v in c.items()
        )
        src = ", ".join(html.escape(str(s.get("path", s))) for s in self.manifest.get("sources", []))
        return (
            f"<div><b>hftree Snapshot</b> taken {html.escape(str(self.manifest.get('snapshot_time')))}"
            f"<br><small>from {src}</small><table>{rows}</table></div>"
        )


def _fmt(v: Any) -> str:
    return f"{v:,}" if isinstance(v, int) else str(v)


# ---------------------------------------------------------------------------- detection
def detect_kind(path: str | os.PathLike[str]) -> str:
    """Guess what a file holds: ``"models"``, ``"edges"`` or ``"cards"``.

    JSON Lines whose first record has exactly the keys ``id`` and ``card`` are
    cards; CSV/Parquet with parent/child (or source/target) columns are edge
    lists; everything else is read as model records.
    """
    path = Path(path)
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".json", ".json.gz", ".ndjson", ".ndjson.gz")):
        try:
            with open_jsonl(path) as fh:
                first = fh.readline(1 << 20)
        except (EOFError, OSError):
            return "models"  # the reader reports the corruption with file and line
        import orjson

        try:
            rec = orjson.loads(first)
        except orjson.JSONDecodeError:
            return "models"
        return "cards" if isinstance(rec, dict) and set(rec) == {"id", "card"} else "models"
    if name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
        head = read_csv_strict(path, nrows=0, sep="\t" if ".tsv" in name else ",").columns
    elif name.endswith((".parquet", ".pq")):
        head = pq.read_schema(path).names
    else:
        raise InputFormatError(
            "unknown file type; expected .jsonl[.gz], .json[.gz], .csv[.gz], .tsv or .parquet",
            path=str(path),
        )
    cols = set(head)
    if ({"parent", "child"} <= cols or {"source", "target"} <= cols) and "id" not in cols:
        return "edges"
    if {"id", "card"} == cols:
        return "cards"
    return "models"


# ---------------------------------------------------------------------------- import
@bulk_allocations()  # Arrow allocates from the system allocator while importing (hftree/_memory.py)
def import_sources(
    inputs: Sequence[str | os.PathLike[str]] = (),
    *,
    edges: Iterable[str | os.PathLike[str]] = (),
    cards: Iterable[str | os.PathLike[str]] = (),
    on_error: str = "raise",
    parent_col: str | None = None,
    child_col: str | None = None,
    relation_col: str | None = None,
    snapshot_time: str | pd.Timestamp | None = None,
    progress: bool | None = None,
) -> Snapshot:
    """Read and normalise Hub metadata into a :class:`Snapshot`.

    Parameters
    ----------
    inputs : sequence of paths
        Model records (JSON Lines, CSV, Parquet), edge lists and card files;
        the kind of each is detected (:func:`detect_kind`).
    edges, cards : iterables of paths
        Files to read as edge lists / card texts whatever they look like.
    on_error : {"raise", "skip"}
        Malformed lines stop the import (error names file and line) or are
        skipped and counted in ``manifest["data_quality"]``.
    parent_col, child_col, relation_col : str, optional
        Column names of edge lists, when not ``parent/child/relation`` or
        ``source/target/edge``.
    snapshot_time : str or Timestamp, optional
        When the data was taken (an ISO 8601 date or timestamp; UTC unless it
        says otherwise); default: the latest ``last_modified`` or ``created_at``
        in the data.
    progress : bool, optional
        Progress bars on stderr; default: when stderr is a terminal.

    Raises
    ------
    ParameterError
        ``snapshot_time`` is not a date or timestamp, or ``on_error`` is unknown.
    InputFormatError
        A file is malformed (with ``on_error="raise"``), or there is nothing to import.

    Notes
    -----
    * Duplicated ids: the record with the newest ``last_modified`` wins (ties:
      the later one in input order); the number dropped is reported.
    * An import of edge lists with no model records creates a bare model row
      (id and author only) for every id the edges name.
    * With cards, a model that declares no base model but whose card has the
      Trainer's "fine-tuned version of [X](https://huggingface.co/X)" line gets
      an edge from X (relation ``finetune``, source ``card_text``).
    """
    check_on_error(on_error)
    snap_time = None if snapshot_time is None else _snapshot_time(snapshot_time)  # checked before the work
    model_tables: list[pa.Table] = []
    edge_tables: list[pa.Table] = []
    card_tables: list[pa.Table] = []
    issues = Issues()
    sources: list[dict[str, Any]] = []
    n_records = 0
    kinds = [(p, detect_kind(p)) for p in inputs]
    kinds += [(p, "edges") for p in edges] + [(p, "cards") for p in cards]
    if not kinds:
        raise InputFormatError("nothing to import: give at least one input file")
    row_offset = 0
    m: Any = None
    dump: Any = None
    kinds = _card_dumps(kinds)
    for path, kind in kinds:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(2, "no such file", str(path))
        sources.append({"path": str(path), "kind": kind, "bytes": path.stat().st_size})
        if kind == "models":
            name = path.name.lower()
            if name.endswith((".parquet", ".pq")):
                from hftree.ingest.dumps import read_parquet_dump

                dump = read_parquet_dump(path, on_error=on_error, progress=progress)
                m, e, iss = dump.models, dump.edges, dump.issues
                sources[-1]["dump"] = _dump_kind(path)
                if dump.cards is not None and dump.cards.num_rows:
                    card_tables.append(dump.cards)
            elif name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
                m, e, iss = read_model_table(path, on_error=on_error)
            else:
                m, e, iss = _read_jsonl_fastest(path, on_error=on_error, progress=progress)
            issues.merge(iss)
            if e.num_rows:
                e = e.set_column(4, "row", pc.add(e.column("row"), row_offset))
            row_offset += m.num_rows
            n_records += m.num_rows
            model_tables.append(m)
            edge_tables.append(e)
        elif kind == "card_dump":  # librarian-bots shard next to a model table: its cards only
            card_tables.append(_card_dump(path))
            sources[-1]["kind"] = "cards"
        elif kind == "edges":
            t = read_edge_list(path, parent_col=parent_col, child_col=child_col, relation_col=relation_col)
            edge_tables.append(t.append_column("row", pa.nulls(t.num_rows, pa.int64())))
        else:
            t, iss = read_cards(path, on_error=on_error)
            issues.merge(iss)
            card_tables.append(t)

    edge_schema = EDGE_SCHEMA.append(pa.field("row", pa.int64()))
    models_t = pa.concat_tables(model_tables) if model_tables else MODEL_SCHEMA.empty_table()
    model_tables.clear()  # models_t holds the only references: to_pandas below frees them as it goes
    m = dump = None  # the loop's last table: freed too
    edges_t = pa.concat_tables(edge_tables) if edge_tables else edge_schema.empty_table()
    edge_tables.clear()

    # the disagreement count (one core) runs on a second thread, on the Arrow edge table, while the
    # duplicate check and the pandas tables are made
    read = {"models": models_t, "edges": edges_t}  # _finish holds the only references (see above)
    del models_t, edges_t
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return _finish(pool, read, card_tables, issues, sources, n_records, snap_time)
    finally:
        pool.shutdown(wait=True)


def _finish(pool: ThreadPoolExecutor, read: dict[str, pa.Table], card_tables: list[pa.Table], issues: Issues,
            sources: list[dict[str, Any]], n_records: int, snap_time: pd.Timestamp | None) -> Snapshot:
    """Duplicates, bare models, card features and lineage, the data-quality report: the import after
    its readers (``read``: the model and edge tables, taken out of it)."""
    models_t, edges_t = read.pop("models"), read.pop("edges")
    # the edges as read, if no duplicate is dropped; with a model row for every edge and unique ids
    # (checked next), the rows tell the children apart
    by_row = edges_t.num_rows > 0 and edges_t.column("row").null_count == 0
    report = pool.submit(disagreements, edges_t, child_rows=by_row)
    models_t, edges_t, n_dupes, dupe_examples = _drop_duplicates(models_t, edges_t)
    if n_dupes:  # unique ids now: the new rows still tell the children apart
        report = pool.submit(disagreements, edges_t, child_rows=by_row)
    edges_t = edges_t.drop_columns(["row"])
    if models_t.num_rows == 0 and edges_t.num_rows:
        models_t = _bare_models(edges_t)

    cards_df = None
    models = to_pandas(models_t, self_destruct=True)
    del models_t
    if card_tables:
        cards_t = pa.concat_tables(card_tables)
        cards_df = to_pandas(cards_t).drop_duplicates("id", keep="last").reset_index(drop=True)
        feats = card_features(cards_df).set_index("id")
        idx = pd.Index(models["id"])
        pos = idx.get_indexer(feats.index)
        hit = pos >= 0
        length = models["card_length"].copy()
        templ = models["card_template"].copy()
        length.iloc[pos[hit]] = feats["card_length"].to_numpy()[hit]
        templ.iloc[pos[hit]] = feats["card_template"].to_numpy()[hit]
        models["card_length"] = length
        models["card_template"] = templ
        # lineage written only in card text, for models that declare no base model
        from_text = card_lineage(cards_df)
        if from_text.num_rows:
            declared = pc.is_in(from_text.column("child"), value_set=pc.unique(edges_t.column("child")))
            from_text = from_text.filter(pc.invert(declared))
            edges_t = pa.concat_tables([edges_t, from_text])
            # edges of children that declared none, all of one relation: they add no disagreement
            # (a pair disagrees only within one child); anything else is counted again
            if from_text.num_rows and not pc.all(pc.equal(from_text.column("relation"), "finetune")).as_py():
                report = pool.submit(disagreements, edges_t)
    edges_df = to_pandas(edges_t)

    if snap_time is None:
        latest = pd.concat([models["last_modified"], models["created_at"]]).max()
        snap_time = latest if pd.notna(latest) else pd.Timestamp.now(tz="UTC")

    dq: dict[str, Any] = {
        "placeholder_created_at": placeholder_count(models),
        **report.result(),
        "duplicate_ids_dropped": n_dupes,
        "duplicate_id_examples": dupe_examples,
        "skipped_lines": issues.skipped_lines,
        "skipped_examples": issues.skipped_examples[:_EXAMPLES],
        "invalid_base_model_fields": len(issues.bad_base_model),
        "invalid_base_model_examples": issues.bad_base_model[:_EXAMPLES],
        "out_of_range_values": issues.out_of_range,
        "out_of_range_examples": issues.out_of_range_examples[:_EXAMPLES],
        "ignored_values": len(issues.bad_fields),
        "ignored_value_examples": issues.bad_fields[:_EXAMPLES],
    }
    manifest = {
        "format": "hftree-snapshot",
        "schema_version": SCHEMA_VERSION,
        "hftree_version": __version__,
        "created_at": _now(),
        "snapshot_time": snap_time.isoformat(),
        "sources": sources,
        "counts": {
            "records_read": n_records + issues.skipped_lines,
            "models": len(models),
            "edges": len(edges_df),
            "cards": 0 if cards_df is None else len(cards_df),
        },
        "edges_by_source": source_counts(edges_t),
        "data_quality": dq,
    }
    snap = Snapshot(models=models, edges=edges_df, cards=cards_df, manifest=manifest)
    if n_dupes or issues.skipped_lines or issues.bad_base_model or issues.out_of_range:
        warnings.warn(
            f"import: {n_dupes} duplicated ids dropped (newest kept), {issues.skipped_lines} lines "
            f"skipped, {len(issues.bad_base_model)} unusable base_model fields ignored, "
            f"{issues.out_of_range} out-of-range dates or negative counts nulled "
            "(see manifest['data_quality'])",
            DataQualityWarning,
            stacklevel=3,  # the caller of import_sources (past the decorator's frame)
        )
    return snap


def _dump_kind(path: Path) -> str:
    from hftree.ingest.dumps import parquet_kind

    return parquet_kind(pq.read_schema(path).names)


def _card_dumps(kinds: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    """librarian-bots shards (``modelId`` + ``card``) are card sources when a model table is imported
    with them; alone, they are the model table too (read by the dump reader)."""
    def is_card_dump(p: Any, k: str) -> bool:
        return k == "models" and str(p).lower().endswith((".parquet", ".pq")) and _dump_kind(Path(p)) == \
            "librarian-bots"

    flags = [is_card_dump(p, k) for p, k in kinds]
    others = any(k == "models" and not f for (_, k), f in zip(kinds, flags, strict=True))
    if not others:
        return kinds
    return [(p, "card_dump" if f else k) for (p, k), f in zip(kinds, flags, strict=True)]


def _card_dump(path: Path) -> pa.Table:
    t = pq.read_table(path, columns=["modelId", "card"])
    t = pa.table({"id": t.column("modelId").cast(pa.string()), "card": t.column("card").cast(pa.string())},
                 schema=CARD_SCHEMA)
    return t.filter(pc.and_(pc.is_valid(t.column("id")), pc.is_valid(t.column("card"))))


def _snapshot_time(value: str | pd.Timestamp) -> pd.Timestamp:
    """``value`` as a UTC timestamp; :class:`ParameterError` if it is not one.

    >>> _snapshot_time("2024-05-01")
    Timestamp('2024-05-01 00:00:00+0000', tz='UTC')
    >>> _snapshot_time("garbage")
    Traceback (most recent call last):
    ...
    hftree.errors.ParameterError: snapshot_time: expected an ISO 8601 date or timestamp, got 'garbage'
    """
    try:
        t = pd.Timestamp(value)
    except (ValueError, TypeError):
        t = pd.NaT
    if pd.isna(t):  # pd.Timestamp("") and pd.Timestamp(None) give NaT
        raise ParameterError("snapshot_time", "an ISO 8601 date or timestamp", value) from None
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _read_jsonl_fastest(
    path: Path, *, on_error: str, progress: bool | None
) -> tuple[pa.Table, pa.Table, Issues]:
    """DuckDB fast path for regular files (see :mod:`hftree.ingest.fastjson`); the Python
    reader for everything else, and for any file DuckDB rejects, so errors still name file and line."""
    from hftree.ingest import fastjson

    # DuckDB's start-up (~0.2 s) only pays off on files of some size
    if on_error == "raise" and fastjson.available() and path.stat().st_size >= _FAST_MIN_BYTES:
        import duckdb

        try:
            return fastjson.read_jsonl_duckdb(path, progress=progress)
        except (fastjson.Irregular, duckdb.Error):
            pass
    m, e, iss, _ = read_jsonl(path, on_error=on_error, progress=progress)
    return m, e, iss


def _drop_duplicates(models: pa.Table, edges: pa.Table) -> tuple[pa.Table, pa.Table, int, list[str]]:
    """Keep one row per id: newest ``last_modified`` wins, then the later row."""
    ids = models.column("id")
    if not has_duplicates(ids):  # the common case
        return models, edges, 0, []
    enc = pc.dictionary_encode(ids.combine_chunks())  # one dictionary (per-chunk ones would need unifying)
    codes = enc.indices.to_numpy()
    modified = models.column("last_modified").cast(pa.int64()).to_numpy(zero_copy_only=False)
    modified = np.where(np.isnan(modified.astype(float)), -(2**62), modified).astype(np.int64)
    order = np.lexsort((np.arange(len(codes)), modified, codes))  # by id, then time, then position
    last = np.ones(len(order), dtype=bool)
    last[:-1] = codes[order][1:] != codes[order][:-1]
    keep_rows = np.sort(order[last])
    counts = np.bincount(codes)
    examples = [str(enc.dictionary[i]) for i in np.flatnonzero(counts > 1)[:_EXAMPLES]]
    n_dropped = len(codes) - len(keep_rows)
    kept = np.zeros(len(codes), dtype=bool)
    kept[keep_rows] = True
    new_pos = np.cumsum(kept) - 1
    models = models.take(pa.array(keep_rows))
    if edges.num_rows:
        row = edges.column("row").to_numpy(zero_copy_only=False)
        is_rec = ~np.isnan(row.astype(float))
        r = np.where(is_rec, row, 0).astype(np.int64)
        keep_e = ~is_rec | kept[r]
        edges = edges.filter(pa.array(keep_e))
        row2 = edges.column("row").to_numpy(zero_copy_only=False)
        is_rec2 = ~np.isnan(row2.astype(float))
        new_row = np.where(is_rec2, new_pos[np.where(is_rec2, row2, 0).astype(np.int64)], -1)
        edges = edges.set_column(4, "row", pa.array(new_row, mask=~is_rec2, type=pa.int64()))
    return models, edges, n_dropped, examples


def _bare_models(edges: pa.Table) -> pa.Table:
    named = pc.unique(pa.concat_arrays([edges.column(c).combine_chunks() for c in ("parent", "child")]))
    id_arr = named.take(pc.sort_indices(named))
    cols = {name: pa.nulls(len(id_arr), MODEL_SCHEMA.field(name).type) for name in MODEL_SCHEMA.names}
    cols["id"] = id_arr
    authors = [s.split("/", 1)[0] if "/" in s else None for s in id_arr.to_pylist()]
    cols["author"] = pa.array(authors, pa.string())
    for name in ("languages", "datasets", "tags"):
        cols[name] = pa.array([[]] * len(id_arr), pa.list_(pa.string()))
    return pa.table(cols, schema=MODEL_SCHEMA)


# ---------------------------------------------------------------------------- disk
def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def is_snapshot_dir(path: Path) -> bool:
    """Whether ``path`` holds an hftree snapshot (its manifest says so): the only thing ``--force`` replaces."""
    return is_hftree_dir(path, _MANIFEST, "hftree-snapshot")


@bulk_allocations()  # as the import: Parquet encoding allocates from the system allocator
def _write(snap: Snapshot, path: Path, *, overwrite: bool) -> Path:
    manifest = dict(snap.manifest)

    def build(tmp: Path) -> None:
        files = {}
        tables = {"models": (snap.models, MODEL_SCHEMA), "edges": (snap.edges, EDGE_SCHEMA)}
        if snap.cards is not None:
            tables["cards"] = (snap.cards, CARD_SCHEMA)
        for name, (df, schema) in tables.items():
            cols = [c for c in df.columns if c not in schema.names]
            table = pa.Table.from_pandas(df[[*schema.names, *cols]], preserve_index=False)
            table = table.cast(pa.schema([*schema, *[table.schema.field(c) for c in cols]]))
            pq.write_table(table, tmp / f"{name}.parquet", compression="zstd", compression_level=1)
            files[name] = {"file": f"{name}.parquet", "rows": table.num_rows}
        manifest["files"] = files
        manifest["written_at"] = _now()
        with open(tmp / _MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2, default=str)
            fh.flush()
            os.fsync(fh.fileno())

    out = replace_dir(path, build, is_ours=is_snapshot_dir, what="an hftree snapshot", overwrite=overwrite)
    snap.manifest = manifest
    return out


@bulk_allocations()  # as the import: the allocator that is cheaper on fresh memory (hftree/_memory.py)
def load_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Load a snapshot directory written by :meth:`Snapshot.save` (or ``hftree import``).

    Raises
    ------
    SnapshotError
        If the directory is missing, has no complete manifest, was written by
        a newer schema version, or a table is missing or has the wrong row count.
    """
    path = Path(path)
    mpath = path / _MANIFEST
    recover_dir(path)  # a write killed between its renames: the previous snapshot is put back
    if not path.is_dir():
        raise SnapshotError(f"{path} is not a snapshot directory (run `hftree import ... -o {path}` first)")
    if not mpath.exists():
        raise SnapshotError(
            f"{path} has no {_MANIFEST}: not a snapshot, or an interrupted write; re-run the import"
        )
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{mpath}: manifest is not valid JSON ({exc}); re-run the import") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != "hftree-snapshot":
        raise SnapshotError(f"{mpath}: not an hftree snapshot manifest")
    version = manifest.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version > SCHEMA_VERSION:
        raise SnapshotError(
            f"{mpath}: schema version {version!r} is newer than this hftree understands "
            f"({SCHEMA_VERSION}); upgrade hftree"
        )
    files = check_manifest(manifest, mpath)
    tables: dict[str, pd.DataFrame] = {}
    for name, info in files.items():
        fpath = table_path(path, info["file"], mpath)
        try:
            table = pq.read_table(fpath)
        except (OSError, pa.ArrowInvalid) as exc:
            raise SnapshotError(f"{fpath}: cannot read ({exc}); the snapshot is damaged, re-run the import") from exc
        if table.num_rows != info["rows"]:
            raise SnapshotError(
                f"{fpath}: has {table.num_rows} rows, manifest says {info['rows']}; the snapshot is damaged"
            )
        tables[name] = to_pandas(check_table(name, table, fpath, version=version))
    for required in ("models", "edges"):
        if required not in tables:
            raise SnapshotError(f"{mpath}: lists no {required} table; the snapshot is damaged")
    if version < 2:
        upgrade_v1(tables["models"], tables["edges"], manifest)
    return Snapshot(models=tables["models"], edges=tables["edges"], cards=tables.get("cards"), manifest=manifest)
