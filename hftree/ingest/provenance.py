"""Where lineage came from: edge sources, their disagreements, and old snapshots' names for them.

Every edge row names its source (:data:`hftree.schema.EDGE_SOURCES`); one (parent, child) pair
declared by several sources has one row per source. When the sources give the pair different typed
relations (``unknown`` says nothing, so it never disagrees), the pair is counted in the import's
data-quality report (``relation_disagreements``, with examples and a count per kind such as
``baseModels:quantized / tag:finetune``); the graph resolves it by
:data:`~hftree.schema.EDGE_SOURCES` precedence (see :class:`hftree.lineage.LineageGraph`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hftree.schema import EDGE_SOURCES, LEGACY_SOURCES, PLACEHOLDER_CREATED_AT

__all__ = ["disagreements", "placeholder_count", "rename_legacy_sources", "source_counts", "upgrade_v1"]

_EXAMPLES = 100


def rename_legacy_sources(source: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``card_data`` → ``cardData``, ``edge_list`` → ``table`` (names of schema version 1)."""
    out = source
    for old, new in LEGACY_SOURCES.items():
        out = pc.replace_substring_regex(out, pattern=f"^{old}$", replacement=new)
    return out


def source_counts(edges: pa.Table) -> dict[str, int]:
    """Edge rows per source, in :data:`~hftree.schema.EDGE_SOURCES` order (others after)."""
    vc = pc.value_counts(pc.fill_null(edges.column("source"), "")).to_pylist() if edges.num_rows else []
    got = {d["values"]: int(d["counts"]) for d in vc}
    return {**{s: got.pop(s) for s in EDGE_SOURCES if s in got}, **dict(sorted(got.items()))}


def disagreements(edges: pa.Table, *, child_rows: bool = False) -> dict[str, Any]:
    """Pairs whose sources declare different typed relations: count, kinds and examples.

    ``child_rows=True`` says that the table's ``row`` column (the model row of each edge, never
    null) is equal exactly where ``child`` is (the model ids are unique): the children are then told
    apart by it, not by their strings.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"parent": ["b", "b", "b"], "child": ["c", "c", "c"],
    ...               "relation": ["quantized", "finetune", "unknown"],
    ...               "source": ["baseModels", "tag", "cardData"]})
    >>> d = disagreements(t)
    >>> d["relation_disagreements"], d["relation_disagreement_kinds"]
    (1, {'baseModels:quantized / tag:finetune': 1})
    >>> d["relation_disagreement_examples"][0]["chosen"]
    'quantized'
    """
    out: dict[str, Any] = {"relation_disagreements": 0, "relation_disagreement_kinds": {},
                           "relation_disagreement_examples": []}
    if edges.num_rows == 0:
        return out
    # only a child with two typed relations can have a pair that disagrees: find those children on
    # integer codes of the whole table first (one sort, no copy of its strings), then compare the pairs
    # of their rows alone
    rel = edges.column("relation")
    typed_rows = np.flatnonzero(pc.fill_null(pc.not_equal(rel, "unknown"), False).to_numpy(zero_copy_only=False))
    if len(typed_rows) == 0:
        return out
    if child_rows:
        ccode = edges.column("row").to_numpy().astype(np.int64)[typed_rows]
    else:
        ccode = _codes(edges.column("child"))[typed_rows]
    rcode = _codes(rel)[typed_rows]
    width = int(rcode.max(initial=0)) + 1
    both = np.sort(ccode * width + rcode)
    child_of = both // width
    first = np.ones(len(both), dtype=bool)
    first[1:] = child_of[1:] != child_of[:-1]
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], len(both)) - 1
    mixed = child_of[starts][both[starts] != both[ends]]
    sub = typed_rows[np.isin(ccode, mixed)]
    local, n_pairs = _pair_disagreements(edges.take(pa.array(sub))) if len(sub) else (sub, 0)
    bad_rows = sub[local]
    out["relation_disagreements"] = n_pairs
    if not len(bad_rows):
        return out
    rows = edges.take(pa.array(bad_rows)).to_pylist()
    rank = {s: i for i, s in enumerate(EDGE_SOURCES)}
    by_pair: dict[tuple[str, str], dict[str, str]] = {}
    for r in rows:
        by_pair.setdefault((r["parent"], r["child"]), {}).setdefault(r["source"], r["relation"])
    kinds: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    for (p, c), decl in by_pair.items():
        items = sorted(decl.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
        kinds[" / ".join(f"{s}:{r}" for s, r in items)] += 1
        if len(examples) < _EXAMPLES:
            examples.append({"parent": p, "child": c, "relations": dict(items), "chosen": items[0][1]})
    out["relation_disagreement_kinds"] = dict(kinds.most_common(20))
    out["relation_disagreement_examples"] = examples
    return out


def _codes(values: pa.ChunkedArray) -> np.ndarray:
    """Integer codes of a string column (equal strings, equal codes; nulls -1)."""
    enc = pc.dictionary_encode(values).combine_chunks()
    return pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _pair_disagreements(typed: pa.Table) -> tuple[np.ndarray, int]:
    """The rows (sorted) of the (parent, child) pairs whose typed relations are not all the same, and
    the number of such pairs: pairs as integer keys (parent and child codes), relations as codes."""
    pcode, ccode, r = (_codes(typed.column(c)) for c in ("parent", "child", "relation"))
    key = pcode * (int(ccode.max(initial=0)) + 2) + ccode
    order = np.lexsort((r, key))
    ks, rs = key[order], r[order]
    start = np.ones(len(ks), dtype=bool)
    start[1:] = ks[1:] != ks[:-1]
    grp = np.cumsum(start) - 1
    lo = rs[start]
    hi = np.maximum.reduceat(rs, np.flatnonzero(start))
    bad_groups = np.flatnonzero(lo != hi)
    return np.sort(order[np.isin(grp, bad_groups)]), len(bad_groups)


def placeholder_count(models: pd.DataFrame) -> int:
    """Models whose ``createdAt`` is the Hub's placeholder ``2022-03-02T23:29:04Z``."""
    if "created_at_raw" not in models:
        return 0
    return int((models["created_at_raw"] == PLACEHOLDER_CREATED_AT).sum())


def upgrade_v1(models: pd.DataFrame, edges: pd.DataFrame, manifest: dict[str, Any]) -> None:
    """Bring a schema-version-1 snapshot to version 2, in place: source names, the placeholder date."""
    if "source" in edges:
        src = edges["source"].astype(object)
        edges["source"] = src.map(lambda s: LEGACY_SOURCES.get(s, s) if isinstance(s, str) else s)
    if "created_at" in models and "created_at_raw" not in models:
        raw = models["created_at"]
        pos = models.columns.get_loc("created_at") + 1
        models.insert(pos, "created_at_raw", raw.copy())
        hit = (raw == PLACEHOLDER_CREATED_AT).to_numpy(dtype=bool, na_value=False)
        if hit.any():
            models.loc[np.flatnonzero(hit), "created_at"] = pd.NaT
    dq = manifest.setdefault("data_quality", {})
    dq.setdefault("placeholder_created_at", placeholder_count(models))
    manifest["upgraded_from_schema_version"] = 1
