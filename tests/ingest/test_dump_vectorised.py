"""The vectorised steps the dump import spends its time in give what a plain Python reading of their
rules gives: on random inputs (seeded) and on the edge cases each shortcut relies on."""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pyarrow as pa
import pytest

from hftree.ingest.columns import _FEW, _classify_tags, _group_unique, _typed_tags
from hftree.ingest.languages import ISO_639_1
from hftree.ingest.provenance import disagreements
from hftree.schema import EDGE_SOURCES

_REL = ("finetune", "adapter", "quantized", "merge")


def _unique_per_row(rows: np.ndarray, vals: list[str], n: int) -> list[list[str]]:
    """Each row's values, first appearances only, in input order."""
    out: list[dict[str, None]] = [{} for _ in range(n)]
    for r, v in sorted(zip(rows.tolist(), vals, strict=True), key=lambda rv: rv[0]):  # stable: input order
        out[r].setdefault(v, None)
    return [list(d) for d in out]


@pytest.mark.parametrize("seed", range(40))
def test_group_unique_keeps_first_appearances_in_row_order(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    words = ["en", "fr", "de", "ja", "x", "é", "日本"]
    # two sorted runs (tags, then card values) as assemble gives them; some rows past the shortcut's limit
    first = np.sort(rng.integers(0, n, int(rng.integers(0, 6 * n))))
    busy = np.repeat(rng.integers(0, n, 2), _FEW + 3)
    second = np.sort(np.concatenate([rng.integers(0, n, int(rng.integers(0, 3 * n))), busy]))
    rows = np.concatenate([first, second])
    vals = rng.choice(words, len(rows)).tolist()
    got = _group_unique(rows, pa.array(vals, pa.string()), n)
    assert got.to_pylist() == _unique_per_row(rows, vals, n)


def test_group_unique_without_values_gives_empty_lists() -> None:
    assert _group_unique(np.empty(0, np.int64), pa.array([], pa.string()), 3).to_pylist() == [[], [], []]


def _typed_reference(tag_rest: str) -> tuple[str, int]:
    m = re.fullmatch(r"([^:]*):(.+)", tag_rest)  # "." stops at a line break, as in the import's rule
    if m and m.group(1) in _REL:
        return m.group(2).strip(), _REL.index(m.group(1))
    return tag_rest.strip(), -1


def test_typed_tags_follow_the_pattern_rule() -> None:
    heads = [*_REL, "unknown", "fine", "finetunes", "", "x\n", "Finetune"]
    tails = ["a/b", " a/b ", "", "x\ny", "a:b", "日本/x", " "]
    rng = np.random.default_rng(7)
    rests = [f"{h}:{t}" for h in heads for t in tails] + tails + heads
    rests += [str(rng.choice(rests)) for _ in range(200)]
    parent, code = _typed_tags(pa.array(rests, pa.string()))
    want = [_typed_reference(r) for r in rests]
    assert parent.to_pylist() == [p for p, _ in want]
    assert code.tolist() == [c for _, c in want]


def test_classify_tags_matches_a_plain_reading() -> None:
    rng = np.random.default_rng(3)
    pool = ["en", "fr", "zz", "é", "日", "ab", "license:mit", "license:", "licenses:x", "lïcense:x", "dataset:squad",
            "dataset:", "datasets:x", "base_model:a/b", "base_model:finetune:c/d", "base_model", "", "EN"]
    lists = [None if rng.random() < 0.1 else rng.choice(pool, int(rng.integers(0, 25))).tolist() for _ in range(300)]
    for tags in (pa.array(lists, pa.list_(pa.string())), pa.array(lists, pa.list_(pa.string())).slice(7)):
        lic_rows, lic, (lang_rows, lang), (ds_rows, ds), (bm_rows, bm) = _classify_tags(tags)
        want: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for r, ts in enumerate(tags.to_pylist()):
            for t in ts or []:
                if t.startswith("license:") and len(t) > 8:
                    want["lic"].append((r, t[8:]))
                elif t.startswith("dataset:"):
                    want["ds"].append((r, t[8:]))
                elif t.startswith("base_model:"):
                    want["bm"].append((r, t[11:]))
                elif t in ISO_639_1:
                    want["lang"].append((r, t))
        for key, rows, vals in (("lic", lic_rows, lic), ("lang", lang_rows, lang), ("ds", ds_rows, ds),
                                ("bm", bm_rows, bm)):
            assert list(zip(rows.tolist(), vals.to_pylist(), strict=True)) == want[key], key


def _disagreements_reference(edges: pa.Table) -> tuple[int, dict[str, int]]:
    rank = {s: i for i, s in enumerate(EDGE_SOURCES)}
    pairs: dict[tuple[str, str], dict[str, str]] = {}
    rels: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in edges.to_pylist():
        if r["relation"] is None or r["relation"] == "unknown":
            continue
        rels[(r["parent"], r["child"])].add(r["relation"])
        pairs.setdefault((r["parent"], r["child"]), {}).setdefault(r["source"], r["relation"])
    kinds: dict[str, int] = defaultdict(int)
    bad = [p for p, rs in rels.items() if len(rs) > 1]
    for p in bad:
        items = sorted(pairs[p].items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
        kinds[" / ".join(f"{s}:{r}" for s, r in items)] += 1
    return len(bad), dict(kinds)


@pytest.mark.parametrize("seed", range(30))
def test_disagreements_match_a_plain_count(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = int(rng.integers(0, 80))
    relations = [*_REL, "unknown", None]
    edges = pa.table({
        "parent": pa.array(rng.choice(["a", "b", "c", "d"], m).tolist(), pa.large_string()),
        "child": pa.array(rng.choice(["x", "y", "z", "a"], m).tolist(), pa.large_string()),
        "relation": pa.array([relations[i] for i in rng.integers(0, len(relations), m)], pa.large_string()),
        "source": pa.array(rng.choice(["baseModels", "tag", "cardData", "table"], m).tolist(), pa.large_string()),
    })
    got = disagreements(edges)
    n, kinds = _disagreements_reference(edges)
    assert got["relation_disagreements"] == n
    assert len(kinds) <= 20  # the report keeps the 20 most common kinds: here all of them
    assert got["relation_disagreement_kinds"] == kinds
    assert len(got["relation_disagreement_examples"]) == min(n, 100)
    # children told apart by their model row (unique ids: one row per child), as the import does
    row = {c: i for i, c in enumerate(["z", "a", "y", "x"])}
    with_rows = edges.append_column("row", pa.array([row[c] for c in edges.column("child").to_pylist()],
                                                    pa.int64()))
    assert disagreements(with_rows, child_rows=True) == got


@pytest.mark.parametrize("order", [0, 1, 2])
def test_extra_json_of_never_null_columns_is_the_per_column_text(tmp_path, order: int) -> None:
    """``extra`` written with one struct for the leading never-null columns is the text of one
    ``to_json`` per non-null column (every type the dumps hold, odd strings, NaN and infinities)."""
    import datetime as dt

    import duckdb
    import pyarrow.parquet as pq

    from hftree.ingest.dumpsql import _extra_sql, never_null_columns

    n = 7
    cols = {
        "_id": pa.array(['a"b', "é\\n", "", "x\ty", "\u2028", "z", "0" * 30]),
        "trendingScore": pa.array([0.0, -0.0, 1.5, 1e300, float("nan"), float("inf"), 2.0 / 3]),
        "n": pa.array([0, -1, 2**62, 5, 6, 7, 8], pa.int64()),
        "flag": pa.array([True, False, True, True, False, False, True]),
        "when": pa.array([dt.datetime(2024, 1, 1, 12, 0, 0, 123000, tzinfo=dt.UTC)] * n, pa.timestamp("ms", "UTC")),
        "gguf": pa.array([None, {"total": 1, "architecture": "llama"}, {"total": None, "architecture": None},
                          None, {"total": 3, "architecture": 'q"'}, None, None],
                         pa.struct([("total", pa.int64()), ("architecture", pa.string())])),
        "maybe": pa.array([None, 1.0, None, 2.5, None, None, None]),
        "odd name": pa.array(["a"] * n),
        "lst": pa.array([[1, 2], [], None, [3], [4], [5], [6]], pa.list_(pa.int64())),
    }
    names = list(cols)
    if order == 1:
        names = ["gguf", *[c for c in names if c != "gguf"]]  # a nullable column first: no struct
    elif order == 2:
        names = ["_id", "trendingScore", "n", "flag", "when"]  # never-null columns only
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({c: cols[c] for c in names}), path, row_group_size=3)
    never = never_null_columns(pq.ParquetFile(path).metadata)
    assert never >= {"_id", "trendingScore", "n", "flag", "when"} & set(names)
    assert not never & {"gguf", "maybe"}
    con = duckdb.connect()
    per_column = con.sql(f"SELECT {_extra_sql(names)} FROM read_parquet('{path}')").fetchall()
    struct = con.sql(f"SELECT {_extra_sql(names, never)} FROM read_parquet('{path}')").fetchall()
    assert struct == per_column
    if order != 1:
        assert "struct_pack" in _extra_sql(names, never)
