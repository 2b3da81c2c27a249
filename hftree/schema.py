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

import pandas as pd
import pyarrow as pa

__all__ = [
    "CARD_COLUMNS",
    "EDGE_COLUMNS",
    "MODEL_COLUMNS",
    "RELATIONS",
    "SCHEMA_VERSION",
    "Relation",
    "RelationFilter",
    "check_relations",
    "empty_models",
    "to_pandas",
]

#: Version of the on-disk snapshot layout; bumped when a column changes meaning.
SCHEMA_VERSION = 1

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
        ("created_at", _TS),
        ("last_modified", _TS),
        ("downloads", pa.int64()),
        ("downloads_all_time", pa.int64()),
        ("likes", pa.int64()),
        ("pipeline_tag", _STR),
        ("library_name", _STR),
        ("license", _STR),  # lower-case licence id; "other" keeps license_name
        ("license_name", _STR),
        ("languages", _LIST),  # ISO-639 codes from cardData.language and tags
        ("datasets", _LIST),
        ("tags", _LIST),  # the Hub's tags, as served
        ("parameters", pa.int64()),  # safetensors.total
        ("gated", pa.bool_()),
        ("private", pa.bool_()),
        ("card_length", pa.int64()),  # characters of README.md, when cards were read
        ("card_template", pa.bool_()),  # auto-generated / template card
        ("extra", _STR),  # JSON object of every field hftree does not model
    ]
)
MODEL_COLUMNS: tuple[str, ...] = tuple(MODEL_SCHEMA.names)

#: Declared lineage: ``child`` names ``parent`` as a base model with ``relation``.
#: ``source`` says where the declaration came from: "tag", "card_data" or "edge_list".
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

def to_pandas(table: pa.Table) -> pd.DataFrame:
    """Convert an Arrow table of the model/edge/card schema to pandas, keeping list columns in Arrow."""

    def mapper(t: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            return pd.ArrowDtype(t)
        if pa.types.is_integer(t):
            return pd.Int64Dtype()
        if pa.types.is_boolean(t):
            return pd.BooleanDtype()
        return None

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
