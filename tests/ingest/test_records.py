"""Normalisation of Hub records: fields, aliases, licences, languages, lineage declarations."""

from __future__ import annotations

import pytest

from hftree.errors import DataQualityWarning, InputFormatError
from hftree.ingest import import_sources
from tests.conftest import rec, write_jsonl


def _import(tmp_path, records, **kw):
    path = write_jsonl(tmp_path / "m.jsonl", records)
    return import_sources([path], **kw)


def test_camel_case_api_record(tmp_path):
    snap = _import(tmp_path, [rec(
        "org/m", "transformers", "en", "fr", "dataset:imdb", "license:Apache-2.0", "region:us",
        pipeline_tag="text-generation", library_name="transformers", downloadsAllTime=99,
        cardData={"license": "MIT", "language": ["en", "de"], "datasets": "squad"},
        safetensors={"parameters": {"BF16": 7}, "total": 7}, sha="abc", siblings=[{"rfilename": "x"}],
    )])
    row = snap.models.iloc[0]
    assert row["id"] == "org/m" and row["author"] == "org"
    assert row["license"] == "mit"  # cardData wins over the tag, lower-cased
    assert list(row["languages"]) == ["en", "fr", "de"]
    assert list(row["datasets"]) == ["imdb", "squad"]
    assert row["parameters"] == 7 and row["downloads_all_time"] == 99
    assert str(row["created_at"]) == "2024-01-01 00:00:00+00:00"
    # unknown fields are kept, never fatal
    assert '"sha":"abc"' in row["extra"] and "siblings" in row["extra"]


def test_snake_case_model_info_dump_with_yaml_card_data(tmp_path):
    snap = _import(tmp_path, [{
        "id": "org/child", "created_at": "2024-03-01T10:00:00+00:00", "last_modified": None,
        "downloads": 5, "likes": 1, "tags": [], "pipeline_tag": None, "library_name": "peft",
        "card_data": "license: other\nlicense_name: my-licence\nbase_model: org/base\nlanguage: en\n",
    }])
    row = snap.models.iloc[0]
    assert row["license"] == "other" and row["license_name"] == "my-licence"
    assert list(row["languages"]) == ["en"]
    assert snap.edges[["parent", "child", "relation", "source"]].values.tolist() == [
        ["org/base", "org/child", "unknown", "cardData"]]


def test_license_from_tag_when_card_is_silent(tmp_path):
    snap = _import(tmp_path, [rec("a/b", "license:CC-BY-4.0")])
    assert snap.models.loc[0, "license"] == "cc-by-4.0"


@pytest.mark.parametrize(
    ("tags", "card", "expected"),
    [
        # typed tag gives the relation
        (["base_model:org/p", "base_model:adapter:org/p"], {}, [("org/p", "adapter")]),
        # untyped only -> unknown
        (["base_model:org/p"], {}, [("org/p", "unknown")]),
        # two untyped parents from cardData -> merge
        ([], {"base_model": ["org/p", "org/q"]}, [("org/p", "merge"), ("org/q", "merge")]),
        # explicit base_model_relation overrides everything
        (["base_model:finetune:org/p"], {"base_model_relation": "quantized"}, [("org/p", "quantized")]),
        # ... including the merge default
        ([], {"base_model": ["org/p", "org/q"], "base_model_relation": "adapter"},
         [("org/p", "adapter"), ("org/q", "adapter")]),
    ],
)
def test_lineage_declarations(tmp_path, tags, card, expected):
    snap = _import(tmp_path, [rec("me/child", *tags, cardData=card)])
    got = sorted(zip(snap.edges["parent"], snap.edges["relation"], strict=True))
    assert got == sorted(expected)


@pytest.mark.parametrize("bad", [42, {"id": "org/p"}, [["org/p"]], [1, 2]])
def test_unusable_base_model_is_ignored_and_reported(tmp_path, bad):
    with pytest.warns(DataQualityWarning, match="unusable base_model"):
        snap = _import(tmp_path, [rec("me/child", cardData={"base_model": bad})])
    assert len(snap.edges) == 0
    assert snap.data_quality["invalid_base_model_examples"] == ["me/child"]
    assert "cardData.base_model" in snap.data_quality["ignored_value_examples"][0]


def test_duplicated_ids_newest_wins(tmp_path):
    old = rec("a/m", "base_model:x/old", lastModified="2024-01-01T00:00:00Z", downloads=1)
    new = rec("a/m", "base_model:x/new", lastModified="2024-06-01T00:00:00Z", downloads=2)
    older_again = rec("a/m", lastModified="2023-01-01T00:00:00Z", downloads=3)
    with pytest.warns(DataQualityWarning, match="2 duplicated ids dropped"):
        snap = _import(tmp_path, [old, new, older_again, rec("b/m")])
    assert snap.models["id"].tolist() == ["a/m", "b/m"]
    assert snap.models.loc[0, "downloads"] == 2
    assert snap.edges["parent"].tolist() == ["x/new"]  # lineage of dropped records goes too
    assert snap.data_quality["duplicate_ids_dropped"] == 2


def test_missing_id_names_file_and_line(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [rec("a/b"), {"author": "x"}])
    with pytest.raises(InputFormatError, match=r"m\.jsonl:2: record has no model id"):
        import_sources([path])


def test_model_id_alias(tmp_path):
    snap = _import(tmp_path, [{"modelId": "old/style", "tags": []}])
    assert snap.models["id"].tolist() == ["old/style"]


def test_wrong_typed_values_are_ignored_not_fatal(tmp_path):
    snap = _import(tmp_path, [rec("a/b", downloads="many", likes=3.0, tags="not-a-list")])
    row = snap.models.iloc[0]
    assert row["downloads"] is None or str(row["downloads"]) == "<NA>"
    assert row["likes"] == 3
    assert any("tags: expected a list" in x for x in snap.data_quality["ignored_value_examples"])


def test_numbers_outside_int64_are_ignored_not_fatal(tmp_path):
    # found by the differential fuzz test: these used to end in an OverflowError traceback
    snap = _import(tmp_path, [rec("a/b", downloads=9.3e18, likes=10**30, downloadsAllTime="1e999"),
                              rec("a/c", downloads=2**63 - 1, likes=-(2**63))])
    assert snap.models["downloads"].isna().tolist() == [True, False]
    assert snap.models["likes"].isna().tolist() == [True, True]  # a negative count is nulled (issue 15)
    assert snap.models["downloads"].iloc[1] == 2**63 - 1
    assert snap.data_quality["out_of_range_values"] == 1
    assert snap.models["downloads_all_time"].isna().all()
    found = " ".join(snap.data_quality["ignored_value_examples"])
    assert "a/b: downloads: unexpected value" in found and "a/b: likes: unexpected value" in found
    assert "a/b: downloadsAllTime: unexpected value '1e999'" in found
