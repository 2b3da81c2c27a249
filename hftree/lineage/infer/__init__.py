"""Lineage the Hub does not declare, inferred from cards, names and metadata, with measured accuracy.

See ``docs/lineage-inference.md``. :func:`infer` proposes parents for the models that declare
none, each with a relation, a calibrated confidence and its evidence; the edges carry the
source ``inferred`` and are left out of every graph unless asked for above a threshold.
:func:`evaluate_inference` measures it by hiding what is declared, :func:`lineage_coverage`
reports the share of models with declared, inferred or no lineage. The candidate generator is
:func:`hftree.lineage.infer.candidates.candidates` (its module keeps the name).
"""

from hftree.lineage.infer.candidates import ARCHITECTURES, EVIDENCE, FEATURES, Candidates
from hftree.lineage.infer.core import (
    BLOCKS,
    INFERRED_SOURCE,
    InferredLineage,
    declared_pairs,
    fit_model,
    hide_declarations,
    infer,
)
from hftree.lineage.infer.coverage import LineageCoverage, lineage_coverage
from hftree.lineage.infer.evaluate import InferenceEvaluation, evaluate_inference, score_edges
from hftree.lineage.infer.names import name_keys, name_matches
from hftree.lineage.infer.scoring import InferenceModel, isotonic_fit, reliability_table
from hftree.lineage.infer.text import card_mentions, strip_front_matter

__all__ = [
    "ARCHITECTURES",
    "BLOCKS",
    "EVIDENCE",
    "FEATURES",
    "INFERRED_SOURCE",
    "Candidates",
    "InferenceEvaluation",
    "InferenceModel",
    "InferredLineage",
    "LineageCoverage",
    "card_mentions",
    "declared_pairs",
    "evaluate_inference",
    "fit_model",
    "hide_declarations",
    "infer",
    "isotonic_fit",
    "lineage_coverage",
    "name_keys",
    "name_matches",
    "reliability_table",
    "score_edges",
    "strip_front_matter",
]
