"""Measured accuracy: hide what is declared, infer it back, score it on held-out children.

Every model with a declared parent is a test case. Its declarations are hidden
(:func:`~hftree.lineage.infer.core.hide_declarations`: ``base_model:`` tags, the card's front
matter; ``cardData`` and ``baseModels`` are not in the model table), candidates are generated
for all models at once, and the children are split into ``n_splits`` folds with a seeded
``random_state``: each fold is scored by a model fitted on the other folds, so every number
below is held out. Two baselines run on the same children: the import's card-prose rule
(the Trainer line, :func:`hftree.ingest.tables.card_lineage`) and "the first Hub id the card
mentions".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from hftree._random import RandomState, check_random_state
from hftree._results import Result
from hftree.errors import ParameterError, UsageError
from hftree.lineage.infer.candidates import FEATURES, candidates
from hftree.lineage.infer.core import (
    BLOCKS,
    _check_blocks,
    _check_confidence,
    declared_pairs,
    edge_rows,
    hide_declarations,
    label_candidates,
)
from hftree.lineage.infer.scoring import InferenceModel, reliability_table, select_edges

__all__ = ["InferenceEvaluation", "evaluate_inference", "score_edges"]

_F_FIRST = FEATURES.index("first")


def score_edges(pred: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Precision, recall, top-1 parent accuracy and relation accuracy of predicted edges.

    ``pred`` has ``child, parent, relation`` and ``confidence`` (best first within a child);
    ``truth`` ``child, parent, relation``. One row for all edges and one per declared relation
    (the children whose declared relation it is). Parents are compared ignoring case.

    >>> truth = pd.DataFrame({"child": ["c", "d"], "parent": ["a", "b"], "relation": ["finetune", "adapter"]})
    >>> pred = pd.DataFrame({"child": ["c", "d"], "parent": ["A", "x"], "relation": ["finetune", "adapter"],
    ...                      "confidence": [0.9, 0.8]})
    >>> [float(v) for v in score_edges(pred, truth).iloc[0][["precision", "recall", "top1_accuracy"]]]
    [0.5, 0.5, 0.5]
    """
    t = truth.assign(pl=truth["parent"].astype(str).str.lower())
    p = pred.assign(pl=pred["parent"].astype(str).str.lower())
    m = p.merge(t[["child", "pl", "relation"]].rename(columns={"relation": "true_relation"}),
                on=["child", "pl"], how="left")
    m["correct"] = m["true_relation"].notna()
    g = t.assign(is_merge=t["relation"] == "merge").groupby("child", sort=False)
    child_rel = g["relation"].first().where(~g["is_merge"].any(), "merge")
    m["child_relation"] = m["child"].map(child_rel)
    rows = []
    for name in ["all", *sorted(child_rel.unique())]:
        tc = t if name == "all" else t[t["child"].map(child_rel) == name]
        mc = m if name == "all" else m[m["child_relation"] == name]
        top = mc.sort_values(["child", "confidence"], ascending=[True, False]).drop_duplicates("child")
        good = mc[mc["correct"]]
        rows.append({
            "relation": name, "children": int(tc["child"].nunique()), "declared_edges": len(tc),
            "predicted_edges": len(mc), "correct_edges": len(good),
            "precision": len(good) / len(mc) if len(mc) else np.nan,
            "recall": len(good) / len(tc) if len(tc) else np.nan,
            "children_recovered": int(top["correct"].sum()),
            "child_recall": int(top["correct"].sum()) / tc["child"].nunique() if len(tc) else np.nan,
            "top1_accuracy": float(top["correct"].mean()) if len(top) else np.nan,
            "relation_accuracy": float((good["relation"] == good["true_relation"]).mean()) if len(good) else np.nan,
        })
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class InferenceEvaluation(Result):
    """Held-out accuracy of :func:`~hftree.lineage.infer.infer` and its baselines.

    ``metrics``: one row per (method, relation); ``reliability``: the calibration table of
    held-out confidences (each child's best candidate); ``at_threshold``: precision and recall
    of edges above several thresholds; ``predictions``: every held-out reported edge with its
    truth; ``weights``: the feature weights of a model fitted on all children.
    """

    title: ClassVar[str] = "Lineage inference, declarations hidden"
    metrics: pd.DataFrame
    reliability: pd.DataFrame
    at_threshold: pd.DataFrame
    predictions: pd.DataFrame
    weights: pd.DataFrame
    min_confidence: float
    n_splits: int

    frame_attribute: ClassVar[str] = "metrics"

    @property
    def summary(self) -> pd.DataFrame:
        return self.metrics[self.metrics["relation"] == "all"].reset_index(drop=True)

    def _note(self) -> str:
        return f"{self.n_splits}-fold held-out, edges with confidence >= {self.min_confidence:g}"


def _baseline_first(cand: Any, ids: np.ndarray, children: np.ndarray) -> pd.DataFrame:
    is_child = np.zeros(len(ids), dtype=bool)
    is_child[children] = True
    sel = np.flatnonzero((cand.X[:, _F_FIRST] > 0) & is_child[cand.child])
    return pd.DataFrame({"child": ids[cand.child[sel]], "parent": cand.parent_id[sel],
                         "relation": "finetune", "confidence": 1.0})


def _baseline_trainer(cards: pd.DataFrame | None, children_ids: set) -> pd.DataFrame:
    from hftree.ingest.tables import card_lineage

    if cards is None or not len(cards):
        return pd.DataFrame(columns=["child", "parent", "relation", "confidence"])
    t = card_lineage(cards).to_pandas()
    t = t[t["child"].isin(children_ids)]
    return pd.DataFrame({"child": t["child"].to_numpy(), "parent": t["parent"].to_numpy(),
                         "relation": t["relation"].to_numpy(), "confidence": 1.0})


def evaluate_inference(
    snapshot: Any,
    *,
    n_splits: int = 2,
    min_confidence: float = 0.5,
    random_state: RandomState = 0,
    evidence: tuple[str, ...] | str = BLOCKS,
    bins: int = 10,
) -> InferenceEvaluation:
    """Hide every declaration of ``snapshot``, infer the lineage back, score it held out.

    Parameters
    ----------
    snapshot : Snapshot
        Needs declared edges (the truth) and, for card evidence, cards.
    n_splits : int
        Folds of children (>= 2); each is scored by a model fitted on the others.
    min_confidence : float
        The threshold of the reported edges.
    random_state : int, Generator or None
        Seed of the split into folds.
    evidence : tuple of str
        Evidence blocks (ablations: leave one out).
    bins : int
        Bins of the reliability table.

    Examples
    --------
    >>> from hftree.ingest import Snapshot
    >>> models = pd.DataFrame({"id": [f"org/m{i}" for i in range(40)] + [f"q/m{i}-GGUF" for i in range(40)]})
    >>> edges = pd.DataFrame({"parent": [f"org/m{i}" for i in range(40)],
    ...                       "child": [f"q/m{i}-GGUF" for i in range(40)],
    ...                       "relation": "quantized", "source": "tag"})
    >>> ev = evaluate_inference(Snapshot(models, edges))
    >>> row = ev.summary.iloc[0]
    >>> row["method"], float(row["precision"]), float(row["recall"]), int(row["children"])
    ('infer', 1.0, 0.75, 40)

    The ten children named ``m0-GGUF`` … ``m9-GGUF`` are missed: a two-letter key is too short to
    block on.
    """
    min_confidence = _check_confidence(min_confidence)
    ev = _check_blocks(evidence)
    if isinstance(n_splits, bool) or not isinstance(n_splits, int) or n_splits < 2:
        raise ParameterError("n_splits", "a whole number >= 2", n_splits)
    truth = declared_pairs(snapshot.edges)
    models, cards = hide_declarations(snapshot)
    ids = models["id"].astype(object).to_numpy()
    truth = truth[truth["child"].isin(set(ids))]
    children = np.flatnonzero(pd.Index(ids).isin(truth["child"].to_numpy(dtype=object)))
    if len(children) < 2 * n_splits:
        raise UsageError(f"evaluate_inference: {len(children)} models with a declared parent; need at least "
                         f"{2 * n_splits}")
    cand = candidates(models, cards, evidence=ev)
    rng = check_random_state(random_state)
    fold = np.full(len(ids), -1, dtype=np.int64)
    fold[children] = rng.permutation(np.arange(len(children)) % n_splits)
    labelled = fold[cand.child] >= 0
    y = np.zeros(len(cand), dtype=bool)
    y[labelled] = label_candidates(cand.take(np.flatnonzero(labelled)), ids, truth)
    conf = np.full(len(cand), np.nan)
    for k in range(n_splits):
        train = np.flatnonzero(labelled & (fold[cand.child] != k))
        test = np.flatnonzero(fold[cand.child] == k)
        model = InferenceModel().fit(cand.X[train], y[train], cand.child[train])
        conf[test] = model.predict_proba(cand.X[test])
    held = np.flatnonzero(labelled)
    sub = cand.take(held)
    c_sub = conf[held]
    best = select_edges(sub, c_sub, top=1)
    best = best[np.r_[True, sub.child[best][1:] != sub.child[best][:-1]]]  # the single best per child
    reliability = reliability_table(c_sub[best], y[held][best], bins=bins)
    chosen = select_edges(sub, c_sub, top=1)
    rows = edge_rows(sub, chosen, c_sub, ids)
    pred_all = rows.rename(columns={})[["child", "parent", "relation", "confidence", "evidence"]].astype(
        {"child": object, "parent": object, "relation": object})
    pred = pred_all[pred_all["confidence"] >= min_confidence]
    child_ids = set(ids[children].tolist())
    methods = {
        "infer": pred,
        "card-prose rule (Trainer line)": _baseline_trainer(cards, child_ids),
        "first Hub id in the card": _baseline_first(cand, ids, children),
    }
    metrics = pd.concat([score_edges(p, truth).assign(method=name) for name, p in methods.items()],
                        ignore_index=True)
    metrics = metrics[["method", *[c for c in metrics.columns if c != "method"]]]
    at = []
    for p in (0.3, 0.5, 0.7, 0.8, 0.9, 0.95):
        s = score_edges(pred_all[pred_all["confidence"] >= p], truth).iloc[0]
        at.append({"min_confidence": p, "predicted_edges": int(s["predicted_edges"]),
                   "precision": s["precision"], "recall": s["recall"]})
    scored = pred_all.merge(truth.assign(pl=truth["parent"].str.lower())[["child", "pl", "relation"]]
                            .rename(columns={"relation": "true_relation"}),
                            left_on=[pred_all["child"], pred_all["parent"].str.lower()],
                            right_on=["child", "pl"], how="left", suffixes=("", "_t"))
    scored["correct"] = scored["true_relation"].notna()
    scored["declared_parents"] = scored["child"].map(truth.groupby("child")["parent"].agg("|".join))
    scored = scored[["child", "parent", "relation", "confidence", "correct", "true_relation",
                     "declared_parents", "evidence"]]
    full = InferenceModel().fit(cand.X[labelled], y[labelled], cand.child[labelled])
    return InferenceEvaluation(metrics, reliability, pd.DataFrame(at), scored, full.weights(),
                               min_confidence, n_splits)
