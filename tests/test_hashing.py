"""The DuckDB and Arrow engines of hftree._hashing give the same answers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hftree import _hashing
from hftree.datasets import synthetic_hub
from hftree.ingest.records import RecordBatcher
from hftree.lineage import LineageGraph
from hftree.schema import to_pandas

_names = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "A", "a/b", "é", "", "x" * 40])),
                  max_size=30)


def _both(monkeypatch, fn, *args):
    monkeypatch.setattr(_hashing, "DUCKDB_MIN_ROWS", 10**9)
    arrow = fn(*args)
    monkeypatch.setattr(_hashing, "DUCKDB_MIN_ROWS", 0)
    duck = fn(*args)
    return arrow, duck


@settings(max_examples=60, deadline=None)
@given(values=_names, keys=_names)
def test_engines_agree(values, keys):
    with pytest.MonkeyPatch.context() as mp:
        dup_a, dup_d = _both(mp, _hashing.has_duplicates, pa.array(keys, pa.string()))
        assert dup_a == dup_d == (len(set(keys)) != len(keys))
        unique_keys = pa.array(list(dict.fromkeys(k for k in keys if k is not None)), pa.string())
        pos_a, pos_d = _both(mp, _hashing.positions_in, pa.array(values, pa.string()), unique_keys)
    expected = [unique_keys.to_pylist().index(v) if v in unique_keys.to_pylist() else -1 for v in values]
    assert pos_a.tolist() == pos_d.tolist() == expected


def test_chunked_input(monkeypatch):
    ids = pa.chunked_array([["a", "b"], ["c"], ["a"]])
    assert _both(monkeypatch, _hashing.has_duplicates, ids) == (True, True)
    assert _both(monkeypatch, _hashing.has_duplicates, ids.slice(0, 3)) == (False, False)


def test_lineage_graph_is_the_same_with_either_engine(monkeypatch):
    batcher = RecordBatcher("synthetic", "raise")
    recs = list(synthetic_hub(3000, random_state=5))
    m, e = batcher.records(recs, list(range(1, len(recs) + 1)))
    models = to_pandas(pa.Table.from_batches([m]))
    edges = to_pandas(pa.Table.from_batches([e]).drop_columns(["row"]))
    # parents that are not in the model table become external nodes: drop some parents' records
    parents = set(edges["parent"])
    models = models[~models["id"].isin(sorted(parents)[::3])].reset_index(drop=True)
    graphs = _both(monkeypatch, LineageGraph.from_tables, models, edges)
    a, d = graphs
    assert a.external.sum() > 0
    assert a.id_array.equals(d.id_array)
    assert np.array_equal(a.external, d.external)
    for name in ("parent", "child", "relation"):
        assert np.array_equal(getattr(a, name), getattr(d, name)), name
    assert a.report == d.report


def test_duplicated_model_ids_are_refused_by_either_engine(monkeypatch):
    import pandas as pd

    models = pd.DataFrame({"id": ["a", "b", "a"]})
    edges = pd.DataFrame({"parent": ["a"], "child": ["b"], "relation": ["finetune"]})
    for rows in (10**9, 0):
        monkeypatch.setattr(_hashing, "DUCKDB_MIN_ROWS", rows)
        with pytest.raises(ValueError, match=r"duplicated ids, e.g. \['a'\]"):
            LineageGraph.from_tables(models, edges)


def test_duplicate_check_of_many_ids_finds_one_repeat_or_none():
    """Above DUCKDB_MIN_ROWS the check sorts hashes first: one repeated id (or two nulls) among
    250 k is found, and distinct ids are not reported."""
    ids = [f"org{i % 997}/model-{i}" for i in range(250_000)]
    assert _hashing.has_duplicates(pa.array(ids)) is False
    assert _hashing.has_duplicates(pa.array([*ids, ids[123_456]])) is True
    assert _hashing.has_duplicates(pa.chunked_array([ids[:1000], ids[1000:], [ids[0]]])) is True
    assert _hashing.has_duplicates(pa.array([*ids, None])) is False
    assert _hashing.has_duplicates(pa.array([None, *ids, None])) is True
