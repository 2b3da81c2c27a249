"""Traits of models and how they are inherited along the lineage graph.

* :mod:`~hftree.traits.registry` — traits as named functions of the model table
  (built-ins: licence, languages, task, library, datasets, architecture,
  parameters, card length, templated card, metadata text, card text); add your own.
* :mod:`~hftree.traits.kinship` — kinship pairs (parent–child, siblings,
  grandparent, aunt/uncle, cousins, random pairs), enumerated or sampled.
* :mod:`~hftree.traits.measures` — equality, Jaccard, TF-IDF / bag-of-words cosine,
  normalised Levenshtein, ratio.
* :mod:`~hftree.traits.resemblance` — :func:`inheritance`: the similarity table
  with bootstrap intervals and the tests of the paper's claims.
* :mod:`~hftree.traits.protocol` — ``protocol="paper"``: the paper's text preparation
  (metadata = ``str()`` of the listing record, cards cut to 512 characters, auto-generated
  cards left out) and pair budget.
* :mod:`~hftree.traits.tables` — :func:`align_models` (the model table, its graph and the
  node of each row, shared by every analysis here and in :mod:`hftree.drift`) and
  :func:`trait_values`.
"""

from hftree.traits.kinship import (
    DEFAULT_RELATIONS,
    KINSHIP_LABELS,
    KINSHIPS,
    KinshipError,
    kinship_counts,
    kinship_pairs,
)
from hftree.traits.measures import DEFAULT_MEASURES, MEASURES, similarity
from hftree.traits.protocol import PROTOCOLS, Protocol, listing_records, paper_card_text, paper_metadata_text
from hftree.traits.registry import (
    ARCHITECTURE_TAGS,
    DEFAULT_TRAITS,
    Trait,
    TraitError,
    get_trait,
    list_traits,
    register_trait,
)
from hftree.traits.resemblance import CLAIMS, INHERITANCE_COLUMNS, InheritanceResult, inheritance
from hftree.traits.stats import KinshipComparison
from hftree.traits.tables import AlignedModels, align_models, trait_values
from hftree.traits.text import TextVectorizer, levenshtein_similarity

__all__ = [
    "ARCHITECTURE_TAGS",
    "CLAIMS",
    "DEFAULT_MEASURES",
    "DEFAULT_RELATIONS",
    "DEFAULT_TRAITS",
    "INHERITANCE_COLUMNS",
    "KINSHIPS",
    "KINSHIP_LABELS",
    "MEASURES",
    "PROTOCOLS",
    "AlignedModels",
    "InheritanceResult",
    "KinshipComparison",
    "KinshipError",
    "Protocol",
    "TextVectorizer",
    "Trait",
    "TraitError",
    "align_models",
    "get_trait",
    "inheritance",
    "kinship_counts",
    "kinship_pairs",
    "levenshtein_similarity",
    "list_traits",
    "listing_records",
    "paper_card_text",
    "paper_metadata_text",
    "register_trait",
    "similarity",
    "trait_values",
]
