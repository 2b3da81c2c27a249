"""Licence classes, the rule table and the licence-change audit on a hand-made tree."""

from __future__ import annotations

import pandas as pd
import pytest

from hftree.drift import LICENSE_RULES, license_audit, license_class, license_rules
from hftree.drift.licenses import license_key
from hftree.lineage import LineageGraph


def test_one_licence_vocabulary_and_license_name_resolved():
    import hftree.ecosystem
    import hftree.licenses

    # the drift, ecosystem and package-level names are one function, not copies
    assert license_class is hftree.licenses.license_class is hftree.ecosystem.license_class
    assert license_class("other", "gemma-terms-of-use") == "community"
    assert license_class("other", "exaone") == "non-commercial"
    assert license_class("other", "my-noncommercial-terms") == "non-commercial"
    assert license_class("other", "whatever") == "other"
    assert license_key("other", "Llama4") == "llama4" and license_key("MIT") == "mit"
    s = hftree.licenses.license_classes(pd.Series(["mit", None, "other"]), pd.Series([None, None, "llama-4"]))
    assert s.tolist() == ["permissive", "none", "community"]


def test_rule_table_documents_every_rule_with_a_source():
    t = license_rules()
    assert len(t) == len(LICENSE_RULES)
    assert t["source"].str.len().min() > 10 and t["terms"].str.len().min() > 10
    row = t.set_index("family").loc["llama3"]
    assert "§1.b.i" in row["source"] and "llama3.1" in row["child_may_declare"]
    assert t.set_index("family").loc["no-derivatives", "child_may_declare"] == "none (no shared derivatives)"


CASES = [  # parent licence, child licence, verdict
    ("llama3", "apache-2.0", "violation"),  # Llama 3 weights relicensed under Apache-2.0
    ("llama3", "llama3.1", "ok"),
    ("llama2", "llama3", "violation"),
    ("gemma", "mit", "violation"),
    ("creativeml-openrail-m", "openrail++", "ok"),
    ("creativeml-openrail-m", "mit", "violation"),
    ("cc-by-nc-4.0", "apache-2.0", "violation"),
    ("cc-by-nc-4.0", "cc-by-nc-sa-4.0", "ok"),
    ("cc-by-nc-sa-4.0", "cc-by-nc-4.0", "violation"),
    ("cc-by-nd-4.0", "cc-by-nd-4.0", "violation"),  # no adapted material may be shared at all
    ("gpl-3.0", "mit", "violation"),
    ("gpl-3.0", "agpl-3.0", "ok"),
    ("cc-by-sa-4.0", "gpl-3.0", "ok"),
    ("apache-2.0", "llama3", "ok"),  # permissive: anything goes
    ("mit", "cc-by-nc-4.0", "ok"),
    ("llama3", None, "undeclared"),
    ("llama3", "other", "unknown"),
    ("other", "apache-2.0", "unknown"),
]


def test_audit_verdicts_per_edge():
    ids = [f"p{i}" for i in range(len(CASES))] + [f"c{i}" for i in range(len(CASES))]
    lic = [p for p, _, _ in CASES] + [c for _, c, _ in CASES]
    m = pd.DataFrame({"id": ids, "license": lic})
    e = pd.DataFrame({"parent": ids[: len(CASES)], "child": ids[len(CASES):], "relation": "finetune"})
    a = license_audit(m, LineageGraph.from_tables(m, e))
    got = a.edges.set_index("parent")["verdict"].to_dict()
    assert got == {f"p{i}": v for i, (_, _, v) in enumerate(CASES)}
    assert set(a.violations["child"]) == {f"c{i}" for i, (_, _, v) in enumerate(CASES) if v == "violation"}
    pd.testing.assert_frame_equal(a.to_frame(), a.violations)


def test_audit_per_family_and_relation_filter():
    #  meta/llama (llama3) ─ft→ me/ft (apache-2.0) ─ft→ me/ft2 (apache-2.0)
    #                      ─adapter→ me/lora (llama3.1)
    #                      ─merge→ me/merge (mit)
    #  google/g ("other" + gemma-terms-of-use) ─ft→ x/g-ft (mit)
    m = pd.DataFrame({
        "id": ["meta/llama", "me/ft", "me/ft2", "me/lora", "me/merge", "google/g", "x/g-ft"],
        "license": ["llama3", "apache-2.0", "apache-2.0", "llama3.1", "mit", "other", "mit"],
        "license_name": [None, None, None, None, None, "gemma-terms-of-use", None],
    })
    e = pd.DataFrame({"parent": ["meta/llama", "me/ft", "meta/llama", "meta/llama", "google/g"],
                      "child": ["me/ft", "me/ft2", "me/lora", "me/merge", "x/g-ft"],
                      "relation": ["finetune", "finetune", "adapter", "merge", "finetune"]})
    G = LineageGraph.from_tables(m, e)
    a = license_audit(m, G)
    fam = a.families.set_index("root")
    assert fam.loc["meta/llama", ["edges_audited", "violations", "ok"]].tolist() == [3, 1, 2]
    assert fam.loc["meta/llama", "top_violating_moves"] == "llama3 → apache-2.0 (1)"
    assert fam.loc["google/g", "violations"] == 1 and fam.loc["google/g", "root_license"] == "gemma"
    assert dict(zip(a.summary["verdict"], a.summary["edges"], strict=True)) == {"ok": 2, "violation": 2}
    assert "merge" not in set(a.edges["relation"])  # merges excluded by default
    with_merges = license_audit(m, G, relation=["finetune", "adapter", "merge"])
    assert dict(zip(with_merges.summary["verdict"], with_merges.summary["edges"], strict=True)) == {
        "ok": 2, "violation": 3}
    every = license_audit(m, G, relation=None)  # None: every edge, merges included
    assert set(every.edges["relation"]) == set(with_merges.edges["relation"])
    assert "llama3 → apache-2.0" in repr(a) and "<table>" in a._repr_html_()


@pytest.mark.parametrize("bad", [[], ["llama3"]])
def test_audit_of_a_graph_without_licences(bad):
    m = pd.DataFrame({"id": ["a", "b"][: len(bad) or 2], "license": (bad or [None, None])})
    G = LineageGraph.from_tables(m, pd.DataFrame({"parent": [], "child": [], "relation": []}))
    a = license_audit(m, G)
    assert a.edges.empty and a.violations.empty and a.summary.empty
