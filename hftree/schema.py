"""The two shared data types, defined once.

**Model table** — a :class:`pandas.DataFrame`, one row per model id, with the
columns of :data:`MODEL_COLUMNS` (extra columns are allowed and kept).

**Edge table** — the declared lineage, one row per (child, parent) declaration,
with the columns of :data:`EDGE_COLUMNS`. The cleaned, queryable form is
:class:`hftree.lineage.LineageGraph`.

**Card table** — optional, one row per model with a README: ``id``, ``card``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "CARD_COLUMNS",
    "EDGE_COLUMNS",
    "EDGE_SOURCES",
    "LEGACY_SOURCES",
    "MODEL_COLUMNS",
    "PLACEHOLDER_CREATED_AT",
    "RELATIONS",
    "SCHEMA_VERSION",
    "EdgeSource",
    "Relation",
    "RelationFilter",
    "SourceFilter",
    "check_relations",
    "check_sources",
    "empty_models",
    "source_codes",
    "to_pandas",
]

#: Version of the on-disk snapshot layout; bumped when a column changes meaning.
#: 2: edge ``source`` values renamed (``card_data`` -> ``cardData``, ``edge_list`` -> ``table``; new
#: ``baseModels``), one edge row per (pair, source), ``created_at`` null where the Hub's placeholder
#: date stood (the value as served is in ``created_at_raw``). Version-1 snapshots are upgraded on load.
SCHEMA_VERSION = 2

#: The date the Hub stamps on every repository created before it recorded creation dates: not a date.
PLACEHOLDER_CREATED_AT = pd.Timestamp("2022-03-02T23:29:04Z")

#: How a child model derives from its parent.
Relation = Literal["finetune", "adapter", "quantized", "merge", "unknown"]
RELATIONS: tuple[str, ...] = get_args(Relation)

#: The one type of every ``relation=`` argument: one relation, several, or ``None`` for all edges.
RelationFilter = str | Sequence[str] | None

_STR = pa.string()
_TS = pa.timestamp("ms", tz="UTC")
_LIST = pa.list_(pa.string())

#: Canonical model-table columns and their Arrow types.
MODEL_SCHEMA = pa.schema(
    [
        ("id", _STR),
        ("author", _STR),
        ("created_at", _TS),  # null where the Hub served its placeholder date (see created_at_raw)
        ("created_at_raw", _TS),  # createdAt as served, placeholder included
        ("last_modified", _TS),
        ("downloads", pa.int64()),  # the Hub's rolling 30-day window, not cumulative
        ("downloads_all_time", pa.int64()),  # cumulative; served only since 2025-02-26
        ("likes", pa.int64()),
        ("pipeline_tag", _STR),
        ("library_name", _STR),
        ("license", _STR),  # lower-case licence id; "other" keeps license_name
        ("license_name", _STR),
        ("languages", _LIST),  # ISO-639 codes from cardData.language and tags
        ("datasets", _LIST),
        ("tags", _LIST),  # the Hub's tags, as served
        ("parameters", pa.int64()),  # safetensors.total (gguf is kept in extra)
        ("gated", pa.bool_()),
        ("private", pa.bool_()),
        ("card_length", pa.int64()),  # characters of README.md, when cards were read
        ("card_template", pa.bool_()),  # auto-generated / template card
        ("extra", _STR),  # JSON object of every field hftree does not model
    ]
)
MODEL_COLUMNS: tuple[str, ...] = tuple(MODEL_SCHEMA.names)

#: Where a lineage declaration came from, in order of precedence (see :data:`EDGE_SOURCES`).
EdgeSource = Literal["baseModels", "cardData", "tag", "table", "card_text", "inferred"]
#: The edge sources, highest precedence first: ``baseModels`` (the Hub's own inference, from the
#: dumps or ``model_info``), ``cardData`` (the card's ``base_model`` metadata), ``tag``
#: (``base_model:[<relation>:]<id>`` tags), ``table`` (edge lists, the modelbiome ``*_parent`` columns)
#: ``card_text`` (the Trainer's "fine-tuned version of [X](...)" line) and ``inferred`` (candidates of
#: :mod:`hftree.lineage.infer`, kept in a graph only above ``min_confidence``). When one (parent, child)
#: pair is declared by several sources with different relations, the graph keeps a typed relation
#: over ``unknown``, then the relation of the source listed first here.
EDGE_SOURCES: tuple[str, ...] = get_args(EdgeSource)
#: Source names written by hftree before schema version 2.
LEGACY_SOURCES = {"card_data": "cardData", "edge_list": "table"}
#: The one type of every ``sources=`` argument: one source, several, or ``None`` for all.
SourceFilter = str | Sequence[str] | None

#: Declared lineage: ``child`` names ``parent`` as a base model with ``relation``; one row per
#: (parent, child, source): a pair declared by several sources has one row for each.
EDGE_SCHEMA = pa.schema(
    [
        ("parent", _STR),
        ("child", _STR),
        ("relation", _STR),
        ("source", _STR),
    ]
)
EDGE_COLUMNS: tuple[str, ...] = tuple(EDGE_SCHEMA.names)

CARD_SCHEMA = pa.schema([("id", _STR), ("card", _STR)])
CARD_COLUMNS: tuple[str, ...] = tuple(CARD_SCHEMA.names)


def to_pandas(table: pa.Table, *, self_destruct: bool = False) -> pd.DataFrame:
    """Convert an Arrow table of the model/edge/card schema to pandas, keeping list columns in Arrow.

    ``self_destruct=True`` frees each Arrow column once converted (the table is unusable afterwards):
    a 3 M-row model table then never exists twice in memory."""

    def mapper(t: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            return pd.ArrowDtype(t)
        if pa.types.is_integer(t):
            return pd.Int64Dtype()
        if pa.types.is_boolean(t):
            return pd.BooleanDtype()
        return None

    if self_destruct:
        return table.to_pandas(types_mapper=mapper, self_destruct=True, split_blocks=True)
    return table.to_pandas(types_mapper=mapper, self_destruct=False)


def empty_models() -> pd.DataFrame:
    """An empty model table with every canonical column."""
    return to_pandas(MODEL_SCHEMA.empty_table())


def check_relations(relations: RelationFilter) -> tuple[str, ...] | None:
    """Validate a relation filter; ``None`` means every relation.

    Raises :class:`~hftree.errors.ParameterError` (a ``ValueError``) naming the bad relation.

    >>> check_relations("finetune")
    ('finetune',)
    >>> check_relations(["adapter", "quantized"])
    ('adapter', 'quantized')
    """
    if relations is None:
        return None
    from hftree.errors import ParameterError  # errors and schema are both at the bottom layer

    rel = (relations,) if isinstance(relations, str) else tuple(relations)
    bad = [r for r in rel if r not in RELATIONS]
    if bad:
        raise ParameterError("relation", f"one of {', '.join(RELATIONS)}", bad[0])
    return rel


def check_sources(sources: SourceFilter) -> tuple[str, ...] | None:
    """Validate an edge-source filter (legacy names accepted); ``None`` means every source.

    >>> check_sources("tag")
    ('tag',)
    >>> check_sources(["baseModels", "card_data"])
    ('baseModels', 'cardData')
    """
    if sources is None:
        return None
    from hftree.errors import ParameterError

    src = (sources,) if isinstance(sources, str) else tuple(sources)
    src = tuple(LEGACY_SOURCES.get(s, s) for s in src)
    bad = [s for s in src if s not in EDGE_SOURCES]
    if bad or not src:
        raise ParameterError("sources", f"one or more of {', '.join(EDGE_SOURCES)}", bad[0] if bad else src)
    return src


def source_codes(values: Sequence[object] | pa.Array | pd.Series) -> np.ndarray:
    """Each edge source as its index in :data:`EDGE_SOURCES` (legacy names mapped); other values
    and missing ones get ``len(EDGE_SOURCES)``.

    >>> source_codes(["tag", "card_data", None, "family-export"]).tolist()
    [2, 1, 6, 6]
    """
    names = [*EDGE_SOURCES, *LEGACY_SOURCES]
    codes = np.array([*range(len(EDGE_SOURCES)), *(EDGE_SOURCES.index(v) for v in LEGACY_SOURCES.values()),
                      len(EDGE_SOURCES)], dtype=np.int8)
    try:
        arr = pa.array(values, type=pa.string(), from_pandas=True) if not isinstance(values, pa.Array) else values
        pos = pc.fill_null(pc.index_in(arr.cast(pa.string()), value_set=pa.array(names)), len(names))
        return codes[pos.to_numpy(zero_copy_only=False)]
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # not strings: match one by one
        lookup = dict(zip(names, codes.tolist(), strict=False))
        return np.array([lookup.get(v, len(EDGE_SOURCES)) if isinstance(v, str) else len(EDGE_SOURCES)
                         for v in values], dtype=np.int8)
