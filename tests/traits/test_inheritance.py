"""The inheritance table: hand-computed means for every kinship, exact siblings without enumeration,
bootstrap intervals, the claim tests, and the result object."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hftree.errors import ParameterError
from hftree.lineage import LineageGraph
from hftree.traits import (
    INHERITANCE_COLUMNS,
    KINSHIPS,
    KinshipComparison,
    KinshipError,
    Trait,
    TraitError,
    inheritance,
    kinship_pairs,
    similarity,
)

#   r ─┬─ a ─┬─ a1        z
#      │     └─ a2
#      ├─ b ─── b1
#      └─ c
IDS = ["r", "a", "b", "c", "a1", "a2", "b1", "z"]
LIC = ["mit", "mit", "apache", "mit", "mit", "apache", "apache", "mit"]
EDGES = [("r", "a"), ("r", "b"), ("r", "c"), ("a", "a1"), ("a", "a2"), ("b", "b1")]
# equality of licences, by hand, for every pair of each kinship
HAND = {
    "parent_child": 4 / 6,  # r-a 1, r-b 0, r-c 1, a-a1 1, a-a2 0, b-b1 1
    "siblings": 1 / 4,  # a-b 0, a-c 1, b-c 0, a1-a2 0
    "grandparent": 1 / 3,  # r-a1 1, r-a2 0, r-b1 0
    "aunt_uncle": 2 / 6,  # b-a1 0, c-a1 1, b-a2 1, c-a2 0, a-b1 0, c-b1 0
    "cousins": 1 / 2,  # a1-b1 0, a2-b1 1
    "random_family": 9 / 21,  # 4 mit, 3 apache among the 7 family members
    "random_hub": 13 / 28,  # 5 mit, 3 apache among the 8 models
}


def graph(models: pd.DataFrame, edges=EDGES) -> LineageGraph:
    e = pd.DataFrame(edges, columns=["parent", "child"])
    e["relation"] = "finetune"
    return LineageGraph.from_tables(models, e)


@pytest.fixture
def hand():
    m = pd.DataFrame({"id": IDS, "license": LIC})
    return m, graph(m)


def test_every_kinship_exact_equals_the_hand_computation(hand):
    m, G = hand
    r = inheritance(m, G, traits=["license"], exact="all", n_boot=50, random_state=0)
    got = r.table.set_index("kinship")["mean"].to_dict()
    assert got == pytest.approx(HAND)
    assert r.table["exact"].all()
    assert list(r.table.columns) == list(INHERITANCE_COLUMNS)
    pop = r.table.set_index("kinship")["population"].to_dict()
    assert pop == {"parent_child": 6, "siblings": 4, "grandparent": 3, "aunt_uncle": 6, "cousins": 2,
                   "random_family": 21, "random_hub": 28}


def test_only_populations_larger_than_the_sample_are_sampled(hand):
    m, G = hand
    r = inheritance(m, G, traits=["license"], exact=(), samples=5, n_boot=100, random_state=3)
    sampled = r.table[~r.table["exact"]]
    assert set(sampled["kinship"]) == {"parent_child", "aunt_uncle", "random_family", "random_hub"}
    assert (sampled["n_pairs"] == 5).all() and (sampled["population"] > 5).all()


def test_sampled_means_converge_to_the_exact_ones():
    rng = np.random.default_rng(4)
    n = 400
    ids = [f"m{i}" for i in range(n)]
    parent = [int(rng.integers(0, max(1, i // 3))) for i in range(n)]
    m = pd.DataFrame({"id": ids, "license": rng.choice(["mit", "apache", "gpl"], n, p=[0.6, 0.3, 0.1])})
    G = graph(m, [(ids[p], ids[i]) for i, p in enumerate(parent) if i > 0])
    exact = inheritance(m, G, traits=["license"], exact="all", n_boot=0).table.set_index("kinship")
    sampled = inheritance(m, G, traits=["license"], exact=(), samples=3000, n_boot=200,
                          random_state=0).table.set_index("kinship")
    for k in KINSHIPS:
        if exact.loc[k, "population"] > 3000:
            assert not sampled.loc[k, "exact"]
            assert sampled.loc[k, "mean"] == pytest.approx(exact.loc[k, "mean"], abs=0.04), k


def test_siblings_are_exact_without_enumeration_for_every_measure():
    """Grouped sibling means equal the brute-force mean over every sibling pair."""
    rng = np.random.default_rng(5)
    n = 300
    ids = [f"m{i}" for i in range(n)]
    parent = rng.integers(0, 25, n)  # 25 parents with many children each
    langs = [sorted(set(rng.choice(["en", "fr", "de", "es"], size=rng.integers(1, 3)))) for _ in range(n)]
    params = rng.choice([1e9, 2e9, 7e9], n)
    models = pd.DataFrame({"id": ids, "languages": langs, "parameters": params,
                           "license": rng.choice(["mit", "apache", "gpl"], n)})
    edges = [(ids[p], ids[i]) for i, p in enumerate(parent) if p != i and i >= 25]
    G = graph(models, edges)
    pairs = kinship_pairs(G, "siblings")
    by_id = models.set_index("id")
    for trait, measure in [("languages", "jaccard"), ("parameters", "ratio"), ("license", "equality"),
                           ("languages", "equality")]:
        r = inheritance(models, G, traits=[trait], measures={trait: [measure]}, kinships=["siblings"], n_boot=0)
        row = r.table.iloc[0]
        vals = by_id[trait].to_dict()
        brute = np.mean([_direct(vals[a], vals[b], measure) for a, b in zip(pairs["a"], pairs["b"], strict=True)])
        assert row["exact"] and row["n_pairs"] == len(pairs)
        assert row["mean"] == pytest.approx(brute, abs=1e-12), (trait, measure)


def _direct(x, y, measure):
    """The measures from their definitions."""
    if measure == "jaccard":
        return len(set(x) & set(y)) / len(set(x) | set(y))
    if measure == "ratio":
        return min(x, y) / max(x, y)
    return float((set(x) == set(y)) if isinstance(x, list) else x == y)


def test_direct_definitions_agree_with_similarity():
    assert _direct(["en", "fr"], ["en"], "jaccard") == similarity({"en", "fr"}, {"en"}, "jaccard")
    assert _direct(2e9, 7e9, "ratio") == similarity(2e9, 7e9, "ratio")


def test_siblings_fall_back_to_sampling_over_the_budget(hand):
    m, G = hand
    m = m.assign(languages=[["en"], ["fr"], ["de"], ["es"], ["it"], ["nl"], ["pt"], ["ja"]])
    r = inheritance(m, G, traits=["languages"], kinships=["siblings"], max_exact_pairs=1, samples=2,
                    n_boot=10, random_state=0)
    row = r.table.iloc[0]
    assert not row["exact"] and row["n_pairs"] == 2


def test_family_weighting_averages_family_means():
    ids = [*IDS, "y", "y1"]
    m = pd.DataFrame({"id": ids, "license": [*LIC, "mit", "apache"]})
    G = graph(m, [*EDGES, ("y", "y1")])
    r = inheritance(m, G, traits=["license"], kinships=["parent_child", "random_family"], exact="all",
                    weighting="family", n_boot=20, random_state=0)
    got = r.table.set_index("kinship")["mean"]
    assert got["parent_child"] == pytest.approx((4 / 6 + 0) / 2)
    assert got["random_family"] == pytest.approx((9 / 21 + 0) / 2)
    paper = inheritance(m, G, traits=["license"], kinships=["parent_child"], n_boot=0)
    assert paper.table["mean"].iloc[0] == pytest.approx(4 / 7)


def test_text_traits_exact_on_small_data():
    m = pd.DataFrame({"id": ["p", "c1", "c2", "x"],
                      "card": ["a model of cats", "a model of cats and dogs", "dogs only", "zebra"]})
    G = graph(m, [("p", "c1"), ("p", "c2")])
    r = inheritance(m, G, traits=["card"], measures={"card": ["tfidf", "bow", "levenshtein"]},
                    kinships=["parent_child", "siblings"], n_boot=20, random_state=0)
    t = r.table.set_index(["measure", "kinship"])
    assert t["exact"].all()
    lev = np.mean([similarity("a model of cats", "a model of cats and dogs", "levenshtein"),
                   similarity("a model of cats", "dogs only", "levenshtein")])
    assert t.loc[("levenshtein", "parent_child"), "mean"] == pytest.approx(lev)
    assert 0 < t.loc[("tfidf", "siblings"), "mean"] < 1


def test_intervals_cover_the_mean_and_cluster_is_wider_than_pairs():
    rng = np.random.default_rng(1)
    n = 2000
    ids = [f"m{i}" for i in range(n)]
    fam_lic = rng.choice(["mit", "apache"], 40)
    parent = rng.integers(0, 40, n)
    lic = np.where(rng.random(n) < 0.8, fam_lic[parent], rng.choice(["mit", "apache"], n))
    m = pd.DataFrame({"id": ids, "license": lic})
    G = graph(m, [(ids[p], ids[i]) for i, p in enumerate(parent) if i >= 40])
    cl = inheritance(m, G, traits=["license"], kinships=["siblings"], n_boot=300, random_state=0).table.iloc[0]
    pr = inheritance(m, G, traits=["license"], kinships=["siblings"], n_boot=300, random_state=0,
                     ci="pairs").table.iloc[0]
    assert cl["ci_low"] <= cl["mean"] <= cl["ci_high"] and pr["ci_low"] <= pr["mean"] <= pr["ci_high"]
    assert cl["mean"] == pr["mean"]
    assert (cl["ci_high"] - cl["ci_low"]) > 3 * (pr["ci_high"] - pr["ci_low"])  # 40 clusters, ~50k pairs


def test_claim_tests_and_result_object():
    # siblings share their parent's family licence; parents differ from children half of the time
    rng = np.random.default_rng(2)
    ids, lic, edges = [], [], []
    for f in range(30):
        ids.append(f"p{f}")
        lic.append(rng.choice(["x", "y"]))
        child_lic = rng.choice(["a", "b", "c", "d"])
        for k in range(6):
            ids.append(f"p{f}c{k}")
            lic.append(child_lic)
            edges.append((f"p{f}", f"p{f}c{k}"))
    m = pd.DataFrame({"id": ids, "license": lic})
    G = graph(m, edges)
    r = inheritance(m, G, traits=["license"], n_boot=300, random_state=0)
    comp = {(c.a, c.b): c for c in r.comparisons}
    sib = comp[("siblings", "parent_child")]
    assert isinstance(sib, KinshipComparison) and sib.holds and sib.p_value < 1e-6 and sib.effect_size > 1
    assert sib.claim == "siblings > parent–child"
    assert sib.difference == pytest.approx(1.0)
    assert r.compare("license", "equality", "siblings", "parent_child") == sib
    rnd = comp[("parent_child", "random_hub")]
    assert not rnd.holds  # parents never share the licence of their children here
    f = r.comparisons_frame()
    assert list(f["claim"]) == ["siblings > parent–child", "parent–child > random pair, whole Hub"]
    assert "holds" in repr(sib) and "<b>Kinship comparison</b>" in sib._repr_html_()
    assert sib.summary.shape == (1, len(sib.to_frame().columns))
    assert "1 of 2 claims hold" in repr(r)
    assert list(r.summary.columns[:2]) == ["trait", "measure"] and "<table>" in r._repr_html_()
    w = r.wide()
    assert list(w.columns) == list(KINSHIPS) and w.loc[("license", "equality"), "siblings"] == 1.0
    pd.testing.assert_frame_equal(r.to_frame(), r.table)
    with pytest.raises(KinshipError, match="no row for trait 'license', measure 'jaccard'"):
        r.compare("license", "jaccard", "siblings", "parent_child")


def test_html_escapes_every_string():
    m = pd.DataFrame({"id": ["p", "c", "d"], "license": ["<script>", "<script>", "x&y"]})
    G = graph(m, [("p", "c"), ("p", "d")])
    t = Trait("<b>evil</b>", "categorical", lambda df: df["license"])
    r = inheritance(m, G, traits=[t], n_boot=10, random_state=0)
    h = r._repr_html_()
    assert "<b>evil</b>" not in h and "&lt;b&gt;evil&lt;/b&gt;" in h


def test_seeded_and_independent_of_other_traits(hand):
    m, G = hand
    m = m.assign(languages=[["en"], ["en", "fr"], ["fr"], ["en"], ["en"], ["de"], ["fr"], ["en"]])
    a = inheritance(m, G, traits=["license"], exact=(), samples=3, random_state=11, n_boot=50).table
    b = inheritance(m, G, traits=["languages", "license"], exact=(), samples=3, random_state=11, n_boot=50).table
    pd.testing.assert_frame_equal(a.reset_index(drop=True),
                                  b[b["trait"] == "license"].reset_index(drop=True))


def test_plot(hand):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    m, G = hand
    r = inheritance(m, G, traits=["license"], n_boot=20, random_state=0)
    ax = r.plot()
    assert len(ax.get_xticklabels()) == len(KINSHIPS)


def test_errors(hand):
    m, G = hand
    with pytest.raises(TraitError, match="a model table alone has no lineage: pass graph="):
        inheritance(m, traits=["license"])
    with pytest.raises(ParameterError, match="weighting: expected 'paper' or 'family', got 'equal'"):
        inheritance(m, G, weighting="equal")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="ci: expected 'cluster' or 'pairs', got 'normal'"):
        inheritance(m, G, ci="normal")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="samples: expected a whole number >= 1, got 0"):
        inheritance(m, G, samples=0)
    with pytest.raises(ParameterError, match="n_boot: expected a whole number >= 0, got -1"):
        inheritance(m, G, n_boot=-1)
    with pytest.raises(ParameterError, match="graph: expected a LineageGraph or None"):
        inheritance(m, "graph")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"relation: expected one of .*got 'fork'"):
        inheritance(m, G, relation="fork")
    with pytest.raises(KinshipError, match="unknown kinship 'twins'"):
        inheritance(m, G, kinships=["twins"])
    with pytest.raises(TraitError, match="unknown similarity measure 'dice'"):
        inheritance(m, G, traits=["license"], measures=["dice"])
    with pytest.raises(TraitError, match="measure 'jaccard' does not apply to trait 'card_length'"):
        inheritance(m.assign(card_length=1), G, traits=["card_length"], measures={"card_length": "jaccard"})
