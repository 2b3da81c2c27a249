"""The lineage graph (parent → child) and queries on it."""

from hftree.lineage.export import to_igraph, to_networkx
from hftree.lineage.graph import LineageGraph
from hftree.lineage.membership import Membership, family_members
from hftree.lineage.queries import (
    ancestors,
    children,
    descendants,
    generations,
    parents,
    roots,
    roots_of,
    subgraph,
    subtree,
)

__all__ = [
    "LineageGraph",
    "Membership",
    "ancestors",
    "children",
    "descendants",
    "family_members",
    "generations",
    "parents",
    "roots",
    "roots_of",
    "subgraph",
    "subtree",
    "to_igraph",
    "to_networkx",
]
