"""The fast path for big JSON Lines dumps: DuckDB parses, Python derives.

DuckDB's JSON reader (C++, multi-threaded) extracts the per-record values that
:class:`~hftree.ingest.records.RecordBatcher` would, for every *regular* record:
camelCase fields of the expected JSON types, ``cardData`` an object whose
``license``/``language``/``datasets``/``base_model`` are strings or flat lists of
strings. Anything else — snake_case dumps, a number where a list belongs, a YAML
``card_data`` — is flagged *irregular* and handed, as its original JSON text, to
the Python normaliser; so the semantics live in one place and the fast path only
accelerates the common case. Both paths then meet in
:func:`hftree.ingest.records.assemble`.

If DuckDB is not installed, or rejects the file (malformed JSON, invalid UTF-8,
truncated gzip), the caller falls back to the Python reader, which reports the
exact file and line.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hftree.ingest.languages import ISO_639_1
from hftree.ingest.records import _KNOWN_KEYS, _RELATION_SYNONYMS, Issues, Raw, assemble

__all__ = ["available", "read_jsonl_duckdb"]

_STRUCT = "{" + ",".join(f'"{k}":"JSON"' for k in sorted(_KNOWN_KEYS)) + "}"
_CARD = '{"license":"JSON","license_name":"JSON","language":"JSON","datasets":"JSON","base_model":"JSON","base_model_relation":"JSON"}'
_PATCH = "{" + ",".join(f'"{k}":null' for k in sorted(_KNOWN_KEYS)) + "}"
_SNAKE = ("modelId", "model_id", "created_at", "last_modified", "downloads_all_time", "pipelineTag",
          "libraryName", "card_data")


def available() -> bool:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return False
    return True


def _str_field(x: str) -> tuple[str, str]:
    """(is-regular condition, value) of a field that must be a JSON string or null."""
    return (f"({x} IS NULL OR json_type({x}) IN ('VARCHAR', 'NULL'))", f"({x}->>'$')")


def _int_field(x: str) -> tuple[str, str]:
    return (f"({x} IS NULL OR json_type({x}) IN ('UBIGINT', 'BIGINT', 'NULL'))", f"TRY_CAST({x} AS BIGINT)")


def _list_field(x: str) -> tuple[str, str]:
    """A string or a flat list of strings (no nulls); the value is a VARCHAR[]."""
    ok = (
        f"({x} IS NULL OR json_type({x}) = 'NULL' OR json_type({x}) = 'VARCHAR' OR "
        f"(json_type({x}) = 'ARRAY' AND (json_array_length({x}) = 0 OR "
        f"(json_structure({x}) = '[\"VARCHAR\"]' AND list_count(json_extract_string({x}, '$[*]')) "
        f"= json_array_length({x})))))"
    )
    val = (f"(CASE json_type({x}) WHEN 'VARCHAR' THEN [{x}->>'$'] "
           f"WHEN 'ARRAY' THEN json_extract_string({x}, '$[*]') END)")
    return ok, val


_LANGS_SQL = "[" + ", ".join(f"'{c}'" for c in sorted(ISO_639_1)) + "]"

_COLUMNS = {
    "id": "JSON", "author": "VARCHAR", "createdAt": "VARCHAR", "lastModified": "VARCHAR",
    "downloads": "BIGINT", "downloadsAllTime": "BIGINT", "likes": "BIGINT", "pipeline_tag": "VARCHAR",
    "library_name": "VARCHAR", "tags": "VARCHAR[]",
    "cardData": "STRUCT(license JSON, license_name JSON, language JSON, datasets JSON, base_model JSON, "
                "base_model_relation JSON)",
    "safetensors": "STRUCT(total BIGINT)", "gated": "JSON", "private": "BOOLEAN",
    **{k: "JSON" for k in _SNAKE},
}


def _query(path: str, compression: str) -> str:
    # languages: ISO 639-1 codes, as in hftree.ingest.languages
    c = '"cardData"'
    lic_ok, lic_val = _list_field(f"{c}.license")
    lang_ok, lang_val = _list_field(f"{c}.language")
    ds_ok, ds_val = _list_field(f"{c}.datasets")
    bm_ok, bm_val = _list_field(f"{c}.base_model")
    licname_ok, licname_val = _str_field(f"{c}.license_name")
    rel_ok, rel_val = _str_field(f"{c}.base_model_relation")
    regular = " AND ".join(
        ["json_type(id) = 'VARCHAR'", "(id->>'$') <> ''", lic_ok, lang_ok, ds_ok, bm_ok, licname_ok, rel_ok,
         "(gated IS NULL OR json_type(gated) IN ('BOOLEAN', 'VARCHAR', 'NULL'))"]
        + [f'"{k}" IS NULL' for k in _SNAKE]
    )
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in _COLUMNS.items()) + "}"
    return f"""
SELECT
  COALESCE({regular}, FALSE) AS regular,
  id->>'$' AS id, author, "createdAt" AS created, "lastModified" AS modified, downloads,
  "downloadsAllTime" AS dl_all, likes, pipeline_tag AS ptag, library_name AS lib, tags,
  {lic_val}[1] AS card_license, {licname_val} AS card_license_name, {lang_val} AS card_language,
  {ds_val} AS card_datasets, {bm_val} AS card_base_model, {rel_val} AS card_relation,
  safetensors.total AS parameters,
  lower(list_filter(tags, lambda t: starts_with(t, 'license:'))[1][9:]) AS tag_license,
  list_filter(tags, lambda t: len(t) = 2 AND list_contains({_LANGS_SQL}, t)) AS tag_languages,
  list_transform(list_filter(tags, lambda t: starts_with(t, 'dataset:')), lambda t: t[9:]) AS tag_datasets,
  list_filter(tags, lambda t: starts_with(t, 'base_model:')) AS tag_base,
  (CASE json_type(gated) WHEN 'BOOLEAN' THEN TRY_CAST(gated AS BOOLEAN)
       WHEN 'VARCHAR' THEN (gated->>'$') <> '' END) AS gated,
  private
FROM read_json('{path}', format='newline_delimited', compression='{compression}', columns={columns})
"""


def _extra_query(path: str, compression: str) -> str:
    return (f"SELECT NULLIF(json_merge_patch(j, '{_PATCH}')::VARCHAR, '{{}}') AS extra "
            f"FROM read_ndjson_objects('{path}', compression='{compression}') t(j)")


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


def read_jsonl_duckdb(path: str | os.PathLike[str]) -> tuple[pa.Table, pa.Table, Issues]:
    """Read a JSON Lines file of Hub records with DuckDB (see the module docstring).

    Raises :class:`Irregular` if any record needs the Python normaliser, and
    whatever DuckDB raises on unreadable input; callers fall back to
    :func:`hftree.ingest.jsonl.read_jsonl` in both cases.
    """
    import duckdb

    path = Path(path)
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    escaped = str(path).replace("'", "''")
    comp = "gzip" if gz else "none"

    def run(sql: str) -> pa.Table:
        con = duckdb.connect()
        try:
            con.execute(f"SET threads={os.cpu_count() or 1}")
            con.execute("SET preserve_insertion_order=true")
            return con.sql(sql).to_arrow_table()
        finally:
            con.close()

    t = run(_query(escaped, comp)).combine_chunks()
    if not pc.all(t.column("regular")).as_py():
        raise Irregular(f"{path}: some records need the Python reader")
    # the second scan (unmodelled fields) runs in DuckDB's threads while Python assembles the first
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1)
    extra_future = pool.submit(run, _extra_query(escaped, comp))
    issues = Issues()

    def col(name: str) -> pa.Array:
        c = t.column(name)
        return c.chunk(0) if c.num_chunks == 1 else c.combine_chunks()

    lang_rows, lang_vals = _pairs(col("card_language"), lower=True)
    ds_rows, ds_vals = _pairs(col("card_datasets"), lower=False)
    bm_rows, bm_vals = _pairs(col("card_base_model"), lower=False)
    rel = col("card_relation")
    rel_rows = np.empty(0, dtype=np.int64)
    rel_vals = np.empty(0, dtype=object)
    has_rel = pc.is_valid(rel).to_numpy(zero_copy_only=False)
    if has_rel.any():
        rows = np.flatnonzero(has_rel)
        names = pc.utf8_lower(pc.utf8_trim_whitespace(rel.filter(pa.array(has_rel)))).to_pylist()
        raw_rel = rel.filter(pa.array(has_rel)).to_pylist()
        ids_rel = col("id").take(pa.array(rows)).to_pylist()
        keep_r, keep_v = [], []
        for r, name, orig, mid in zip(rows.tolist(), names, raw_rel, ids_rel, strict=True):
            norm = _RELATION_SYNONYMS.get(name)
            if norm is None:
                issues.bad_fields.append(f"{mid}: cardData.base_model_relation: unknown value {orig!r} ignored")
            else:
                keep_r.append(r)
                keep_v.append(norm)
        rel_rows = np.array(keep_r, dtype=np.int64)
        rel_vals = np.array(keep_v, dtype=object)
    lic = pc.utf8_lower(pc.utf8_trim_whitespace(col("card_license")))
    lic = pc.if_else(pc.equal(lic, ""), pa.scalar(None, pa.string()), lic)
    lic_name = pc.if_else(pc.equal(lic, "other"), col("card_license_name"), pa.scalar(None, pa.string()))
    ids = col("id")
    owner = pc.list_element(pc.split_pattern(ids, "/", max_splits=1), 0)  # "org/name" -> "org"
    author = pc.coalesce(
        col("author"), pc.if_else(pc.match_substring(ids, "/"), owner, pa.scalar(None, pa.string()))
    )
    tags = col("tags")
    if not isinstance(tags, pa.ListArray):
        tags = tags.cast(pa.list_(pa.string()))
    raw = Raw(
        ids=ids, author=author, created_at=col("created"), last_modified=col("modified"),
        downloads=col("downloads"), downloads_all_time=col("dl_all"), likes=col("likes"),
        pipeline_tag=col("ptag"), library_name=col("lib"), license=lic, license_name=lic_name,
        parameters=col("parameters"), gated=col("gated"), private=col("private"),
        extra=pa.nulls(t.num_rows, pa.string()),
        tags=tags, card_lang_rows=lang_rows, card_lang=lang_vals, card_ds_rows=ds_rows, card_ds=ds_vals,
        card_base_rows=bm_rows, card_base=bm_vals, card_rel_rows=rel_rows, card_rel=rel_vals,
        tag_license=col("tag_license"), tag_languages=col("tag_languages"), tag_datasets=col("tag_datasets"),
        tag_base=col("tag_base"),
    )
    try:
        models, edges = assemble(raw, issues)
        extra = extra_future.result().column("extra").combine_chunks()
    finally:
        pool.shutdown(wait=True)
    if len(extra) != models.num_rows:  # pragma: no cover - both scans read the same lines
        raise Irregular(f"{path}: the two scans disagree on the number of records")
    models = models.set_column(models.schema.get_field_index("extra"), "extra", extra)
    return pa.Table.from_batches([models]), pa.Table.from_batches([edges]), issues
