"""``infer``: candidate parents of the models that declare none, with a calibrated confidence.

The snapshot's own declarations are the training data: every model with a declared parent is
a labelled example once its declarations are hidden (:func:`hide_declarations`), so the
weights and the calibration are learned on the same kind of Hub the edges are inferred for.
A model fitted on one snapshot can be applied to another (``model=``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hftree._progress import progress_bar
from hftree._random import check_random_state
from hftree._results import Result
from hftree.errors import ParameterError, UsageError
from hftree.lineage.infer.candidates import EVIDENCE, CandidateContext, Candidates, candidate_context, candidates_of
from hftree.lineage.infer.scoring import InferenceModel, select_edges
from hftree.schema import RELATIONS, RelationFilter, check_relations

__all__ = ["BLOCKS", "INFERRED_SOURCE", "InferredLineage", "declared_pairs", "edge_rows", "fit_model",
           "hide_declarations", "infer", "label_candidates"]

#: The ``source`` of an inferred edge in an edge table (never one of the declared sources).
INFERRED_SOURCE = "inferred"
#: The blocks of evidence ``evidence=`` may choose from.
BLOCKS = ("card", "name", "dataset", "meta")
#: Edge sources that are not declarations: the import's own prose rule and inferred edges.
_NOT_DECLARED = ("card_text", INFERRED_SOURCE)
_MIN_LABELLED = 20


def _check_blocks(evidence: Any) -> tuple[str, ...]:
    ev = (evidence,) if isinstance(evidence, str) else tuple(evidence)
    bad = [e for e in ev if e not in BLOCKS]
    if bad or not ev:
        raise ParameterError("evidence", f"one or more of {', '.join(BLOCKS)}", bad[0] if bad else ev)
    return ev


def _check_confidence(p: Any, name: str = "min_confidence") -> float:
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
        raise ParameterError(name, "a number between 0 and 1", p)
    return float(p)


def declared_pairs(edges: pd.DataFrame) -> pd.DataFrame:
    """The declared (child, parent, relation) rows of an edge table: every source except the
    import's card-prose rule (``card_text``) and inferred edges; one row per pair.

    >>> e = pd.DataFrame({"parent": ["a", "a", "b"], "child": ["c", "c", "d"],
    ...                   "relation": ["finetune"] * 3, "source": ["tag", "cardData", "card_text"]})
    >>> declared_pairs(e).to_dict("records")
    [{'child': 'c', 'parent': 'a', 'relation': 'finetune'}]
    """
    e = edges
    if "source" in e:
        e = e[~e["source"].astype(object).isin(_NOT_DECLARED).to_numpy(dtype=bool)]
    rel = e["relation"].astype(object) if "relation" in e else pd.Series("unknown", index=e.index)
    out = pd.DataFrame({"child": e["child"].astype(object), "parent": e["parent"].astype(object),
                        "relation": rel.fillna("unknown")})
    out = out[out["child"] != out["parent"]]
    return out.drop_duplicates(["child", "parent"]).reset_index(drop=True)


def _without_base_model_tags(tags: pd.Series) -> pd.Series:
    arr = pa.array(tags, type=pa.list_(pa.string()), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    flat = pc.list_flatten(arr)
    rows = pc.list_parent_indices(arr).to_numpy(zero_copy_only=False)
    keep = ~np.asarray(pc.fill_null(pc.starts_with(flat, "base_model:"), False).to_numpy(zero_copy_only=False),
                       dtype=bool)
    counts = np.bincount(rows[keep], minlength=len(arr))
    offsets = np.zeros(len(arr) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    new = pa.ListArray.from_arrays(pa.array(offsets), flat.filter(pa.array(keep)), mask=pc.is_null(arr))
    return pd.Series(pd.array(new, dtype=pd.ArrowDtype(new.type)), index=tags.index, name=tags.name)


def hide_declarations(snapshot: Any) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The model table and cards of ``snapshot`` with every declaration of lineage removed:
    ``base_model:`` tags dropped and the YAML front matter (``base_model``, ``base_model_relation``)
    cut from each card; ``cardData`` and ``baseModels`` are not kept in the model table.

    >>> from hftree.ingest import Snapshot
    >>> snap = Snapshot(pd.DataFrame({"id": ["a/b"], "tags": [["llama", "base_model:x/y"]]}),
    ...                 pd.DataFrame(columns=["parent", "child", "relation", "source"]),
    ...                 pd.DataFrame({"id": ["a/b"], "card": ["---\\nbase_model: x/y\\n---\\nHello"]}))
    >>> models, cards = hide_declarations(snap)
    >>> list(models["tags"][0]), cards["card"][0]
    (['llama'], 'Hello')
    """
    from hftree.lineage.infer.text import strip_front_matters

    models = snapshot.models.copy(deep=False)
    if "tags" in models:
        models["tags"] = _without_base_model_tags(models["tags"])
    cards = snapshot.cards
    if cards is not None:
        body = strip_front_matters(pa.array(cards["card"], pa.large_string(), from_pandas=True))
        cards = pd.DataFrame({"id": cards["id"].to_numpy(), "card": pd.Series(pd.array(body, dtype=pd.ArrowDtype(
            body.type)))})
    return models, cards


def _pair_keys(child: pa.Array, parent: pa.Array) -> pa.Array:
    """``child`` and lower-cased ``parent`` joined by a separator no Hub id holds."""
    return pc.binary_join_element_wise(child.cast(pa.string()), pc.utf8_lower(parent.cast(pa.string())), "\x1f")


def label_candidates(cand: Candidates, ids: np.ndarray, truth: pd.DataFrame) -> np.ndarray:
    """True where a candidate is a declared parent of its child (ids compared ignoring case)."""
    if not len(cand):
        return np.zeros(0, dtype=bool)
    want = _pair_keys(pa.array(truth["child"].astype(object).to_numpy(), pa.string()),
                      pa.array(truth["parent"].astype(object).to_numpy(), pa.string()))
    got = _pair_keys(pa.array(ids[cand.child], pa.string()), pa.array(cand.parent_id, pa.string()))
    return np.asarray(pc.fill_null(pc.is_in(got, value_set=want), False).to_numpy(zero_copy_only=False),
                      dtype=bool)


def _declared_rows(ids: np.ndarray, truth: pd.DataFrame) -> np.ndarray:
    """True for the models that are a declared child."""
    value_set = pa.array(truth["child"].astype(object).to_numpy(), pa.string()).unique()
    return np.asarray(pc.is_in(pa.array(ids, pa.string()), value_set=value_set).to_numpy(zero_copy_only=False),
                      dtype=bool)


def _labelled_candidates(snapshot: Any, ev: tuple[str, ...], declared: np.ndarray, ctx: CandidateContext,
                         max_children: int, random_state: Any) -> Candidates:
    """Candidates of enough declared children to train on: all of them when there are few, else
    chunks of a seeded random order of them until ``max_children`` have a candidate (the fit then
    samples ``max_children``). Every child's candidates are those :func:`candidates` gives it."""
    labelled = np.flatnonzero(declared)
    chunk = min(len(labelled), max_children + max_children // 4)
    if chunk < len(labelled):
        labelled = check_random_state(random_state).permutation(labelled)
    got: list[Candidates] = []
    done = kids = 0
    while not got or (done < len(labelled) and kids < max_children):
        step = chunk if not got else min(len(labelled) - done,
                                         int((max_children - kids) / max(kids / done, 0.05) * 1.25) + 1)
        # (the first chunk may be empty: no declared child at all)
        got.append(candidates_of(snapshot.models, snapshot.cards, evidence=ev, card_strips=2, context=ctx,
                                 children=np.sort(labelled[done:done + step])))
        done += step
        kids += len(np.unique(got[-1].child))
    return got[0] if len(got) == 1 else Candidates.concat(got)


@dataclass(frozen=True)
class InferredLineage(Result):
    """Inferred edges: one row per candidate edge with ``parent, child, relation, confidence,
    evidence, source`` (``source`` is always ``inferred``), best first within a child."""

    title: ClassVar[str] = "Inferred lineage"
    edges: pd.DataFrame
    targets: int
    candidates: int
    min_confidence: float
    model: InferenceModel = field(repr=False)

    frame_attribute: ClassVar[str] = "edges"

    @property
    def summary(self) -> pd.DataFrame:
        e = self.edges
        rows = [{"relation": r, "edges": int((e["relation"] == r).sum()),
                 "children": int(e.loc[e["relation"] == r, "child"].nunique())} for r in RELATIONS[:4]]
        rows.append({"relation": "all", "edges": len(e), "children": int(e["child"].nunique())})
        return pd.DataFrame(rows)

    def edge_table(self) -> pd.DataFrame:
        """The edges in the edge-table layout (``parent, child, relation, source, confidence``), to
        append to a snapshot's ``edges``."""
        return self.edges[["parent", "child", "relation", "source", "confidence"]].copy()

    def _note(self) -> str:
        return (f"{self.targets:,} models without a declared parent, {self.candidates:,} candidates, "
                f"edges with confidence >= {self.min_confidence:g} (source 'inferred')")


def _evidence_text(cand: Candidates, idx: np.ndarray) -> list[str]:
    out = []
    for b, s in zip(cand.bits[idx].tolist(), cand.span[idx].tolist(), strict=True):
        names = [e for i, e in enumerate(EVIDENCE) if b >> i & 1]
        out.append(", ".join(names) + (f': "{s}"' if s else ""))
    return out


def edge_rows(cand: Candidates, idx: np.ndarray, conf: np.ndarray, ids: np.ndarray) -> pd.DataFrame:
    """The output rows of the candidates at ``idx`` (best first within each child)."""
    order = idx[np.lexsort((-conf[idx], cand.child[idx]))]
    return pd.DataFrame({
        "parent": pd.array(cand.parent_id[order].astype(object), dtype="string"),
        "child": pd.array(ids[cand.child[order]], dtype="string"),
        "relation": pd.array(np.asarray(RELATIONS, dtype=object)[cand.relation[order]], dtype="string"),
        "confidence": conf[order],
        "evidence": pd.array(_evidence_text(cand, order), dtype="string"),
        "source": pd.array([INFERRED_SOURCE] * len(order), dtype="string"),
        "external": cand.parent[order] < 0,
    })


def _fit(cand: Candidates, ids: np.ndarray, truth: pd.DataFrame, declared: np.ndarray) -> InferenceModel:
    lab = declared[cand.child]
    y = label_candidates(cand.take(np.flatnonzero(lab)), ids, truth)
    if len(np.unique(cand.child[lab])) < _MIN_LABELLED or not y.any():
        raise UsageError(f"infer: the snapshot has too few declared edges to learn from "
                         f"({int(declared.sum())} models with a declared parent); pass model= "
                         "fitted on another snapshot (hftree infer --train SNAPSHOT)")
    return InferenceModel().fit(cand.X[lab], y, cand.child[lab])


def fit_model(snapshot: Any, *, evidence: tuple[str, ...] | str = BLOCKS) -> InferenceModel:
    """An :class:`InferenceModel` fitted on the declared edges of ``snapshot`` (declarations hidden),
    to apply to another snapshot with ``infer(other, model=...)``.

    >>> from hftree.ingest import Snapshot
    >>> models = pd.DataFrame({"id": [f"org/base-{i}" for i in range(30)] + [f"q/base-{i}-GGUF" for i in range(30)]})
    >>> edges = pd.DataFrame({"parent": models["id"][:30], "child": models["id"][30:].to_numpy(),
    ...                       "relation": "quantized", "source": "tag"})
    >>> fit_model(Snapshot(models, edges)).n_train_
    30
    """
    ev = _check_blocks(evidence)
    ids = snapshot.models["id"].astype(object).to_numpy()
    truth = declared_pairs(snapshot.edges)
    declared = _declared_rows(ids, truth)
    m = InferenceModel()
    ctx = candidate_context(snapshot.models, snapshot.cards)
    return _fit(_labelled_candidates(snapshot, ev, declared, ctx, m.max_children, m.random_state), ids, truth,
                declared)


def infer(
    snapshot: Any,
    *,
    min_confidence: float = 0.5,
    relation: RelationFilter = None,
    top: int | None = 1,
    model: InferenceModel | None = None,
    evidence: tuple[str, ...] | str = BLOCKS,
    progress: bool | None = None,
) -> InferredLineage:
    """Infer parents for the models of ``snapshot`` that declare none.

    Parameters
    ----------
    snapshot : Snapshot
        A :class:`hftree.ingest.Snapshot` (``models``, ``edges``, optional ``cards``).
    min_confidence : float
        Report edges whose calibrated confidence is at least this.
    relation : str or list of str, optional
        Report only edges of these relations.
    top : int or None
        Parents reported per child (the best first); a merge's other parents are always kept.
        ``None`` reports every candidate above ``min_confidence``.
    model : InferenceModel, optional
        A fitted model; default: fitted on this snapshot's declared edges, declarations hidden.
    evidence : tuple of str
        The evidence blocks used: ``card``, ``name``, ``dataset``, ``meta``.
    progress : bool, optional
        A progress bar on stderr (default: when stderr is a terminal).

    Raises
    ------
    UsageError
        ``model`` is not given and the snapshot has too few declared edges to learn from.

    Examples
    --------
    >>> from hftree.ingest import Snapshot
    >>> models = pd.DataFrame({"id": [f"org/base-{i}" for i in range(30)]
    ...                        + [f"q/base-{i}-GGUF" for i in range(30)] + ["me/base-3-GGUF"]})
    >>> edges = pd.DataFrame({"parent": [f"org/base-{i}" for i in range(30)],
    ...                       "child": [f"q/base-{i}-GGUF" for i in range(30)],
    ...                       "relation": "quantized", "source": "tag"})
    >>> res = infer(Snapshot(models, edges))
    >>> res.edges[["parent", "child", "relation"]].to_dict("records")
    [{'parent': 'org/base-3', 'child': 'me/base-3-GGUF', 'relation': 'quantized'}]
    """
    min_confidence = _check_confidence(min_confidence)
    rel = check_relations(relation)
    ev = _check_blocks(evidence)
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise ParameterError("top", "a whole number >= 1 or None", top)
    bar = progress_bar(progress, desc="infer", total=3)
    ids = snapshot.models["id"].astype(object).to_numpy()
    truth = declared_pairs(snapshot.edges)
    declared = _declared_rows(ids, truth)
    targets = np.flatnonzero(~declared)
    # candidates only for the targets and, to learn from, a sample of the declared children;
    # the targets' are generated on a second thread while the model learns (Arrow, DuckDB, NumPy release the GIL)
    ctx = candidate_context(snapshot.models, snapshot.cards)
    with ThreadPoolExecutor(max_workers=1) as pool:
        fut = pool.submit(candidates_of, snapshot.models, snapshot.cards, evidence=ev, children=targets,
                          card_strips=2, context=ctx)
        if model is None:
            m = InferenceModel()
            model = _fit(_labelled_candidates(snapshot, ev, declared, ctx, m.max_children, m.random_state), ids,
                         truth, declared)
        bar.update(1)
        sub = fut.result()
    bar.update(1)
    conf = model.predict_proba(sub.X) if len(sub) else np.empty(0)
    idx = select_edges(sub, conf, top=top)
    idx = idx[conf[idx] >= min_confidence]
    if rel is not None:
        idx = idx[np.isin(np.asarray(RELATIONS, dtype=object)[sub.relation[idx]], rel)]
    edges = edge_rows(sub, idx, conf, ids)
    bar.update(1)
    bar.close()
    return InferredLineage(edges, int((~declared).sum()), len(sub), min_confidence, model)
