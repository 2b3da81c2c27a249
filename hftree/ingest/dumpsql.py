"""The column plan and SQL of the Parquet dump reader (:mod:`hftree.ingest.dumps`), and the helpers
both of its paths (the DuckDB scan and the Python reader) share.

The plan maps each field hftree models to the first column of the file's schema that holds it, with a
SQL expression fitting the column's type; :class:`NotFast` says the scan cannot take the file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from hftree.ingest.columns import Issues, string_layout
from hftree.ingest.fastjson import _lit, _q
from hftree.schema import EDGE_SCHEMA

__all__ = ["PARENT_COLUMNS", "DumpTables", "NotFast", "parquet_kind"]

# field -> the columns that may hold it, first match wins (hub-stats / API spelling first)
_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "modelId", "model_id"),
    "author": ("author", "owner"),
    "created": ("createdAt", "created_at", "creation_time"),
    "modified": ("lastModified", "last_modified"),
    "downloads": ("downloads",),
    "dl_all": ("downloadsAllTime", "downloads_all_time"),
    "likes": ("likes",),
    "ptag": ("pipeline_tag", "pipelineTag", "task_category"),
    "lib": ("library_name", "libraryName"),
    "tags": ("tags",),
    "card_data": ("cardData", "card_data"),
    "base_models": ("baseModels", "base_models"),
    "safetensors": ("safetensors",),
    "gated": ("gated",),
    "private": ("private",),
    "card": ("card", "modelCard"),
}
#: modelbiome's lineage columns and the relation each stands for
PARENT_COLUMNS = {"parent_model": "unknown", "finetune_parent": "finetune", "quantized_parent": "quantized",
                  "adapter_parent": "adapter", "merge_parent": "merge"}
# modelbiome's derived card columns: not records of the Hub, not kept
_DERIVED = ("model_card_length", "model_card_automatically_generated")
_CARD_KEYS = ("license", "license_name", "language", "datasets", "base_model", "base_model_relation")
_MAX_ODD = 5_000
_TS = pa.timestamp("ms", tz="UTC")


class NotFast(ValueError):
    """The file has a column type or too many odd rows for the scan: use the Python reader."""


@dataclass
class DumpTables:
    """What a Parquet dump holds: model rows, their edges (with ``row``), cards (or ``None``)."""

    models: pa.Table
    edges: pa.Table
    cards: pa.Table | None
    issues: Issues = field(default_factory=Issues)


def parquet_kind(names: list[str]) -> str:
    """Which dump a Parquet schema looks like: ``"hub-stats"`` (``_id`` + ``cardData``/``baseModels``),
    ``"librarian-bots"`` (``modelId`` + ``card``), ``"modelbiome"`` (``model_id`` + ``*_parent``) or
    ``"generic"``.

    >>> parquet_kind(["modelId", "tags", "card"])
    'librarian-bots'
    """
    cols = set(names)
    if "_id" in cols and cols & {"cardData", "baseModels"}:
        return "hub-stats"
    if "card" in cols and "modelId" in cols:
        return "librarian-bots"
    if "model_id" in cols and cols & set(PARENT_COLUMNS):
        return "modelbiome"
    return "generic"


def _pick(schema: pa.Schema, field_name: str) -> tuple[str, pa.DataType] | None:
    for name in _FIELDS[field_name]:
        if name in schema.names:
            return name, schema.field(name).type
    return None


def _id_col(schema: pa.Schema) -> str:
    hit = _pick(schema, "id")
    if hit is None:  # pragma: no cover - callers checked
        raise NotFast("no id column")
    return hit[0]


def _is_str(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _plan(schema: pa.Schema, *, front_matter: bool) -> tuple[dict[str, str], list[str], list[str]]:
    """SQL per output column, the columns kept in ``extra``, the parent (``*_parent``) columns.

    Raises :class:`NotFast` for a column type the scan does not take (the Python reader will)."""
    values: dict[str, str] = {}
    used: set[str] = set()

    def get(f: str) -> tuple[str, pa.DataType] | None:
        hit = _pick(schema, f)
        if hit is not None:
            used.add(hit[0])
        return hit

    idc = get("id")
    if idc is None:
        raise NotFast("no id column")
    i = _q(idc[0])
    if not _is_str(idc[1]):
        raise NotFast("id is not a string column")
    values["id"] = i  # null or empty ids: the Python reader reports them
    a = get("author")
    own = f"CASE WHEN contains({i}, '/') THEN split_part({i}, '/', 1) END"
    values["author"] = f"COALESCE({_q(a[0])}, {own})" if a and _is_str(a[1]) else own
    for name in ("created", "modified"):
        c = get(name)
        if c is None:
            values[name] = "NULL::VARCHAR"
        elif pa.types.is_timestamp(c[1]) or pa.types.is_date(c[1]):
            values[name] = f"CAST({_q(c[0])} AS TIMESTAMPTZ)"
        elif _is_str(c[1]):
            values[name] = _q(c[0])
        else:
            raise NotFast(f"{c[0]} is neither a timestamp nor a string")
    for name in ("downloads", "dl_all", "likes"):
        c = get(name)
        if c is None:
            values[name] = "NULL::BIGINT"
        elif pa.types.is_integer(c[1]):
            values[name] = f"CAST({_q(c[0])} AS BIGINT)"
        else:
            raise NotFast(f"{c[0]} is not an integer column")
    for name in ("ptag", "lib"):
        c = get(name)
        values[name] = _q(c[0]) if c and _is_str(c[1]) else "NULL::VARCHAR"
        if c and not _is_str(c[1]):
            raise NotFast(f"{c[0]} is not a string column")
    t = get("tags")
    if t is None:
        values["tags"] = "NULL::VARCHAR[]"
    elif (pa.types.is_list(t[1]) or pa.types.is_large_list(t[1])) and _is_str(t[1].value_type):
        values["tags"] = _q(t[0])  # null items: found in Arrow (_odd_lists)
    else:
        raise NotFast("tags is not a list of strings")
    # cardData: a JSON string (hub-stats) or a struct (some re-exports); parsed once, the six keys kept
    cd = get("card_data")
    if cd is not None:
        if _is_str(cd[1]):
            text = _q(cd[0])
        elif pa.types.is_struct(cd[1]):
            text = f"to_json({_q(cd[0])})::VARCHAR"
        else:
            raise NotFast("cardData is neither a JSON string nor a struct")
        paths = "[" + ", ".join(_lit(f"$.{k}") for k in _CARD_KEYS) + "]"
        values["_cd"] = f"try(json_extract({text}, {paths}))"
        values["_cd_text"] = text
    card = get("card")
    if card is not None and not _is_str(card[1]):
        raise NotFast("the card column is not text")
    if card is not None and cd is None and front_matter:
        values["_fm"] = _front_matter_sql(_q(card[0]))
    # baseModels: struct<relation, models: list<struct<id, ...>>> (hub-stats) or JSON text
    bm = get("base_models")
    if bm is None:
        values["hub_relation"] = "NULL::VARCHAR"
        values["hub_parents"] = "NULL::VARCHAR[]"
    elif pa.types.is_struct(bm[1]) and {"relation", "models"} <= {f.name for f in bm[1]}:
        b = _q(bm[0])
        models_t = bm[1].field("models").type
        if not (pa.types.is_list(models_t) and pa.types.is_struct(models_t.value_type)
                and "id" in {f.name for f in models_t.value_type}
                and _is_str(bm[1].field("relation").type)):
            raise NotFast("baseModels has an unexpected shape")
        values["hub_relation"] = f"{b}.relation"
        values["hub_parents"] = f"list_transform({b}.models, lambda x: x.id)"  # null ids: _odd_lists
    else:
        raise NotFast("baseModels is not the Hub's struct")
    st = get("safetensors")
    if st is None:
        values["parameters"] = "NULL::BIGINT"
    elif pa.types.is_struct(st[1]) and "total" in {f.name for f in st[1]} \
            and pa.types.is_integer(st[1].field("total").type):
        values["parameters"] = f"CAST({_q(st[0])}.total AS BIGINT)"
    else:
        raise NotFast("safetensors is not the Hub's struct")
    for name in ("gated", "private"):
        c = get(name)
        if c is None:
            values[name] = "NULL::BOOLEAN"
        elif pa.types.is_boolean(c[1]):
            values[name] = _q(c[0])
        elif name == "gated" and _is_str(c[1]):  # "auto" / "manual" / "" / "False"
            values[name] = f"lower({_q(c[0])}) NOT IN ('', 'false')"
        else:
            raise NotFast(f"{c[0]} is not a boolean column")
    parents = [n for n in schema.names if n in PARENT_COLUMNS]
    used.update(parents)
    extra = [n for n in schema.names if n not in used and not n.startswith(_DERIVED)]
    return values, extra, parents


def _front_matter_sql(card: str) -> str:
    """SQL: the lines of a card's YAML front matter that hold the six card keys (a small YAML text)."""
    keys = "|".join(_CARD_KEYS)
    fm = f"regexp_extract({card}, '^\\s*---[ \\t]*\\r?\\n((?s:.*?))\\r?\\n---', 1)"
    blocks = f"regexp_extract_all({fm}, '(?m)^(?:{keys}):.*(?:\\n(?:[ \\t]+.*|-.*))*')"
    return f"NULLIF(array_to_string({blocks}, chr(10)), '')"


def _extra_sql(cols: list[str], never_null: frozenset[str] = frozenset()) -> str:
    """SQL: a JSON object of the non-null values of ``cols`` (NULL when all are null).

    The leading columns that hold no null (``never_null``, from the file's statistics) and have plain
    names are written by one ``to_json`` of a struct, the same text as one ``to_json`` per column
    joined with commas (``tests/ingest/test_dump_vectorised.py``): on the hub-stats columns ``extra``
    costs half as much beyond reading them."""
    if not cols:
        return "NULL::VARCHAR"
    lead = 0
    while lead < len(cols) and cols[lead] in never_null and _PLAIN.fullmatch(cols[lead]):
        lead += 1
    parts = [f"CASE WHEN {_q(c)} IS NOT NULL THEN {_lit(orjson.dumps(c).decode() + ':')} || "
             f"to_json({_q(c)})::VARCHAR END" for c in cols[lead:]]
    if not lead:
        return f"NULLIF('{{' || concat_ws(',', {', '.join(parts)}) || '}}', '{{}}')"
    head = "to_json(struct_pack(" + ", ".join(f"{_q(c)} := {_q(c)}" for c in cols[:lead]) + "))::VARCHAR"
    if not parts:
        return head
    # the others spliced in before the closing brace, where any is not null (cutting the brace costs)
    none = " AND ".join(f"{_q(c)} IS NULL" for c in cols[lead:])
    return f"CASE WHEN {none} THEN {head} ELSE concat_ws(',', left({head}, -1), {', '.join(parts)}) || '}}' END"


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def never_null_columns(meta: Any) -> frozenset[str]:
    """Top-level columns of a Parquet file (``pyarrow.parquet.FileMetaData``) whose statistics say
    that no row group holds a null (columns without statistics are not among them)."""
    if meta.num_row_groups == 0:
        return frozenset()
    names = None
    for g in range(meta.num_row_groups):
        rg = meta.row_group(g)
        here = set()
        for j in range(rg.num_columns):
            col = rg.column(j)
            st = col.statistics
            path = col.path_in_schema
            if "." not in path and st is not None and st.has_null_count and st.null_count == 0:
                here.add(path)
        names = here if names is None else names & here
    return frozenset(names or ())


def _parents_sql(col: str, typ: pa.DataType) -> str:
    c = _q(col)
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        return f"CAST({c} AS VARCHAR[])"
    return (f"CASE WHEN starts_with(ltrim({c}), '[') THEN try_cast(try(json({c})) AS VARCHAR[]) "
            f"WHEN trim({c}) <> '' THEN [trim({c})] END")


def _query(path: str, values: dict[str, str], extra: list[str], parents: list[str], schema: pa.Schema,
           card: str | None, never_null: frozenset[str] = frozenset()) -> str:
    """The scan of the file, with the card fields derived on top of the six ``cardData`` values the
    inner query extracted (DuckDB does not share one JSON parse between the ``CASE`` branches of a
    single projection: the two levels keep it to one parse per card)."""
    values = dict(values)
    cd = values.pop("_cd", None)
    text = values.pop("_cd_text", None)
    fm = values.pop("_fm", None)
    cols = {**values, "xg": _extra_sql(extra, never_null)}
    cols |= {f"p_{n}": _parents_sql(n, schema.field(n).type) for n in parents}
    if fm is not None:
        cols["fm"] = fm
    if card is not None:
        cols["card"] = _q(card)
    pre = ""
    if cd is not None:
        pre = f", {cd} AS _cd"
        # ltrim copies the whole text: only for the texts that do not start with the brace
        cols["cd_ok"] = (f"({text} IS NULL OR (CASE WHEN starts_with({text}, '{{') THEN TRUE "
                         f"ELSE starts_with(ltrim({text}), '{{') END AND _cd IS NOT NULL))")
        cols |= {f"c{k}": f"NULLIF(_cd[{k}]::VARCHAR, 'null')" for k in range(1, len(_CARD_KEYS) + 1)}
    sel = ", ".join(f"{expr} AS {_q(name)}" for name, expr in cols.items())
    scan = f"SELECT {sel} FROM (SELECT *{pre} FROM read_parquet({_lit(path)}))"
    if cd is None:
        return scan
    cols = {}
    for name, k in (("card_language", 3), ("card_datasets", 4), ("card_base_model", 5), ("card_license", 1)):
        c = f"c{k}"
        cols[name] = (f"CASE WHEN starts_with({c}, '[') THEN TRY_CAST({c}::JSON AS VARCHAR[]) "
                      f"WHEN starts_with({c}, '\"') THEN [{c}::JSON->>'$'] END")
        # NULL: a list whose JSON length NumPy checks (_flat_lists); FALSE: not a string or a list
        cols[f"{name}_ok"] = (f"CASE WHEN {c} IS NULL OR starts_with({c}, '\"') THEN TRUE "
                              f"WHEN NOT starts_with({c}, '[') THEN FALSE "
                              f"WHEN contains({c}, '\\') THEN json_structure({c}::JSON) = '[\"VARCHAR\"]' END")
        cols[f"{name}_len"] = f"strlen({c})"
    for name, k in (("card_license_name", 2), ("card_relation", 6)):
        cols[name] = f"CASE WHEN starts_with(c{k}, '\"') THEN c{k}::JSON->>'$' END"
    sel = ", ".join(f"{expr} AS {_q(name)}" for name, expr in cols.items())
    drop = ", ".join(f"c{k}" for k in range(1, len(_CARD_KEYS) + 1))
    return f"SELECT s.* EXCLUDE ({drop}), {sel} FROM ({scan}) AS s"


def _flat_lists(t: pa.Table) -> np.ndarray:
    """Rows whose four card list fields are strings or flat lists of strings.

    ``TRY_CAST(... AS VARCHAR[])`` renders a non-string item as its JSON text, which lacks the two quotes
    of a string item, so a list of ``k`` items with ``b`` bytes is a flat list of strings exactly when its
    minified, escape-free JSON text has ``b + 3k + 1`` bytes (2 if empty); texts with an escape were
    checked in SQL.
    """
    ok = np.asarray(pc.fill_null(t.column("cd_ok"), False).to_numpy(zero_copy_only=False), dtype=bool)
    for name in ("card_language", "card_datasets", "card_base_model", "card_license"):
        flag = t.column(f"{name}_ok").combine_chunks()
        sql_ok = np.asarray(pc.fill_null(flag, True).to_numpy(zero_copy_only=False), dtype=bool)
        ok &= sql_ok
        check = ~flag.is_valid().to_numpy(zero_copy_only=False)
        if not check.any():
            continue
        lists = t.column(name).combine_chunks()
        offs = lists.offsets.to_numpy().astype(np.int64)
        k = np.diff(offs)
        voffs, _ = string_layout(lists.values)
        nbytes = voffs[offs[1:]].astype(np.int64) - voffs[offs[:-1]]
        expect = np.where(k > 0, nbytes + 3 * k + 1, 2)
        text = t.column(f"{name}_len").combine_chunks().fill_null(-1).to_numpy()
        good = lists.is_valid().to_numpy(zero_copy_only=False) & (text == expect)
        if lists.values.null_count:
            item_null = ~lists.values.is_valid().to_numpy(zero_copy_only=False)
            good[np.searchsorted(offs, np.flatnonzero(item_null), side="right") - 1] = False
        ok[check & ~good] = False
    return ok


_NO_CARD = {**{n: pa.list_(pa.string()) for n in ("card_language", "card_datasets", "card_base_model")},
            **{n: pa.string() for n in ("card_license", "card_license_name", "card_relation")}}


def _odd_lists(b: pa.RecordBatch) -> np.ndarray:
    """Rows with a null tag or a ``baseModels`` entry without an id (the Python reader reports them)."""
    bad = np.zeros(b.num_rows, dtype=bool)
    for name in ("tags", "hub_parents"):
        lists = b.column(b.schema.get_field_index(name))
        if lists.null_count == len(lists):
            continue
        vals = lists.flatten()
        if name == "hub_parents":
            vals = pc.if_else(pc.equal(pc.utf8_trim_whitespace(vals), ""), pa.scalar(None, pa.string()), vals)
        if vals.null_count:
            rows = lists.value_parent_indices().to_numpy()
            bad[rows[~vals.is_valid().to_numpy(zero_copy_only=False)]] = True
    return bad


def _parent_edges(batches: list[pa.RecordBatch], parents: list[str]) -> pa.Table:
    """Edges of the ``*_parent`` columns (source ``table``), one per (row, parent, column)."""
    schema = EDGE_SCHEMA.append(pa.field("row", pa.int64()))
    parts = []
    offset = 0
    for b in batches:
        ids = b.column(b.schema.get_field_index("id"))
        for col in parents:
            lists = b.column(b.schema.get_field_index(f"p_{col}"))
            vals = pc.utf8_trim_whitespace(lists.flatten())
            rows = lists.value_parent_indices().to_numpy().astype(np.int64)
            keep = pc.fill_null(pc.not_equal(vals, ""), False).to_numpy(zero_copy_only=False)
            rows, vals = rows[keep], vals.filter(pa.array(keep))
            if len(rows):
                parts.append(pa.table({
                    "parent": vals, "child": ids.take(pa.array(rows)),
                    "relation": pa.array([PARENT_COLUMNS[col]] * len(rows), pa.string()),
                    "source": pa.array(["table"] * len(rows), pa.string()),
                    "row": pa.array(rows + offset, pa.int64()),
                }, schema=schema))
        offset += b.num_rows
    return pa.concat_tables(parts) if parts else schema.empty_table()


def _records(table: pa.Table) -> list[dict]:
    """Rows of a Parquet table as records the Python reader takes (JSON text decoded, times as ISO)."""
    recs = table.to_pylist()
    for r in recs:
        for k, v in r.items():
            if isinstance(v, dt.datetime | dt.date):
                r[k] = v.isoformat()
            elif k in ("cardData", "card_data", "baseModels", "safetensors") and isinstance(v, str) and v[:1] in "[{":
                with contextlib.suppress(orjson.JSONDecodeError):
                    r[k] = orjson.loads(v)
        for alias, name in (("creation_time", "createdAt"), ("task_category", "pipeline_tag"), ("owner", "author")):
            if alias in r and name not in r:
                r[name] = r.pop(alias)
        for k in [k for k in r if k in PARENT_COLUMNS or k in _FIELDS["card"] or k.startswith(_DERIVED)]:
            del r[k]  # parents and cards are read by the scan; front matter below
    return recs


def _front_matter_records(recs: list[dict], cards: list[Any]) -> None:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for r, text in zip(recs, cards, strict=True):
        if not isinstance(text, str) or not text.lstrip().startswith("---"):
            continue
        body = text.lstrip()[3:]
        end = body.find("\n---")
        if end < 0:
            continue
        with contextlib.suppress(yaml.YAMLError):
            data = yaml.load(body[:end], Loader=loader)
            if isinstance(data, dict):
                r["cardData"] = {k: data[k] for k in _CARD_KEYS if k in data}
