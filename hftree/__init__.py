"""hftree: family trees, trait inheritance, adoption curves and download patterns of Hub models.

The two shared data types are the **model table** (a pandas DataFrame, one row
per model id; columns in :mod:`hftree.schema`) and the **lineage graph**
(:class:`~hftree.lineage.LineageGraph`, parent → child with a relation).

>>> import hftree
>>> G = hftree.datasets.toy_graph()
>>> hftree.children(G, "org/base", relation="adapter")
['org/base-lora']
"""

from hftree import datasets
from hftree._version import __version__
from hftree.ecosystem import ecosystem_stats
from hftree.errors import (
    ConvergenceError,
    DataQualityWarning,
    HftreeError,
    InputFormatError,
    ModelNotFoundError,
    SnapshotError,
)
from hftree.families import family_members, family_stats
from hftree.ingest import Snapshot, import_sources, load_snapshot
from hftree.lineage import (
    LineageGraph,
    ancestors,
    children,
    descendants,
    generations,
    parents,
    roots,
    roots_of,
    subgraph,
    subtree,
    to_igraph,
    to_networkx,
)
from hftree.viz.tree import tree_html

__all__ = [
    "ConvergenceError",
    "DataQualityWarning",
    "HftreeError",
    "InputFormatError",
    "LineageGraph",
    "ModelNotFoundError",
    "Snapshot",
    "SnapshotError",
    "__version__",
    "ancestors",
    "children",
    "datasets",
    "descendants",
    "ecosystem_stats",
    "family_members",
    "family_stats",
    "generations",
    "import_sources",
    "load_snapshot",
    "parents",
    "roots",
    "roots_of",
    "subgraph",
    "subtree",
    "to_igraph",
    "to_networkx",
    "tree_html",
]
