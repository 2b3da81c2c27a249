"""Whole-Hub Parquet dumps at full speed: hub-stats, the weekly snapshots, librarian-bots, modelbiome.

One DuckDB scan (C++, multi-threaded, streaming over row groups) reads a Parquet file of model
records in whatever schema era it comes: the file's schema is read first, and each field hftree
models is taken from the first column that holds it (``id``/``modelId``/``model_id``,
``createdAt``/``created_at``/``creation_time``, …) with an expression fitting the column's type
(``cardData`` as a JSON string or a struct, ``baseModels`` as a struct or JSON, counts as integers,
floats or numeric strings). Absent columns are missing values, never errors; every column hftree does
not model is kept in ``extra`` as a JSON object of its non-null values (``_id``, ``trendingScore``,
``gguf``, ``siblings``, …). The per-record values then go through the same
:func:`~hftree.ingest.columns.assemble` as JSON Lines, batch by batch, so the semantics (licence,
languages, lineage, the placeholder date) live in one place. The scan is a stream: two threads assemble
each batch while DuckDB reads the next ones, and each batch's model columns are copied out of DuckDB's
memory (an imported column keeps its whole batch alive), so the scan never exists whole in memory.

Rows the scan cannot take as they are (a ``cardData`` that is not a JSON object, a field of an
unexpected JSON type, a missing id) are read again by position and normalised by the Python reader
(:class:`~hftree.ingest.records.RecordBatcher`), which reports exactly what it ignored; a file with
more than a few thousand of them (or 2 %), or with a column type the scan does not know, is read by
the Python reader whole. A column of model cards (``card``: librarian-bots; ``modelCard``: modelbiome)
becomes the card table, and where the file has no ``cardData`` the card's YAML front matter stands in
for it. modelbiome's ``*_parent`` columns become edges of source ``table``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hftree._progress import progress_bar, show_progress
from hftree.ingest.columns import Issues
from hftree.ingest.dumpsql import (
    _MAX_ODD,
    _NO_CARD,
    PARENT_COLUMNS,
    DumpTables,
    NotFast,
    _flat_lists,
    _front_matter_records,
    _id_col,
    _odd_lists,
    _parent_edges,
    _parents_sql,
    _pick,
    _plan,
    _query,
    _records,
    never_null_columns,
    parquet_kind,
)
from hftree.ingest.fastjson import _assemble_batches, _lit, _q
from hftree.ingest.records import RecordBatcher
from hftree.schema import CARD_SCHEMA

__all__ = ["DumpTables", "parquet_kind", "read_parquet_dump"]


def read_parquet_dump(path: str | os.PathLike[str], *, on_error: str = "raise", front_matter: bool = True,
                      progress: bool | None = None) -> DumpTables:
    """Read a Parquet file of Hub model records (see the module docstring).

    Parameters
    ----------
    path : path-like
        A hub-stats / weekly ``models.parquet``, a librarian-bots shard, a modelbiome file or any
        Parquet table with a model id column.
    on_error : {"raise", "skip"}
        What the Python reader does with a row that is not a model (no id).
    front_matter : bool
        Where the file has cards but no ``cardData``, read licence, languages, datasets and
        ``base_model`` from each card's YAML front matter.
    progress : bool, optional
        A bar of the models read on stderr (a 3 M-model dump takes 10–20 s on two cores); default:
        when stderr is a terminal.

    Returns
    -------
    DumpTables
        Model rows in file order (duplicates not yet resolved), edges with a ``row`` column, cards.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    schema = pq.read_schema(path)
    try:
        values, extra, parents = _plan(schema, front_matter=front_matter)
    except NotFast:
        return _python_reader(path, schema, on_error, front_matter)
    card_hit = _pick(schema, "card")
    meta = pq.ParquetFile(path).metadata
    query = _query(str(path), values, extra, parents, schema, card_hit[0] if card_hit else None,
                   never_null_columns(meta))
    bar = progress_bar(True, desc=f"reading {path.name}", total=meta.num_rows, unit=" models", unit_scale=True) \
        if show_progress(progress) else None
    try:
        parts = _stream(query, "_cd" in values, parents, card_hit is not None, bar)
    finally:
        if bar is not None:
            bar.close()
    n = sum(p.rows for p in parts)
    if not n:
        from hftree.errors import InputFormatError

        raise InputFormatError("table has no rows", path=str(path))
    odd = np.concatenate([p.odd + p.start for p in parts])
    if len(odd) > max(_MAX_ODD, n // 50):
        return _python_reader(path, schema, on_error, front_matter)
    issues = Issues()
    for p in parts:  # front matter findings first, then the assembly's: the order of one whole-file pass
        issues.merge(p.fm_issues)
    for p in parts:
        issues.merge(p.issues)
    models = pa.concat_tables([p.models for p in parts])
    edges = pa.concat_tables([p.edges for p in parts])
    table_edges = pa.concat_tables([p.table_edges for p in parts])
    cards = pa.concat_tables([p.cards for p in parts]) if card_hit else None
    del parts
    if len(odd):
        models, edges = _put_back(path, odd, models, edges, issues, on_error, front_matter)
    if table_edges.num_rows:
        edges = pa.concat_tables([edges, table_edges])
    return DumpTables(models, edges, cards, issues)


#: rows per batch of the scan's stream; batches in flight at most (memory stays bounded)
_BATCH = 131_072
_IN_FLIGHT = 4


@dataclass
class _Part:
    """One batch of the scan, assembled: models, edges (``row`` in the file), findings, odd rows."""

    start: int
    rows: int
    models: pa.Table
    edges: pa.Table
    table_edges: pa.Table
    cards: pa.Table | None
    odd: np.ndarray
    issues: Issues
    fm_issues: Issues


def _stream(query: str, has_card_data: bool, parents: list[str], has_card: bool, bar: Any = None) -> list[_Part]:
    """Run the scan as a stream of batches (DuckDB's threads) and assemble each batch on a pool of
    two threads while DuckDB reads the next ones: the scan and the assembly overlap. ``bar`` (a
    progress bar, optional) counts the rows of each batch assembled."""
    from concurrent.futures import Future, ThreadPoolExecutor

    import duckdb

    con = duckdb.connect()
    pending: list[Future[_Part]] = []
    out: list[_Part] = []

    def done(f: Future[_Part]) -> None:
        out.append(f.result())
        if bar is not None:
            bar.update(out[-1].rows)

    try:
        con.execute(f"SET threads={os.cpu_count() or 1}")
        con.execute("SET preserve_insertion_order=true")
        con.execute("SET enable_progress_bar_print=false")
        reader = con.sql(query).to_arrow_reader(_BATCH)
        start = 0
        with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            for b in reader:
                if not b.num_rows:
                    continue
                pending.append(pool.submit(_part, b, start, has_card_data, parents, has_card))
                start += b.num_rows
                while len(pending) >= _IN_FLIGHT:
                    done(pending.pop(0))
            for f in pending:
                done(f)
    finally:
        con.close()
    return out


def _part(b: pa.RecordBatch, start: int, has_card_data: bool, parents: list[str], has_card: bool) -> _Part:
    """Checks, card fields and :func:`~hftree.ingest.columns.assemble` of one batch of the scan."""
    ok = np.asarray(pc.fill_null(pc.not_equal(b.column(b.schema.get_field_index("id")), ""), False)
                    .to_numpy(zero_copy_only=False), dtype=bool)
    names = b.schema.names
    if has_card_data:
        t = pa.Table.from_batches([b])
        ok &= _flat_lists(t)
        lic = pc.list_element(t.column("card_license").combine_chunks(), 0)
        check = {"cd_ok", *(f"{c}_{x}" for c in ("card_language", "card_datasets", "card_base_model",
                                                   "card_license") for x in ("ok", "len"))}
        cols = {k: b.column(i) for i, k in enumerate(names) if k not in check and k not in _NO_CARD}
        cols |= {k: (lic if k == "card_license" else b.column(names.index(k))) for k in _NO_CARD}
    else:
        cols = {k: b.column(i) for i, k in enumerate(names)}
        cols |= {k: pa.nulls(b.num_rows, typ) for k, typ in _NO_CARD.items()}
    b = pa.RecordBatch.from_pydict(cols)
    ok &= ~_odd_lists(b)
    odd = np.flatnonzero(~ok)
    table_edges = _parent_edges([b], parents)
    if table_edges.num_rows and start:
        table_edges = table_edges.set_column(4, "row", pc.add(table_edges.column("row"), start))
    cards = _cards([b]) if has_card else None
    fm_issues, issues = Issues(), Issues()
    if "fm" in b.schema.names:
        b = _with_front_matter(b, fm_issues)
    m, e, _ = _assemble_batches([b], b.schema, odd, issues)
    m = m.set_column(m.schema.get_field_index("extra"), "extra", b.column(b.schema.get_field_index("xg")))
    if start and e.num_rows:
        e = e.set_column(e.schema.get_field_index("row"), "row", pc.add(e.column("row"), start))
    return _Part(start, b.num_rows, _own(m), e, table_edges, None if cards is None else _own(cards), odd, issues,
                 fm_issues)


def _own(t: pa.Table) -> pa.Table:
    """The table with its columns copied out of DuckDB's batch: a column imported from DuckDB keeps
    the whole batch alive (every column of the scan), a copy lets it go as soon as the batch is done."""
    return pa.table([pa.concat_arrays(c.chunks) if c.num_chunks else c for c in t.columns], schema=t.schema)


def _cards(batches: list[pa.RecordBatch]) -> pa.Table:
    ids = pa.chunked_array([b.column(b.schema.get_field_index("id")) for b in batches], pa.string())
    text = pa.chunked_array([b.column(b.schema.get_field_index("card")) for b in batches], pa.string())
    t = pa.table({"id": ids, "card": text}, schema=CARD_SCHEMA)
    return t.filter(pc.is_valid(t.column("card")))


def _with_front_matter(b: pa.RecordBatch, issues: Issues) -> pa.RecordBatch:
    """Card fields of a batch from the cards' front matter (small YAML texts, parsed with libyaml)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    fm = b.column(b.schema.get_field_index("fm"))
    rows = np.flatnonzero(pc.is_valid(fm).to_numpy(zero_copy_only=False))
    ids = b.column(b.schema.get_field_index("id"))
    docs: list[Any] = [None] * b.num_rows
    for r, text, mid in zip(rows.tolist(), fm.take(pa.array(rows)).to_pylist(),
                            ids.take(pa.array(rows)).to_pylist(), strict=True):
        try:
            docs[r] = yaml.load(text, Loader=loader)
        except yaml.YAMLError:
            issues.bad_fields.append(f"{mid}: card front matter: not valid YAML, ignored")
    batcher = RecordBatcher("")
    lic, lic_name, card_lang, card_ds, card_base, card_rel = batcher._cards(docs, ids.to_pylist())
    issues.merge(batcher.issues)
    cols = dict(zip(b.schema.names, b.columns, strict=True))
    cols["card_license"] = pa.array(lic, pa.string())
    cols["card_license_name"] = pa.array(lic_name, pa.string())

    def lists(pairs: list[tuple[int, str]] | dict[int, list[str]]) -> pa.Array:
        out: list[list[str] | None] = [None] * b.num_rows
        items = pairs.items() if isinstance(pairs, dict) else ((r, [v]) for r, v in pairs)
        for r, vs in items:
            out[r] = (out[r] or []) + list(vs)
        return pa.array(out, pa.list_(pa.string()))

    cols["card_language"] = lists(card_lang)
    cols["card_datasets"] = lists(card_ds)
    cols["card_base_model"] = lists(card_base)
    rel = [None] * b.num_rows
    for r, v in card_rel.items():
        rel[r] = v
    cols["card_relation"] = pa.array(rel, pa.string())
    return pa.RecordBatch.from_pydict(cols)


def _python_reader(path: Path, schema: pa.Schema, on_error: str, front_matter: bool) -> DumpTables:
    """The whole file through the Python reader (odd column types): slower, never a traceback."""
    import pyarrow.parquet as pq

    from hftree.errors import InputFormatError

    table = pq.read_table(path)
    if table.num_rows == 0:
        raise InputFormatError("table has no rows", path=str(path))
    if _pick(schema, "id") is None:
        raise InputFormatError(
            f"table has no model id column; expected 'id' or 'modelId', found {schema.names[:8]} "
            "(if it is an edge list, pass it with --edges and name its columns with --parent-col/--child-col)",
            path=str(path), field="id")
    recs = _records(table)
    card = _pick(schema, "card")
    cards = None
    if card is not None:
        ids = table.column(_id_col(schema)).cast(pa.string())
        cards = pa.table({"id": ids, "card": table.column(card[0]).cast(pa.string())}, schema=CARD_SCHEMA)
        cards = cards.filter(pc.is_valid(cards.column("card")))
        if front_matter and _pick(schema, "card_data") is None:
            _front_matter_records(recs, table.column(card[0]).to_pylist())
    batcher = RecordBatcher(str(path), on_error)
    m, e = batcher.records(recs, list(range(1, len(recs) + 1)))
    models, edges = pa.Table.from_batches([m]), pa.Table.from_batches([e])
    parents = [n for n in schema.names if n in PARENT_COLUMNS]
    if parents:
        import duckdb

        con = duckdb.connect()
        try:
            sel = ", ".join([f"{_q(_id_col(schema))}::VARCHAR AS id",
                             *(f"{_parents_sql(p, schema.field(p).type)} AS {_q('p_' + p)}" for p in parents)])
            pt = con.sql(f"SELECT {sel} FROM read_parquet({_lit(str(path))})").to_arrow_table()
        finally:
            con.close()
        keep = {mid: i for i, mid in enumerate(models.column("id").to_pylist())}
        te = _parent_edges(pt.to_batches(), parents)
        if len(keep) != pt.num_rows:  # rows the batcher skipped: line the rows up by id
            te = te.filter(pc.is_in(te.column("child"), value_set=models.column("id")))
            te = te.set_column(4, "row", pa.array([keep[c] for c in te.column("child").to_pylist()], pa.int64()))
        edges = pa.concat_tables([edges, te])
    return DumpTables(models, edges, cards, batcher.issues)


def _put_back(path: Path, odd: np.ndarray, models: pa.Table, edges: pa.Table, issues: Issues,
              on_error: str, front_matter: bool) -> tuple[pa.Table, pa.Table]:
    """Normalise the odd rows with the Python reader and put them back in their place."""
    import duckdb

    con = duckdb.connect()
    try:
        rows = pa.table({"r": pa.array(odd, pa.int64())})
        con.register("odd_rows", rows)
        t = con.sql(f"SELECT * EXCLUDE (file_row_number) FROM read_parquet({_lit(str(path))}, "
                    "file_row_number=true) WHERE file_row_number IN (SELECT r FROM odd_rows) "
                    "ORDER BY file_row_number").to_arrow_table()
    finally:
        con.close()
    recs = _records(t)
    card = _pick(t.schema, "card")
    if card is not None and front_matter and _pick(t.schema, "card_data") is None:
        _front_matter_records(recs, t.column(card[0]).to_pylist())
    batcher = RecordBatcher(str(path), on_error)
    m_odd, e_odd = batcher.records(recs, (odd + 1).tolist())
    issues.merge(batcher.issues)
    if m_odd.num_rows != len(odd):  # rows that are not models (no id), skipped: drop them from the scan's
        kept_ids = set(m_odd.column("id").to_pylist())
        all_ids = t.column(_id_col(t.schema)).to_pylist()
        keep_pos = [j for j, mid in enumerate(all_ids) if isinstance(mid, str) and mid in kept_ids]
    else:
        keep_pos = list(range(len(odd)))
    m_t = pa.Table.from_batches([m_odd], schema=models.schema)
    pieces, prev, j = [], 0, 0
    new_index = np.full(len(odd), -1, dtype=np.int64)
    kept = set(keep_pos)
    dropped_before = np.zeros(len(odd) + 1, dtype=np.int64)
    for k, i in enumerate(odd.tolist()):
        pieces.append(models.slice(prev, i - prev))
        if k in kept:
            pieces.append(m_t.slice(j, 1))
            new_index[k] = j
            j += 1
        dropped_before[k + 1] = dropped_before[k] + (k not in kept)
        prev = i + 1
    merged = pa.concat_tables([*pieces, models.slice(prev)])
    # rows after a dropped odd row move up
    shift_scan = dropped_before[np.searchsorted(odd, edges.column("row").to_numpy(), side="right")]
    scan_rows = edges.column("row").to_numpy() - shift_scan
    odd_pos = np.array(keep_pos, dtype=np.int64)[e_odd.column("row").to_numpy(zero_copy_only=False)] \
        if e_odd.num_rows else np.empty(0, np.int64)
    odd_rows = odd[odd_pos] - dropped_before[odd_pos] if len(odd_pos) else odd_pos
    e = pa.concat_tables([edges, pa.Table.from_batches([e_odd])])
    row = np.concatenate([scan_rows, odd_rows]).astype(np.int64)
    e = e.set_column(e.schema.get_field_index("row"), "row", pa.array(row))
    return merged, e.take(pa.array(np.argsort(row, kind="stable")))

