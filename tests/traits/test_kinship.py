"""Kinship pairs: hand-drawn trees with known answers, a brute-force cross-check, the samplers."""

from __future__ import annotations

import itertools
from collections import Counter

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hftree.errors import ParameterError
from hftree.lineage import LineageGraph
from hftree.traits import KINSHIPS, KinshipError, kinship_counts, kinship_pairs

#   r ─┬─ a ─┬─ a1        z (a model without relatives)
#      │     └─ a2
#      ├─ b ─── b1
#      └─ c
EDGES = [("r", "a"), ("r", "b"), ("r", "c"), ("a", "a1"), ("a", "a2"), ("b", "b1")]
IDS = ["r", "a", "b", "c", "a1", "a2", "b1", "z"]
EXPECTED = {
    "parent_child": {("r", "a"), ("r", "b"), ("r", "c"), ("a", "a1"), ("a", "a2"), ("b", "b1")},
    "siblings": {("a", "b"), ("a", "c"), ("b", "c"), ("a1", "a2")},
    "grandparent": {("r", "a1"), ("r", "a2"), ("r", "b1")},
    "aunt_uncle": {("b", "a1"), ("c", "a1"), ("b", "a2"), ("c", "a2"), ("a", "b1"), ("c", "b1")},
    "cousins": {("a1", "b1"), ("a2", "b1")},
    "random_family": set(itertools.combinations(["r", "a", "b", "c", "a1", "a2", "b1"], 2)),
    "random_hub": set(itertools.combinations(IDS, 2)),
}
ORDERED = {"parent_child", "grandparent", "aunt_uncle"}  # the pair has roles (older, younger)


def tree(edges=EDGES, ids=IDS, relation="finetune") -> LineageGraph:
    models = pd.DataFrame({"id": ids})
    e = pd.DataFrame(edges, columns=["parent", "child"])
    e["relation"] = relation
    return LineageGraph.from_tables(models, e)


def as_set(df: pd.DataFrame, ordered: bool) -> Counter:
    pairs = zip(df["a"], df["b"], strict=True)
    return Counter(p if ordered else tuple(sorted(p)) for p in pairs)


@pytest.mark.parametrize("kinship", KINSHIPS)
def test_every_kinship_on_a_hand_drawn_tree(kinship):
    G = tree()
    got = as_set(kinship_pairs(G, kinship), kinship in ORDERED)
    want = EXPECTED[kinship] if kinship in ORDERED else {tuple(sorted(p)) for p in EXPECTED[kinship]}
    assert got == Counter(want)  # every pair exactly once
    assert kinship_counts(G)[kinship] == len(want)


def test_anchors_name_the_relating_node():
    G = tree()
    sib = kinship_pairs(G, "siblings")
    assert dict(Counter(sib["anchor"])) == {"r": 3, "a": 1}
    cous = kinship_pairs(G, "cousins")
    assert set(cous["anchor"]) == {"r"}
    assert kinship_pairs(G, "random_hub")["anchor"].isna().all()


def test_relation_filter_and_merges_excluded_by_default():
    G = LineageGraph.from_tables(
        pd.DataFrame({"id": ["p", "q", "m", "x"]}),
        pd.DataFrame({"parent": ["p", "q", "p"], "child": ["m", "m", "x"], "relation": ["merge", "merge", "adapter"]}),
    )
    assert kinship_pairs(G, "siblings").empty  # m is a merge child of p: not followed by default
    both = kinship_pairs(G, "siblings", relation=["merge", "adapter"])
    assert as_set(both, False) == Counter({("m", "x"): 1})
    assert kinship_pairs(G, "parent_child", relation="merge").shape[0] == 2


def test_paths_through_two_parents_count_per_path_and_self_pairs_are_dropped():
    # x has two parents p1, p2, both children of g: x is its own "cousin" through two paths
    G = tree([("g", "p1"), ("g", "p2"), ("p1", "x"), ("p2", "x"), ("p2", "y")], ["g", "p1", "p2", "x", "y"])
    cous = as_set(kinship_pairs(G, "cousins"), False)
    assert cous == Counter({("x", "y"): 1})  # x–y through p1/p2; x–x dropped
    assert kinship_counts(G)["cousins"] == 2  # the two paths, the degenerate one included
    assert as_set(kinship_pairs(G, "grandparent"), True) == Counter({("g", "x"): 2, ("g", "y"): 1})


def test_valid_mask_restricts_pair_ends_not_paths():
    G = tree()
    valid = np.array([i not in ("a", "z") for i in IDS] + [False] * (G.n_nodes - len(IDS)))
    gp = as_set(kinship_pairs(G, "grandparent", valid=valid), True)
    assert gp == Counter({("r", "a1"): 1, ("r", "a2"): 1, ("r", "b1"): 1})  # the middle a need not be valid
    sib = as_set(kinship_pairs(G, "siblings", valid=valid), False)
    assert sib == Counter({("b", "c"): 1, ("a1", "a2"): 1})


def brute_force(G: LineageGraph, kinship: str) -> Counter:
    """Kinship paths from their definitions, with networkx (non-merge edges only)."""
    D = nx.DiGraph()
    D.add_nodes_from(G.ids[~G.external])
    for p, c, r in zip(G.parent, G.child, G.relation, strict=True):
        if r != 3:  # merge
            D.add_edge(G.ids[p], G.ids[c])
    out: Counter = Counter()
    for p in D:
        ch = sorted(D.successors(p))
        if kinship == "parent_child":
            out.update((p, c) for c in ch)
        if kinship == "siblings":
            out.update(tuple(sorted(x)) for x in itertools.combinations(ch, 2))
        if kinship == "grandparent":
            out.update((p, gc) for c in ch for gc in D.successors(c))
        if kinship == "aunt_uncle":
            out.update((a, gc) for c in ch for gc in D.successors(c) for a in ch if a != c and a != gc)
        if kinship == "cousins":
            for c1, c2 in itertools.combinations(ch, 2):
                out.update(tuple(sorted((x, y))) for x in D.successors(c1) for y in D.successors(c2) if x != y)
    if kinship == "random_family":
        for r in (v for v in D if D.in_degree(v) == 0 and D.out_degree(v) > 0):
            fam = sorted({r} | nx.descendants(D, r))
            out.update(itertools.combinations(fam, 2))
    if kinship == "random_hub":
        out.update(itertools.combinations(sorted(D), 2))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_enumeration_matches_brute_force_on_random_dags(seed):
    rng = np.random.default_rng(seed)
    n = 40
    ids = [f"m{i:02d}" for i in range(n)]
    rows = []
    for i in range(1, n):
        for j in rng.choice(i, size=min(i, int(rng.integers(0, 3))), replace=False):  # 0–2 earlier parents
            rows.append((ids[j], ids[i], rng.choice(["finetune", "adapter", "quantized", "merge"])))
    G = LineageGraph.from_tables(pd.DataFrame({"id": ids}),
                                 pd.DataFrame(rows, columns=["parent", "child", "relation"]))
    for k in KINSHIPS:
        got = kinship_pairs(G, k)
        assert as_set(got, k in ORDERED) == brute_force(G, k), k


@pytest.mark.parametrize("kinship", [k for k in KINSHIPS if k != "random_hub"])
def test_sampling_is_uniform_over_instances(kinship):
    G = tree()
    draws = kinship_pairs(G, kinship, samples=30_000, random_state=1)
    got = as_set(draws, kinship in ORDERED)
    want = {p if kinship in ORDERED else tuple(sorted(p)) for p in EXPECTED[kinship]}
    assert set(got) == want
    if len(want) > 1:
        counts = np.array([got[p] for p in sorted(want)])
        assert stats.chisquare(counts).pvalue > 1e-3


def test_family_weighting_gives_each_family_the_same_weight():
    # a big family (r: 7 models) and a small one (y → y1): 21 vs 1 same-family pairs
    G = tree([*EDGES, ("y", "y1")], [*IDS, "y", "y1"])
    paper = kinship_pairs(G, "random_family", samples=20_000, random_state=0)
    fam = kinship_pairs(G, "random_family", samples=20_000, random_state=0, weighting="family")
    small = lambda d: ((d["anchor"] == "y").mean())  # noqa: E731
    assert small(paper) == pytest.approx(1 / 22, abs=0.01)
    assert small(fam) == pytest.approx(0.5, abs=0.02)


def test_sampling_is_seeded():
    G = tree()
    a = kinship_pairs(G, "cousins", samples=50, random_state=7)
    b = kinship_pairs(G, "cousins", samples=50, random_state=7)
    pd.testing.assert_frame_equal(a, b)


def test_errors():
    G = tree()
    with pytest.raises(KinshipError, match="unknown kinship 'nephews'"):
        kinship_pairs(G, "nephews")
    with pytest.raises(ParameterError, match="weighting: expected 'paper' or 'family', got 'uniform'"):
        kinship_pairs(G, "siblings", samples=5, weighting="uniform")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="samples: expected a whole number >= 1, got 0"):
        kinship_pairs(G, "siblings", samples=0)
    with pytest.raises(ParameterError, match="random_state"):
        kinship_pairs(G, "siblings", samples=5, random_state="seed")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="max_pairs: expected a whole number >= 0, got -1"):
        kinship_pairs(G, "siblings", max_pairs=-1)
    with pytest.raises(KinshipError, match="exceed max_pairs=10; pass samples=N"):
        kinship_pairs(G, "random_hub", max_pairs=10)
    with pytest.raises(ParameterError, match=r"relation.*'fork'"):
        kinship_pairs(G, "siblings", relation="fork")
