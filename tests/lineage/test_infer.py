"""Lineage inference: blocking, evidence, scoring, calibration, evaluation, coverage, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from hftree.errors import NotFittedError, ParameterError, UsageError
from hftree.ingest import Snapshot
from hftree.lineage.infer import (
    FEATURES,
    InferenceModel,
    card_mentions,
    evaluate_inference,
    hide_declarations,
    infer,
    isotonic_fit,
    lineage_coverage,
    name_keys,
    reliability_table,
    score_edges,
    strip_front_matter,
)
from hftree.lineage.infer.candidates import candidates

EDGE_COLS = ["parent", "child", "relation", "source"]


def _snap(models: dict, edges: list[tuple] = (), cards: dict | None = None) -> Snapshot:
    m = pd.DataFrame(models)
    e = pd.DataFrame(list(edges), columns=EDGE_COLS)
    c = None if cards is None else pd.DataFrame({"id": list(cards), "card": list(cards.values())})
    return Snapshot(m, e, c)


def _family(n: int = 60, seed: int = 0) -> Snapshot:
    """Bases, their GGUF / LoRA / fine-tuned children (declared), and undeclared look-alikes."""
    rng = np.random.default_rng(seed)
    ids, created, edges, cards = [], [], [], {}
    for i in range(n):
        base = f"org{i % 7}/model{i}-{rng.integers(1, 70)}b"
        ids.append(base)
        created.append(pd.Timestamp("2023-01-01", tz="UTC") + pd.Timedelta(days=i))
        kind = ("quantized", "adapter", "finetune")[i % 3]
        name = base.split("/")[1]
        child = {"quantized": f"TheBloke/{name}-GGUF", "adapter": f"u{i}/{name}-lora",
                 "finetune": f"u{i}/tuned-{i}"}[kind]
        ids.append(child)
        created.append(created[-1] + pd.Timedelta(days=30))
        edges += [(base, child, kind, "tag"), (base, child, kind, "cardData")]
        if kind == "finetune":
            cards[child] = (f"---\nbase_model: {base}\n---\nThis model is a fine-tuned version of "
                            f"[{base}](https://huggingface.co/{base}) on imdb.")
    for i in range(0, n, 5):  # undeclared: quantizations of some bases
        ids.append(f"quant{i}/{ids[2 * i].split('/')[1]}-AWQ")
        created.append(pd.Timestamp("2024-06-01", tz="UTC"))
    return _snap({"id": ids, "created_at": created, "downloads": rng.integers(0, 1000, len(ids))}, edges, cards)


# ------------------------------------------------------------------ names and text
def test_name_keys_strip_derivation_suffixes():
    _, org, stem = name_keys(pa.array(["TheBloke/Mistral-7B-Instruct-v0.2-GGUF", "a/Llama_3.1-8B-bnb-4bit",
                                         "x/phi-2-lora-adapter", "y/Q4_K_M-only"]))
    assert stem.to_pylist()[:3] == ["mistral-7b-instruct-v0-2", "llama-3-1-8b", "phi-2"]
    assert org.to_pylist()[0] == "thebloke-mistral-7b-instruct-v0-2-gguf"
    assert stem.to_pylist()[3] == "q4-k-m-only"  # only trailing tokens are derivation suffixes


def test_front_matter_is_stripped_only_at_the_top():
    assert strip_front_matter("---\nbase_model: a/b\nlicense: mit\n---\n\nBody") == "\nBody"
    assert strip_front_matter("Body\n---\nbase_model: a/b\n---\n").startswith("Body")
    assert strip_front_matter(None) == ""


def test_card_mentions_trainer_cue_merge_and_self():
    body = ("This model is a fine-tuned version of [a/base](https://huggingface.co/a/base).\n"
            "GGUF quants of [b/q](https://huggingface.co/b/q)\n"
            "The following models were included in the merge:\n* [c/m1](https://huggingface.co/c/m1)\n"
            "Load it: AutoModel.from_pretrained('me/self') or me/self, see huggingface.co/datasets/d/x")
    m = card_mentions(np.array([0]), [body], ["me/self"], {"a/base", "me/self"})
    assert m.ids == ["a/base", "b/q", "c/m1"]
    assert m.trainer.tolist() == [True, False, False]
    assert m.cue.tolist()[:2] == [0, 2]
    assert m.merge_list.tolist() == [False, False, True]
    assert m.rank.tolist() == [0, 1, 2]


# ------------------------------------------------------------------ candidates
def test_candidates_never_self_nor_younger_parent():
    snap = _snap({"id": ["org/gemma-7b", "old/gemma-7b-sft", "new/gemma-7b"],
                  "created_at": pd.to_datetime(["2024-01-01", "2023-01-01", None], utc=True)})
    c = candidates(snap.models)
    pairs = set(zip(c.child.tolist(), c.parent.tolist(), strict=True))
    assert all(a != b for a, b in pairs)
    # old/gemma-7b-sft (2023) cannot descend from org/gemma-7b (2024); an unknown date does not block
    assert (1, 0) not in pairs and (1, 2) in pairs
    assert (2, 0) in pairs or (0, 2) in pairs


def test_candidates_external_only_from_links():
    models = pd.DataFrame({"id": ["me/ft"]})
    cards = pd.DataFrame({"id": ["me/ft"], "card": ["Based on [x](https://huggingface.co/ext/base) and also/this"]})
    c = candidates(models, cards)
    assert c.parent_id.tolist() == ["ext/base"] and c.parent.tolist() == [-1]
    assert c.X[0, FEATURES.index("external")] == 1


def test_hide_declarations_removes_tags_and_front_matter():
    snap = _snap({"id": ["a/b"], "tags": [["llama", "base_model:x/y", "base_model:finetune:x/y"]]},
                 [("x/y", "a/b", "finetune", "tag")], {"a/b": "---\nbase_model: x/y\n---\nx/y is great"})
    models, cards = hide_declarations(snap)
    assert list(models["tags"][0]) == ["llama"]
    assert "base_model" not in cards["card"][0]
    assert list(snap.models["tags"][0])[1] == "base_model:x/y"  # the snapshot is untouched


# ------------------------------------------------------------------ scoring
def test_isotonic_fit_is_monotone_least_squares():
    rng = np.random.default_rng(1)
    x = rng.random(300)
    y = (rng.random(300) < x).astype(float)
    xs, ys = isotonic_fit(x, y)
    assert np.all(np.diff(ys) >= -1e-12)
    fitted = np.interp(np.sort(x), xs, ys)
    # pooling preserves the mean of the targets
    assert fitted.mean() == pytest.approx(y.mean(), abs=1e-9)


def test_model_weights_follow_the_evidence_and_calibrate():
    rng = np.random.default_rng(2)
    n = 4000
    X = np.zeros((n, len(FEATURES)))
    X[:, FEATURES.index("trainer")] = rng.random(n) < 0.5
    y = np.where(X[:, FEATURES.index("trainer")] > 0, rng.random(n) < 0.9, rng.random(n) < 0.2)
    child = np.arange(n)
    m = InferenceModel().fit(X, y, child)
    w = m.weights().set_index("feature")["weight"]
    assert w["trainer"] > 0
    p = m.predict_proba(X)
    assert p[X[:, 0] > 0].mean() == pytest.approx(0.9, abs=0.03)
    assert p[X[:, 0] == 0].mean() == pytest.approx(0.2, abs=0.03)
    with pytest.raises(NotFittedError):
        InferenceModel().predict_proba(X)
    with pytest.raises(ParameterError):
        InferenceModel(l2=-1)


def test_reliability_and_score_edges():
    t = reliability_table(np.array([0.1, 0.15, 0.9]), np.array([True, False, True]), bins=2)
    assert t["edges"].tolist() == [2, 1] and t["share_correct"].tolist() == [0.5, 1.0]
    truth = pd.DataFrame({"child": ["c", "c", "d"], "parent": ["a", "b", "e"],
                          "relation": ["merge", "merge", "finetune"]})
    pred = pd.DataFrame({"child": ["c", "d"], "parent": ["b", "x"], "relation": ["merge", "finetune"],
                         "confidence": [0.9, 0.6]})
    s = score_edges(pred, truth).set_index("relation")
    assert s.loc["all", "recall"] == pytest.approx(1 / 3)
    assert s.loc["merge", "precision"] == 1 and s.loc["finetune", "precision"] == 0


# ------------------------------------------------------------------ infer / evaluate
def test_infer_reports_only_undeclared_models_above_threshold():
    snap = _family()
    res = infer(snap, min_confidence=0.5)
    e = res.edges
    declared = set(snap.edges["child"])
    assert len(e) and not set(e["child"]) & declared
    assert (e["confidence"] >= 0.5).all() and (e["source"] == "inferred").all()
    assert set(e["relation"]) == {"quantized"}
    # each AWQ look-alike is matched to the base it is named after
    assert all(c.split("/")[1].removesuffix("-AWQ") == p.split("/")[1] for p, c in zip(e["parent"], e["child"],
                                                                                       strict=True))
    assert infer(snap, relation="adapter").edges.empty
    assert len(infer(snap, min_confidence=1.0).edges) <= len(e)
    with pytest.raises(ParameterError):
        infer(snap, min_confidence=1.5)
    with pytest.raises(ParameterError):
        infer(snap, evidence=("weights",))


def test_infer_needs_labels_or_a_model():
    snap = _snap({"id": ["a/gemma-7b", "b/gemma-7b-GGUF"]})
    with pytest.raises(UsageError):
        infer(snap)


def test_evaluate_recovers_hidden_declarations():
    ev = evaluate_inference(_family(90), n_splits=3, random_state=1)
    s = ev.summary.set_index("method")
    assert s.loc["infer", "precision"] >= 0.9
    # the names block the GGUF and LoRA children, the Trainer line the fine-tunes
    assert s.loc["infer", "recall"] > s.loc["card-prose rule (Trainer line)", "recall"]
    per = ev.metrics[ev.metrics["method"] == "infer"].set_index("relation")
    assert per.loc["quantized", "relation_accuracy"] == 1
    assert ev.reliability["edges"].sum() <= per.loc["all", "children"]
    assert set(ev.at_threshold["min_confidence"]) >= {0.5, 0.9}


def test_evaluation_split_is_seeded():
    a = evaluate_inference(_family(60), random_state=3).metrics
    b = evaluate_inference(_family(60), random_state=3).metrics
    pd.testing.assert_frame_equal(a, b)


# ------------------------------------------------------------------ coverage
def test_coverage_overall_and_per_family():
    snap = _family(30)
    res = infer(snap)
    cov = lineage_coverage(snap, res.edges, min_confidence=0.5)
    o = cov.overall.iloc[0]
    assert o["declared"] == snap.edges["child"].nunique()
    assert o["inferred"] == res.edges["child"].nunique()
    assert o["declared"] + o["inferred"] + o["none"] == o["models"] == len(snap.models)
    assert o[["declared_share", "inferred_share", "none_share"]].sum() == pytest.approx(1)
    fam = cov.families
    assert (fam["models"] == fam["declared"] + fam["inferred"] + fam["none"]).all()
    assert fam["inferred"].sum() == o["inferred"]
    assert lineage_coverage(snap, res.edges, min_confidence=0.99).overall["inferred"].iloc[0] <= o["inferred"]


# ------------------------------------------------------------------ real data
def _hub_families(shared):
    from hftree.ingest import import_sources

    d = shared / "hub-families"
    return import_sources([d / "models.jsonl.gz"], cards=[d / "cards.jsonl.gz"], progress=False)


def test_hub_families_meets_the_aim(shared):
    """Declarations hidden: precision >= 0.90 at recall >= 0.65 (the issue's aim), above both baselines."""
    ev = evaluate_inference(_hub_families(shared))
    s = ev.summary.set_index("method")
    assert s.loc["infer", "precision"] >= 0.90
    assert s.loc["infer", "child_recall"] >= 0.65  # the issue's recall: 700 / 1,565 children for the Trainer line
    trainer = s.loc["card-prose rule (Trainer line)"]
    assert trainer["precision"] == 1.0
    first_id = s.loc["first Hub id in the card", "correct_edges"]
    assert s.loc["infer", "correct_edges"] > first_id > trainer["correct_edges"]
    # calibration: edges above 0.9 are right at least 90 % of the time (held out)
    hi = ev.predictions[ev.predictions["confidence"] >= 0.9]
    assert hi["correct"].mean() >= 0.9


def test_cli_infer_and_evaluate(cli, tmp_path):
    import json

    snap = _family()
    parents = snap.edges.drop_duplicates("child").set_index("child")
    recs = []
    for mid, ts in zip(snap.models["id"], snap.models["created_at"], strict=True):
        tags = []
        if mid in parents.index:
            p, rel = parents.loc[mid, "parent"], parents.loc[mid, "relation"]
            tags = [f"base_model:{p}", f"base_model:{rel}:{p}"]
        recs.append({"id": mid, "createdAt": ts.isoformat(), "tags": tags})
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(r) for r in recs))
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps({"id": i, "card": c})
                                                for i, c in zip(snap.cards["id"], snap.cards["card"], strict=True)))
    assert cli("import", tmp_path / "m.jsonl", "--cards", tmp_path / "c.jsonl", "-o", tmp_path / "snap", "-q").code == 0
    out = tmp_path / "edges.csv"
    r = cli("infer", tmp_path / "snap", "-o", out, "--min-confidence", "0.5", "-q")
    assert r.code == 0, r.err
    e = pd.read_csv(out)
    assert list(e.columns[:5]) == ["parent", "child", "relation", "confidence", "evidence"]
    assert len(e) == len(infer(snap).edges)
    assert "not declared" in r.err
    r = cli("infer", tmp_path / "snap", "--evaluate")
    assert r.code == 0 and "card-prose rule" in r.out and "calibration" in r.out
    assert cli("infer", tmp_path / "snap", "--min-confidence", "2").code == 2


def test_graph_leaves_inferred_edges_out_unless_asked():
    from hftree.lineage import LineageGraph

    snap = _family(30)
    res = infer(snap, min_confidence=0.0, top=None)
    both = pd.concat([snap.edges, res.edge_table()], ignore_index=True)
    declared = LineageGraph.from_tables(snap.models, snap.edges)
    assert LineageGraph.from_tables(snap.models, both).n_edges == declared.n_edges
    p = float(np.median(res.edges["confidence"]))
    above = res.edges[res.edges["confidence"] >= p][["parent", "child"]].drop_duplicates()
    G = LineageGraph.from_tables(snap.models, both, min_confidence=p)
    assert G.n_edges == declared.n_edges + len(above)
    assert LineageGraph.from_tables(snap.models, both, min_confidence=0.0).n_edges >= G.n_edges


def test_coverage_of_a_snapshot_without_any_edge():
    from hftree.ingest import Snapshot
    from hftree.lineage.infer import lineage_coverage

    no_edges = pd.DataFrame(columns=["parent", "child", "relation", "source"])
    snap = Snapshot(pd.DataFrame({"id": ["a/x", "b/y"]}), no_edges)
    cov = lineage_coverage(snap, pd.DataFrame(columns=["parent", "child", "confidence"]))
    assert cov.overall[["models", "declared", "inferred", "none"]].iloc[0].tolist() == [2, 0, 0, 2]
    assert cov.families.empty and "declared_share" in cov.families
