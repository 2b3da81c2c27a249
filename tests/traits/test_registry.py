"""Built-in traits from Hub records, pluggable traits, and the errors of bad traits."""

from __future__ import annotations

import pandas as pd
import pytest

from hftree.ingest import import_sources
from hftree.traits import Trait, TraitError, get_trait, list_traits, register_trait, trait_values
from hftree.traits.encode import encode_trait
from tests.conftest import rec, write_jsonl


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    d = tmp_path_factory.mktemp("traits")
    path = write_jsonl(d / "m.jsonl", [
        rec("org/base", "transformers", "llama", "en", "fr", "license:llama3", "dataset:web",
            pipeline_tag="text-generation", library_name="transformers",
            cardData={"language": ["fr", "en"], "license": "llama3"},
            safetensors={"total": 8_000_000_000}),
        rec("me/ft", "transformers", "llama", "generated_from_trainer", "base_model:finetune:org/base",
            pipeline_tag="text-generation", library_name="transformers", cardData={"language": "en"}),
        rec("me/gguf", "gguf", "base_model:quantized:org/base", gguf={"architecture": "Qwen2"}),
    ])
    cards = write_jsonl(d / "cards.jsonl", [
        {"id": "org/base", "card": "# Base\\nA hand-written card."},
        {"id": "me/ft", "card": "This model was trained from scratch. [More Information Needed]"},
    ])
    return import_sources([path, cards])


def test_builtin_traits_from_records(snap):
    v = trait_values(snap, ["licence", "languages", "task", "library", "architecture", "parameters",
                            "card_template", "card"])
    assert v.loc["org/base", "license"] == "llama3"
    assert v.loc["org/base", "languages"] == ["en", "fr"]  # a set: sorted, de-duplicated
    assert v.loc["me/ft", "languages"] == ["en"]
    assert v.loc["me/gguf", "languages"] is None  # no language declared: not reported
    assert v.loc["org/base", "architecture"] == "llama"
    assert v.loc["me/gguf", "architecture"] == "qwen2"  # gguf.architecture beats the tags
    assert v.loc["org/base", "parameters"] == 8e9
    assert [v.loc[m, "card_template"] for m in ("org/base", "me/ft")] == [False, True]
    assert v.loc["me/gguf", "card"] is None
    assert v.loc["org/base", "task"] == "text-generation"


def test_metadata_text_is_the_record(snap):
    text = trait_values(snap, ["metadata"]).loc["org/base", "metadata"]
    assert "license: llama3" in text and "pipeline_tag: text-generation" in text
    assert "languages: en fr" in text or "languages: fr en" in text
    assert "card_length" not in text  # card-derived fields are not metadata


def test_license_class_trait_reports_no_licence_as_missing(snap):
    v = trait_values(snap, ["license_class"])["license_class"]
    assert v["org/base"] == "community"
    assert v["me/gguf"] is None


def test_user_trait_plugs_in():
    m = pd.DataFrame({"id": ["a", "b"], "tags": [["x", "y"], ["z"]]})
    t = Trait("n_tags", "numeric", lambda df: df["tags"].map(len))
    assert trait_values(m, [t])["n_tags"].tolist() == [2, 1]
    register_trait("n_tags_test", "numeric", lambda df: df["tags"].map(len), aliases=("tagcount_test",),
                   replace=True)
    assert get_trait("tagcount_test").name == "n_tags_test"
    assert "n_tags_test" in set(list_traits()["trait"])


def test_registry_errors():
    m = pd.DataFrame({"id": ["a", "b"], "tags": [["x"], ["y"]]})
    with pytest.raises(TraitError, match=r"unknown trait 'licens'; known traits: .*license"):
        get_trait("licens")
    with pytest.raises(TraitError, match="trait 'license' is already registered; pass replace=True"):
        register_trait("license", "categorical", lambda df: df["id"])
    with pytest.raises(TraitError, match="kind must be one of categorical, set, numeric, text, got 'vector'"):
        Trait("v", "vector", lambda df: df["id"])  # type: ignore[arg-type]
    with pytest.raises(TraitError, match=r"trait 'card' needs the model-table column 'card'.*cards"):
        trait_values(m, ["card"])
    with pytest.raises(TraitError, match="returned 1 values for 2 models"):
        trait_values(m, [Trait("short", "categorical", lambda df: ["x"])])
    with pytest.raises(TraitError, match="set trait 'bad' returned a str for row 0; expected a list"):
        encode_trait(m, Trait("bad", "set", lambda df: ["x", "y"]))
    with pytest.raises(TraitError, match="text trait 'num' returned a int for row 0"):
        encode_trait(m, Trait("num", "text", lambda df: pd.Series([1, 2], dtype=object)))
    with pytest.raises(TraitError, match="trait 'p' \\(numeric\\): cannot encode"):
        encode_trait(m, Trait("p", "numeric", lambda df: ["1", "many"]))
