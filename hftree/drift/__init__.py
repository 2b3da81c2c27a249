"""Mutation and drift of traits along the lineage graph.

* :func:`mutation_rates` — how often each trait changes on an edge, by relation.
* :func:`transitions` (:mod:`~hftree.drift.transition_table`) — parent → child value
  transitions, net flow, and :meth:`TransitionTable.ordering` (the value ordering agreeing
  with the most oriented transitions, exact via :func:`scipy.optimize.milp`).
* :func:`card_drift` — card length, templated cards and languages, parent vs child.
* :func:`license_audit` — the audit of relicensing that the parent's licence does not
  allow; :func:`license_class` is :func:`hftree.licenses.license_class`, re-exported.

Every analysis takes ``(data, graph=None)`` and aligns the table to the graph with
:func:`hftree.traits.align_models`; drift is built on :mod:`hftree.traits`, never the reverse.
"""

from hftree.drift.cards import CARD_DRIFT_COLUMNS, CardDrift, card_drift
from hftree.drift.licenses import (
    LICENSE_RULES,
    NAMED_LICENSE_CLASSES,
    LicenseAudit,
    LicenseRule,
    license_audit,
    license_class,
    license_rules,
)
from hftree.drift.mutation import MUTATION_COLUMNS, MutationRates, mutation_rates
from hftree.drift.ordering import OrderingError, TraitOrdering, greedy_ordering, linear_ordering, ordering_score
from hftree.drift.transition_table import DEFAULT_EXCLUDE, TransitionTable, transitions

__all__ = [
    "CARD_DRIFT_COLUMNS",
    "DEFAULT_EXCLUDE",
    "LICENSE_RULES",
    "MUTATION_COLUMNS",
    "NAMED_LICENSE_CLASSES",
    "CardDrift",
    "LicenseAudit",
    "LicenseRule",
    "MutationRates",
    "OrderingError",
    "TraitOrdering",
    "TransitionTable",
    "card_drift",
    "greedy_ordering",
    "license_audit",
    "license_class",
    "license_rules",
    "linear_ordering",
    "mutation_rates",
    "ordering_score",
    "transitions",
]
