"""The lineage graph on hand-drawn graphs with known answers, plus invariants (Hypothesis)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hftree.datasets import toy_graph
from hftree.errors import DataQualityWarning, ModelNotFoundError
from hftree.lineage import (
    LineageGraph,
    ancestors,
    children,
    descendants,
    generations,
    parents,
    roots,
    roots_of,
    subgraph,
    subtree,
    to_igraph,
    to_networkx,
)


def graph(edges, models=None, **kw):
    ids = models if models is not None else sorted({x for e in edges for x in e[:2]})
    rel = [e[2] if len(e) > 2 else "finetune" for e in edges]
    e = pd.DataFrame({"parent": [a for a, *_ in edges], "child": [b for _, b, *_ in edges], "relation": rel})
    created = pd.to_datetime([f"2024-01-{i + 1:02d}" for i in range(len(ids))], utc=True)
    m = pd.DataFrame({"id": ids, "created_at": created})
    return LineageGraph.from_tables(m, e, **kw)


def test_queries_on_toy_graph():
    G = toy_graph()
    assert children(G, "org/base") == ["org/base-ft", "org/base-lora", "org/base-GGUF"]
    assert children(G, "org/base", relation=["quantized", "adapter"]) == ["org/base-lora", "org/base-GGUF"]
    assert parents(G, "org/base-GGUF") == ["org/base", "org/base-lora"]  # in node order
    assert descendants(G, "org/base") == {"org/base-ft", "org/base-lora", "org/base-GGUF", "org/ft-GGUF", "org/merge"}
    assert descendants(G, "org/base", relation="finetune") == {"org/base-ft"}
    assert ancestors(G, "org/ft-GGUF") == {"org/base-ft", "org/base"}
    assert roots(G) == ["org/base", "other/base2"]
    assert roots_of(G, "org/merge") == ["org/base", "other/base2"]
    assert roots_of(G, "org/base") == ["org/base"]
    gen = generations(G)
    assert gen.to_dict() == {"org/base": 0, "org/base-ft": 1, "org/base-lora": 1, "org/base-GGUF": 1,
                             "org/ft-GGUF": 2, "other/base2": 0, "org/merge": 1}
    # restricted to finetune edges, the quantized child becomes a root of its own
    assert generations(G, relation="finetune")["org/base-GGUF"] == 0
    sub = subtree(G, "org/base-ft")
    assert sorted(sub.ids.tolist()) == ["org/base-ft", "org/ft-GGUF", "org/merge"]
    assert sub.n_edges == 2
    assert subgraph(G, ["org/base", "org/base-ft", "other/base2"]).n_edges == 1


def test_unknown_model_error_carries_id_and_case_hint():
    G = toy_graph()
    with pytest.raises(ModelNotFoundError, match="did you mean 'org/base'") as info:
        children(G, "ORG/base")
    assert info.value.model_id == "ORG/base"
    assert isinstance(info.value, LookupError)


def test_self_loops_dropped_and_reported():
    with pytest.warns(DataQualityWarning, match="dropped 1 self-loops"):
        G = graph([("a", "a"), ("a", "b")], warn=True)
    assert G.n_edges == 1 and G.report["self_loops"] == 1 and G.report["self_loop_examples"] == ["a"]


def test_cycle_broken_deterministically():
    # a (oldest) -> b -> c -> a : the edge from the newest (c) back to the oldest (a) goes
    G = graph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    assert G.report["cycles_broken"] == 1
    assert G.report["cycle_edges_removed"] == [{"parent": "c", "child": "a"}]
    assert roots(G) == ["a"]
    # the same input in another order gives the same result
    G2 = graph([("c", "d"), ("c", "a"), ("b", "c"), ("a", "b")], models=["a", "b", "c", "d"])
    assert G2.report["cycle_edges_removed"] == G.report["cycle_edges_removed"]
    assert nx.is_directed_acyclic_graph(to_networkx(G))


def test_an_inferred_edge_closing_a_cycle_goes_before_any_declared_one():
    # declared b -> a; inferred a -> b (a guess, e.g. on an edge list without dates). The order
    # rule alone (no dates: by id) would drop the declared edge, which points from b back to a
    models = pd.DataFrame({"id": ["a", "b", "c"]})
    edges = pd.DataFrame({"parent": ["b", "a", "a"], "child": ["a", "b", "c"],
                          "relation": ["finetune", "quantized", "finetune"],
                          "source": ["tag", "inferred", "inferred"], "confidence": [np.nan, 0.9, 0.9]})
    G = LineageGraph.from_tables(models, edges, min_confidence=0.5)
    assert G.report["cycle_edges_removed"] == [{"parent": "a", "child": "b"}]
    assert G.n_edges == 2 and roots(G) == ["b"]


def test_two_cycles_and_a_two_node_cycle():
    G = graph([("a", "b"), ("b", "a"), ("c", "d"), ("d", "e"), ("e", "c")])
    assert G.report["cycles_broken"] == 2
    assert nx.is_directed_acyclic_graph(to_networkx(G))


def test_external_parents_kept_and_flagged():
    models = pd.DataFrame({"id": ["me/ft", "me/ft2"]})
    edges = pd.DataFrame({"parent": ["base/missing", "base/missing"], "child": ["me/ft", "me/ft2"],
                          "relation": ["finetune", "adapter"]})
    G = LineageGraph.from_tables(models, edges)
    assert G.ids.tolist() == ["me/ft", "me/ft2", "base/missing"]
    assert G.external.tolist() == [False, False, True]
    assert roots(G) == ["base/missing"]
    assert descendants(G, "base/missing") == {"me/ft", "me/ft2"}  # the family is not split


def test_near_miss_ids_reported_not_joined():
    models = pd.DataFrame({"id": ["Org/Base", "me/ft"]})
    edges = pd.DataFrame({"parent": ["org/base"], "child": ["me/ft"], "relation": ["finetune"]})
    G = LineageGraph.from_tables(models, edges)
    assert G.report["near_miss_examples"] == [{"external": "org/base", "model": "Org/Base"}]
    assert parents(G, "me/ft") == ["org/base"]  # compared exactly, as the Hub does


def test_duplicate_declarations_typed_relation_wins():
    G = graph([("a", "b", "unknown"), ("a", "b", "adapter"), ("a", "b", "adapter")])
    assert G.n_edges == 1 and G.relation_counts()["adapter"] == 1 and G.report["duplicate_edges"] == 2


def test_unknown_relation_rejected():
    with pytest.raises(ValueError, match=r"relation.*'forked'"):
        graph([("a", "b", "forked")])
    with pytest.raises(ValueError, match=r"relation.*'fine'"):
        children(toy_graph(), "org/base", relation="fine")


def test_exports_keep_ids_and_attributes():
    G = toy_graph()
    D = to_networkx(G)
    assert set(D.nodes) == set(G.ids) and D.nodes["org/base"]["downloads"] == 1000
    assert D.nodes["org/base"]["created_at"].startswith("2024-01-01")
    g = to_igraph(G)
    for i, mid in enumerate(G.ids):
        assert g.vs[i]["name"] == mid
    assert sorted((g.vs[e.source]["name"], g.vs[e.target]["name"], e["relation"]) for e in g.es) == sorted(
        (a, b, d["relation"]) for a, b, d in D.edges(data=True))
    ef = G.edge_frame()
    assert list(ef.columns) == ["parent", "child", "relation"] and len(ef) == 7
    with pytest.raises(ValueError, match="no column 'nope'"):
        to_networkx(G, attrs=["nope"])


def test_repr_and_html():
    G = toy_graph()
    assert repr(G).startswith("<LineageGraph 7 models")
    assert "<table>" in G._repr_html_()


# ------------------------------------------------------------------ invariants
@st.composite
def dags(draw, max_n=25):
    n = draw(st.integers(1, max_n))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    rels = ["finetune", "adapter", "quantized", "merge", "unknown"]
    edges = [(f"m{min(a, b)}", f"m{max(a, b)}", rels[(a + b) % 5]) for a, b in pairs if a != b]
    return [f"m{i}" for i in range(n)], edges


@settings(max_examples=60, deadline=None)
@given(dags())
def test_matches_networkx_and_duality(data):
    ids, edges = data
    G = graph(edges, models=ids)
    D = nx.DiGraph()
    D.add_nodes_from(ids)
    D.add_edges_from((a, b) for a, b, _ in edges)
    for m in ids:
        assert descendants(G, m) == nx.descendants(D, m)
        assert ancestors(G, m) == nx.ancestors(D, m)
        for d in descendants(G, m):  # duality: d descends from m iff m is an ancestor of d
            assert m in ancestors(G, d)
    assert roots(G) == sorted((m for m in ids if D.in_degree(m) == 0), key=ids.index)


@settings(max_examples=40, deadline=None)
@given(dags(), st.randoms(use_true_random=False))
def test_relabelling_invariance(data, rnd):
    ids, edges = data
    perm = ids[:]
    rnd.shuffle(perm)
    ren = dict(zip(ids, [f"x/{p}" for p in perm], strict=True))
    G = graph(edges, models=ids)
    H = graph([(ren[a], ren[b], r) for a, b, r in edges], models=[ren[m] for m in ids])
    for m in ids:
        assert {ren[d] for d in descendants(G, m)} == descendants(H, ren[m])
    assert sorted(ren[r] for r in roots(G)) == sorted(roots(H))
    assert G.relation_counts() == H.relation_counts()


# --- the graph's operations that analyses build on (docs/architecture.md) -------------------------------


def test_align_maps_rows_to_nodes_and_externals_to_minus_one():
    G = graph([("a", "b"), ("ext", "a")], models=["a", "b"])
    assert G.align(G.models).tolist() == [0, 1]  # the graph's own table: no lookup
    other = pd.DataFrame({"id": ["b", "ext", "zzz", "a"]})
    assert G.align(other).tolist() == [1, -1, -1, 0]  # an external node has no record
    from hftree.errors import ParameterError

    with pytest.raises(ParameterError, match="'id' column"):
        G.align(pd.DataFrame({"name": ["a"]}))


def test_reachable_and_roots_agree_with_networkx():
    G = toy_graph()
    D = to_networkx(G)
    for v in range(G.n_nodes):
        mid = G.id_of([v])[0]
        down, ddist = G.reachable([v])
        up, _ = G.reachable([v], direction="up")
        assert set(G.id_of(down)) == nx.descendants(D, mid)
        assert set(G.id_of(up)) == nx.ancestors(D, mid)
        lengths = nx.single_source_shortest_path_length(D, mid)
        assert dict(zip(G.id_of(down), ddist.tolist(), strict=True)) == {k: d for k, d in lengths.items() if d}
    assert sorted(G.id_of(G.root_nodes())) == sorted(n for n in D if D.in_degree(n) == 0)
    big = [r for r in D if D.in_degree(r) == 0 and len(nx.descendants(D, r)) + 1 >= 4]
    assert G.id_of(G.root_nodes(min_size=4)) == sorted(big, key=G.node)
    from hftree.errors import ParameterError

    for bad in (0, -5, 1.5, True):
        with pytest.raises(ParameterError, match="min_size"):
            G.root_nodes(min_size=bad)
    with pytest.raises(ParameterError, match="direction"):
        G.reachable([0], direction="sideways")


def test_members_is_cached_per_relation_and_matches_descendants():
    G = toy_graph()
    m = G.members()
    assert G.members() is m and G.members(relation=None) is m
    assert G.members(relation=["quantized", "finetune"]) is G.members(relation=("finetune", "quantized"))
    pairs = {(G.id_of([r])[0], G.id_of([v])[0]) for r, v in zip(m.root, m.node, strict=True)}
    expected = {(r, d) for r in roots(G, min_size=2) for d in descendants(G, r)}
    assert pairs == expected


def test_from_snapshot_warn_false_is_silent(recwarn):
    import warnings

    from hftree.ingest import Snapshot

    models = pd.DataFrame({"id": ["a", "b"]})
    edges = pd.DataFrame({"parent": ["a", "b"], "child": ["a", "a"], "relation": ["finetune", "finetune"]})
    snap = Snapshot(models=models, edges=edges, manifest={"snapshot_time": "2025-01-01T00:00:00Z"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        G = LineageGraph.from_snapshot(snap, warn=False)
    assert G.report["self_loops"] == 1
    with pytest.warns(DataQualityWarning, match="self-loops"):
        LineageGraph.from_snapshot(snap)


def test_node_times_accepts_naive_and_aware_dates():
    e = pd.DataFrame({"parent": ["a"], "child": ["b"]})
    naive = pd.DataFrame({"id": ["a", "b"], "created_at": pd.to_datetime(["2024-01-01", None])})
    aware = naive.assign(created_at=naive["created_at"].dt.tz_localize("UTC"))
    for m in (naive, aware):
        t = LineageGraph.from_tables(m, e).node_times()
        assert t[0] == pd.Timestamp("2024-01-01", tz="UTC").value // 10**6
        assert t[1] == np.iinfo(np.int64).min


def test_inferred_edges_are_left_out_unless_asked_for():
    models = pd.DataFrame({"id": ["a", "b", "c"]})
    edges = pd.DataFrame({"parent": ["a", "a", "b"], "child": ["b", "c", "c"],
                          "relation": ["finetune", "quantized", "finetune"],
                          "source": ["tag", "inferred", "inferred"], "confidence": [None, 0.95, 0.6]})
    G = LineageGraph.from_tables(models, edges)
    assert G.n_edges == 1 and G.report["inferred_edges"] == 0
    G = LineageGraph.from_tables(models, edges, min_confidence=0.9)
    assert sorted(map(tuple, G.edge_frame()[["parent", "child"]].values.tolist())) == [("a", "b"), ("a", "c")]
    assert G.report["inferred_edges"] == 1 and G.report["declared_edges"] == 1
    G = LineageGraph.from_tables(models, edges, min_confidence=0.5, sources="inferred")
    assert G.n_edges == 2
