"""The fast path of ``infer`` (candidates only for the targets and a training sample, on two
threads) gives the edges of the plain pipeline: every model's candidates, every declared child
learned from, the undeclared ones scored."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from hftree.datasets.synthetic import synthetic_cards, synthetic_hub
from hftree.ingest import import_sources
from hftree.lineage.infer import InferenceModel, declared_pairs, hide_declarations, infer
from hftree.lineage.infer.candidates import Candidates, candidate_context, candidates, candidates_of
from hftree.lineage.infer.core import _labelled_candidates, edge_rows, label_candidates
from hftree.lineage.infer.scoring import select_edges

N_MODELS = 12_000


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    d = tmp_path_factory.mktemp("infer-fast")
    recs = list(synthetic_hub(N_MODELS, random_state=5))
    rng = np.random.default_rng(5)
    pool = [r["id"] for r in recs[::50]]
    cards = list(synthetic_cards(recs, random_state=5))
    for c in cards[::3]:  # hand-written prose: bare ids, links, a merge list, datasets, the model itself
        a, b = pool[int(rng.integers(len(pool)))], pool[int(rng.integers(len(pool)))]
        c["card"] += (f"\n\nBased on {a}. Models included in the merge:\n* [{b}](https://huggingface.co/{b})\n"
                      f"* [x](https://huggingface.co/Ext-Org/Outside-{int(rng.integers(40))})\n"
                      "Data: https://huggingface.co/datasets/tatsu-lab/alpaca "
                      f'from_pretrained("{c["id"]}")\n')
    for path, rows in (("models.jsonl", recs), ("cards.jsonl", cards)):
        (d / path).write_text("".join(json.dumps(r) + "\n" for r in rows))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return import_sources([d / "models.jsonl"], cards=[d / "cards.jsonl"], progress=False)


def _reference(snapshot, min_confidence: float, top: int | None) -> pd.DataFrame:
    """``infer`` as first built: candidates of every model on the hidden snapshot, a model fitted on
    every declared child, the undeclared children scored."""
    models, cards = hide_declarations(snapshot)
    ids = models["id"].astype(object).to_numpy()
    cand = candidates(models, cards)
    truth = declared_pairs(snapshot.edges)
    declared = np.asarray(pd.Index(ids).isin(truth["child"].to_numpy(dtype=object)), dtype=bool)
    lab = np.flatnonzero(declared[cand.child])
    y = label_candidates(cand.take(lab), ids, truth)
    model = InferenceModel().fit(cand.X[lab], y, cand.child[lab])
    sub = cand.take(np.flatnonzero(~declared[cand.child]))
    conf = model.predict_proba(sub.X)
    idx = select_edges(sub, conf, top=top)
    return edge_rows(sub, idx[conf[idx] >= min_confidence], conf, ids)


def _same_candidates(a: Candidates, b: Candidates) -> None:
    oa, ob = np.lexsort((a.parent_id.astype(str), a.child)), np.lexsort((b.parent_id.astype(str), b.child))
    for f in ("child", "parent", "parent_id", "relation", "bits", "span"):
        assert (getattr(a, f)[oa] == getattr(b, f)[ob]).all(), f
    np.testing.assert_array_equal(a.X[oa], b.X[ob])


@pytest.mark.parametrize(("min_confidence", "top"), [(0.5, 1), (0.0, None)])
def test_fast_infer_gives_the_reference_edges(snap, min_confidence, top):
    ref = _reference(snap, min_confidence, top)
    got = infer(snap, min_confidence=min_confidence, top=top, progress=False).edges
    assert len(ref) > 100 and (ref["relation"] != "finetune").any() and ref["external"].any()
    cols = ["parent", "child", "relation", "evidence", "source", "external"]
    pd.testing.assert_frame_equal(got[cols].reset_index(drop=True), ref[cols].reset_index(drop=True))
    np.testing.assert_allclose(got["confidence"].to_numpy(), ref["confidence"].to_numpy(), atol=1e-9)


def test_a_childs_candidates_do_not_depend_on_the_others(snap):
    models, cards = hide_declarations(snap)
    full = candidates(models, cards)
    some = np.random.default_rng(1).choice(len(models), len(models) // 3, replace=False)
    part = candidates(models, cards, children=some)
    _same_candidates(part, full.take(np.flatnonzero(np.isin(full.child, some))))
    # raw cards with the front matter cut twice, and a shared context, are the hidden snapshot's
    ctx = candidate_context(snap.models, snap.cards)
    _same_candidates(candidates_of(snap.models, snap.cards, children=some, card_strips=2, context=ctx), part)


def test_training_sample_is_chunked_and_seeded(snap):
    ids = snap.models["id"].astype(object).to_numpy()
    truth = declared_pairs(snap.edges)
    declared = np.asarray(pd.Index(ids).isin(truth["child"].to_numpy(dtype=object)), dtype=bool)
    ctx = candidate_context(snap.models, snap.cards)
    ev = ("card", "name", "dataset", "meta")
    small = _labelled_candidates(snap, ev, declared, ctx, 200, 0)
    kids = np.unique(small.child)
    assert declared[kids].all() and 200 <= len(kids) < declared.sum()
    again = _labelled_candidates(snap, ev, declared, ctx, 200, 0)
    np.testing.assert_array_equal(again.child, small.child)
    everyone = _labelled_candidates(snap, ev, declared, ctx, 10**6, 0)
    assert len(np.unique(everyone.child)) > len(kids)
    _same_candidates(small, everyone.take(np.flatnonzero(np.isin(everyone.child, kids))))
    # a rare evidence block: the first chunk has too few children with a candidate, more chunks are read
    rare = _labelled_candidates(snap, ("card",), declared, ctx, 30, 0)
    all_rare = _labelled_candidates(snap, ("card",), declared, ctx, 10**6, 0)
    assert min(30, len(np.unique(all_rare.child))) <= len(np.unique(rare.child)) < len(np.unique(all_rare.child))
