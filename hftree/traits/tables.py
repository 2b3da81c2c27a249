"""The model table of an analysis aligned to its lineage graph, and the table of trait values.

Every analysis of :mod:`hftree.traits` and :mod:`hftree.drift` takes ``(data, graph=None)``:
a Snapshot (its cards become the ``card`` column), a LineageGraph, or a model table
with its graph. :func:`align_models` turns any of them into one :class:`AlignedModels`
— the table, the graph, and the node of each row (:meth:`LineageGraph.align`) — so no
analysis matches ids to nodes itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from hftree.errors import ParameterError, TraitError
from hftree.lineage.graph import LineageGraph
from hftree.traits.encode import encode_trait
from hftree.traits.registry import DEFAULT_TRAITS, Trait, get_trait, model_table

__all__ = ["AlignedModels", "align_models", "trait_values"]


class AlignedModels(NamedTuple):
    """A model table, the lineage graph it is analysed on, and the graph node of each row.

    Attributes
    ----------
    models : pandas.DataFrame
        The model table (with a ``card`` column when the input was a Snapshot with cards).
    graph : LineageGraph
    node_of_row : numpy.ndarray of int64
        Node of each row of ``models``; -1 where the id is not a model of ``graph``.
    """

    models: pd.DataFrame
    graph: LineageGraph
    node_of_row: np.ndarray


def align_models(data: Any, graph: LineageGraph | None = None) -> AlignedModels:
    """The model table of ``data``, its graph (built quietly from a Snapshot when not given)
    and the node of each row.

    >>> import pandas as pd
    >>> from hftree.datasets import toy_graph
    >>> G = toy_graph()
    >>> align_models(pd.DataFrame({"id": ["org/merge", "nope"]}), G).node_of_row.tolist()
    [6, -1]
    >>> align_models(pd.DataFrame({"id": ["a"]}))
    Traceback (most recent call last):
    ...
    hftree.errors.TraitError: a model table alone has no lineage: pass graph=LineageGraph(...) or a Snapshot
    """
    models = model_table(data)
    if graph is None:
        if isinstance(data, LineageGraph):
            graph = data
        elif hasattr(data, "edges") and hasattr(data, "models"):
            graph = LineageGraph.from_snapshot(data, warn=False)
        else:
            raise TraitError("a model table alone has no lineage: pass graph=LineageGraph(...) or a Snapshot")
    elif not isinstance(graph, LineageGraph):
        raise ParameterError("graph", "a LineageGraph or None", type(graph).__name__)
    return AlignedModels(models, graph, graph.align(models))


def trait_values(data: Any, traits: Iterable[str | Trait] | None = None) -> pd.DataFrame:
    """One column per trait, one row per model (index: model id). Sets are sorted lists.

    >>> import pandas as pd
    >>> m = pd.DataFrame({"id": ["a", "b"], "license": ["mit", None],
    ...                   "languages": [["fr", "en"], []]})
    >>> trait_values(m, ["licence", "languages"])  # doctest: +NORMALIZE_WHITESPACE
       license languages
    id
    a      mit  [en, fr]
    b     None      None
    """
    models = model_table(data)
    out = {}
    for t in traits if traits is not None else DEFAULT_TRAITS:
        enc = encode_trait(models, get_trait(t))
        out[enc.name] = pd.Series(enc.decoded(), dtype=object)
    df = pd.DataFrame(out)
    df.index = pd.Index(models["id"].to_numpy(dtype=object), name="id")
    return df
