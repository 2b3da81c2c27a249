"""Normalise Hub model records (dicts) into columnar model and edge batches.

A record is what the Hub's ``/api/models`` returns (camelCase) or a
huggingface_hub ``ModelInfo`` dump (snake_case, ``card_data`` as a dict or a
YAML string). :class:`RecordBatcher` takes records one at a time (the only
per-record Python work) and builds Arrow batches; everything that can be done on
whole columns (tag parsing, licence/language/dataset extraction, timestamp
parsing) is done vectorised by :func:`hftree.ingest.columns.assemble`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from hftree.errors import InputFormatError, ParameterError
from hftree.ingest.columns import Issues, Raw, assemble

_LIST = pa.list_(pa.string())

__all__ = ["KNOWN_KEYS", "RELATION_SYNONYMS", "Issues", "RecordBatcher", "check_on_error"]

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
    "base_models": ("baseModels", "base_models"),
    "gated": ("gated",),
    "private": ("private",),
}
#: Every key of a record that becomes a column (the others are kept in ``extra``).
KNOWN_KEYS = frozenset(k for names in _ALIASES.values() for k in names)
#: Spellings of relations the Hub also writes in ``cardData.base_model_relation``.
RELATION_SYNONYMS = {
    "finetune": "finetune", "fine-tune": "finetune", "finetuned": "finetune",
    "adapter": "adapter", "lora": "adapter", "quantized": "quantized", "quantization": "quantized",
    "merge": "merge", "merged": "merge",
}


def check_on_error(on_error: str) -> None:
    """:class:`ParameterError` unless ``on_error`` is ``"raise"`` or ``"skip"``.

    >>> check_on_error("ignore")
    Traceback (most recent call last):
    ...
    hftree.errors.ParameterError: on_error: expected 'raise' or 'skip', got 'ignore'
    """
    if on_error not in ("raise", "skip"):
        raise ParameterError("on_error", "'raise' or 'skip'", on_error)


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


_TRUE = frozenset({"true", "yes", "1", "y", "t"})
_FALSE = frozenset({"false", "no", "0", "n", "f", ""})


def _as_bool(v: Any) -> bool | None:
    """A bool from a bool, 0/1 or a yes/no word; ``None`` for anything else (never ``bool("false")``).

    >>> [_as_bool(v) for v in (True, "false", "No", 1, 0, "maybe", 2.5, None)]
    [True, False, False, True, False, None, None, None]
    """
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int | float) and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        w = v.strip().lower()
        return True if w in _TRUE else False if w in _FALSE else None
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
        conv: list[Any]
        if pa.types.is_integer(typ):
            conv = [_as_int(v) for v in vals]
        elif pa.types.is_boolean(typ):
            conv = [_as_bool(v) for v in vals]
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
        clean: list[list[str] | None] = []
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
            shapes[shape] = tuple(k for k in shape if k not in KNOWN_KEYS)
        self._keys = set().union(*shapes) if shapes else set()
        dumps = orjson.dumps
        opt = orjson.OPT_NON_STR_KEYS
        try:
            extra = [
                dumps({k: r[k] for k in ks}, option=opt).decode() if (ks := shapes[sh]) else None
                for r, sh in zip(recs, shape_of, strict=True)
            ]
        except TypeError:  # an unknown field nested deeper than orjson writes (254 levels): malformed
            keep = []
            for i, (r, sh) in enumerate(zip(recs, shape_of, strict=True)):
                try:
                    dumps({k: r[k] for k in shapes[sh]}, option=opt)
                    keep.append(i)
                except TypeError:
                    self.fail(lines[i], "a field is nested more than 254 levels deep", field=shapes[sh][0])
            return self.records([recs[i] for i in keep], [lines[i] for i in keep])
        col = self._column
        authors = col(recs, "author")
        authors = [a if type(a) is str else (m.split("/", 1)[0] if "/" in m else None)
                   for a, m in zip(authors, ids, strict=True)]
        safet = col(recs, "safetensors")
        params = [s.get("total") if type(s) is dict else None for s in safet]
        gated = [None if g is None else bool(g) for g in col(recs, "gated")]  # False, "auto", "manual"

        hub_rows, hub_parents, hub_rel_rows, hub_rel = self._base_models(col(recs, "base_models"), ids)
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
            hub_rows=np.array(hub_rows, dtype=np.int64),
            hub_parents=pa.array(hub_parents, pa.string()),
            hub_rel_rows=np.array(hub_rel_rows, dtype=np.int64),
            hub_rel=pa.array(hub_rel, pa.string()),
        )
        return assemble(raw, self.issues)

    def _base_models(self, vals: list[Any], ids: list[str]):
        """The Hub's ``baseModels``: ``{"relation": str, "models": [{"id": str, ...}]}``."""
        rows: list[int] = []
        parents: list[str] = []
        rel_rows: list[int] = []
        rels: list[str] = []
        bad = self.issues.bad_fields
        for row, v in enumerate(vals):
            if v is None:
                continue
            if type(v) is not dict:
                bad.append(f"{ids[row]}: baseModels: expected an object, got {_describe(v)}")
                continue
            models = v.get("models")
            if models is not None and type(models) is not list:
                bad.append(f"{ids[row]}: baseModels.models: expected a list, got {_describe(models)}")
                continue
            for m in models or ():
                mid = m.get("id") if type(m) is dict else None
                if type(mid) is str and mid.strip():
                    rows.append(row)
                    parents.append(mid)
                else:
                    bad.append(f"{ids[row]}: baseModels.models: an entry without a model id ignored")
            r = v.get("relation")
            if type(r) is str:
                norm = RELATION_SYNONYMS.get(r.strip().lower())
                if norm is None:
                    bad.append(f"{ids[row]}: baseModels.relation: unknown value {r!r} ignored")
                rel_rows.append(row)
                rels.append(norm or "unknown")
            elif r is not None:
                bad.append(f"{ids[row]}: baseModels.relation: expected a string, got {_describe(r)}")
        return rows, parents, rel_rows, rels

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
                norm = RELATION_SYNONYMS.get(v.strip().lower())
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


def _describe(v: Any) -> str:
    if isinstance(v, list):
        return "a nested list" if any(isinstance(x, list | dict) for x in v) else "a list with non-string items"
    return f"a {type(v).__name__} ({str(v)[:40]!r})"
