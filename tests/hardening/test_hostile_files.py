"""Hostile and broken files: dates, CSV shapes, booleans, counts, escapes, damaged track stores
(issue 15, items 10-13, 16, 17). Both JSON Lines paths agree: see tests/ingest/test_fastjson_fuzz.py."""

from __future__ import annotations

import json
import warnings

import orjson
import pandas as pd
import pytest

from hftree.errors import DataQualityWarning, InputFormatError
from hftree.ingest import import_sources, snapshot
from hftree.ingest.snapshot import load_snapshot


def _jsonl(path, recs):
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    return path


@pytest.fixture(params=["small", "large"])
def path_kind(request, monkeypatch):
    """Both JSON Lines readers: the Python one (small files) and the DuckDB one (files >= 4 MB)."""
    monkeypatch.setattr(snapshot, "_FAST_MIN_BYTES", 1 << 62 if request.param == "small" else 0)
    return request.param


@pytest.mark.parametrize("date", ["9999-12-31T00:00:00Z", "2300-01-01T00:00:00Z", "0000-01-01T00:00:00Z",
                                  "-0001-06-01T00:00:00Z", "1200-01-01T00:00:00Z"])
def test_out_of_range_dates_are_nulled_with_a_note(tmp_path, path_kind, date):
    p = _jsonl(tmp_path / "m.jsonl", [{"id": "a/ok", "createdAt": "2024-03-01T00:00:00Z"},
                                      {"id": "a/bad", "createdAt": date, "lastModified": date,
                                       "cardData": {"base_model": "a/ok"}}])
    with pytest.warns(DataQualityWarning, match="out-of-range"):
        snap = import_sources([p])
    assert snap.snapshot_time == pd.Timestamp("2024-03-01", tz="UTC")  # not year 9999
    bad = snap.models.set_index("id").loc["a/bad"]
    assert pd.isna(bad["created_at"]) and pd.isna(bad["last_modified"])
    assert snap.data_quality["out_of_range_values"] == 2
    assert "a/bad: createdAt" in snap.data_quality["out_of_range_examples"][0]
    # what crashed (OverflowError) downstream: the family table over the saved snapshot
    from hftree.families import family_stats
    from hftree.lineage import LineageGraph

    snap.save(tmp_path / "s")
    g = LineageGraph.from_snapshot(load_snapshot(tmp_path / "s"), warn=False)
    fam = family_stats(g)
    assert len(fam) >= 1


def test_negative_counts_and_string_booleans(tmp_path, path_kind):
    p = _jsonl(tmp_path / "m.jsonl", [
        {"id": "a/1", "downloads": -5, "likes": -1, "downloadsAllTime": 7, "private": "false"},
        {"id": "a/2", "downloads": 3, "private": "no"},
        {"id": "a/3", "private": "yes"},
        {"id": "a/4", "private": "perhaps"},
        {"id": "a/5", "private": True},
    ])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = import_sources([p]).models.set_index("id")
    assert pd.isna(m.loc["a/1", "downloads"]) and pd.isna(m.loc["a/1", "likes"])
    assert m.loc["a/1", "downloads_all_time"] == 7 and m.loc["a/2", "downloads"] == 3
    assert [m.loc[f"a/{i}", "private"] for i in (1, 2, 3, 5)] == [False, False, True, True]
    assert pd.isna(m.loc["a/4", "private"])


def test_a_csv_row_wider_than_its_header_is_an_error_not_a_shift(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("id,downloads\na/b,1,2,3\nc/d,4\n")
    with pytest.raises(InputFormatError, match=r"m\.csv:2: a row has more fields than the header"):
        import_sources([p])


def test_a_csv_with_an_unterminated_quote_names_the_line(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text('id,downloads\nc/d,4\n"a/b,1\n')
    with pytest.raises(InputFormatError, match=r"m\.csv:3: unterminated quoted field"):
        import_sources([p])


@pytest.mark.parametrize("depth", [255, 600, 1023])
def test_deep_unknown_fields_are_a_file_line_error_on_both_paths(tmp_path, path_kind, depth):
    p = tmp_path / "m.jsonl"
    p.write_text('{"id": "a/1"}\n{"id": "a/2", "zz": ' + "[" * depth + "]" * depth + "}\n")
    with pytest.raises(InputFormatError, match=r"m\.jsonl:2: a field is nested more than 254 levels deep"):
        import_sources([p])
    snap = import_sources([p], on_error="skip")
    assert list(snap.models["id"]) == ["a/1"] and snap.data_quality["skipped_lines"] == 1


@pytest.mark.parametrize("line", ['{"id": "a/2", "downloads": NaN}', '{"id": "a/2", "zz": NaN}',
                                  '{"id": "a/2", "cardData": {"x": ' + "[" * 1100 + "]" * 1100 + "}}"])
def test_nan_and_very_deep_records_are_file_line_errors_on_both_paths(tmp_path, path_kind, line):
    p = tmp_path / "m.jsonl"
    p.write_text('{"id": "a/1"}\n' + line + "\n")
    with pytest.raises(InputFormatError, match=r"m\.jsonl:2: malformed JSON"):
        import_sources([p])


def test_a_byte_order_mark_is_accepted_on_both_paths(tmp_path, path_kind):
    p = tmp_path / "m.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"id": "a/1"}\n{"id": "a/2"}\n')
    assert list(import_sources([p]).models["id"]) == ["a/1", "a/2"]


# ----------------------------------------------------------------------------- escapes
def test_formula_cells_are_defused_in_written_csv(cli, tmp_path):
    from hftree._atomic import csv_text

    df = pd.DataFrame({"root": ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-cmd", "org/ok"],
                       "n": [1, -2, 3, 4, 5]})
    back = pd.read_csv(pd.io.common.StringIO(csv_text(df)))
    assert list(back["root"]) == ["'" + v for v in df["root"][:4]] + ["org/ok"]
    assert list(back["n"]) == [1, -2, 3, 4, 5]  # numbers untouched


def test_the_cli_writes_csv_without_live_formulas(tmp_path):
    from hftree.cli._common import render

    text = render(pd.DataFrame({"id": ["=cmd|' /C calc'!A0"]}), "csv")
    assert text.splitlines()[1].startswith("'=")


def test_control_characters_never_reach_the_terminal(cli, tmp_path):
    p = _jsonl(tmp_path / "m.jsonl", [{"id": "a/\x1b]0;pwned\x07\x1b[2J"}, {"id": "a/\x1b[31mred"}])
    out = tmp_path / "snap\x1b[2J\x1b]0;title\x07"
    r = cli("import", p, "-o", out)
    assert r.code == 0
    assert "\x1b" not in r.out + r.err and "\x07" not in r.out + r.err
    assert "snap\\x1b[2J" in r.out  # shown escaped
    from hftree.cli._common import term

    assert term("a/\x1b]0;pwned\x07") == "a/\\x1b]0;pwned\\x07"


# ----------------------------------------------------------------------------- track stores
def _store(tmp_path, n_runs=2):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from hftree.ingest.track import TRACK_SCHEMA

    store = tmp_path / "store"
    (store / "runs").mkdir(parents=True)
    runs = []
    for i in range(n_runs):
        t = pd.Timestamp(f"2025-01-0{i + 1}", tz="UTC")
        meta = {"run_id": f"r{i}", "time": t.isoformat()}
        table = pa.Table.from_pandas(pd.DataFrame({
            "run_id": [f"r{i}"], "time": [t], "id": ["a/m"], "downloads": [10 + i], "downloads_all_time": [100 + i],
            "likes": [1], "status": ["ok"], "source": ["a/m"]}), schema=TRACK_SCHEMA, preserve_index=False)
        table = table.replace_schema_metadata({b"hftree-track": json.dumps(meta).encode()})
        name = f"run-2025010{i + 1}T000000-r{i}.parquet"
        pq.write_table(table, store / "runs" / name)
        runs.append({**meta, "file": f"runs/{name}", "rows": 1})
    (store / "index.json").write_text(json.dumps({"format": "hftree-track", "version": 1, "runs": runs}))
    return store


def test_a_truncated_track_index_is_rebuilt_from_the_run_files(tmp_path):
    from hftree.ingest.track import _load_index, load_downloads

    store = _store(tmp_path)
    text = (store / "index.json").read_text()
    (store / "index.json").write_text(text[: len(text) // 2])
    with pytest.warns(DataQualityWarning, match="rebuilt"):
        df = load_downloads(store)
    assert list(df["downloads"]) == [10, 11]
    with pytest.warns(DataQualityWarning):
        _load_index(store, repair=True)  # what a track run does first
    assert len(json.loads((store / "index.json").read_text())["runs"]) == 2
    assert any(p.name.startswith("index.json.damaged-") for p in store.iterdir())  # kept, not lost


def test_one_truncated_run_file_leaves_the_rest_of_the_history_readable(tmp_path):
    from hftree.ingest.track import load_downloads

    store = _store(tmp_path, n_runs=3)
    f = store / "runs" / "run-20250102T000000-r1.parquet"
    f.write_bytes(f.read_bytes()[:40])
    with pytest.warns(DataQualityWarning, match="run-20250102T000000-r1.parquet: cannot read"):
        df = load_downloads(store)
    assert list(df["downloads"]) == [10, 12]
    assert f.exists()  # nothing deleted
