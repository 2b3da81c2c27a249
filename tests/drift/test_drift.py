"""Transitions, net flow, mutation rates and card drift on hand-made trees with known answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hftree._results import Result
from hftree.drift import card_drift, license_audit, mutation_rates, transitions
from hftree.errors import ParameterError
from hftree.lineage import LineageGraph
from hftree.traits import TraitError


def graph(models, edges):
    e = pd.DataFrame(edges, columns=["parent", "child", "relation"])
    return LineageGraph.from_tables(models, e)


@pytest.fixture
def tree():
    #  base(llama3, [en, fr, de]) ─ft→ a(apache, [en])     ─ft→ a1(apache, [en])
    #                             ─ft→ b(mit, [en, fr])    ─adapter→ b1(mit, None)
    #                             ─q →  c(llama3, [en, fr, de])
    #  other(mit, [en]) ─ft→ d(apache, [en, es])
    m = pd.DataFrame({
        "id": ["base", "a", "b", "c", "a1", "b1", "other", "d"],
        "license": ["llama3", "apache-2.0", "mit", "llama3", "apache-2.0", "mit", "mit", "apache-2.0"],
        "languages": [["en", "fr", "de"], ["en"], ["en", "fr"], ["en", "fr", "de"], ["en"], None, ["en"],
                      ["en", "es"]],
        "card_length": [9000, 3000, 5000, 9000, 1000, None, 4000, 2000],
        "card_template": [False, True, False, False, True, None, False, True],
    })
    G = graph(m, [("base", "a", "finetune"), ("base", "b", "finetune"), ("base", "c", "quantized"),
                  ("a", "a1", "finetune"), ("b", "b1", "adapter"), ("other", "d", "finetune")])
    return m, G


def test_categorical_transitions_and_net_flow(tree):
    m, G = tree
    t = transitions(m, G, trait="licence")
    assert t.n_edges == 6 and t.n_changed == 3
    assert sorted(map(tuple, t.counts.values.tolist())) == [
        ("llama3", "apache-2.0", 1), ("llama3", "mit", 1), ("mit", "apache-2.0", 1)]
    assert t.kept.to_dict() == {"apache-2.0": 1, "mit": 1, "llama3": 1}
    assert t.appearances.to_dict() == {"apache-2.0": 3, "mit": 3, "llama3": 2}
    flow = t.net_flow()
    assert flow[["a", "b", "a_to_b", "b_to_a", "net"]].values.tolist() == [
        ["llama3", "apache-2.0", 1, 0, 1], ["llama3", "mit", 1, 0, 1], ["mit", "apache-2.0", 1, 0, 1]]
    o = t.ordering(3)
    assert o.order == ("llama3", "mit", "apache-2.0") and o.exact and o.share_pairs_agree == 1.0
    assert t.matrix(["llama3", "mit", "apache-2.0"]).values.tolist() == [[0, 1, 1], [0, 0, 1], [0, 0, 0]]


def test_set_transitions_follow_the_papers_rule(tree):
    m, G = tree
    t = transitions(m, G, trait="languages")
    # base{en,fr,de} → a{en}: dropped fr, de → every child value: fr→en, de→en
    # base → b{en,fr}: dropped de → en, fr: de→en, de→fr
    # base → c: unchanged; a → a1: unchanged; b → b1: b1 reports nothing (skipped)
    # other{en} → d{en,es}: added es ← every parent value: en→es
    got = {(a, b): n for a, b, n in t.counts.itertuples(index=False)}
    assert got == {("fr", "en"): 1, ("de", "en"): 2, ("de", "fr"): 1, ("en", "es"): 1}
    assert t.n_edges == 5 and t.n_changed == 3
    assert t.kept.to_dict() == {"en": 5, "fr": 2, "de": 1}


def test_transitions_need_categorical_or_set(tree):
    m, G = tree
    with pytest.raises(TraitError, match="transitions need a categorical or set trait; 'card_length' is numeric"):
        transitions(m, G, trait="card_length")
    with pytest.raises(TraitError, match="unknown trait 'licens'"):
        transitions(m, G, trait="licens")


def test_bad_arguments_are_parameter_errors(tree):
    m, G = tree
    t = transitions(m, G, trait="license")
    with pytest.raises(ParameterError, match="top: expected a whole number >= 1, got -3"):
        t.ordering(-3)
    with pytest.raises(ParameterError, match="top: expected a whole number >= 1, got 0"):
        t.top_values(0)
    assert t.top_values(None) == t.top_values(len(t.appearances) + 5)
    with pytest.raises(ParameterError, match="n_boot: expected a whole number >= 0, got -1"):
        mutation_rates(m, G, n_boot=-1)
    with pytest.raises(ParameterError, match="n_boot: expected a whole number >= 0, got -1"):
        card_drift(m, G, n_boot=-1)
    with pytest.raises(ParameterError, match=r"relation: expected one of .*got 'fork'"):
        license_audit(m, G, relation="fork")
    with pytest.raises(ParameterError, match="random_state"):
        mutation_rates(m, G, random_state="seed")  # type: ignore[arg-type]


def test_results_share_one_protocol(tree):
    m, G = tree
    t = transitions(m, G, trait="license")
    results = [mutation_rates(m, G, traits=["license"], n_boot=0), card_drift(m, G, n_boot=0), t,
               t.ordering(3), license_audit(m, G)]
    for r in results:
        assert isinstance(r, Result)
        assert isinstance(r.summary, pd.DataFrame) and isinstance(r.to_frame(), pd.DataFrame)
        assert repr(r).startswith(f"<{type(r).__name__}: ") and r._repr_html_().startswith("<div><b>")
        with pytest.raises(dataclasses.FrozenInstanceError):
            r.settings = {}  # type: ignore[misc]
    default = mutation_rates(m, G, traits=["license"], n_boot=50).table
    seeded = mutation_rates(m, G, traits=["license"], n_boot=50, random_state=0).table
    pd.testing.assert_frame_equal(default, seeded)  # random_state defaults to 0


def test_mutation_rates_by_relation(tree):
    m, G = tree
    r = mutation_rates(m, G, traits=["license", "languages"], n_boot=50, random_state=0)
    t = r.table.set_index(["trait", "relation"])
    assert t.loc[("license", "all"), "mutation_rate"] == pytest.approx(3 / 6)
    assert t.loc[("license", "finetune"), "n_edges"] == 4
    assert t.loc[("license", "finetune"), "mutation_rate"] == pytest.approx(3 / 4)
    assert t.loc[("license", "quantized"), "mutation_rate"] == 0.0
    # Jaccard distances: base→a 2/3, base→b 1/3, base→c 0, a→a1 0, other→d 1/2 (b→b1: b1 reports none)
    assert t.loc[("languages", "all"), "mutation_rate"] == pytest.approx((2 / 3 + 1 / 3 + 0 + 0 + 1 / 2) / 5)
    assert t.loc[("languages", "all"), "changed_share"] == pytest.approx(3 / 5)
    assert ("languages", "adapter") not in t.index  # no adapter edge where both report languages
    lo, hi = t.loc[("license", "all"), ["ci_low", "ci_high"]]
    assert lo <= 0.5 <= hi
    assert "license" in repr(r) and "<table>" in r._repr_html_()


def test_card_drift_paired(tree):
    m, G = tree
    d = card_drift(m, G, n_boot=50, random_state=0).table.set_index(["quantity", "relation"])
    # card lengths (parent, child): (9000,3000) (9000,5000) (9000,9000) (3000,1000) (4000,2000)
    row = d.loc[("card_length", "all")]
    assert row["n_edges"] == 5
    assert row["parent"] == pytest.approx(34000 / 5) and row["child"] == pytest.approx(20000 / 5)
    assert row["change"] == pytest.approx(-14000 / 5)
    assert row["child_lower_share"] == pytest.approx(4 / 5)
    assert row["parent_median"] == 9000 and row["child_median"] == 3000
    tpl = d.loc[("templated", "all")]
    # (parent, child): base→a F,T  base→b F,F  base→c F,F  a→a1 T,T  other→d F,T  (b1 unknown)
    assert (tpl["parent"], tpl["child"]) == (pytest.approx(1 / 5), pytest.approx(3 / 5))
    assert tpl["test"] == "McNemar (exact)" and tpl["p_value"] == pytest.approx(0.5)  # 2 discordant, both up
    lang = d.loc[("languages", "all")]  # edges where both declare: base→a 3→1, base→b 3→2, base→c 3→3,
    assert lang["n_edges"] == 5  # a→a1 1→1, other→d 1→2
    assert lang["change"] == pytest.approx((-2 - 1 + 0 + 0 + 1) / 5)
    dec = d.loc[("declares_languages", "all")]
    assert dec["n_edges"] == 6 and dec["change"] == pytest.approx(-1 / 6)  # b1 declares none
    assert ("card_length", "quantized") in d.index and ("card_length", "merge") not in d.index
    assert "card_length: parent" in repr(card_drift(m, G, n_boot=0))


def test_drift_functions_align_a_table_to_a_graph_by_id(tree):
    m, G = tree
    shuffled = m.sample(frac=1.0, random_state=1).reset_index(drop=True)
    a = mutation_rates(shuffled, G, traits=["license"], n_boot=0).table
    b = mutation_rates(m, G, traits=["license"], n_boot=0).table
    pd.testing.assert_frame_equal(a, b)
    assert np.isfinite(a["mutation_rate"]).all()
