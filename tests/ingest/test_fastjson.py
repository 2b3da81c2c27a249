"""The DuckDB fast path must give exactly what the Python reader gives, and hand over what it cannot take."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hftree.datasets import write_synthetic_hub
from hftree.errors import DataQualityWarning
from hftree.ingest import fastjson, import_sources
from hftree.ingest.jsonl import read_jsonl
from tests.conftest import rec, write_jsonl

pytestmark = pytest.mark.skipif(not fastjson.available(), reason="duckdb not installed")


def _both(path):
    m1, e1, _, _ = read_jsonl(path, workers=1)
    m2, e2, _ = fastjson.read_jsonl_duckdb(path)
    return (m1, e1), (m2, e2)


def _assert_same(a, b):
    for x, y, what in ((a[0], b[0], "models"), (a[1], b[1], "edges")):
        if not x.equals(y):
            for name in x.column_names:
                assert x.column(name).to_pylist() == y.column(name).to_pylist(), f"{what}.{name} differs"
        assert x.equals(y)


@pytest.mark.parametrize("name", ["smollm2-tree", "hub-families", "hub-2022"])
def test_same_as_python_reader_on_real_data(shared, name):
    _assert_same(*_both(shared / name / "models.jsonl.gz"))


def test_same_as_python_reader_on_synthetic_hub(tmp_path):
    path = write_synthetic_hub(tmp_path / "hub.jsonl.gz", 5000, random_state=11)
    _assert_same(*_both(path))


def test_same_on_card_edge_cases(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [
        rec("a/x", "base_model:p/1", "base_model:adapter:p/1", "base_model:p/2",
            cardData={"base_model": ["p/3", " p/1 "], "license": [" MIT "], "language": ["EN", " "],
                      "datasets": "d/1"}),
        rec("a/y", cardData={"base_model": "p/9", "base_model_relation": "Quantization"}),
        rec("a/z", cardData={"base_model": ["p/1", "p/2"], "base_model_relation": "bogus"}),
        rec("a/w", "license:Apache-2.0", gated="manual", private=True, safetensors={"total": 12}),
        rec("noslash", cardData=None, tags=None),
    ])
    _assert_same(*_both(path))


ODD = [
    {"id": "s/nake", "created_at": "2024-01-01T00:00:00Z"},       # snake_case dump
    rec("a/b", cardData={"base_model": 3}),                        # unusable base_model
    rec("a/b", cardData={"language": ["en", 1]}),                  # list with a number
    rec("a/c", "x", downloads="12", author=False),                 # wrong scalar types
    # tags that DuckDB's cast would turn into strings, or could not cast: caught by the length check
    rec("a/t", tags=["base_model:p/1", 1, True, None, ["x"], {"o": 1}, 1e16]),
    rec("a/u", tags="license:mit"),
    rec("a/v", tags={"license": "mit"}),
    rec("a/w", "license:mit", 'q"uote', "base_model:p/4"),         # an escape: no length check, so irregular
]


@pytest.mark.parametrize("odd", ODD)
def test_irregular_records_are_normalised_by_the_python_reader_and_put_back(tmp_path, odd):
    records = [rec("ok/one", "base_model:finetune:p/1"), odd, "", "  ", rec("ok/two", "base_model:p/2"), odd,
               rec("ok/three", cardData={"base_model": ["p/1", "p/2"]})]
    path = write_jsonl(tmp_path / "m.jsonl", records)
    a, b = _both(path)
    _assert_same(a, b)
    assert b[0].column("id").to_pylist()[:2] == ["ok/one", odd["id"]]


@pytest.mark.parametrize("odd", ODD)
def test_mostly_irregular_files_go_to_the_python_reader(tmp_path, monkeypatch, odd):
    from hftree.ingest import snapshot

    monkeypatch.setattr(fastjson, "_MAX_ODD", 0)
    path = write_jsonl(tmp_path / "m.jsonl", [rec("ok/one"), odd])
    with pytest.raises(fastjson.Irregular):
        fastjson.read_jsonl_duckdb(path)
    # import_sources tries the fast path (even on this small file), falls back, and reads what the Python reader reads
    monkeypatch.setattr(snapshot, "_FAST_MIN_BYTES", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        snap = import_sources([path])
    m, _, _, _ = read_jsonl(path, workers=1)
    assert snap.models["id"].tolist() == m.column("id").to_pylist() == ["ok/one", odd["id"]]


def test_a_bad_record_on_the_fast_path_is_reported_with_file_and_line(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [rec("ok/one"), "", {"id": 17}])
    with pytest.raises(ValueError, match=r"m\.jsonl:3: record has no model id"):
        fastjson.read_jsonl_duckdb(path)
    with pytest.raises(ValueError, match=r"m\.jsonl:3: record has no model id"):
        import_sources([path])


def test_progress_bar_does_not_change_the_result(tmp_path, capsys):
    path = write_synthetic_hub(tmp_path / "hub.jsonl.gz", 3000, random_state=2)
    m1, e1, _ = fastjson.read_jsonl_duckdb(path)
    m2, e2, _ = fastjson.read_jsonl_duckdb(path, progress=True)
    assert m1.equals(m2) and e1.equals(e2)
    assert "reading hub.jsonl.gz" in capsys.readouterr().err


@given(st.lists(st.sampled_from(["rec", "rec", "rec", "", "  ", "\t", "\r"]), min_size=1, max_size=60),
       st.integers(8, 200), st.randoms(use_true_random=False))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_lines_of_records_counts_records_like_the_readers(tmp_path, monkeypatch, kinds, block, rnd):
    from hftree.ingest import jsonl

    monkeypatch.setattr(jsonl, "_BLOCK", block)  # many small blocks, some cut mid-line
    lines = [f'{{"id":"m/{i}"}}' if k == "rec" else k for i, k in enumerate(kinds)]
    path = tmp_path / "m.jsonl"
    path.write_bytes("\n".join(lines).encode() + rnd.choice([b"", b"\n"]))
    records = [(x.encode(), i + 1) for i, x in enumerate(lines) if x.strip()]
    wanted = sorted(rnd.sample(range(len(records)), rnd.randint(0, len(records)))) if records else []
    texts, numbers = jsonl.lines_of_records(path, np.array(wanted, dtype=np.int64))
    assert texts == [records[w][0] for w in wanted]
    assert numbers == [records[w][1] for w in wanted]
