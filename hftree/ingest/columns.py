"""The vectorised half of normalisation: per-record values to model and edge batches.

Both readers -- the Python one (:class:`~hftree.ingest.records.RecordBatcher`,
record by record) and the DuckDB one (:mod:`hftree.ingest.fastjson`, in SQL) --
collect each block's per-record values in a :class:`Raw`; :func:`assemble` then
derives everything that can be done on whole columns (tag parsing, licence,
language and dataset extraction, lineage resolution, timestamp parsing) with
Arrow and NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hftree.ingest.languages import ISO_639_1
from hftree.schema import EDGE_SCHEMA, MODEL_SCHEMA, PLACEHOLDER_CREATED_AT

__all__ = ["Issues", "Raw", "assemble", "string_layout"]



@dataclass
class Issues:
    """Data-quality findings of an import, merged across chunks and files."""

    skipped_lines: int = 0
    skipped_examples: list[str] = field(default_factory=list)
    bad_base_model: list[str] = field(default_factory=list)  # model ids
    bad_fields: list[str] = field(default_factory=list)  # "model: field: problem"
    out_of_range: int = 0  # dates outside [1970, 2200) and negative counts, nulled
    out_of_range_examples: list[str] = field(default_factory=list)

    def merge(self, other: Issues) -> None:
        self.out_of_range += other.out_of_range
        self.out_of_range_examples.extend(other.out_of_range_examples[: max(0, 20 - len(self.out_of_range_examples))])
        self.skipped_lines += other.skipped_lines
        self.skipped_examples.extend(other.skipped_examples[: max(0, 20 - len(self.skipped_examples))])
        self.bad_base_model.extend(other.bad_base_model)
        self.bad_fields.extend(other.bad_fields)


@dataclass
class Raw:
    """Per-record values of a block, before the vectorised derivations of :func:`assemble`.

    Both readers fill it: the Python one record by record, the DuckDB one in SQL.
    ``created_at``/``last_modified`` are ISO strings (list or Arrow array); card
    languages/datasets are (row, value) pairs; ``card_base`` holds the parent
    ids of each row's ``cardData.base_model``; ``card_rel`` each row's
    normalised ``cardData.base_model_relation`` (both as parallel row/value arrays). ``hub_rows`` /
    ``hub_parents`` are the parents of each row's ``baseModels`` (the Hub's own lineage) and
    ``hub_rel_rows`` / ``hub_rel`` its relation, already normalised (``unknown`` when the Hub's word
    is not one hftree knows).
    """

    ids: pa.Array
    author: pa.Array
    created_at: Any
    last_modified: Any
    downloads: pa.Array
    downloads_all_time: pa.Array
    likes: pa.Array
    pipeline_tag: pa.Array
    library_name: pa.Array
    license: pa.Array
    license_name: pa.Array
    parameters: pa.Array
    gated: pa.Array
    private: pa.Array
    extra: pa.Array
    tags: pa.ListArray
    card_lang_rows: np.ndarray
    card_lang: Any
    card_ds_rows: np.ndarray
    card_ds: Any
    card_base_rows: np.ndarray
    card_base: Any
    card_rel_rows: np.ndarray
    card_rel: Any
    hub_rows: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    hub_parents: Any = field(default_factory=lambda: pa.array([], pa.string()))
    hub_rel_rows: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    hub_rel: Any = field(default_factory=lambda: pa.array([], pa.string()))


def _str_array(x: Any) -> pa.Array:
    if isinstance(x, pa.ChunkedArray):
        x = x.combine_chunks()
    return x if isinstance(x, pa.Array) else pa.array(x, type=pa.string())


def assemble(raw: Raw, issues: Issues) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """Derive licence, languages, datasets and lineage from tags and card fields; build the batches."""
    n = len(raw.ids)
    tags = raw.tags
    ids = raw.ids
    lic_arr = raw.license
    tag_row, tag_lic, (lang_rows, lang_vals), (ds_rows, ds_vals), (bm_rows, bm_rest) = _classify_tags(tags)
    if len(tag_lic):
        first_rows, idx = np.unique(tag_row, return_index=True)  # the first licence tag of each row
        at = np.full(n, -1, dtype=np.int64)
        at[first_rows] = idx
        lic_tag = pc.utf8_lower(tag_lic).take(pa.array(at, mask=at < 0))
        lic_arr = pc.coalesce(lic_arr, lic_tag)

    languages = _group_unique(
        np.concatenate([lang_rows, raw.card_lang_rows]),
        pa.concat_arrays([lang_vals, _str_array(raw.card_lang)]),
        n,
    )
    datasets = _group_unique(
        np.concatenate([ds_rows, raw.card_ds_rows]),
        pa.concat_arrays([ds_vals, _str_array(raw.card_ds)]),
        n,
    )

    def id_at(i: int) -> str:
        return ids[i].as_py()

    created_raw = _timestamps(raw.created_at, id_at, issues, "createdAt")
    placeholder = pc.equal(created_raw, pa.scalar(PLACEHOLDER_CREATED_AT, created_raw.type))
    created = pc.if_else(pc.fill_null(placeholder, False), pa.scalar(None, created_raw.type), created_raw)
    models = pa.RecordBatch.from_arrays(
        [
            ids,
            raw.author,
            created,
            created_raw,
            _timestamps(raw.last_modified, id_at, issues, "lastModified"),
            _non_negative(raw.downloads, id_at, issues, "downloads"),
            _non_negative(raw.downloads_all_time, id_at, issues, "downloadsAllTime"),
            _non_negative(raw.likes, id_at, issues, "likes"),
            raw.pipeline_tag,
            raw.library_name,
            lic_arr,
            raw.license_name,
            languages,
            datasets,
            tags,
            raw.parameters,
            raw.gated,
            raw.private,
            pa.nulls(n, pa.int64()),
            pa.nulls(n, pa.bool_()),
            raw.extra,
        ],
        schema=MODEL_SCHEMA,
    )
    edges = _edges(bm_rows, bm_rest, ids, raw.card_base_rows, raw.card_base, raw.card_rel_rows, raw.card_rel)
    hub = _hub_edges(raw.hub_rows, _str_array(raw.hub_parents), raw.hub_rel_rows, _str_array(raw.hub_rel), ids)
    if hub.num_rows:
        both = pa.Table.from_batches([edges, hub])
        order = np.argsort(both.column("row").to_numpy(), kind="stable")
        edges = both.take(pa.array(order)).combine_chunks().to_batches()[0]
    return models, edges


def string_layout(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (n + 1) and the bytes of a string array, without copying."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    wide = pa.types.is_large_string(arr.type)
    _, off_buf, data_buf = arr.buffers()
    offs = np.frombuffer(off_buf, dtype=np.int64 if wide else np.int32)[arr.offset: arr.offset + len(arr) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(1, np.uint8)
    return offs, data


def _classify_tags(tags: pa.ListArray):
    """Pick the tags that carry metadata, with the row of each: ``license:`` (value after the
    prefix), ISO 639-1 language codes, ``dataset:`` and ``base_model:`` (each after the prefix).

    Tags are tested on their raw bytes first (length and first byte, in NumPy), so only the
    few candidates go through Arrow's string kernels; 17 M tags take a fraction of a second.
    """
    if isinstance(tags, pa.ChunkedArray):
        tags = tags.combine_chunks()
    list_offs = tags.offsets.to_numpy()
    if tags.null_count and np.diff(list_offs)[~tags.is_valid().to_numpy(zero_copy_only=False)].any():
        tags = pa.array(tags.to_pylist(), type=tags.type)  # null lists hiding values: rebuild (never seen)
        list_offs = tags.offsets.to_numpy()
    base = int(list_offs[0])
    flat = tags.values.slice(base, int(list_offs[-1]) - base)
    offs, data = string_layout(flat)
    length = np.diff(offs)
    # first byte of each tag (of the next tag where empty: harmless, empty tags fail the length tests)
    first = data[np.minimum(offs[:-1], len(data) - 1)] if len(data) else np.zeros(len(flat), np.uint8)

    # the list (row) of each tag; null lists hold no tags
    parent = tags.value_parent_indices().to_numpy() if base == 0 and len(flat) == len(tags.values) else None

    def rows_of(idx: np.ndarray) -> np.ndarray:
        if parent is not None:
            return parent[idx].astype(np.int64)
        # tag i (in ``flat``) belongs to the list whose offsets bracket it
        return np.searchsorted(list_offs, idx + base, side="right").astype(np.int64) - 1

    def pick(cand: np.ndarray, prefix: str):
        # candidates are at least as long as the prefix: compare its bytes in place, take the hits only
        idx = np.flatnonzero(cand)
        at = offs[idx].astype(np.int64)
        for j, byte in enumerate(prefix.encode()[1:], start=1):
            hit = data[at + j] == byte
            idx, at = idx[hit], at[hit]
        # an ASCII prefix ends on a character boundary: slicing bytes is slicing characters
        vals = pc.binary_slice(flat.take(pa.array(idx)).view(pa.binary()), len(prefix), 1 << 30).view(pa.string())
        return rows_of(idx), vals

    lic_rows, lic_vals = pick((first == ord("l")) & (length > 8), "license:")  # "license:" alone says nothing
    ds = pick((first == ord("d")) & (length >= 8), "dataset:")
    bm_rows, bm_vals = pick((first == ord("b")) & (length >= 11), "base_model:")
    # two-byte tags: a language code exactly when its two bytes are in the table of codes
    two = np.flatnonzero(length == 2)
    start = offs[two].astype(np.int64)
    pair = data[start].astype(np.int64) << 8 | data[np.minimum(start + 1, len(data) - 1)]
    two = two[_LANG_PAIRS[pair]]
    lang = (rows_of(two), flat.take(pa.array(two)))
    return lic_rows, lic_vals, lang, ds, (bm_rows, bm_vals)


_REL_NAMES = np.array(["finetune", "adapter", "quantized", "merge", "unknown"], dtype=object)
_REL_ARROW = pa.array(_REL_NAMES.tolist(), pa.string())
_SRC_ARROW = pa.array(["tag", "cardData"], pa.string())


def _edges(
    bm_rows: np.ndarray,
    bm_rest: pa.Array,
    ids: pa.Array,
    card_rows: np.ndarray,
    card_parents: np.ndarray,
    rel_rows: np.ndarray,
    rel_vals: np.ndarray,
) -> pa.RecordBatch:
    """Resolve each child's declared parents and the relation to each (vectorised).

    Tags and ``cardData`` are resolved together (the Hub writes the tags from the card):
    typed tags ``base_model:<relation>:<id>`` give the relation; untyped tags and
    ``cardData.base_model`` add parents; the first typed relation declared for a parent wins; a
    child with two or more parents none of which is typed has merge edges;
    ``cardData.base_model_relation`` overrides everything. A pair declared by both gets two rows
    (sources ``tag`` and ``cardData``) with the same relation.
    """
    rest = _str_array(bm_rest)
    parent, rel_tag = _typed_tags(rest)
    rel_code = np.concatenate([rel_tag, np.full(len(card_rows), -1, dtype=np.int64)])
    parents = pa.concat_arrays([parent, _str_array(card_parents)])
    rows_all = np.concatenate([bm_rows, card_rows]).astype(np.int64)
    is_tag = np.concatenate([np.ones(len(bm_rows), dtype=bool), np.zeros(len(card_rows), dtype=bool)])
    ok = pc.and_(pc.is_valid(parents), pc.not_equal(parents, "")).to_numpy(zero_copy_only=False)
    ok = np.asarray(ok, dtype=bool)
    if not ok.all():
        sel = np.flatnonzero(ok)
        parents, rows_all, rel_code, is_tag = parents.take(pa.array(sel)), rows_all[sel], rel_code[sel], is_tag[sel]
    enc = pc.dictionary_encode(parents)
    pcode = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    key = rows_all * (len(enc.dictionary) + 1) + pcode
    decl = np.arange(len(key))
    # per (row, parent): first declaration (order, source), first typed relation
    _, first = np.unique(key, return_index=True)
    by_typed = np.lexsort((decl, rel_code < 0, key))  # typed before untyped, then declaration order
    kt = key[by_typed]
    head_of_key = np.ones(len(kt), dtype=bool)
    head_of_key[1:] = kt[1:] != kt[:-1]
    best_rel = rel_code[by_typed][head_of_key]
    rel_u = best_rel  # aligned with np.unique's sorted keys
    # which sources declared each (row, parent): one edge row per source, all with the resolved relation
    inv = np.searchsorted(key[first], key)
    has_tag = np.zeros(len(first), dtype=bool)
    has_tag[inv[is_tag]] = True
    has_card = np.zeros(len(first), dtype=bool)
    has_card[inv[~is_tag]] = True
    row_u = rows_all[first]
    pc_u = pcode[first]
    n_par = np.bincount(row_u, minlength=int(row_u.max(initial=-1)) + 1)[row_u] if len(row_u) else row_u
    relation = np.where(rel_u >= 0, rel_u, np.where(n_par >= 2, 3, 4))  # merge / unknown
    if len(rel_rows):
        over = np.full(int(max(rel_rows.max(), row_u.max(initial=0))) + 1, -1, dtype=np.int64)
        over[rel_rows] = pc.index_in(_str_array(rel_vals), value_set=pa.array(_REL_NAMES.tolist())).to_numpy(
            zero_copy_only=False).astype(np.int64)
        o = over[row_u]
        relation = np.where(o >= 0, o, relation)
    # rows: (row, first declaration of the pair, tag before cardData)
    pair = np.concatenate([np.flatnonzero(has_tag), np.flatnonzero(has_card)])
    src = np.concatenate([np.zeros(int(has_tag.sum()), np.int64), np.ones(int(has_card.sum()), np.int64)])
    order = np.lexsort((src, first[pair], row_u[pair]))
    pair, src = pair[order], src[order]
    rows = row_u[pair]
    parent_out = enc.dictionary.take(pa.array(pc_u[pair])) if len(pair) else pa.array([], pa.string())
    return pa.RecordBatch.from_arrays(
        [
            parent_out,
            ids.take(pa.array(rows, type=pa.int64())),
            _REL_ARROW.take(pa.array(relation[pair], type=pa.int64())),
            _SRC_ARROW.take(pa.array(src, type=pa.int64())),
            pa.array(rows, pa.int64()),
        ],
        schema=_EDGE_ROWS,
    )


_EDGE_ROWS = EDGE_SCHEMA.append(pa.field("row", pa.int64()))


def _typed_tags(rest: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The parent of each ``base_model:`` tag (after the prefix) and the code of its relation in
    :data:`_REL_NAMES` (-1: untyped). ``<relation>:<id>`` is typed when the relation is one hftree
    knows and the id is not empty and on one line (the rule of the pattern ``^([^:]*):(.+)$``); the
    relation names are ASCII, so their bytes are compared in place."""
    offs, data = string_layout(rest)
    start, length = offs[:-1].astype(np.int64), np.diff(offs).astype(np.int64)
    code = np.full(len(rest), -1, dtype=np.int64)
    for k, name in enumerate(_REL_NAMES[:4]):
        head = (name + ":").encode()
        cand = np.flatnonzero((length > len(head)) & (code < 0))
        for j, byte in enumerate(head):
            cand = cand[data[start[cand] + j] == byte]
        code[cand] = k
    typed = code >= 0
    if typed.any():
        nl = pc.fill_null(pc.match_substring(rest.filter(pa.array(typed)), "\n"), False).to_numpy(zero_copy_only=False)
        code[np.flatnonzero(typed)[nl]] = -1
        typed = code >= 0
    parent = rest
    for k, name in enumerate(_REL_NAMES[:4]):
        hit = code == k
        if hit.any():
            tail = pc.binary_slice(rest.view(pa.binary()), len(name) + 1, 1 << 30).view(pa.string())
            parent = pc.if_else(pa.array(hit), tail, parent)
    return pc.utf8_trim_whitespace(parent), code


def _hub_edges(rows: np.ndarray, parents: pa.Array, rel_rows: np.ndarray, rel: pa.Array,
               ids: pa.Array) -> pa.RecordBatch:
    """Edges of ``baseModels``: one per (row, parent), the Hub's relation of the row, else ``merge``
    for two or more parents and ``unknown`` for one."""
    if len(rows) == 0:
        return pa.RecordBatch.from_pylist([], schema=_EDGE_ROWS)
    parents = pc.utf8_trim_whitespace(parents)
    ok = np.asarray(pc.fill_null(pc.not_equal(parents, ""), False).to_numpy(zero_copy_only=False), dtype=bool)
    rows = np.asarray(rows, dtype=np.int64)
    if not ok.all():
        rows, parents = rows[ok], parents.filter(pa.array(ok))
    enc = pc.dictionary_encode(parents)
    code = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    key = rows * (len(enc.dictionary) + 1) + code
    _, first = np.unique(key, return_index=True)
    first.sort()  # declaration order within a row
    rows, code = rows[first], code[first]
    n_par = np.bincount(rows, minlength=int(rows.max(initial=-1)) + 1)[rows]
    relation = np.where(n_par >= 2, 3, 4)
    if len(rel_rows):
        over = np.full(int(max(np.max(rel_rows), rows.max(initial=0))) + 1, -1, dtype=np.int64)
        over[np.asarray(rel_rows, dtype=np.int64)] = pc.fill_null(
            pc.index_in(rel, value_set=_REL_ARROW), 4).to_numpy(zero_copy_only=False).astype(np.int64)
        o = over[rows]
        relation = np.where((o >= 0) & (o != 4), o, relation)
    return pa.RecordBatch.from_arrays(
        [
            enc.dictionary.take(pa.array(code)),
            ids.take(pa.array(rows)),
            _REL_ARROW.take(pa.array(relation, type=pa.int64())),
            pa.array(["baseModels"] * len(rows), pa.string()),
            pa.array(rows, pa.int64()),
        ],
        schema=_EDGE_ROWS,
    )


#: the two bytes of each ISO 639-1 code, as a lookup table over all 65,536 byte pairs
_LANG_PAIRS = np.zeros(1 << 16, dtype=bool)
_LANG_PAIRS[[ord(c[0]) << 8 | ord(c[1]) for c in ISO_639_1 if len(c.encode()) == 2]] = True


def _group_unique(rows: np.ndarray, vals: pa.Array | np.ndarray, n: int) -> pa.ListArray:
    """A list<string> column of ``n`` rows from (row, value) pairs: values de-duplicated within
    a row, in order of first appearance; all on integer codes (no Python object per value)."""
    vals = vals if isinstance(vals, pa.Array) else pa.array(vals, type=pa.string())
    if len(rows) == 0:
        return pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, dtype=np.int32)), pa.array([], pa.string()))
    enc = pc.dictionary_encode(vals)
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    rows = rows.astype(np.int64)
    order = np.argsort(rows, kind="stable")  # by row, then appearance (sorted runs: a linear merge)
    r, k = rows[order], codes[order]
    per_row = np.bincount(r, minlength=n)[r]
    dup = np.zeros(len(order), dtype=bool)
    multi = np.flatnonzero(per_row > 1)
    few = multi[per_row[multi] <= _FEW]
    if len(few):  # a repeat lies fewer places back than its row has values: compare shifted copies
        rs, ks, d = r[few], k[few], np.zeros(len(few), dtype=bool)
        for s in range(1, int(per_row[few].max())):
            d[s:] |= (rs[s:] == rs[:-s]) & (ks[s:] == ks[:-s])
        dup[few] = d
    many = multi[per_row[multi] > _FEW]
    if len(many):  # rows with many values: the first occurrence of each (row, value) by a stable sort
        _, first = np.unique(r[many] * (len(enc.dictionary) + 1) + k[many], return_index=True)
        d = np.ones(len(many), dtype=bool)
        d[first] = False
        dup[many] = d
    keep = order[~dup]
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(r[~dup], minlength=n), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), vals.take(pa.array(keep)))


_FEW = 8  # values per row up to which duplicates are found by shifted comparisons


#: Dates outside this range are nulled at import (with a data-quality note): a year 9999 or a
#: year 0 is a broken record, and it would become the snapshot time or stretch every timeline.
DATE_RANGE = ("1970-01-01", "2200-01-01")


def _null_where(arr: pa.Array, bad: pa.Array, id_at: Any, issues: Issues, name: str, what: str,
                shown: Any = None) -> pa.Array:
    bad = pc.fill_null(bad, False)
    n_bad = int(pc.sum(bad).as_py() or 0)
    if not n_bad:
        return arr
    issues.out_of_range += n_bad
    for i in np.flatnonzero(bad.to_numpy(zero_copy_only=False))[: max(0, 20 - len(issues.out_of_range_examples))]:
        v = (arr if shown is None else shown)[int(i)]
        v = v.as_py() if isinstance(v, pa.Scalar) else v
        issues.out_of_range_examples.append(f"{id_at(int(i))}: {name}: {v!s:.40} {what}, nulled")
    return pc.if_else(bad, pa.scalar(None, arr.type), arr)


def _non_negative(values: Any, id_at: Any, issues: Issues, name: str) -> pa.Array:
    """Counts with the negative ones nulled (and counted): a count below 0 is a broken record."""
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not isinstance(arr, pa.Array) or len(arr) == 0:
        return arr
    return _null_where(arr, pc.less(arr, pa.scalar(0, arr.type)), id_at, issues, name, "is negative")


def _in_range(arr: pa.Array, id_at: Any, issues: Issues, name: str, shown: Any) -> pa.Array:
    lo, hi = (pa.scalar(pd_ts, arr.type) for pd_ts in _bounds())
    bad = pc.or_(pc.less(arr, lo), pc.greater_equal(arr, hi))
    what = f"is outside {DATE_RANGE[0][:4]}-{DATE_RANGE[1][:4]}"
    return _null_where(arr, bad, id_at, issues, name, what, shown)


def _bounds() -> tuple[Any, Any]:
    import datetime as dt

    lo, hi = (dt.datetime.fromisoformat(d).replace(tzinfo=dt.UTC) for d in DATE_RANGE)
    return lo, hi


def _timestamps(values: Any, id_at: Any, issues: Issues, name: str) -> pa.Array:
    ts = pa.timestamp("ms", tz="UTC")
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    try:
        arr = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
        return _in_range(pc.cast(arr, ts), id_at, issues, name, arr)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        pass
    import pandas as pd

    if isinstance(values, pa.Array):
        values = values.to_pylist()
    strs = [v if isinstance(v, str) else None for v in values]
    parsed = pd.to_datetime(pd.Series(strs, dtype=object), utc=True, errors="coerce", format="ISO8601")
    bad = parsed.isna().to_numpy() & np.array([v is not None for v in values], dtype=bool)
    for i in np.flatnonzero(bad)[:20]:
        issues.bad_fields.append(f"{id_at(int(i))}: {name}: not a timestamp {str(values[i])[:40]!r}, ignored")
    return _in_range(pa.array(parsed.dt.as_unit("ms"), type=ts), id_at, issues, name, values)
