"""The fast path for big JSON Lines dumps: DuckDB parses, Python derives.

DuckDB's JSON reader (C++, multi-threaded) extracts the per-record values that
:class:`~hftree.ingest.records.RecordBatcher` would, for every *regular* record:
each field of the JSON type the Hub uses (checked on the field's JSON text, so
DuckDB never silently turns ``false`` into ``"false"``), ``cardData`` an object
whose ``license``/``language``/``datasets``/``base_model`` are strings or flat
lists of strings. Both paths then meet in :func:`hftree.ingest.records.assemble`,
so the semantics live in one place; a property test fuzzes the two against each
other (``tests/ingest/test_fastjson_fuzz.py``).

Irregular records (a number where a list belongs, a snake_case dump, a YAML
``card_data``) are picked out of the file by position and normalised by the
Python reader, then put back in file order; a file where more than a few
thousand records (or 2 %) are irregular is handed to the Python reader whole.
The fields hftree does not model (``extra``) are kept too: the main scan writes them for records whose
key list is one of those among the file's first records that have the usual unmodelled fields (a Hub
listing has one or a few key lists, all with ``_id``), and a second,
concurrent scan recognises each record's key list by DuckDB's 64-bit ``hash`` of it and rewrites only the
others with ``json_merge_patch`` (a record of another key list whose hash equalled a sampled one would get
a wrong ``extra``; at 2^-64 per pair this is accepted).

If DuckDB is not installed, or rejects the file (malformed JSON, invalid UTF-8,
truncated gzip), the caller falls back to the Python reader, which reports the
exact file and line.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hftree._progress import progress_bar, show_progress
from hftree.ingest.columns import Issues, Raw, assemble, string_layout
from hftree.ingest.fastcheck import beyond_python, check_suspects
from hftree.ingest.records import KNOWN_KEYS, RELATION_SYNONYMS

__all__ = ["available", "read_jsonl_duckdb"]

_PATCH = "{" + ",".join(f'"{k}":null' for k in sorted(KNOWN_KEYS)) + "}"


def available() -> bool:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return False
    return True


# snake_case spelling -> the camelCase field that takes precedence over it (see records._ALIASES)
_SNAKE = {"created_at": "createdAt", "last_modified": "lastModified", "downloads_all_time": "downloadsAllTime",
          "pipelineTag": "pipeline_tag", "libraryName": "library_name", "card_data": "cardData",
          "base_models": "baseModels"}

# Every field is read as JSON text (DuckDB would silently turn ``false`` into the string "false", or
# "12" into 12, where the Python reader reports a bad value); the checks below look at that text:
# JSON null is SQL NULL, and the text is minified, so its first character gives the type.


def _q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _str_field(x: str) -> tuple[str, str]:
    """(is-regular condition, value) of a field that must be a JSON string or null."""
    return f"({x} IS NULL OR starts_with({x}::VARCHAR, '\"'))", f"({x}->>'$')"


def _int_field(x: str) -> tuple[str, str]:
    """An integer written plainly (no sign tricks, exponent or fraction), or null."""
    val = f"TRY_CAST({x}::VARCHAR AS BIGINT)"
    return f"({x} IS NULL OR {val}::VARCHAR = {x}::VARCHAR)", val


def _bool_field(x: str) -> tuple[str, str]:
    return f"({x} IS NULL OR {x}::VARCHAR IN ('true', 'false'))", f"({x}::VARCHAR = 'true')"


def _list_field(x: str) -> tuple[str, str]:
    """A string or a flat list of strings (no nulls); the value is a VARCHAR[]."""
    ok = (f"({x} IS NULL OR CASE json_structure({x}) WHEN '\"VARCHAR\"' THEN TRUE WHEN '[\"VARCHAR\"]' THEN TRUE "
          f"WHEN '[\"NULL\"]' THEN {x}::VARCHAR = '[]' ELSE FALSE END)")
    val = (f"(CASE WHEN starts_with({x}::VARCHAR, '[') THEN TRY_CAST({x} AS VARCHAR[]) "
           f"WHEN {x} IS NOT NULL THEN [{x}->>'$'] END)")
    return ok, val


_COLUMNS = {
    **{k: "JSON" for k in ("id", "author", "createdAt", "lastModified", "downloads", "downloadsAllTime", "likes",
                           "pipeline_tag", "library_name", "tags", "gated", "private", "modelId", "model_id")},
    "cardData": "STRUCT(license JSON, license_name JSON, language JSON, datasets JSON, base_model JSON, "
                "base_model_relation JSON)",
    "safetensors": "STRUCT(total JSON)",
    "baseModels": "STRUCT(relation JSON, models JSON)",
    **{k: "JSON" for k in _SNAKE},
}


def hub_models_ok(m: str) -> str:
    """SQL: ``baseModels.models`` (JSON) is null or a list of objects whose ``id`` is a non-blank string."""
    return (f"({m} IS NULL OR (json_type({m}) = 'ARRAY' AND "
            f"len(list_filter(json_type({m}, '$[*].id'), lambda t: t = 'VARCHAR')) = json_array_length({m}) AND "
            f"len(list_filter(json_extract_string({m}, '$[*].id'), lambda x: trim(x) <> '')) = "
            f"json_array_length({m})))")


def _query(path: str, compression: str, unknown: Sequence[str] = ()) -> str:
    """The main scan; with ``unknown`` fields (not modelled by hftree), column ``xg`` is the ``extra``
    text of a record whose unmodelled fields are exactly those, in that order (see :func:`_plan_shapes`)."""
    c = '"cardData"'
    checks = ["starts_with(id::VARCHAR, '\"')", "id::VARCHAR <> '\"\"'"]
    values: dict[str, str] = {}  # output column -> its SQL expression (besides ``regular`` and ``id``)

    def add(kind, expr: str, name: str) -> None:
        ok, val = kind(expr)
        checks.append(ok)
        values[name] = val

    for field, name in (("createdAt", "created"), ("lastModified", "modified"), ("pipeline_tag", "ptag"),
                        ("library_name", "lib")):
        add(_str_field, _q(field), name)
    for field, name in (("downloads", "downloads"), ("downloadsAllTime", "dl_all"), ("likes", "likes")):
        add(_int_field, _q(field), name)
    add(_int_field, "safetensors.total", "parameters")
    add(_bool_field, "private", "private")
    add(_list_field, f"{c}.language", "card_language")
    add(_list_field, f"{c}.datasets", "card_datasets")
    add(_list_field, f"{c}.base_model", "card_base_model")
    lic_ok, lic_val = _list_field(f"{c}.license")
    checks.append(lic_ok)
    values["card_license"] = f"{lic_val}[1]"
    # any JSON type is fine for these two: the Python reader ignores what is not a string
    values["card_license_name"] = (f"CASE WHEN starts_with({c}.license_name::VARCHAR, '\"') THEN "
                                   f"{c}.license_name->>'$' END")
    values["card_relation"] = (f"CASE WHEN starts_with({c}.base_model_relation::VARCHAR, '\"') THEN "
                               f"{c}.base_model_relation->>'$' END")
    # baseModels (the Hub's lineage): a string relation, a list of objects with a non-empty string id
    rel, mods = '"baseModels".relation', '"baseModels".models'
    checks.append(f"({rel} IS NULL OR starts_with({rel}::VARCHAR, '\"'))")
    values["hub_relation"] = f"({rel}->>'$')"
    checks.append(hub_models_ok(mods))
    values["hub_parents"] = f"json_extract_string({mods}, '$[*].id')"
    # author: the record's, else the owner part of "owner/name"
    checks.append(_str_field("author")[0])
    values["author"] = "COALESCE(author->>'$', CASE WHEN contains(id->>'$', '/') THEN split_part(id->>'$', '/', 1) END)"
    # tags: a flat list of strings, or null. Casting is lenient (``[1, true]`` becomes ["1", "true"]), so
    # the JSON text's length is kept, to be checked against the list's in NumPy (see _tags_ok); -1 where
    # the text has an escape, whose length says nothing (such rows go to the Python reader)
    values["tags"] = "TRY_CAST(tags AS VARCHAR[])"
    values["tags_text"] = "CASE WHEN contains(tags::VARCHAR, '\\') THEN -1 ELSE strlen(tags::VARCHAR) END"
    # gated: false, or "auto"/"manual" (true when a non-empty string)
    checks.append("(gated IS NULL OR gated::VARCHAR IN ('true', 'false') OR starts_with(gated::VARCHAR, '\"'))")
    values["gated"] = ("(CASE WHEN gated::VARCHAR = 'true' THEN TRUE WHEN gated::VARCHAR = 'false' THEN FALSE "
                       "ELSE (gated->>'$') <> '' END)")
    # a snake_case spelling only matters where the camelCase one is absent
    checks += [f'("{k}" IS NULL OR "{v}" IS NOT NULL)' for k, v in _SNAKE.items()]
    regular = " AND ".join(checks)
    if unknown:  # the extra text of a record holding exactly these unknown fields, in this order
        import orjson

        pieces = [_lit(("{" if i == 0 else ",") + orjson.dumps(key).decode() + ":") + " || "
                  + f"COALESCE({_q(key)}::VARCHAR, 'null')" for i, key in enumerate(unknown)]
        values["xg"] = " || ".join(pieces) + " || '}'"
    cols = {**_COLUMNS, **dict.fromkeys(unknown, "JSON")}
    columns = "{" + ", ".join(f"{_lit(k)}: '{v}'" for k, v in cols.items()) + "}"
    # irregular records keep only their id (to line them up with the file); the Python reader does the rest
    inner = ", ".join(f"{expr} AS {name}" for name, expr in values.items())
    outer = ", ".join(f"CASE WHEN regular THEN {name} END AS {name}" for name in values)
    return f"""
SELECT regular, id, {outer} FROM (
SELECT COALESCE({regular}, FALSE) AS regular, id->>'$' AS id, {inner}
FROM read_json('{path}', format='newline_delimited', compression='{compression}', columns={columns}))
"""


def _extra_query(path: str, compression: str, hashes: Sequence[int] = ()) -> str:
    """The second scan: the fields hftree does not model, as JSON text.

    A record whose key list hashes to one of ``hashes`` (the key lists the main scan wrote ``extra`` for)
    only returns the hash; the others get ``json_merge_patch`` with every modelled key removed, which
    costs more (2 M records: 5.3 against 8.3 CPU-s in one measurement).
    """
    merge = f"NULLIF(json_merge_patch(j, '{_PATCH}')::VARCHAR, '{{}}')"
    source = f"read_ndjson_objects('{path}', compression='{compression}') t(j)"
    # records DuckDB reads and orjson may refuse (NaN, Infinity, more than 1024 levels), counted
    # generously over the whole text: their text is tried with orjson (see fastcheck.check_suspects)
    suspect = ("CASE WHEN contains(j, 'NaN') OR contains(j, 'Infinity') OR (strlen(j) >= 2048 AND "
               "strlen(j) - strlen(replace(replace(j, '[', ''), '{', '')) >= 1000) THEN j::VARCHAR END AS suspect")
    if not hashes:
        return f"SELECT NULL::UBIGINT AS h, {merge} AS extra, {suspect} FROM {source}"
    known = ", ".join(f"{h}::UBIGINT" for h in hashes)
    return (f"SELECT h, CASE WHEN h IN ({known}) THEN NULL ELSE {merge} END AS extra, {suspect} "
            f"FROM (SELECT j, hash(json_keys(j)) AS h FROM {source})")


_SAMPLE_LINES = 2_000  # records whose key lists are taken as the file's shapes
_MAX_UNKNOWN = 32  # unknown fields read as columns by the main scan


def _sample_shapes(path: Path) -> list[tuple[str, ...]]:
    """The key lists (in file order) of the first records, most frequent first."""
    import itertools
    import zlib

    import orjson

    from hftree.ingest.jsonl import open_jsonl

    counts: dict[tuple[str, ...], int] = {}
    try:
        with open_jsonl(path) as fh:
            for line in itertools.islice(fh, _SAMPLE_LINES):
                try:
                    rec = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(rec, dict):
                    key = tuple(rec)
                    counts[key] = counts.get(key, 0) + 1
    except (OSError, EOFError, zlib.error):  # the scans will report it
        return []
    return sorted(counts, key=lambda k: -counts[k])


def _plan_shapes(samples: list[tuple[str, ...]]) -> tuple[list[str], list[tuple[str, ...]]]:
    """The unknown fields of the most frequent sampled key list, and the sampled key lists that have
    exactly those unknown fields, in that order: the records whose ``extra`` the main scan can write.

    DuckDB matches column names without regard to case, so unknown fields that differ from another column
    only in case (or repeat) are left to ``json_merge_patch``.
    """
    if not samples:
        return [], []
    unknown = [k for k in samples[0] if k not in KNOWN_KEYS]
    folded = [k.casefold() for k in unknown]
    if len(unknown) > _MAX_UNKNOWN or len(set(folded)) != len(folded) \
            or set(folded) & {k.casefold() for k in _COLUMNS}:
        unknown = []
    covered = [s for s in samples if [k for k in s if k not in KNOWN_KEYS] == unknown]
    return unknown, covered


def _shape_hashes(shapes: list[tuple[str, ...]]) -> list[int]:
    """DuckDB's ``hash`` of each key list, as ``hash(json_keys(j))`` computes it."""
    if not shapes:
        return []
    import duckdb

    con = duckdb.connect()
    try:
        return [int(con.sql(f"SELECT hash([{', '.join(_lit(k) for k in shape)}]::VARCHAR[])").fetchall()[0][0])
                for shape in shapes]
    finally:
        con.close()


class Irregular(ValueError):
    """The file has records the fast path does not take; read it with the Python reader."""


def _pairs(lists: pa.ListArray, *, lower: bool) -> tuple[np.ndarray, pa.Array]:
    """(row, value) pairs of a list column, stripped (and lower-cased), empty values dropped."""
    vals = pc.utf8_trim_whitespace(lists.flatten())
    if lower:
        vals = pc.utf8_lower(vals)
    rows = lists.value_parent_indices().to_numpy()
    keep = pc.not_equal(vals, "").to_numpy(zero_copy_only=False)
    return rows[keep].astype(np.int64), vals.filter(pa.array(keep))


def _relations(rel: pa.Array, ids: pa.Array, issues: Issues) -> tuple[np.ndarray, np.ndarray]:
    """Rows with a ``cardData.base_model_relation`` and its normalised value; unknown values reported."""
    has_rel = pc.is_valid(rel).to_numpy(zero_copy_only=False)
    if not has_rel.any():
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=object)
    rows = np.flatnonzero(has_rel)
    sel = pa.array(has_rel)
    names = pc.utf8_lower(pc.utf8_trim_whitespace(rel.filter(sel))).to_pylist()
    keep_r, keep_v = [], []
    for r, name, orig, mid in zip(rows.tolist(), names, rel.filter(sel).to_pylist(),
                                  ids.filter(sel).to_pylist(), strict=True):
        norm = RELATION_SYNONYMS.get(name)
        if norm is None:
            issues.bad_fields.append(f"{mid}: cardData.base_model_relation: unknown value {orig!r} ignored")
        else:
            keep_r.append(r)
            keep_v.append(norm)
    return np.array(keep_r, dtype=np.int64), np.array(keep_v, dtype=object)


def read_jsonl_duckdb(
    path: str | os.PathLike[str], *, progress: bool | None = None
) -> tuple[pa.Table, pa.Table, Issues]:
    """Read a JSON Lines file of Hub records with DuckDB (see the module docstring).

    Irregular records (a field of an unexpected JSON type, a snake_case dump, ...)
    are picked out of the file and normalised by the Python reader, then put back
    in their place. Raises :class:`Irregular` when too many records are irregular
    for that to pay off, and whatever DuckDB raises on unreadable input; callers
    fall back to :func:`hftree.ingest.jsonl.read_jsonl` in both cases.
    """
    import duckdb

    path = Path(path)
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    escaped = str(path).replace("'", "''")
    comp = "gzip" if gz else "none"

    bar = _Progress(path.name) if show_progress(progress) else None

    def run(sql: str, share: float = 0.0) -> pa.Table:
        con = duckdb.connect()
        try:
            con.execute(f"SET threads={os.cpu_count() or 1}")
            con.execute("SET preserve_insertion_order=true")
            con.execute("SET enable_progress_bar_print=false")  # DuckDB's own bar would go to stdout
            if bar is None or not share:
                return con.sql(sql).to_arrow_table()
            with bar.follow(con, share):
                return con.sql(sql).to_arrow_table()
        finally:
            con.close()

    try:
        return _read(path, escaped, comp, run, bar)
    finally:
        if bar is not None:
            bar.close()


def _read(path: Path, escaped: str, comp: str, run, bar: _Progress | None) -> tuple[pa.Table, pa.Table, Issues]:
    # the key lists of the first records: their unknown fields are read by the main scan, so the second
    # scan only has to recognise each record's key list (a hash) instead of rewriting every record
    unknown, covered = _plan_shapes(_sample_shapes(path))
    hashes = _shape_hashes(covered)
    t = run(_query(escaped, comp, unknown), 0.6)
    n = t.num_rows
    batches, schema = t.to_batches(), t.schema  # DuckDB's chunks, one by one: joining them would copy
    del t
    main_extra = (pa.chunked_array([b.column("xg") for b in batches], type=pa.string()) if unknown
                  else pa.chunked_array([pa.nulls(n, pa.string())]))
    # irregular records: flagged in SQL, or tags that did not cast faithfully
    flagged, start = [], 0
    for b in batches:
        flagged.append(np.flatnonzero(~_regular(b)) + start)
        start += b.num_rows
    odd = np.concatenate(flagged) if flagged else np.empty(0, np.int64)
    if len(odd) > max(_MAX_ODD, n // 50):
        raise Irregular(f"{path}: {len(odd):,} of {n:,} records need the Python reader")
    # the second scan (unmodelled fields) runs in DuckDB's threads while Python assembles the first
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1)
    extra_future = pool.submit(run, _extra_query(escaped, comp, hashes))
    try:
        issues = Issues()  # irregular rows are all nulls here: no values, no edges, no findings
        models, edges, odd_ids = _assemble_batches(batches, schema, odd, issues)
        del batches
        if bar is not None:
            bar.to(0.85)
        if len(odd):
            models, edges = _put_back(path, odd, odd_ids, models, edges, issues)
        second = extra_future.result()
    finally:
        pool.shutdown(wait=True)
    if second.num_rows != n:  # pragma: no cover - both scans read the same lines
        raise Irregular(f"{path}: the two scans disagree on the number of records")
    check_suspects(path, second.column("suspect"), Irregular)
    extra = second.column("extra")
    if hashes:  # records of a covered key list: the main scan's text
        extra = _where(np.isin(second.column("h").to_numpy(), np.array(hashes, dtype=np.uint64)), main_extra, extra)
    del second, main_extra
    if len(odd):  # the Python reader made the extra fields of its records
        keep = np.ones(n, dtype=bool)
        keep[odd] = False
        extra = _where(keep, extra, models.column("extra"))
    if beyond_python(extra):
        raise Irregular(f"{path}: unknown fields the Python reader does not accept (NaN, deep nesting)")
    models = models.set_column(models.schema.get_field_index("extra"), "extra", extra)
    if bar is not None:
        bar.to(1.0)
    return models, edges, issues


def _where(mask: np.ndarray, a: pa.ChunkedArray, b: pa.ChunkedArray) -> pa.ChunkedArray:
    """``a`` where ``mask``, else ``b`` (``a`` itself when the mask is all true)."""
    return a if mask.all() else pc.if_else(pa.array(mask), a, b)


def _regular(b: pa.RecordBatch) -> np.ndarray:
    """Rows of a batch the fast path takes: regular in SQL, and tags that are a flat list of strings.

    ``TRY_CAST(tags AS VARCHAR[])`` renders a non-string item as its JSON text, which lacks the two
    quotes a string item has, so a list of ``k`` items with ``b`` bytes of items is a flat list of
    strings exactly when its (minified, escape-free) JSON text has ``b + 3k + 1`` bytes (2 if empty).
    """
    ok = b.column(b.schema.get_field_index("regular")).to_numpy(zero_copy_only=False).astype(bool)
    text = b.column(b.schema.get_field_index("tags_text"))
    if text.null_count == len(text):
        return ok
    tags = b.column(b.schema.get_field_index("tags"))
    has = text.is_valid().to_numpy(zero_copy_only=False)
    text_len = text.fill_null(0).to_numpy()
    offs = tags.offsets.to_numpy().astype(np.int64)
    k = np.diff(offs)
    voffs, _ = string_layout(tags.values)
    nbytes = voffs[offs[1:]].astype(np.int64) - voffs[offs[:-1]]
    expect = np.where(k > 0, nbytes + 3 * k + 1, 2)
    listed = tags.is_valid().to_numpy(zero_copy_only=False)
    bad = has & (~listed | (text_len != expect))
    if tags.values.null_count:  # a JSON null item
        item_null = ~tags.values.is_valid().to_numpy(zero_copy_only=False)
        rows = np.searchsorted(offs, np.flatnonzero(item_null), side="right") - 1
        bad[rows[(rows >= 0) & (rows < len(bad))]] = True
    return ok & ~bad


class _Progress:
    """A progress bar (stderr) fed by DuckDB's progress of the running scan."""

    def __init__(self, name: str) -> None:
        self._bar = progress_bar(True, desc=f"reading {name}", total=100, unit="%",
                                 bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]")

    def to(self, fraction: float) -> None:
        step = round(100 * fraction - self._bar.n, 1)
        if step > 0:
            self._bar.update(step)

    @contextlib.contextmanager
    def follow(self, con, share: float):
        """Advance by ``share`` of the bar as the query on ``con`` runs (polled in a thread)."""
        import threading

        start = self._bar.n / 100
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(0.25):
                try:
                    pct = con.query_progress()
                except Exception:  # the query may just have finished
                    return
                if pct >= 0:
                    self.to(start + share * pct / 100)

        con.execute("SET enable_progress_bar=true")
        th = threading.Thread(target=poll, daemon=True)
        th.start()
        try:
            yield
        finally:
            stop.set()
            th.join()
            self.to(start + share)

    def close(self) -> None:
        self._bar.close()


_MAX_ODD = 5_000  # irregular records picked out of a file (or 2 % of it, if more)


def _assemble_batches(
    batches: list[pa.RecordBatch], schema: pa.Schema, odd: np.ndarray, issues: Issues,
) -> tuple[pa.Table, pa.Table, list]:
    """:func:`~hftree.ingest.records.assemble` batch by batch, as DuckDB made them; the irregular
    rows (``odd``) are emptied first, so they add no values, edges or findings. Also returns their ids."""
    model_parts, edge_parts, odd_ids, offset = [], [], [], 0
    for batch in batches:
        lo, hi = np.searchsorted(odd, [offset, offset + batch.num_rows])
        if hi > lo:
            batch, ids = _emptied(batch, odd[lo:hi] - offset)
            odd_ids += ids
        m, e = assemble(_raw(pa.Table.from_batches([batch]), issues), issues)
        if offset and e.num_rows:
            i = e.schema.get_field_index("row")
            e = e.set_column(i, "row", pc.add(e.column(i), offset))
        model_parts.append(m)
        edge_parts.append(e)
        offset += batch.num_rows
    if not model_parts:  # an empty result has no batches
        m, e = assemble(_raw(schema.empty_table(), issues), issues)
        model_parts, edge_parts = [m], [e]
    return pa.Table.from_batches(model_parts), pa.Table.from_batches(edge_parts), odd_ids


def _emptied(batch: pa.RecordBatch, rows: np.ndarray) -> tuple[pa.RecordBatch, list]:
    """The batch with every value but the id nulled in ``rows``, and the ids of those rows."""
    mask = np.zeros(batch.num_rows, dtype=bool)
    mask[rows] = True
    where = pa.array(mask)
    cols = [c if name == "id" else pc.if_else(where, pa.scalar(None, c.type), c)
            for name, c in zip(batch.schema.names, batch.columns, strict=True)]
    return pa.RecordBatch.from_arrays(cols, schema=batch.schema), batch.column("id").take(pa.array(rows)).to_pylist()


def _raw(t: pa.Table, issues: Issues) -> Raw:
    """The fast path's columns, as :func:`~hftree.ingest.records.assemble` takes them."""

    def col(name: str) -> pa.Array:
        c = t.column(name)
        return c.chunk(0) if c.num_chunks == 1 else c.combine_chunks()

    lang_rows, lang_vals = _pairs(col("card_language"), lower=True)
    ds_rows, ds_vals = _pairs(col("card_datasets"), lower=False)
    bm_rows, bm_vals = _pairs(col("card_base_model"), lower=False)
    rel_rows, rel_vals = _relations(col("card_relation"), col("id"), issues)
    hub = hub_fields(col("hub_parents"), col("hub_relation"), col("id"), issues) if "hub_parents" in t.column_names \
        else {}
    lic = pc.utf8_lower(pc.utf8_trim_whitespace(col("card_license")))
    lic = pc.if_else(pc.equal(lic, ""), pa.scalar(None, pa.string()), lic)
    lic_name = pc.if_else(pc.equal(lic, "other"), col("card_license_name"), pa.scalar(None, pa.string()))
    return Raw(
        ids=col("id"), author=col("author"), created_at=col("created"), last_modified=col("modified"),
        downloads=col("downloads"), downloads_all_time=col("dl_all"), likes=col("likes"),
        pipeline_tag=col("ptag"), library_name=col("lib"), license=lic, license_name=lic_name,
        parameters=col("parameters"), gated=col("gated"), private=col("private"),
        extra=pa.nulls(t.num_rows, pa.string()),
        tags=col("tags"), card_lang_rows=lang_rows, card_lang=lang_vals, card_ds_rows=ds_rows, card_ds=ds_vals,
        card_base_rows=bm_rows, card_base=bm_vals, card_rel_rows=rel_rows, card_rel=rel_vals, **hub,
    )


def hub_fields(parents: pa.ListArray, relation: pa.Array, ids: pa.Array, issues: Issues) -> dict:
    """The ``hub_*`` fields of :class:`~hftree.ingest.columns.Raw` from a list column of ``baseModels``
    parent ids and the (raw) relation of each row; relations hftree does not know are reported."""
    rows = parents.value_parent_indices().to_numpy().astype(np.int64)
    has = pc.is_valid(relation).to_numpy(zero_copy_only=False)
    rel_rows = np.flatnonzero(has).astype(np.int64)
    raw = relation.filter(pa.array(has))
    names = pc.utf8_lower(pc.utf8_trim_whitespace(raw))
    keys = pa.array(list(RELATION_SYNONYMS), pa.string())
    norm = pa.array(list(RELATION_SYNONYMS.values()), pa.string()).take(pc.index_in(names, value_set=keys))
    unknown = pc.is_null(norm).to_numpy(zero_copy_only=False)
    if unknown.any():
        bad_ids = ids.take(pa.array(rel_rows[unknown])).to_pylist()
        for mid, v in zip(bad_ids, raw.filter(pa.array(unknown)).to_pylist(), strict=True):
            issues.bad_fields.append(f"{mid}: baseModels.relation: unknown value {v!r} ignored")
    return {"hub_rows": rows, "hub_parents": parents.flatten(), "hub_rel_rows": rel_rows,
            "hub_rel": pc.fill_null(norm, "unknown")}


def _put_back(
    path: Path, odd: np.ndarray, odd_ids: list, models: pa.Table, edges: pa.Table, issues: Issues,
) -> tuple[pa.Table, pa.Table]:
    """Normalise the irregular records with the Python reader and merge them back in file order."""
    import orjson

    from hftree.ingest.jsonl import lines_of_records
    from hftree.ingest.records import RecordBatcher

    texts, lines = lines_of_records(path, odd)
    try:
        recs = [orjson.loads(x) for x in texts]
    except orjson.JSONDecodeError:  # DuckDB is laxer (NaN, deeper nesting): the Python reader decides
        raise Irregular(f"{path}: a record DuckDB read is not JSON the Python reader accepts") from None
    if len(recs) != len(odd) or any(
        isinstance(r, dict) and isinstance(r.get("id"), str) and r["id"] != mid
        for r, mid in zip(recs, odd_ids, strict=True)
    ):  # pragma: no cover - DuckDB and Python count records alike (tested with blank lines)
        raise Irregular(f"{path}: could not line up the records DuckDB flagged")
    batcher = RecordBatcher(str(path), "raise")
    m_odd, e_odd = batcher.records(recs, lines)  # raises InputFormatError, naming file and line, on bad records
    issues.merge(batcher.issues)
    # the fast path's rows between the irregular ones, and each Python row in its place: slices, no copy
    m_odd = pa.Table.from_batches([m_odd], schema=models.schema)
    pieces, prev = [], 0
    for j, i in enumerate(odd.tolist()):
        pieces += [models.slice(prev, i - prev), m_odd.slice(j, 1)]
        prev = i + 1
    merged = pa.concat_tables([*pieces, models.slice(prev)])
    e = pa.concat_tables([edges, pa.Table.from_batches([e_odd])])
    row = np.concatenate([edges.column("row").to_numpy(),
                          odd[e_odd.column("row").to_numpy(zero_copy_only=False)]]).astype(np.int64)
    e = e.set_column(e.schema.get_field_index("row"), "row", pa.array(row))
    e = e.take(pa.array(np.argsort(row, kind="stable")))
    return merged, e
