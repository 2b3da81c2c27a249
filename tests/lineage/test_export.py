"""``family_tables`` / ``write_family`` and ``hftree subtree``: a family as files, read back."""

from __future__ import annotations

import json

import networkx as nx
import pandas as pd
import pytest

from hftree.datasets import toy_graph
from hftree.errors import ParameterError
from hftree.lineage import LineageGraph, descendants, family_tables, write_family


def _edges(G, root, relation=None):
    fam = {root, *descendants(G, root, relation=relation)}
    ef = G.edge_frame().astype(str)
    keep = ef["parent"].isin(fam) & ef["child"].isin(fam)
    if relation is not None:
        keep &= ef["relation"].isin([relation] if isinstance(relation, str) else relation)
    return {tuple(x) for x in ef[keep].itertuples(index=False)}


def test_tables_depth_and_relation():
    G = toy_graph()
    nodes, edges = family_tables(G, "org/base")
    assert nodes["id"].iloc[0] == "org/base" and list(nodes["generation"]) == sorted(nodes["generation"])
    assert {tuple(x) for x in edges.itertuples(index=False)} == _edges(G, "org/base")
    assert set(family_tables(G, "org/base", max_depth=0)[0]["id"]) == {"org/base"}
    assert family_tables(G, "org/base", max_depth=1)[0]["generation"].max() == 1
    with pytest.raises(ParameterError, match="max_depth"):
        family_tables(G, "org/base", max_depth=-1)
    with pytest.raises(ParameterError, match="format"):
        write_family(G, "org/base", "x", format="xlsx")


@pytest.mark.parametrize("relation", [None, "quantized", ["finetune", "merge"]])
def test_graphml_and_json_round_trip(tmp_path, relation):
    G = toy_graph()
    write_family(G, "org/base", tmp_path / "f.graphml", format="graphml", relation=relation)
    back = nx.read_graphml(tmp_path / "f.graphml")
    assert {(a, b, r) for a, b, r in back.edges(data="relation")} == _edges(G, "org/base", relation)
    assert back.nodes["org/base"]["downloads"] == 1000
    write_family(G, "org/base", tmp_path / "f.json", format="json", relation=relation)
    j = nx.node_link_graph(json.loads((tmp_path / "f.json").read_text()), edges="edges")
    assert {(a, b, r) for a, b, r in j.edges(data="relation")} == _edges(G, "org/base", relation)
    assert set(j.nodes) == set(back.nodes)


def test_csv_and_snapshot(tmp_path):
    from hftree.ingest import import_sources, load_snapshot
    from tests.conftest import rec, write_jsonl

    src = write_jsonl(tmp_path / "m.jsonl", [rec("org/base"), rec("me/ft", "base_model:finetune:org/base"),
                                              rec("me/q", "base_model:quantized:me/ft"), rec("x/other")])
    cards = write_jsonl(tmp_path / "c.jsonl", [{"id": "me/ft", "card": "# ft"}, {"id": "x/other", "card": "no"}])
    snap = import_sources([src], cards=[cards])
    G = LineageGraph.from_snapshot(snap, warn=False)
    files = write_family(G, "org/base", tmp_path / "csv", format="csv")
    nodes, edges = pd.read_csv(files[0]), pd.read_csv(files[1])
    assert list(nodes["id"]) == ["org/base", "me/ft", "me/q"] and len(edges) == 2
    (out,) = write_family(G, "org/base", tmp_path / "snap", format="snapshot", cards=snap.cards, max_depth=1)
    back = load_snapshot(out)
    assert sorted(back.models["id"]) == ["me/ft", "org/base"] and list(back.cards["id"]) == ["me/ft"]
    assert back.edges[["parent", "child", "relation"]].values.tolist() == [["org/base", "me/ft", "finetune"]]


def test_cli_subtree_round_trips_real_family(shared, tmp_path, cli):
    import warnings

    from hftree.ingest import import_sources

    d = shared / "hub-families"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snap = import_sources([d / "models.jsonl.gz"], cards=[d / "cards.jsonl.gz"])
    snap.save(tmp_path / "hf")
    G = LineageGraph.from_snapshot(snap, warn=False)
    root = "meta-llama/Llama-2-7b-chat-hf"
    r = cli("subtree", tmp_path / "hf", root, "-o", tmp_path / "llama.graphml")
    assert r.code == 0 and "455 models" in r.out, r.err
    back = nx.read_graphml(tmp_path / "llama.graphml")
    assert {(a, b, x) for a, b, x in back.edges(data="relation")} == _edges(G, root)
    assert back.number_of_nodes() == 455
    r = cli("subtree", tmp_path / "hf", root, "-o", tmp_path / "snap", "--format", "snapshot", "--max-depth", "1")
    assert r.code == 0, r.err
    f = cli("family", tmp_path / "snap", root)
    assert "its family has 428 models" in f.out  # the root and its 427 children
    r = cli("subtree", tmp_path / "hf", root, "-o", tmp_path / "m", "--relation", "merge")
    assert r.code == 0 and len(pd.read_csv(tmp_path / "m" / "edges.csv")) == 1
    r = cli("subtree", tmp_path / "hf", root, "-o", tmp_path / "x.json", "--max-depth", "-1")
    assert r.code == 2
