"""``family_of`` / ``path_to_root`` and ``hftree family``: where a model comes from."""

from __future__ import annotations

import json
from itertools import pairwise

import pandas as pd
import pytest

from hftree.datasets import toy_graph
from hftree.errors import ModelNotFoundError, ParameterError
from hftree.lineage import LineageGraph, ancestors, descendants, family_of, path_to_root, roots_of


def test_leaf_of_a_chain():
    G = toy_graph()
    f = family_of(G, "org/ft-GGUF")
    assert f.roots == ("org/base",) and f.generation == 2 and not f.external
    assert f.paths == (
        (("org/base", "org/base-ft", "finetune"), ("org/base-ft", "org/ft-GGUF", "quantized")),
    )
    assert f.parents == (("org/base-ft", "quantized"),)
    assert f.siblings == 1 and f.children == {} and f.descendants == 0  # org/merge shares the parent
    assert f.family_size == 6 == f.root_sizes[0]
    assert f.to_frame()["path"].tolist() == ["org/base -finetune-> org/base-ft -quantized-> org/ft-GGUF"]


def test_merge_with_two_roots_and_relation_filter():
    G = toy_graph()
    f = family_of(G, "org/merge")
    assert set(f.roots) == set(roots_of(G, "org/merge")) == {"org/base", "other/base2"}
    union = {"org/base", "other/base2"} | descendants(G, "org/base") | descendants(G, "other/base2")
    assert f.family_size == len(union)
    for root, steps in zip(f.roots, f.paths, strict=True):
        assert steps[0][0] == root and steps[-1][1] == "org/merge"
        assert all(a[1] == b[0] for a, b in pairwise(steps))  # a chain
    assert path_to_root(G, "org/merge") == [("other/base2", "org/merge", "merge")]  # the nearest
    only_ft = family_of(G, "org/base-ft", relation="finetune")
    assert only_ft.children == {} and only_ft.relation == ("finetune",)
    d = f.to_dict()
    assert json.loads(json.dumps(d))["roots"][0]["path"][0]["relation"] == "merge"
    assert list(f.summary["field"])[:3] == ["model", "roots", "generation"]


def test_external_parent_and_bad_arguments():
    models = pd.DataFrame({"id": ["me/ft", "me/q"]})
    edges = pd.DataFrame(
        {"parent": ["gone/base", "me/ft"], "child": ["me/ft", "me/q"], "relation": ["finetune", "quantized"]}
    )
    G = LineageGraph.from_tables(models, edges)
    f = family_of(G, "me/q")
    assert f.roots == ("gone/base",) and f.root_external == (True,) and f.generation == 2
    assert family_of(G, "gone/base").external
    with pytest.raises(ModelNotFoundError):
        family_of(G, "me/nope")
    with pytest.raises(ParameterError, match="root"):
        path_to_root(G, "me/q", "me/q")
    with pytest.raises(ParameterError, match="relation"):
        family_of(G, "me/q", relation="fork")


def test_paths_are_shortest_on_real_data(shared):
    import warnings

    from hftree.ingest import import_sources

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snap = import_sources([shared / "hub-families" / "models.jsonl.gz"])
    G = LineageGraph.from_snapshot(snap, warn=False)
    f = family_of(G, "TencentARC/VideoPainter")  # a merge of four families, three roots without a record
    assert len(f.roots) == 4 and sum(f.root_external) == 3 and f.generation == 1
    assert set(f.roots) == set(roots_of(G, "TencentARC/VideoPainter"))
    llama = family_of(G, "meta-llama/Llama-2-7b-chat-hf")
    assert llama.family_size == 455 and llama.children == {"finetune": 426, "merge": 1} and llama.generation == 0
    leaf = next(iter(descendants(G, "meta-llama/Llama-2-7b-chat-hf") - set(G.ids[G.parent])))
    lf = family_of(G, leaf)
    assert lf.descendants == 0 and lf.roots[0] in ancestors(G, leaf) | {leaf}


def test_cli_family_text_json_and_escaping(tmp_path, cli):
    from hftree.ingest import import_sources
    from tests.conftest import rec, write_jsonl

    evil = "evil/x\x1b[31mred"
    src = write_jsonl(
        tmp_path / "m.jsonl",
        [
            rec("org/base"),
            rec("me/ft", "base_model:finetune:org/base"),
            rec(evil, "base_model:merge:me/ft", "base_model:merge:gone/other"),
        ],
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import_sources([src]).save(tmp_path / "snap")
    r = cli("family", tmp_path / "snap", evil)
    assert r.code == 0, r.err
    assert "\x1b" not in r.out and "evil/x\\x1b[31mred" in r.out
    assert "descends from 2 roots" in r.out and "root gone/other (no record: external parent)" in r.out
    assert "org/base -finetune-> me/ft" in r.out and "family size: 4 models" in r.out
    j = cli("family", tmp_path / "snap", "me/ft", "--format", "json")
    d = json.loads(j.out)
    assert d["roots"][0]["id"] == "org/base" and d["children"] == {"merge": 1} and d["generation"] == 1
    assert cli("family", tmp_path / "snap", "org/base").out.splitlines()[1] == "  a root: its family has 3 models"
    bad = cli("family", tmp_path / "snap", "org/bas")
    assert bad.code == 1 and "org/bas" in bad.err and "not in the lineage graph" in bad.err
