"""hftree: family trees, trait inheritance, adoption curves and download patterns of Hub models.

The two shared data types are the **model table** (a pandas DataFrame, one row
per model id; columns in :mod:`hftree.schema`) and the **lineage graph**
(:class:`~hftree.lineage.LineageGraph`, parent → child with a relation).

The names below load on first use, so ``import hftree`` (and ``hftree --version``)
stays quick; ``from hftree import LineageGraph`` works as usual.

>>> import hftree
>>> G = hftree.datasets.toy_graph()
>>> hftree.children(G, "org/base", relation="adapter")
['org/base-lora']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hftree._version import __version__

if TYPE_CHECKING:  # what the lazy names below resolve to, for type checkers and IDEs
    from hftree import datasets
    from hftree.ecosystem import ecosystem_stats
    from hftree.errors import (
        ConvergenceError,
        DataQualityWarning,
        HftreeError,
        InputFormatError,
        ModelNotFoundError,
        NotFittedError,
        ParameterError,
        SnapshotError,
        UsageError,
    )
    from hftree.families import family_stats
    from hftree.ingest import Snapshot, import_sources, load_snapshot
    from hftree.licenses import license_class
    from hftree.lineage import (
        LineageGraph,
        ancestors,
        children,
        descendants,
        family_members,
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

#: public name -> the module that defines it
_LAZY: dict[str, str] = {
    "datasets": "hftree.datasets",
    "ecosystem_stats": "hftree.ecosystem",
    **dict.fromkeys(
        ["ConvergenceError", "DataQualityWarning", "HftreeError", "InputFormatError", "ModelNotFoundError",
         "NotFittedError", "ParameterError", "SnapshotError", "UsageError"],
        "hftree.errors",
    ),
    "family_stats": "hftree.families",
    **dict.fromkeys(["Snapshot", "import_sources", "load_snapshot"], "hftree.ingest"),
    "license_class": "hftree.licenses",
    **dict.fromkeys(
        ["LineageGraph", "ancestors", "children", "descendants", "family_members", "generations", "parents",
         "roots", "roots_of", "subgraph", "subtree", "to_igraph", "to_networkx"],
        "hftree.lineage",
    ),
    "tree_html": "hftree.viz.tree",
}

__all__ = [
    "ConvergenceError",
    "DataQualityWarning",
    "HftreeError",
    "InputFormatError",
    "LineageGraph",
    "ModelNotFoundError",
    "NotFittedError",
    "ParameterError",
    "Snapshot",
    "SnapshotError",
    "UsageError",
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
    "license_class",
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


assert set(__all__) == {"__version__", *_LAZY}  # one list for readers and tools, one map for loading


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hftree' has no attribute {name!r}")
    value = importlib.import_module(module)
    if name != module.rpartition(".")[2]:
        value = getattr(value, name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
