"""Acceptance numbers on the real Hub data in ../shared/data."""

from __future__ import annotations

import warnings

import pytest

from hftree.cli.info import summary
from hftree.families import family_stats
from hftree.ingest import import_sources
from hftree.lineage import LineageGraph, generations, roots


def _load(*paths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snap = import_sources(list(paths))
        return snap, LineageGraph.from_snapshot(snap)


def test_smollm2_tree(shared):
    snap, G = _load(shared / "smollm2-tree" / "models.jsonl.gz")
    assert (len(snap.models), G.n_nodes, G.n_edges) == (1042, 1042, 1041)
    rc = G.relation_counts()
    assert (rc["adapter"], rc["finetune"], rc["quantized"]) == (522, 282, 237)
    assert roots(G, min_size=2) == ["HuggingFaceTB/SmolLM2-1.7B"]
    gen = generations(G).value_counts().to_dict()
    assert {k: gen[k] for k in (1, 2, 3, 4)} == {1: 74, 2: 470, 3: 470, 4: 27}
    fam = family_stats(G).iloc[0]
    assert (fam["descendants"], fam["depth"], fam["n_adapter"]) == (1041, 4, 522)


def test_textgen_graph_edges_and_self_loops(shared):
    d = shared / "textgen-graph"
    with pytest.warns(Warning):
        snap = import_sources([d / "edges.csv", d / "nodes.csv"])
        G = LineageGraph.from_snapshot(snap)
    declared = snap.edges["relation"].value_counts().to_dict()
    assert len(snap.edges) == 30383
    assert declared == {"finetune": 13766, "quantized": 11746, "merge": 4577, "adapter": 294}
    assert G.report["self_loops"] == 42
    assert G.n_edges == 30383 - 42 - G.report["duplicate_edges"] - G.report["cycles_broken"]


def test_hub_families_imports_completely(shared):
    d = shared / "hub-families"
    snap, G = _load(d / "models.jsonl.gz", d / "cards.jsonl.gz")
    assert len(snap.models) == 1585 and len(snap.cards) == 1431
    s = summary(snap)
    assert s["models"] == 1585 and s["edges"] == G.n_edges > 1500
    assert s["roots_with_descendants"] > 0 and s["external_parents"] == int(G.external.sum())
    top = {f["root"] for f in s["largest_families"]}
    assert {"meta-llama/Llama-2-7b-chat-hf", "google/gemma-7b", "deepseek-ai/DeepSeek-R1"} <= top


def test_hub_families_crawl_edges(shared):
    snap, _ = _load(shared / "hub-families" / "crawl_edges.csv")
    assert len(snap.edges) > 6000
    assert not any(p.startswith("https://") for p in snap.edges["child"])


def test_hub_2022_imports_completely_with_card_lineage(shared):
    d = shared / "hub-2022"
    snap, G = _load(d / "models.jsonl.gz", d / "cards.jsonl.gz")
    assert G.n_edges == len(snap.edges)  # no self-loops, duplicates or cycles in this dump
    assert len(snap.models) == 29432 and len(snap.cards) == 16245
    assert snap.data_quality["skipped_lines"] == 0
    assert (snap.edges["source"] == "card_text").all() and len(snap.edges) > 1000
    assert snap.models["license"].notna().sum() > 5000


def test_hub_2023_parquet(shared):
    snap, _ = _load(shared / "hub-2023" / "model_info.parquet")
    assert len(snap.models) == 74970
    assert snap.models["created_at"].notna().mean() > 0.9
