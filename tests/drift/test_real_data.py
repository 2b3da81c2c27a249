"""Drift findings of the paper on real Hub family-tree crawls (../shared/data/hub-families)."""

from __future__ import annotations

import warnings

import pytest

from hftree.drift import card_drift, license_audit, transitions
from hftree.ingest import import_sources
from hftree.lineage import LineageGraph


@pytest.fixture(scope="module")
def families(shared):
    d = shared / "hub-families"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snap = import_sources([d / "models.jsonl.gz", d / "cards.jsonl.gz"])
        return snap, LineageGraph.from_snapshot(snap)


def test_cards_shrink_templates_spread_languages_fall(families):
    snap, G = families
    d = card_drift(snap, G, n_boot=200, random_state=0).table.set_index(["quantity", "relation"])
    length, tpl, lang = d.loc[("card_length", "all")], d.loc[("templated", "all")], d.loc[("languages", "all")]
    assert length["n_edges"] > 1000 and length["child_median"] < length["parent_median"]
    assert length["ci_high"] < 0 and length["child_lower_share"] > 0.5
    assert tpl["child"] > tpl["parent"] and tpl["ci_low"] > 0
    assert lang["child"] < lang["parent"] and lang["ci_high"] < 0


def test_languages_drift_towards_english(families):
    snap, G = families
    o = transitions(snap, G, trait="languages").ordering(10)
    assert o.exact and o.order[-1] == "en" and o.share_pairs_agree > 0.9


def test_licence_audit_finds_relicensed_llama_and_gemma_children(families):
    snap, G = families
    a = license_audit(snap, G)
    fam = a.families.set_index("root")
    assert fam.loc["meta-llama/Llama-2-7b-chat-hf", "violations"] > 0
    assert "llama2 → apache-2.0" in fam.loc["meta-llama/Llama-2-7b-chat-hf", "top_violating_moves"]
    assert fam.loc["google/gemma-7b", "violations"] > 0
    assert fam.loc["deepseek-ai/DeepSeek-R1", "violations"] == 0  # MIT root: relicensing allowed
    classes = transitions(snap, G, trait="license_class").ordering(5)
    assert classes.order[0] == "community"  # restrictive model licences flow towards the others
