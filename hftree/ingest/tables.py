"""Read CSV/Parquet model tables, edge lists and model-card files.

Large public Hub dumps are distributed as CSV or Parquet with the API's field
names, list and dict fields often JSON-encoded as strings; those are decoded
and fed through the same :class:`~hftree.ingest.records.RecordBatcher` as JSON
Lines, so every source is normalised by one piece of code.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa

from hftree.errors import InputFormatError
from hftree.ingest.jsonl import open_jsonl
from hftree.ingest.records import RELATION_SYNONYMS, Issues, RecordBatcher
from hftree.schema import CARD_SCHEMA, EDGE_SCHEMA

__all__ = ["card_features", "read_cards", "read_edge_list", "read_model_table"]

_HUB_URL = re.compile(r"^https?://(?:www\.)?huggingface\.co/")
# fields that are lists/dicts in the API but arrive JSON-encoded in flat tables
_NESTED = ("tags", "cardData", "card_data", "safetensors", "siblings", "gguf", "config", "spaces")
# column renames of well-known public dumps (hub-2023: modelId, creation_time, task_category)
_TABLE_ALIASES = {"creation_time": "createdAt", "task_category": "pipeline_tag", "owner": "author"}


def _read_frame(path: Path) -> pd.DataFrame:
    name = path.name.lower()
    try:
        if name.endswith(".parquet") or name.endswith(".pq"):
            return pd.read_parquet(path)
        if name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
            sep = "\t" if ".tsv" in name else ","
            return read_csv_strict(path, sep=sep)
    except (ValueError, UnicodeDecodeError, pa.ArrowInvalid, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError | InputFormatError):
            raise
        raise InputFormatError(f"cannot read table: {exc}", path=str(path)) from exc
    raise InputFormatError(
        "unknown table format; expected .csv, .csv.gz, .tsv or .parquet", path=str(path)
    )


def read_csv_strict(path: Path, *, sep: str = ",", nrows: int | None = None) -> pd.DataFrame:
    """A CSV as strings, refusing (with the line) rows wider than the header and broken quoting.

    pandas would take the extra leading fields of a wide row as an index and shift every
    column; here such a file is an :class:`~hftree.errors.InputFormatError`.
    """
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                               index_col=False, nrows=nrows)
    except pd.errors.ParserWarning:
        line, msg = _wide_row(path, sep), "a row has more fields than the header"
    except pd.errors.ParserError as exc:
        text = str(exc).removeprefix("Error tokenizing data. C error: ")
        m = re.search(r"in line (\d+)", text) or re.search(r"starting at row (\d+)", text)
        line = None if m is None else int(m.group(1)) + (1 if "row" in m.group(0) else 0)
        msg = "unterminated quoted field" if "EOF inside string" in text else text.split(",")[0]
    raise InputFormatError(msg, path=str(path), line=line)


def _wide_row(path: Path, sep: str) -> int | None:
    import csv
    import gzip

    opener = gzip.open if str(path).lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=sep)
        width = len(next(reader, []))
        for row in reader:
            if len(row) > width:
                return reader.line_num
    return None


def read_model_table(
    path: str | os.PathLike[str], *, on_error: str = "raise"
) -> tuple[pa.Table, pa.Table, Issues]:
    """Read a CSV/Parquet table of model records (API field names, nested fields maybe JSON text).

    Returns ``(models, edges, issues)`` like :func:`hftree.ingest.jsonl.read_jsonl`.
    """
    path = Path(path)
    df = _read_frame(path)
    if df.empty:
        raise InputFormatError("table has no rows", path=str(path))
    df = df.rename(columns={k: v for k, v in _TABLE_ALIASES.items() if k in df.columns})
    if "id" not in df.columns and "modelId" not in df.columns and "model_id" not in df.columns:
        raise InputFormatError(
            f"table has no model id column; expected 'id' or 'modelId', found {list(df.columns)[:8]} "
            "(if it is an edge list, pass it with --edges and name its columns with --parent-col/--child-col)",
            path=str(path), field="id",
        )
    batcher = RecordBatcher(str(path), on_error)
    records = df.to_dict("records")
    for rec in records:
        for key in _NESTED:
            v = rec.get(key)
            if isinstance(v, str) and v[:1] in "[{":
                with contextlib.suppress(orjson.JSONDecodeError):  # else left as text: the batcher reports it
                    rec[key] = orjson.loads(v)
            elif isinstance(v, np.ndarray):
                rec[key] = v.tolist()
        for k, v in list(rec.items()):
            if isinstance(v, float) and v != v:  # NaN from pandas: missing
                rec[k] = None
            elif isinstance(v, pd.Timestamp):
                rec[k] = v.isoformat()
        for k in ("downloads", "likes", "downloadsAllTime"):
            v = rec.get(k)
            if isinstance(v, str):
                with contextlib.suppress(ValueError):
                    rec[k] = int(float(v))
    # header is line 1 in a CSV: data rows start at line 2
    first = 2 if path.name.lower().endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")) else 1
    models, edges = batcher.records(records, list(range(first, first + len(records))))
    return pa.Table.from_batches([models]), pa.Table.from_batches([edges]), batcher.issues


def read_edge_list(
    path: str | os.PathLike[str],
    *,
    parent_col: str | None = None,
    child_col: str | None = None,
    relation_col: str | None = None,
) -> pa.Table:
    """Read an edge list (CSV/Parquet) of ``parent, child, relation``.

    Column names default to the first match of ``parent``/``source``/``base_model``,
    ``child``/``target``/``model``/``id`` and ``relation``/``edge``/``type``.
    Relations are normalised (``finetuned`` → ``finetune``, ``merged`` → ``merge``, …;
    anything else → ``unknown``) and Hub URLs reduced to model ids.
    """
    path = Path(path)
    df = _read_frame(path)
    cols = list(df.columns)

    def pick(given: str | None, candidates: tuple[str, ...], what: str, required: bool = True) -> str | None:
        if given is not None:
            if given not in cols:
                raise InputFormatError(
                    f"no column {given!r} for the {what}; columns are {cols}", path=str(path), field=given
                )
            return given
        for c in candidates:
            if c in cols:
                return c
        if required:
            raise InputFormatError(
                f"cannot tell which column holds the {what}; columns are {cols} "
                f"(name it with --{what}-col)", path=str(path),
            )
        return None

    p = pick(parent_col, ("parent", "source", "base_model", "src"), "parent")
    c = pick(child_col, ("child", "target", "model", "dst"), "child")
    r = pick(relation_col, ("relation", "edge", "type", "relationship"), "relation", required=False)
    parents = df[p].astype("string").str.replace(_HUB_URL, "", regex=True).str.strip()
    children = df[c].astype("string").str.replace(_HUB_URL, "", regex=True).str.strip()
    bad = parents.isna() | children.isna() | (parents == "") | (children == "")
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputFormatError(
            f"row {first + 1} has an empty parent or child; {int(bad.sum())} such rows",
            path=str(path), line=first + 2,
        )
    if r is None:
        rel = pd.Series(["unknown"] * len(df), dtype="string")
    else:
        raw = df[r].astype("string").str.strip().str.lower()
        rel = raw.map(lambda x: RELATION_SYNONYMS.get(x, "unknown") if isinstance(x, str) else "unknown")
    return pa.Table.from_pydict(
        {
            "parent": pa.array(parents.to_numpy(dtype=object), pa.string()),
            "child": pa.array(children.to_numpy(dtype=object), pa.string()),
            "relation": pa.array(rel.to_numpy(dtype=object), pa.string()),
            "source": pa.array(["edge_list"] * len(df), pa.string()),
        },
        schema=EDGE_SCHEMA,
    )


def read_cards(path: str | os.PathLike[str], *, on_error: str = "raise") -> tuple[pa.Table, Issues]:
    """Read model-card texts: JSON Lines ``{"id": ..., "card": ...}`` (plain or .gz) or Parquet."""
    path = Path(path)
    issues = Issues()
    if path.name.lower().endswith((".parquet", ".pq")):
        df = pd.read_parquet(path)
        if not {"id", "card"} <= set(df.columns):
            raise InputFormatError(f"card table needs columns id and card, found {list(df.columns)}", path=str(path))
        return pa.Table.from_pandas(df[["id", "card"]], schema=CARD_SCHEMA, preserve_index=False), issues
    if path.stat().st_size == 0:
        raise InputFormatError("file is empty; expected one {\"id\", \"card\"} object per line", path=str(path))
    ids: list[str] = []
    texts: list[str | None] = []
    batcher = RecordBatcher(str(path), on_error)
    with open_jsonl(path) as fh:
        try:
            data = fh.read()
        except (EOFError, OSError) as exc:
            raise InputFormatError(f"compressed data is truncated or corrupt ({exc})", path=str(path)) from exc
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            rec: Any = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            msg = "line is not valid UTF-8 text" if "UTF-8" in str(exc) else "malformed JSON"
            batcher.fail(lineno, msg)
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
            batcher.fail(lineno, "expected an object with a string 'id' and a 'card'", field="id")
            continue
        card = rec.get("card")
        ids.append(rec["id"])
        texts.append(card if isinstance(card, str) else None)
    issues.merge(batcher.issues)
    return pa.Table.from_pydict({"id": ids, "card": texts}, schema=CARD_SCHEMA), issues


# Markers of auto-generated or unfilled template cards (Trainer, the Hub's default template, ...)
TEMPLATE_MARKERS: tuple[str, ...] = (
    "generated_from_trainer",
    "This model card has been automatically generated",
    "This model card has been generated automatically",
    "generated automatically according to the information",
    "[More Information Needed]",
    "<!-- Provide a quick summary of what the model is/does. -->",
    "This is the model card of a 🤗 transformers model that has been pushed on the Hub",
)
_TEMPLATE_RE = "|".join(re.escape(m) for m in TEMPLATE_MARKERS)


def card_features(cards: pd.DataFrame) -> pd.DataFrame:
    """Per card: ``card_length`` (characters) and ``card_template`` (auto-generated/template).

    >>> import pandas as pd
    >>> card_features(pd.DataFrame({"id": ["a", "b"], "card": ["# A\\nhand written", None]}))
      id  card_length  card_template
    0  a           16          False
    1  b         <NA>           <NA>
    """
    text = cards["card"].astype("string")
    return pd.DataFrame(
        {
            "id": cards["id"].to_numpy(),
            "card_length": text.str.len().astype("Int64"),
            "card_template": text.str.contains(_TEMPLATE_RE, regex=True).astype("boolean"),
        }
    )


# The Trainer's card line: "This model is a fine-tuned version of [X](https://huggingface.co/X) on ..."
_TRAINER_LINE = re.compile(
    r"fine-tuned version of \[[^\]]*\]\(https?://huggingface\.co/([A-Za-z0-9][\w.\-]*(?:/[\w.\-]+)?)\)"
)


def card_lineage(cards: pd.DataFrame) -> pa.Table:
    """Lineage stated only in card text (the Trainer's "fine-tuned version of [X](…/X)" line).

    Older snapshots (e.g. early 2022) have no ``base_model`` metadata; this is
    the lineage they do have. Edges get relation ``finetune`` and source ``card_text``.

    >>> import pandas as pd
    >>> card = ("This model is a fine-tuned version of "
    ...         "[bert-base-uncased](https://huggingface.co/bert-base-uncased) on imdb.")
    >>> t = card_lineage(pd.DataFrame({"id": ["me/ft"], "card": [card]}))
    >>> t.to_pylist()
    [{'parent': 'bert-base-uncased', 'child': 'me/ft', 'relation': 'finetune', 'source': 'card_text'}]
    """
    text = cards["card"].astype("string")
    parent = text.str.extract(_TRAINER_LINE, expand=False)
    hit = parent.notna().to_numpy()
    child = cards["id"].to_numpy(dtype=object)[hit]
    par = parent.to_numpy(dtype=object)[hit]
    ok = np.array([p != c for p, c in zip(par, child, strict=True)], dtype=bool)
    n = int(hit.sum())
    return pa.Table.from_pydict(
        {
            "parent": pa.array(par, pa.string()),
            "child": pa.array(child, pa.string()),
            "relation": pa.array(["finetune"] * n, pa.string()),
            "source": pa.array(["card_text"] * n, pa.string()),
        },
        schema=EDGE_SCHEMA,
    ).filter(pa.array(ok) if n else pa.array([], pa.bool_()))
