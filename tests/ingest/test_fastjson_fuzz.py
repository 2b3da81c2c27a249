"""Differential fuzzing of the DuckDB fast path against the Python reader.

Random Hub-like records, with every field sometimes of the wrong JSON type, in
either spelling (camelCase / snake_case), with unknown fields: the fast path
must either give exactly the Python reader's tables and data-quality findings,
or hand the file over (``Irregular``), never something different.
"""

from __future__ import annotations

import json
import os

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hftree.ingest import fastjson
from hftree.ingest.jsonl import read_jsonl

_text = st.sampled_from(["mit", " MIT ", "apache-2.0", "other", "", " ", "en", "EN", "fr", "de", "xx",
                         "p/1", "p/2", " p/3 ", "a/b", "Quantization", "lora", "bogus", "é/ü", "q\"uote",
                         "back\\slash", "2024-01-01T00:00:00.000Z", "2023-06-30T12:00:00Z", "not a date",
                         "12", "manual"])
_scalar = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**12), st.integers(-(10**30), 10**30),
                    st.floats(-5, 5, allow_nan=False), st.floats(allow_nan=False, allow_infinity=False), _text)
_weird = st.one_of(_scalar, st.lists(_scalar, max_size=3), st.lists(st.lists(_text, max_size=2), max_size=2),
                   st.dictionaries(st.sampled_from(["a", "total"]), _scalar, max_size=2))


def _often(good: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly well-typed values, sometimes (1 in 25) anything."""
    return st.integers(0, 24).flatmap(lambda i: _weird if i == 0 else good)


_str_or_list = st.one_of(_text, st.lists(_text, max_size=3))
_tag = st.one_of(
    _text,
    st.builds(lambda t: f"license:{t}", _text),
    st.builds(lambda t: f"dataset:{t}", _text),
    st.builds(lambda r, t: f"base_model:{r}{t}", st.sampled_from(["", "finetune:", "adapter:", "quantized:",
                                                                   "merge:", "bogus:", ":"]), _text),
)
_card = st.fixed_dictionaries(
    {},
    optional={
        "license": _often(_str_or_list),
        "license_name": _often(_text),
        "language": _often(_str_or_list),
        "datasets": _often(_str_or_list),
        "base_model": _often(_str_or_list),
        "base_model_relation": _often(_text),
        "widget": _weird,
    },
)
_record = st.fixed_dictionaries(
    {"id": st.one_of(st.sampled_from(["a/x", "a/y", "b/z", "solo", "p/1", "p/2"]), st.just("a/x"))},
    optional={
        "_id": _text,
        "modelId": _often(_text),
        "author": _often(_text),
        "createdAt": _often(_text),
        "created_at": _often(_text),
        "lastModified": _often(_text),
        "downloads": _often(st.integers(0, 10**9)),
        "downloadsAllTime": _often(st.integers(0, 10**9)),
        "likes": _often(st.integers(0, 1000)),
        "pipeline_tag": _often(_text),
        "pipelineTag": _often(_text),
        "library_name": _often(_text),
        # sometimes items of other JSON types among the strings (the fast path checks the cast's lengths)
        "tags": _often(st.one_of(st.lists(_tag, max_size=6), st.lists(st.one_of(_tag, _weird), max_size=4))),
        "cardData": _often(_card),
        "card_data": st.one_of(st.none(), _card),
        "safetensors": _often(st.fixed_dictionaries({"total": st.integers(0, 10**10)})),
        "gated": _often(st.sampled_from([False, True, "auto", "manual", ""])),
        "private": _often(st.booleans()),
        "siblings": _weird,
        "Tags": _scalar,  # differs from a modelled field only in case (DuckDB's column names ignore case)
        "we\"ird 'key'": _scalar,
    },
)


# HFTREE_FUZZ_EXAMPLES=5000 for a deeper local run
@settings(max_examples=int(os.environ.get("HFTREE_FUZZ_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(_record, min_size=1, max_size=8), st.sampled_from([0, 1, 3, 2000]))
def test_fast_path_equals_python_reader_or_hands_over(tmp_path_factory, records, sample):
    path = tmp_path_factory.mktemp("fuzz") / "m.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    m1, e1, iss1, _ = read_jsonl(path, workers=1)
    # the key lists of the first ``sample`` records are the shapes whose unknown fields the main scan reads;
    # records of other shapes get json_merge_patch in the second scan
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fastjson, "_SAMPLE_LINES", sample)
        try:
            m2, e2, iss2 = fastjson.read_jsonl_duckdb(path)
        except (fastjson.Irregular, duckdb.Error) as exc:  # handed over (the caller falls back on both)
            event(f"handed over: {type(exc).__name__}")
            return
    event("fast path")
    for name in m1.column_names:
        if name != "extra":
            assert m1.column(name).to_pylist() == m2.column(name).to_pylist(), f"models.{name}"
    # the unmodelled fields are the same JSON; the text may differ in how a number is written
    # (orjson: 1e+16, DuckDB: 10000000000000000.0), and orjson reads an int past 64 bits as a float
    loads = [[None if x is None else json.loads(x, parse_int=float) for x in m.column("extra").to_pylist()]
             for m in (m1, m2)]
    assert loads[0] == loads[1]
    assert m1.drop_columns(["extra"]).equals(m2.drop_columns(["extra"]))
    assert e1.equals(e2), (e1.to_pylist(), e2.to_pylist())
    assert sorted(iss1.bad_fields) == sorted(iss2.bad_fields)
    assert sorted(iss1.bad_base_model) == sorted(iss2.bad_base_model)


def test_common_hub_shapes_take_the_fast_path(tmp_path):
    """Records as the Hub's listing sends them (with ``_id`` and the legacy ``modelId``) stay on the fast path."""
    recs = [
        {"_id": "1", "id": "a/x", "modelId": "a/x", "author": "a", "createdAt": "2024-01-01T00:00:00.000Z",
         "tags": ["license:mit", "en", "base_model:finetune:p/1"], "cardData": {"language": ["en", "fr"]}},
        {"_id": "2", "id": "b/y", "modelId": "b/y", "likes": 3, "tags": [], "cardData": {"base_model": ["p/1", "p/2"]}},
    ]
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    m, e, _ = fastjson.read_jsonl_duckdb(path)
    assert m.num_rows == 2 and e.num_rows == 3


# ----------------------------------------------------------------------------- both import paths
# whole lines a hostile or broken file holds: the result must not depend on the file's size
_hostile_lines = st.sampled_from([
    '{"id": "h/deep", "zz": ' + "[" * 300 + "]" * 300 + "}",
    '{"id": "h/deeper", "zz": ' + "[" * 1100 + "]" * 1100 + "}",
    '{"id": "h/nan", "zz": NaN}',
    '{"id": "h/nan2", "downloads": NaN}',
    '{"id": "h/inf", "cardData": {"license": "mit"}, "x": -Infinity}',
    '{"id": "h/y9999", "createdAt": "9999-01-01T00:00:00Z"}',
    '{"id": "h/y2300", "lastModified": "2300-05-01T00:00:00Z"}',
    '{"id": "h/y0", "createdAt": "0000-01-01T00:00:00Z"}',
    '{"id": "h/yneg", "createdAt": "-0001-01-01T00:00:00Z"}',
    '{"id": "h/neg", "downloads": -5, "likes": -1}',
    '{"id": "h/priv", "private": "false"}',
    '{"id": "h/priv2", "private": "no"}',
    '{"id": "h/deepcard", "cardData": {"widget": ' + "[" * 300 + "]" * 300 + "}}",
])


def _outcome(path, fast: bool):
    import warnings

    from hftree.errors import InputFormatError
    from hftree.ingest import snapshot

    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp.setattr(snapshot, "_FAST_MIN_BYTES", 0 if fast else 1 << 62)
        try:
            snap = snapshot.import_sources([path])
        except InputFormatError as exc:
            return ("error", str(exc))
    extra = [json.loads(x, parse_int=float) if isinstance(x, str) else None for x in snap.models["extra"]]
    dq = {k: snap.data_quality[k] for k in ("out_of_range_values", "skipped_lines", "ignored_values")}
    dated = snap.models[["created_at", "last_modified"]].notna().any().any()  # else the time is "now"
    return ("ok", snap.models.drop(columns="extra"), extra, snap.edges, dq, dated and snap.manifest["snapshot_time"])


@settings(max_examples=int(os.environ.get("HFTREE_FUZZ_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(_record, min_size=1, max_size=5), st.lists(_hostile_lines, max_size=2), st.booleans(),
       st.randoms(use_true_random=False))
def test_both_import_paths_agree_on_hostile_files(tmp_path_factory, records, hostile, bom, rnd):
    import pandas as pd

    lines = [json.dumps(r) for r in records] + hostile
    rnd.shuffle(lines)
    path = tmp_path_factory.mktemp("both") / "m.jsonl"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "".join(x + "\n" for x in lines).encode())
    small, large = _outcome(path, fast=False), _outcome(path, fast=True)
    event(f"{small[0]}")
    assert small[0] == large[0], (small, large)
    if small[0] == "error":
        assert small[1] == large[1]
        return
    pd.testing.assert_frame_equal(small[1], large[1])
    assert small[2] == large[2]
    pd.testing.assert_frame_equal(small[3], large[3])
    assert small[4] == large[4] and small[5] == large[5]
    years = pd.concat([small[1]["created_at"], small[1]["last_modified"]]).dropna().dt.year
    assert years.between(1970, 2199).all()  # out-of-range dates never reach the table
    assert not (small[1][["downloads", "likes"]] < 0).any().any()  # nor negative counts
