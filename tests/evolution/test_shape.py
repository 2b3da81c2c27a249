"""Shape indices against DendroPy, TreeSwift and networkx on random trees; the BFS tree of merges."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from hftree.evolution import family_forest, family_shape, hub_shape, simulate_forest
from hftree.evolution._trees import depth_of, forest_stats
from hftree.lineage import LineageGraph

dendropy = pytest.importorskip("dendropy")
treeswift = pytest.importorskip("treeswift")


def _random_trees(rng, n_trees, binary):
    """Random forests as parent arrays (vertex 0 of each tree its root)."""
    trees, parents = [], []
    off = 0
    for t in range(n_trees):
        if binary:  # grow by splitting a random leaf into two
            par = [-1]
            leaves = [0]
            for _ in range(int(rng.integers(2, 40))):
                v = leaves.pop(int(rng.integers(len(leaves))))
                par += [v, v]
                leaves += [len(par) - 2, len(par) - 1]
        else:
            n = int(rng.integers(2, 60))
            par = [-1] + [int(rng.integers(0, i)) if rng.random() < 0.7 else i - 1 for i in range(1, n)]
        trees += [t] * len(par)
        parents += [p + off if p >= 0 else -1 for p in par]
        off += len(par)
    parent = np.array(parents)
    return np.array(trees), parent, depth_of(parent)


def _newick(children, v):
    if not children.get(v):
        return f"n{v}"
    return "(" + ",".join(_newick(children, c) for c in children[v]) + f")n{v}"


def _per_tree(tree, parent):
    for t in np.unique(tree):
        vs = np.flatnonzero(tree == t)
        children: dict[int, list[int]] = {}
        for v in vs:
            if parent[v] >= 0:
                children.setdefault(int(parent[v]), []).append(int(v))
        yield t, int(vs[0]), vs, children


@pytest.mark.parametrize("binary", [True, False])
def test_indices_match_dendropy_treeswift_networkx(binary):
    rng = np.random.default_rng(1 if binary else 2)
    tree, parent, depth = _random_trees(rng, 25, binary)
    st = forest_stats(tree, parent, depth, 25)
    for t, root, vs, children in _per_tree(tree, parent):
        nwk = _newick(children, root) + ";"
        dt = dendropy.Tree.get(data=nwk, schema="newick", suppress_internal_node_taxa=False)
        assert st["sackin"][t] == dendropy.calculate.treemeasure.sackin_index(dt, normalize=False)
        assert st["sackin_norm"][t] == pytest.approx(dendropy.calculate.treemeasure.sackin_index(dt, normalize=True))
        if binary:
            assert st["colless"][t] == dendropy.calculate.treemeasure.colless_tree_imbalance(dt, normalize=None)
            if st["leaves"][t] >= 3:
                assert st["colless_norm"][t] == pytest.approx(
                    dendropy.calculate.treemeasure.colless_tree_imbalance(dt, normalize="max"))
        ts = treeswift.read_tree_newick(nwk)
        assert st["cherries"][t] == ts.num_cherries()
        g = nx.Graph([(p, v) for p, cs in children.items() for v in cs])
        assert st["wiener"][t] == nx.wiener_index(g)
        assert st["size"][t] == len(vs)
        assert st["depth"][t] == max(depth[vs])


def test_multifurcating_colless_is_the_pairwise_definition():
    rng = np.random.default_rng(3)
    tree, parent, depth = _random_trees(rng, 20, False)
    st = forest_stats(tree, parent, depth, 20)
    for t, root, _, children in _per_tree(tree, parent):
        leaves: dict[int, int] = {}

        def count(v, children=children, leaves=leaves):
            leaves[v] = sum(count(c) for c in children.get(v, [])) or 1
            return leaves[v]

        count(root)
        want = 0.0
        for cs in children.values():
            if len(cs) >= 2:
                L = [leaves[c] for c in cs]
                want += sum(abs(a - b) for i, a in enumerate(L) for b in L[i + 1:]) / (len(cs) - 1)
        assert st["colless"][t] == pytest.approx(want)


def test_merges_use_the_first_reached_parent():
    # r -> a -> c, r -> b -> d, and m with parents c (depth 2) and b (depth 1): m hangs from b
    models = pd.DataFrame({"id": list("rabcdm")})
    edges = pd.DataFrame({"parent": list("rabbcb"), "child": list("abcdmm"),
                          "relation": ["finetune"] * 4 + ["merge"] * 2})
    edges = edges.iloc[[0, 1, 2, 3, 4, 5]]
    edges.loc[:, ["parent", "child"]] = [["r", "a"], ["r", "b"], ["a", "c"], ["b", "d"], ["c", "m"], ["b", "m"]]
    G = LineageGraph.from_tables(models, edges)
    F = family_forest(G)
    m = np.flatnonzero(F["node"] == G.node("m"))[0]
    assert G.id_of([F["node"][F["parent"][m]]]) == ["b"] and F["depth"][m] == 2
    row = family_shape(G, null=None).to_frame().iloc[0]
    assert row["descendants"] == 5 and row["leaves"] == 3  # c, d, m (c's merge edge is ignored)


def test_null_z_scores_are_centred_for_trees_drawn_from_the_null():
    # 150 families grown by uniform attachment, compared with the uniform null
    sizes = np.full(150, 160)
    tree, parent, _ = simulate_forest(sizes, gamma=0.0, random_state=11)
    off = np.r_[0, np.cumsum(sizes)[:-1]]
    ids = np.array([f"f{t}/m{v - off[t]}" for t, v in zip(tree, range(len(tree)), strict=True)], dtype=object)
    has = parent >= 0
    G = LineageGraph.from_tables(pd.DataFrame({"id": ids}),
                                 pd.DataFrame({"parent": ids[parent[has]], "child": ids[has]}))
    res = family_shape(G, null=("uniform", "linear"), n_null=30, random_state=5)
    z = res.z_summary().set_index(["model", "statistic"])
    for stat in ("mean_depth", "root_share", "leaf_share", "sackin_norm", "wiener_norm"):
        assert abs(z.loc[("uniform", stat), "mean_z"]) < 0.3, stat
        assert 0.7 < z.loc[("uniform", stat), "sd_z"] < 1.4, stat
    # the same trees are far deeper than linear preferential attachment predicts
    assert z.loc[("linear", "mean_depth"), "mean_z"] > 2


def test_hub_shape_counts_and_generations():
    from hftree.datasets import toy_graph

    h = hub_shape(toy_graph())
    gens = h.generations.set_index("generation")["models"].to_dict()
    assert gens == {0: 2, 1: 4, 2: 1}  # org/base-GGUF is at generation 1 (its shortest path)
    assert h.branching["models"].sum() == 4
