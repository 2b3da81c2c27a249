"""The lineage graph (parent → child) and queries on it."""

from hftree.lineage.export import family_tables, to_igraph, to_networkx, write_family
from hftree.lineage.family import ModelFamily, family_of, format_path, path_to_root
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
    "ModelFamily",
    "ancestors",
    "children",
    "descendants",
    "family_members",
    "family_of",
    "family_tables",
    "format_path",
    "generations",
    "infer",
    "parents",
    "path_to_root",
    "roots",
    "roots_of",
    "subgraph",
    "subtree",
    "to_igraph",
    "to_networkx",
    "write_family",
]


def __getattr__(name: str):
    # hftree.lineage.infer (scipy.optimize, DuckDB) loads on first use, not with every graph
    if name == "infer":
        import importlib

        return importlib.import_module("hftree.lineage.infer")
    raise AttributeError(f"module 'hftree.lineage' has no attribute {name!r}")
