"""Normalise Hub model records (dicts) into columnar model and edge batches.

A record is what the Hub's ``/api/models`` returns (camelCase) or a
huggingface_hub ``ModelInfo`` dump (snake_case, ``card_data`` as a dict or a
YAML string). :class:`RecordBatcher` takes records one at a time (the only
per-record Python work) and builds Arrow batches; everything that can be done on
whole columns (tag parsing, licence/language/dataset extraction, timestamp
parsing) is done vectorised in :meth:`RecordBatcher.finish`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from hftree.errors import InputFormatError
from hftree.ingest.languages import ISO_639_1
from hftree.schema import EDGE_SCHEMA, MODEL_SCHEMA, RELATIONS

_LIST = pa.list_(pa.string())

__all__ = ["Issues", "RecordBatcher"]

# field name -> the names it may appear under (camelCase API first, snake_case dumps second)
_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "modelId", "model_id"),
    "author": ("author",),
    "created_at": ("createdAt", "created_at"),
    "last_modified": ("lastModified", "last_modified"),
    "downloads": ("downloads",),
    "downloads_all_time": ("downloadsAllTime", "downloads_all_time"),
    "likes": ("likes",),
    "pipeline_tag": ("pipeline_tag", "pipelineTag"),
    "library_name": ("library_name", "libraryName"),
    "tags": ("tags",),
    "card_data": ("cardData", "card_data"),
    "safetensors": ("safetensors",),
    "gated": ("gated",),
    "private": ("private",),
}
_KNOWN_KEYS = frozenset(k for names in _ALIASES.values() for k in names)
_TYPED_RELATIONS = frozenset(RELATIONS) - {"unknown"}
# the Hub also writes these spellings in cardData.base_model_relation
_RELATION_SYNONYMS = {
    "finetune": "finetune", "fine-tune": "finetune", "finetuned": "finetune",
    "adapter": "adapter", "lora": "adapter", "quantized": "quantized", "quantization": "quantized",
    "merge": "merge", "merged": "merge",
}


@dataclass
class Issues:
    """Data-quality findings of an import, merged across chunks and files."""

    skipped_lines: int = 0
    skipped_examples: list[str] = field(default_factory=list)
    bad_base_model: list[str] = field(default_factory=list)  # model ids
    bad_fields: list[str] = field(default_factory=list)  # "model: field: problem"

    def merge(self, other: Issues) -> None:
        self.skipped_lines += other.skipped_lines
        self.skipped_examples.extend(other.skipped_examples[: max(0, 20 - len(self.skipped_examples))])
        self.bad_base_model.extend(other.bad_base_model)
        self.bad_fields.extend(other.bad_fields)


def _first(rec: dict, names: tuple[str, ...]) -> Any:
    for n in names:
        v = rec.get(n)
        if v is not None:
            return v
    return None


def _as_int(v: Any) -> int | None:
    """An int64 from an int, a float or a numeric string; ``None`` for anything else (a bool,
    NaN, infinity, or a number outside int64, which Arrow could not store)."""
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            return None
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        v = int(v)
    if isinstance(v, int) and -(2**63) <= v < 2**63:
        return v
    return None


def _str_list(v: Any) -> list[str] | None:
    """A str or a flat list of str; ``None`` if the value has any other shape."""
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return v
    return None


class RecordBatcher:
    """Turn blocks of decoded records into one model batch and one edge batch.

    The per-record Python work is a handful of list comprehensions; checks and
    conversions run on whole columns (Arrow), with a slow path only for the
    columns where a value has the wrong type.

    Parameters
    ----------
    source : str
        File name used in error messages.
    on_error : {"raise", "skip"}
        What to do with a record that is not a model (no id, not an object).
    """

    def __init__(self, source: str, on_error: str = "raise") -> None:
        self.source = source
        self.on_error = on_error
        self.issues = Issues()
        self._keys: set[str] = set()

    def fail(self, line: int | None, message: str, field: str | None = None) -> None:
        """Report a bad record: raise, or count it when skipping."""
        if self.on_error == "raise":
            raise InputFormatError(
                message + " (use --on-error skip to skip such lines)",
                path=self.source, line=line, field=field,
            )
        self.issues.skipped_lines += 1
        if len(self.issues.skipped_examples) < 20:
            where = f"{self.source}:{line}" if line is not None else self.source
            self.issues.skipped_examples.append(f"{where}: {message}")

    # ------------------------------------------------------------------ columns
    def _column(self, recs: list[dict], field: str) -> list[Any]:
        names = [k for k in _ALIASES[field] if k in self._keys]
        if not names:
            return [None] * len(recs)
        vals = [r.get(names[0]) for r in recs]
        for alt in names[1:]:
            missing = [i for i, v in enumerate(vals) if v is None]
            if not missing:
                break
            for i in missing:
                vals[i] = recs[i].get(alt)
        return vals

    def _ids(self, recs: list[Any], lines: list[int]) -> tuple[list[dict], list[int]]:
        """Keep the records that are objects with a model id; report the others."""
        ok = [type(r) is dict and type(r.get("id")) is str and r["id"] != "" for r in recs]
        if all(ok):
            return recs, lines
        keep_r: list[dict] = []
        keep_l: list[int] = []
        for r, line, good in zip(recs, lines, ok, strict=True):
            if good:
                keep_r.append(r)
                keep_l.append(line)
            elif type(r) is not dict:
                self.fail(line, f"expected a JSON object (a model record), got {type(r).__name__}")
            else:
                alt = r.get("modelId") or r.get("model_id")
                if isinstance(alt, str) and alt.strip():
                    r["id"] = alt
                    keep_r.append(r)
                    keep_l.append(line)
                else:
                    self.fail(line, "record has no model id (field 'id' or 'modelId')", field="id")
        return keep_r, keep_l

    def _typed(self, vals: list[Any], typ: pa.DataType, ids: list[str], field: str) -> pa.Array:
        try:
            return pa.array(vals, type=typ)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            pass
        if pa.types.is_integer(typ):
            conv = [_as_int(v) for v in vals]
        elif pa.types.is_boolean(typ):
            conv = [None if v is None else bool(v) for v in vals]
        else:
            conv = [v if isinstance(v, str) else None for v in vals]
        for i, (a, b) in enumerate(zip(vals, conv, strict=True)):
            if a is not None and b is None and len(self.issues.bad_fields) < 10_000:
                self.issues.bad_fields.append(f"{ids[i]}: {field}: unexpected value {str(a)[:40]!r} ignored")
        return pa.array(conv, type=typ)

    def _tags(self, vals: list[Any], ids: list[str]) -> pa.ListArray:
        if all(type(t) is list or t is None for t in vals):  # Arrow would split a str into chars
            try:
                return pa.array(vals, type=_LIST)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
                pass
        clean = []
        for mid, t in zip(ids, vals, strict=True):
            if t is None:
                clean.append(None)
            elif isinstance(t, list):
                good = [x for x in t if isinstance(x, str)]
                if len(good) != len(t):
                    self.issues.bad_fields.append(f"{mid}: tags: non-string entries ignored")
                clean.append(good)
            else:
                self.issues.bad_fields.append(f"{mid}: tags: expected a list, got {type(t).__name__}")
                clean.append(None)
        return pa.array(clean, type=_LIST)

    # ------------------------------------------------------------------ the block
    def records(self, recs: list[Any], lines: list[int]) -> tuple[pa.RecordBatch, pa.RecordBatch]:
        """Normalise decoded records; ``lines`` are their line numbers for messages.

        Returns ``(models, edges)``; edges have an extra ``row`` column (int64)
        pointing into ``models``.
        """
        recs, lines = self._ids(recs, lines)
        ids = [r["id"] for r in recs]
        # the distinct key sets of the block (few): known/unknown keys are sorted once per shape
        shapes: dict[tuple[str, ...], tuple[str, ...]] = {}
        shape_of = [tuple(r) for r in recs]
        for shape in set(shape_of):
            shapes[shape] = tuple(k for k in shape if k not in _KNOWN_KEYS)
        self._keys = set().union(*shapes) if shapes else set()
        col = self._column
        authors = col(recs, "author")
        authors = [a if type(a) is str else (m.split("/", 1)[0] if "/" in m else None)
                   for a, m in zip(authors, ids, strict=True)]
        safet = col(recs, "safetensors")
        params = [s.get("total") if type(s) is dict else None for s in safet]
        gated = [None if g is None else bool(g) for g in col(recs, "gated")]  # False, "auto", "manual"
        dumps = orjson.dumps
        opt = orjson.OPT_NON_STR_KEYS
        extra = [
            dumps({k: r[k] for k in ks}, option=opt).decode() if (ks := shapes[sh]) else None
            for r, sh in zip(recs, shape_of, strict=True)
        ]

        cards = col(recs, "card_data")
        lic, lic_name, card_lang, card_ds, card_base, card_rel = self._cards(cards, ids)
        typed = self._typed
        raw = Raw(
            ids=pa.array(ids, type=pa.string()),
            author=typed(authors, pa.string(), ids, "author"),
            created_at=col(recs, "created_at"),
            last_modified=col(recs, "last_modified"),
            downloads=typed(col(recs, "downloads"), pa.int64(), ids, "downloads"),
            downloads_all_time=typed(col(recs, "downloads_all_time"), pa.int64(), ids, "downloadsAllTime"),
            likes=typed(col(recs, "likes"), pa.int64(), ids, "likes"),
            pipeline_tag=typed(col(recs, "pipeline_tag"), pa.string(), ids, "pipeline_tag"),
            library_name=typed(col(recs, "library_name"), pa.string(), ids, "library_name"),
            license=pa.array(lic, type=pa.string()),
            license_name=pa.array(lic_name, type=pa.string()),
            parameters=typed(params, pa.int64(), ids, "safetensors.total"),
            gated=typed(gated, pa.bool_(), ids, "gated"),
            private=typed(col(recs, "private"), pa.bool_(), ids, "private"),
            extra=pa.array(extra, type=pa.string()),
            tags=self._tags(col(recs, "tags"), ids),
            card_lang_rows=np.array([r for r, _ in card_lang], dtype=np.int64),
            card_lang=np.array([v for _, v in card_lang], dtype=object),
            card_ds_rows=np.array([r for r, _ in card_ds], dtype=np.int64),
            card_ds=np.array([v for _, v in card_ds], dtype=object),
            card_base_rows=np.array([r for r, ps in card_base.items() for _ in ps], dtype=np.int64),
            card_base=np.array([p for ps in card_base.values() for p in ps], dtype=object),
            card_rel_rows=np.fromiter(card_rel.keys(), dtype=np.int64, count=len(card_rel)),
            card_rel=np.array(list(card_rel.values()), dtype=object),
        )
        return assemble(raw, self.issues)

    def _cards(self, cards: list[Any], ids: list[str]):
        n = len(cards)
        lic: list[str | None] = [None] * n
        lic_name: list[str | None] = [None] * n
        card_lang: list[tuple[int, str]] = []
        card_ds: list[tuple[int, str]] = []
        card_base: dict[int, list[str]] = {}
        card_rel: dict[int, str] = {}
        bad = self.issues.bad_fields
        for row, card in enumerate(cards):
            if card is None:
                continue
            mid = ids[row]
            if type(card) is str:
                card = self._yaml(card, mid)
                if card is None:
                    continue
            if type(card) is not dict:
                bad.append(f"{mid}: cardData: expected an object, got {type(card).__name__}")
                continue
            get = card.get
            v = get("license")
            if v is not None:
                if type(v) is list:
                    v = next((x for x in v if isinstance(x, str)), None)
                if type(v) is str:
                    v = v.strip().lower() or None
                    lic[row] = v
                    if v == "other":
                        name = get("license_name")
                        lic_name[row] = name if isinstance(name, str) else None
            v = get("language")
            if v is not None:
                vs = _str_list(v)
                if vs is None:
                    bad.append(f"{mid}: cardData.language: expected str or list of str, got {_describe(v)}")
                else:
                    card_lang.extend((row, x.strip().lower()) for x in vs if x.strip())
            v = get("datasets")
            if v is not None:
                vs = _str_list(v)
                if vs is None:
                    bad.append(f"{mid}: cardData.datasets: expected str or list of str, got {_describe(v)}")
                else:
                    card_ds.extend((row, x.strip()) for x in vs if x.strip())
            v = get("base_model")
            if v is not None:
                vs = _str_list(v)
                if vs is None:
                    self.issues.bad_base_model.append(mid)
                    bad.append(
                        f"{mid}: cardData.base_model: expected a model id or a list of ids, "
                        f"got {_describe(v)}; ignored"
                    )
                else:
                    clean = [x.strip() for x in vs if x.strip()]
                    if clean:
                        card_base[row] = clean
            v = get("base_model_relation")
            if type(v) is str:
                norm = _RELATION_SYNONYMS.get(v.strip().lower())
                if norm is None:
                    bad.append(f"{mid}: cardData.base_model_relation: unknown value {v!r} ignored")
                else:
                    card_rel[row] = norm
        return lic, lic_name, card_lang, card_ds, card_base, card_rel

    def _yaml(self, text: str, mid: str) -> dict | None:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            self.issues.bad_fields.append(f"{mid}: card_data: not valid YAML ({exc.__class__.__name__})")
            return None
        if data is not None and not isinstance(data, dict):
            self.issues.bad_fields.append(f"{mid}: card_data: YAML is not a mapping")
            return None
        return data


@dataclass
class Raw:
    """Per-record values of a block, before the vectorised derivations of :func:`assemble`.

    Both readers fill it: the Python one record by record, the DuckDB one in SQL.
    ``created_at``/``last_modified`` are ISO strings (list or Arrow array); card
    languages/datasets are (row, value) pairs; ``card_base`` holds the parent
    ids of each row's ``cardData.base_model``; ``card_rel`` each row's
    normalised ``cardData.base_model_relation`` (both as parallel row/value arrays).
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
        lic_tag = np.full(n, None, dtype=object)
        lic_tag[first_rows] = pc.utf8_lower(tag_lic).to_numpy(zero_copy_only=False)[idx]
        lic_arr = pc.coalesce(lic_arr, pa.array(lic_tag, type=pa.string()))

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

    models = pa.RecordBatch.from_arrays(
        [
            ids,
            raw.author,
            _timestamps(raw.created_at, id_at, issues, "createdAt"),
            _timestamps(raw.last_modified, id_at, issues, "lastModified"),
            raw.downloads,
            raw.downloads_all_time,
            raw.likes,
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
    return models, edges


def _string_layout(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
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
    offs, data = _string_layout(flat)
    length = np.diff(offs)
    # first byte of each tag (of the next tag where empty: harmless, empty tags fail the length tests)
    first = data[np.minimum(offs[:-1], len(data) - 1)] if len(data) else np.zeros(len(flat), np.uint8)

    def rows_of(idx: np.ndarray) -> np.ndarray:
        # tag i (in ``flat``) belongs to the list whose offsets bracket it; null lists hold no tags
        return np.searchsorted(list_offs, idx + base, side="right").astype(np.int64) - 1

    def pick(cand: np.ndarray, prefix: str | None):
        idx = np.flatnonzero(cand)
        vals = flat.take(pa.array(idx))
        if prefix is not None:
            hit = pc.starts_with(vals, prefix).to_numpy(zero_copy_only=False)
            idx, vals = idx[hit], pc.utf8_slice_codeunits(vals.filter(pa.array(hit)), len(prefix))
        return rows_of(idx), vals

    lic_rows, lic_vals = pick((first == ord("l")) & (length > 8), "license:")  # "license:" alone says nothing
    ds = pick((first == ord("d")) & (length >= 8), "dataset:")
    bm_rows, bm_vals = pick((first == ord("b")) & (length >= 11), "base_model:")
    two = np.flatnonzero(length == 2)
    is_lang = pc.is_in(flat.take(pa.array(two)), value_set=_LANG_SET).to_numpy(zero_copy_only=False)
    lang = (rows_of(two[is_lang]), flat.take(pa.array(two[is_lang])))
    return lic_rows, lic_vals, lang, ds, (bm_rows, bm_vals)


_REL_NAMES = np.array(["finetune", "adapter", "quantized", "merge", "unknown"], dtype=object)
_REL_ARROW = pa.array(_REL_NAMES.tolist(), pa.string())
_SRC_ARROW = pa.array(["tag", "card_data"], pa.string())


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

    Typed tags ``base_model:<relation>:<id>`` give the relation; untyped tags and
    ``cardData.base_model`` add parents (in that order of precedence for
    ``source``); the first typed relation declared for a parent wins; a child
    with two or more parents none of which is typed has merge edges;
    ``cardData.base_model_relation`` overrides everything.
    """
    rest = bm_rest
    parts = pc.extract_regex(rest, pattern=r"^(?P<head>[^:]*):(?P<tail>.+)$")
    head = pc.struct_field(parts, "head")
    tail = pc.struct_field(parts, "tail")
    typed = pc.fill_null(pc.is_in(head, value_set=pa.array(sorted(_TYPED_RELATIONS))), False)
    parent = pc.utf8_trim_whitespace(pc.if_else(typed, tail, rest))
    rel_tag = pc.index_in(pc.if_else(typed, head, pa.scalar(None, pa.string())), value_set=_REL_ARROW[:4])
    rel_code = np.concatenate([
        pc.fill_null(rel_tag, -1).to_numpy(zero_copy_only=False).astype(np.int64),
        np.full(len(card_rows), -1, dtype=np.int64),
    ])
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
    best_rel = rel_code[by_typed][head_of_key]  # aligned with np.unique's sorted keys
    first_sorted = first  # np.unique returns keys sorted; first[i] is the first declaration of key i
    rel_u = best_rel
    src_u = is_tag[first_sorted]
    row_u = rows_all[first_sorted]
    pc_u = pcode[first_sorted]
    order = np.lexsort((first_sorted, row_u))  # by row, then first declaration
    row_u, pc_u, rel_u, src_u = row_u[order], pc_u[order], rel_u[order], src_u[order]
    n_par = np.bincount(row_u, minlength=int(row_u.max(initial=-1)) + 1)[row_u] if len(row_u) else row_u
    relation = np.where(rel_u >= 0, rel_u, np.where(n_par >= 2, 3, 4))  # merge / unknown
    if len(rel_rows):
        over = np.full(int(max(rel_rows.max(), row_u.max(initial=0))) + 1, -1, dtype=np.int64)
        over[rel_rows] = pc.index_in(_str_array(rel_vals), value_set=pa.array(_REL_NAMES.tolist())).to_numpy(
            zero_copy_only=False).astype(np.int64)
        o = over[row_u]
        relation = np.where(o >= 0, o, relation)
    rows = row_u
    parent_out = enc.dictionary.take(pa.array(pc_u)) if len(pc_u) else pa.array([], pa.string())
    return pa.RecordBatch.from_arrays(
        [
            parent_out,
            ids.take(pa.array(rows, type=pa.int64())),
            _REL_ARROW.take(pa.array(relation, type=pa.int64())),
            _SRC_ARROW.take(pa.array(np.where(src_u, 0, 1), type=pa.int64())),
            pa.array(rows, pa.int64()),
        ],
        schema=EDGE_SCHEMA.append(pa.field("row", pa.int64())),
    )


_LANG_SET = pa.array(sorted(ISO_639_1), type=pa.string())


def _describe(v: Any) -> str:
    if isinstance(v, list):
        return "a nested list" if any(isinstance(x, list | dict) for x in v) else "a list with non-string items"
    return f"a {type(v).__name__} ({str(v)[:40]!r})"


def _group_unique(rows: np.ndarray, vals: pa.Array | np.ndarray, n: int) -> pa.ListArray:
    """A list<string> column of ``n`` rows from (row, value) pairs: values de-duplicated within
    a row, in order of first appearance; all on integer codes (no Python object per value)."""
    vals = vals if isinstance(vals, pa.Array) else pa.array(vals, type=pa.string())
    if len(rows) == 0:
        return pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, dtype=np.int32)), pa.array([], pa.string()))
    enc = pc.dictionary_encode(vals)
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    key = rows.astype(np.int64) * (len(enc.dictionary) + 1) + codes
    _, first = np.unique(key, return_index=True)  # first occurrence of each (row, value)
    first.sort()
    order = first[np.argsort(rows[first], kind="stable")]  # by row, then appearance
    counts = np.bincount(rows[order], minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), vals.take(pa.array(order)))


def _timestamps(values: Any, id_at: Any, issues: Issues, name: str) -> pa.Array:
    ts = pa.timestamp("ms", tz="UTC")
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    try:
        arr = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
        return pc.cast(arr, ts)
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
    return pa.array(parsed.dt.as_unit("ms"), type=ts)
