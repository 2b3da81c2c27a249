"""Reading files: JSON Lines (plain/gzip), CSV/Parquet tables, edge lists, cards, and bad input."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from hftree.errors import InputFormatError, ParameterError
from hftree.ingest import detect_kind, import_sources
from hftree.ingest.jsonl import read_jsonl
from tests.conftest import rec, write_jsonl


def test_malformed_line_names_file_and_line(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [rec("a/b"), '{"id": "broken",', rec("c/d")])
    with pytest.raises(InputFormatError, match=r"m\.jsonl:2: malformed JSON.*--on-error skip"):
        import_sources([path])


def test_skip_counts_malformed_lines(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [rec("a/b"), "{oops", "[1, 2]", rec("c/d")])
    with pytest.warns(UserWarning, match="2 lines skipped"):
        snap = import_sources([path], on_error="skip")
    assert snap.models["id"].tolist() == ["a/b", "c/d"]
    assert snap.data_quality["skipped_lines"] == 2
    first, second = snap.data_quality["skipped_examples"]
    assert first.endswith("m.jsonl:2: malformed JSON (unexpected character, expected a string key)")
    assert second.endswith("m.jsonl:3: expected a JSON object (a model record), got list")


def test_non_utf8_bytes(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [rec("a/b"), b'{"id": "x/\xff\xfe"}'])
    with pytest.raises(InputFormatError, match=r"m\.jsonl:2: line is not valid UTF-8"):
        import_sources([path])


def test_truncated_gzip(tmp_path):
    full = write_jsonl(tmp_path / "full.jsonl.gz", [rec(f"a/m{i}") for i in range(2000)], gz=True)
    data = full.read_bytes()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFormatError, match=r"cut\.jsonl\.gz: compressed data is truncated or corrupt"):
        import_sources([cut])


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    with pytest.raises(InputFormatError, match=r"empty\.jsonl: file is empty"):
        import_sources([path])


def test_only_blank_lines(tmp_path):
    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"\n\n  \n")
    with pytest.raises(InputFormatError, match="no model records"):
        read_jsonl(path)


def test_gzip_detected_by_content_not_name(tmp_path):
    path = tmp_path / "models.jsonl"  # gzipped, but named plain
    with gzip.open(path, "wb") as fh:
        fh.write(json.dumps(rec("a/b")).encode())
    assert import_sources([path]).models["id"].tolist() == ["a/b"]


def test_parallel_and_serial_readers_agree(tmp_path, monkeypatch):
    from hftree.datasets import write_synthetic_hub
    from hftree.ingest import jsonl

    path = write_synthetic_hub(tmp_path / "hub.jsonl.gz", 3000, random_state=3)
    m1, e1, _, _ = read_jsonl(path, workers=1)
    monkeypatch.setattr(jsonl, "_PARALLEL_MIN", 0)
    monkeypatch.setattr(jsonl, "_BLOCK", 64 << 10)  # many blocks
    m2, e2, _, _ = read_jsonl(path, workers=2)
    assert m1.equals(m2)
    assert e1.equals(e2)


def test_csv_with_json_encoded_fields(tmp_path):
    df = pd.DataFrame({
        "id": ["org/base", "me/ft"],
        "downloads": ["10", "3"],
        "tags": [json.dumps(["license:mit", "en"]), json.dumps(["base_model:finetune:org/base"])],
        "cardData": [json.dumps({"language": ["en", "fr"]}), ""],
        "weird_extra": ["x", "y"],
    })
    path = tmp_path / "models.csv"
    df.to_csv(path, index=False)
    snap = import_sources([path])
    assert snap.models["license"].tolist()[0] == "mit"
    assert list(snap.models.loc[0, "languages"]) == ["en", "fr"]
    assert snap.models["downloads"].tolist() == [10, 3]
    assert snap.edges[["parent", "child", "relation"]].values.tolist() == [["org/base", "me/ft", "finetune"]]
    assert "weird_extra" in snap.models.loc[0, "extra"]


def test_parquet_model_table(tmp_path):
    df = pd.DataFrame({"modelId": ["a/b", "c/d"], "creation_time": ["2023-01-01", "2023-02-01"],
                       "downloads": [1, 2], "task_category": ["text-generation", None]})
    path = tmp_path / "t.parquet"
    df.to_parquet(path)
    snap = import_sources([path])
    assert snap.models["id"].tolist() == ["a/b", "c/d"]
    assert snap.models["pipeline_tag"].tolist()[0] == "text-generation"
    assert str(snap.models.loc[1, "created_at"]).startswith("2023-02-01")


def test_edge_list_with_configurable_columns(tmp_path):
    path = tmp_path / "e.csv"
    pd.DataFrame({"up": ["a/x", "https://huggingface.co/a/y"], "down": ["b/x", "b/y"],
                  "kind": ["Finetuned", "weird"]}).to_csv(path, index=False)
    with pytest.raises(InputFormatError, match=r"no model id column.*pass it with --edges"):
        import_sources([path])  # not recognisable as an edge list: read as a model table
    with pytest.raises(InputFormatError, match="cannot tell which column holds the parent"):
        import_sources([], edges=[path])
    snap = import_sources([], edges=[path], parent_col="up", child_col="down", relation_col="kind")
    assert snap.edges[["parent", "child", "relation"]].values.tolist() == [
        ["a/x", "b/x", "finetune"], ["a/y", "b/y", "unknown"]]
    # edge lists alone: bare model rows for every id
    assert sorted(snap.models["id"]) == ["a/x", "a/y", "b/x", "b/y"]


def test_edge_list_missing_column_is_named(tmp_path):
    path = tmp_path / "e.csv"
    pd.DataFrame({"parent": ["a"], "child": ["b"]}).to_csv(path, index=False)
    with pytest.raises(InputFormatError, match="no column 'kind' for the relation"):
        import_sources([], edges=[path], relation_col="kind")


def test_cards_give_length_template_flag_and_trainer_lineage(tmp_path):
    models = write_jsonl(tmp_path / "m.jsonl", [rec("org/base"), rec("me/ft")])
    cards = write_jsonl(tmp_path / "c.jsonl", [
        {"id": "org/base", "card": "# Base\n\nA hand-written card."},
        {"id": "me/ft", "card": "<!-- This model card has been generated automatically according to the "
         "information the Trainer had access to. -->\nThis model is a fine-tuned version of "
         "[org/base](https://huggingface.co/org/base) on imdb."},
    ])
    assert detect_kind(cards) == "cards"
    snap = import_sources([models, cards])
    assert snap.models["card_template"].tolist() == [False, True]
    assert snap.models["card_length"].tolist()[0] == len("# Base\n\nA hand-written card.")
    assert snap.edges[["parent", "child", "relation", "source"]].values.tolist() == [
        ["org/base", "me/ft", "finetune", "card_text"]]


def test_nothing_to_import():
    with pytest.raises(InputFormatError, match="nothing to import"):
        import_sources([])


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        import_sources([tmp_path / "nope.jsonl"])


@pytest.mark.parametrize("bad", ["garbage", "", "2024-13-45"])
def test_a_snapshot_time_that_is_no_time_is_a_parameter_error(tmp_path, bad):
    path = write_jsonl(tmp_path / "m.jsonl", [{"id": "a/b"}])
    with pytest.raises(ParameterError, match="snapshot_time: expected an ISO 8601 date or timestamp") as err:
        import_sources([path], snapshot_time=bad)
    assert err.value.parameter == "snapshot_time" and err.value.got == bad
    snap = import_sources([path], snapshot_time="2024-05-01")
    assert snap.snapshot_time == pd.Timestamp("2024-05-01", tz="UTC")


def test_an_unknown_on_error_is_a_parameter_error(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [{"id": "a/b"}])
    with pytest.raises(ParameterError, match="on_error: expected 'raise' or 'skip', got 'ignore'"):
        import_sources([path], on_error="ignore")
