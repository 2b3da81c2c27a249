"""Family statistics against hand-computed answers and a straightforward networkx implementation."""

from __future__ import annotations

import types

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hftree.datasets import toy_graph
from hftree.errors import ParameterError
from hftree.families import family_members, family_size_distribution, family_stats
from hftree.lineage import LineageGraph, to_networkx


def test_toy_family_table():
    df = family_stats(toy_graph()).set_index("root")
    base = df.loc["org/base"]
    assert base["descendants"] == 5 and base["children"] == 3 and base["depth"] == 2
    assert (base["n_finetune"], base["n_adapter"], base["n_quantized"], base["n_merge"]) == (1, 1, 2, 1)
    assert base["widest_generation"] == 1 and base["widest_generation_size"] == 3
    assert base["shared_descendants"] == 1  # org/merge is in both families
    assert base["days_to_first_child"] == 31.0
    assert base["root_downloads"] == 1000 and base["descendant_downloads"] == 880
    assert base["top_descendant_share"] == pytest.approx(500 / 1880)
    # licences: llama3 root; ft llama3, lora llama3, GGUF apache, ft-GGUF none, merge apache -> 3 of 5 differ
    assert base["license_differs_share"] == pytest.approx(3 / 5)
    assert base["new_90d"] == 2  # created after 2024-03-03: ft-GGUF (04-01), merge (05-01)
    assert df.loc["other/base2", "descendants"] == 1


def test_min_size_sort_top():
    # min_size counts models, the root included: other/base2 + org/merge is a family of 2
    assert family_stats(toy_graph(), min_size=2)["root"].tolist() == ["org/base", "other/base2"]
    assert family_stats(toy_graph(), min_size=1).equals(family_stats(toy_graph()))  # no family of 1
    assert family_stats(toy_graph(), min_size=3)["root"].tolist() == ["org/base"]
    assert family_stats(toy_graph(), min_size=6)["root"].tolist() == ["org/base"]
    assert family_stats(toy_graph(), min_size=7).empty
    df = family_stats(toy_graph(), sort="root_downloads", top=1)
    assert df["root"].tolist() == ["org/base"]


def test_columns_keep_the_named_columns_in_order():
    df = family_stats(toy_graph(), columns=["depth", "root"], sort="children")
    assert list(df.columns) == ["depth", "root"] and df["root"].tolist() == ["org/base", "other/base2"]
    assert list(family_stats(toy_graph(), columns="root").columns) == ["root"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"columns": ["root", "bogus"]}, r"columns: expected names among root, root_external, .*got 'bogus'"),
        ({"columns": []}, r"columns: expected names among .*got \[\]"),
        ({"top": -3}, r"top: expected a whole number >= 1, got -3"),
        ({"top": 0}, r"top: expected a whole number >= 1, got 0"),
        ({"min_size": -5}, r"min_size: expected a whole number >= 1, got -5"),
        ({"min_size": 0}, r"min_size: expected a whole number >= 1, got 0"),
        ({"min_size": 2.5}, r"min_size: expected a whole number >= 1, got 2.5"),
        ({"sort": "size"}, r"sort: expected a column among root, .*got 'size'"),
        ({"relation": "fork"}, r"relation"),
    ],
)
def test_bad_arguments_raise_parameter_error(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        family_stats(toy_graph(), **kwargs)


def test_snapshot_summary_uses_the_cached_membership():
    from hftree.families.overview import snapshot_summary

    snap = types.SimpleNamespace(manifest={}, edges=[None] * 7)
    G = toy_graph()
    out = snapshot_summary(snap, G)
    assert out["roots_with_descendants"] == 2 and out["edges"] == 7
    assert out["largest_families"][0] == {"root": "org/base", "descendants": 5}
    assert G.members() is G.members()  # computed once, by the graph


def test_relation_filter_defines_families_on_restricted_graph():
    df = family_stats(toy_graph(), relation="quantized").set_index("root")
    assert df.loc["org/base", "descendants"] == 1 and df.loc["org/base-ft", "descendants"] == 1


def _reference(G: LineageGraph) -> dict[str, tuple[int, int, int]]:
    """Straightforward networkx: descendants, children, depth per root."""
    D = to_networkx(G, attrs=[])
    out = {}
    for r in D.nodes:
        if D.in_degree(r) == 0 and D.out_degree(r) > 0:
            dist = nx.single_source_shortest_path_length(D, r)
            out[r] = (len(dist) - 1, D.out_degree(r), max(dist.values()))
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=70))
def test_matches_networkx_reference(n, pairs):
    edges = {(f"m{min(a, b) % n}", f"m{max(a, b) % n}") for a, b in pairs if a % n != b % n}
    edges = {(a, b) for a, b in edges if a != b}
    models = pd.DataFrame({"id": [f"m{i}" for i in range(n)]})
    e = pd.DataFrame(sorted(edges), columns=["parent", "child"]) if edges else pd.DataFrame(columns=["parent", "child"])
    G = LineageGraph.from_tables(models, e, snapshot_time="2025-01-01")
    df = family_stats(G)
    got = {r: (d, c, k) for r, d, c, k in zip(df["root"], df["descendants"], df["children"], df["depth"], strict=True)}
    assert got == _reference(G)
    mem = family_members(G)
    pairs_ = set(zip(mem.root.tolist(), mem.node.tolist(), strict=True))
    assert len(pairs_) == len(mem.root)  # each (root, descendant) once


def test_size_distribution():
    d = family_size_distribution(np.array([1, 1, 5, 10, 99, 100]))
    assert d["descendants"].tolist() == ["1", "2-9", "10-99", "100-999"]
    assert d["families"].tolist() == [2, 1, 2, 1]
