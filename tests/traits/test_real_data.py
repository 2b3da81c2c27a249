"""The paper's qualitative findings on real Hub family-tree crawls (../shared/data/hub-families)."""

from __future__ import annotations

import warnings

import pytest

from hftree.ingest import import_sources
from hftree.lineage import LineageGraph
from hftree.traits import inheritance


@pytest.fixture(scope="module")
def families(shared):
    d = shared / "hub-families"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snap = import_sources([d / "models.jsonl.gz", d / "cards.jsonl.gz"])
        return snap, LineageGraph.from_snapshot(snap)


def test_random_below_parent_child_below_siblings_for_metadata_and_card_tfidf(families):
    snap, G = families
    r = inheritance(snap, G, traits=["metadata", "card"], measures=["tfidf"],
                    kinships=["parent_child", "siblings", "random_hub"], n_boot=200, random_state=0)
    m = r.table.set_index(["trait", "kinship"])["mean"]
    for trait in ("metadata", "card"):
        assert m[(trait, "random_hub")] < m[(trait, "parent_child")] < m[(trait, "siblings")], trait
    t = r.table.set_index(["trait", "kinship"])
    assert t.loc[("card", "parent_child"), "exact"] and t.loc[("card", "siblings"), "exact"]
    assert t.loc[("card", "parent_child"), "n_pairs"] > 1000  # every fine-tune edge with two cards
    claims = {(c.trait, c.a, c.b): c for c in r.comparisons}
    assert claims[("card", "parent_child", "random_hub")].holds
    assert claims[("card", "siblings", "parent_child")].holds


def test_categorical_traits_are_inherited(families):
    snap, G = families
    r = inheritance(snap, G, traits=["license", "task", "architecture"], kinships=["parent_child", "random_hub"],
                    n_boot=200, random_state=0)
    for c in r.comparisons:
        assert c.holds, c  # relatives share licence, task and architecture far above chance
