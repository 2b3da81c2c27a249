"""Where a model comes from: its roots, the path to each, its place among relatives.

:func:`family_of` answers "which family does this model belong to?" in one call:
the root(s) it descends from (a merge of models from two families has two), the
shortest path from each root down to it with the relation of every step, its
generation, its parents, siblings and children, and the size of its family.
:func:`path_to_root` gives one of those paths on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from hftree._results import Result
from hftree.errors import ParameterError
from hftree.lineage.graph import LineageGraph, Rel
from hftree.schema import RELATIONS

__all__ = ["ModelFamily", "family_of", "format_path", "path_to_root"]

#: One step of a path: (parent id, child id, relation).
Step = tuple[str, str, str]


def _up_bfs(G: LineageGraph, v: int, relation: Rel) -> tuple[np.ndarray, np.ndarray]:
    """Breadth-first search from ``v`` towards its ancestors.

    Returns ``dist`` (-1 where unreached) and ``via``: for every reached ancestor
    the edge through which it was first reached (its child on that edge is one
    step closer to ``v``)."""
    _, inn, _ = G.view(relation)
    dist = np.full(G.n_nodes, -1, dtype=np.int64)
    via = np.full(G.n_nodes, -1, dtype=np.int64)
    dist[v] = 0
    frontier = np.array([v], dtype=np.int64)
    level = 0
    while len(frontier):
        level += 1
        _, nxt, eid = inn.gather(frontier)
        new = dist[nxt] < 0
        nxt, eid = nxt[new], eid[new]
        nxt, first = np.unique(nxt, return_index=True)  # the first edge found per ancestor
        dist[nxt] = level
        via[nxt] = eid[first]
        frontier = nxt
    return dist, via


def _path(G: LineageGraph, root: int, via: np.ndarray) -> list[Step]:
    steps: list[Step] = []
    v = root
    while via[v] >= 0:
        e = via[v]
        steps.append((str(G.ids[G.parent[e]]), str(G.ids[G.child[e]]), RELATIONS[G.relation[e]]))
        v = int(G.child[e])
    return steps


def path_to_root(G: LineageGraph, model_id: str, root: str | None = None, *, relation: Rel = None) -> list[Step]:
    """The shortest path from ``root`` down to ``model_id``, as (parent, child, relation) steps.

    Parameters
    ----------
    G : LineageGraph
    model_id : str
    root : str, optional
        One of the model's roots (default: the nearest; ties: the smaller node number).
    relation : str or list of str, optional
        Follow only these edges.

    Returns
    -------
    list of (str, str, str)
        Empty when ``model_id`` is a root itself.

    Raises
    ------
    ModelNotFoundError
        ``model_id`` or ``root`` is not in the graph.
    ParameterError
        ``root`` is not a root ``model_id`` descends from.

    Examples
    --------
    >>> from hftree.datasets import toy_graph
    >>> path_to_root(toy_graph(), "org/ft-GGUF")
    [('org/base', 'org/base-ft', 'finetune'), ('org/base-ft', 'org/ft-GGUF', 'quantized')]
    >>> path_to_root(toy_graph(), "org/merge", "other/base2")
    [('other/base2', 'org/merge', 'merge')]
    """
    v = G.node(model_id)
    dist, via = _up_bfs(G, v, relation)
    roots = _roots(G, dist, relation)
    if root is None:
        r = int(roots[np.lexsort((roots, dist[roots]))][0])
    else:
        r = G.node(root)
        if r not in set(roots.tolist()):
            raise ParameterError("root", f"one of the roots of {model_id!r}: {G.id_of(roots)}", root)
    return _path(G, r, via)


def _roots(G: LineageGraph, dist: np.ndarray, relation: Rel) -> np.ndarray:
    _, inn, _ = G.view(relation)
    reached = np.flatnonzero(dist >= 0)
    return reached[np.diff(inn.indptr)[reached] == 0]


@dataclass(frozen=True)
class ModelFamily(Result):
    """Where one model comes from (:func:`family_of`).

    Attributes
    ----------
    model : str
    external : bool
        The model has no record in the snapshot (it is only named as a parent).
    roots : tuple of str
        The roots it descends from, nearest first (itself when it has no parent).
    root_external : tuple of bool
        Whether each root is an external node (named as a parent, no record).
    paths : tuple of tuple of (str, str, str)
        Per root, the shortest path from the root down to the model.
    generation : int
        Distance from the nearest root (0 for a root).
    parents : tuple of (str, str)
        Direct parents with the relation of each edge.
    children : dict of str to int
        Direct children per relation (relations without children omitted).
    siblings : int
        Other models sharing at least one parent with it.
    descendants : int
        Models reachable from it.
    family_size : int
        Models in the families of all its roots together (roots included, each model once).
    root_sizes : tuple of int
        Size of each root's family (root included).
    relation : tuple of str or None
        The relation filter used.
    """

    model: str
    external: bool
    roots: tuple[str, ...]
    root_external: tuple[bool, ...]
    paths: tuple[tuple[Step, ...], ...]
    generation: int
    parents: tuple[tuple[str, str], ...]
    children: dict[str, int]
    siblings: int
    descendants: int
    family_size: int
    root_sizes: tuple[int, ...]
    relation: tuple[str, ...] | None = None

    title: ClassVar[str] = "Model family"

    def to_frame(self) -> pd.DataFrame:
        """One row per root: the root, its family's size, the distance and the path as text."""
        return pd.DataFrame(
            {
                "root": list(self.roots),
                "root_external": list(self.root_external),
                "family_size": list(self.root_sizes),
                "distance": [len(p) for p in self.paths],
                "path": [format_path(p) for p in self.paths],
            }
        )

    @property
    def summary(self) -> pd.DataFrame:
        """The answer as (field, value) rows."""
        rows = [
            ("model", self.model + (" (no record: external)" if self.external else "")),
            ("roots", ", ".join(self.roots)),
            ("generation", self.generation),
            ("parents", ", ".join(f"{p} ({r})" for p, r in self.parents) or "none"),
            ("siblings", self.siblings),
            ("children", ", ".join(f"{k} {v:,}" for k, v in self.children.items()) or "none"),
            ("descendants", self.descendants),
            ("family size", self.family_size),
        ]
        return pd.DataFrame(rows, columns=["field", "value"])

    def to_dict(self) -> dict:
        """JSON-ready: every field, paths as lists of {parent, child, relation}."""
        return {
            "model": self.model,
            "external": self.external,
            "roots": [
                {
                    "id": r,
                    "external": e,
                    "family_size": s,
                    "path": [dict(zip(("parent", "child", "relation"), st, strict=True)) for st in p],
                }
                for r, e, s, p in zip(self.roots, self.root_external, self.root_sizes, self.paths, strict=True)
            ],
            "generation": self.generation,
            "parents": [{"id": p, "relation": r} for p, r in self.parents],
            "children": dict(self.children),
            "siblings": self.siblings,
            "descendants": self.descendants,
            "family_size": self.family_size,
            "relation": list(self.relation) if self.relation is not None else None,
        }

    def _note(self) -> str:
        return f"{self.model}: {len(self.roots)} root(s), generation {self.generation}"


def format_path(steps: tuple[Step, ...] | list[Step]) -> str:
    """A path as one line, root first.

    >>> format_path([("a", "b", "finetune"), ("b", "c", "quantized")])
    'a -finetune-> b -quantized-> c'
    """
    if not steps:
        return "(the model is the root)"
    return steps[0][0] + "".join(f" -{r}-> {c}" for _, c, r in steps)


def family_of(G: LineageGraph, model_id: str, *, relation: Rel = None) -> ModelFamily:
    """Which family ``model_id`` belongs to, and where in it.

    Parameters
    ----------
    G : LineageGraph
    model_id : str
    relation : str or list of str, optional
        Follow only these edges.

    Returns
    -------
    ModelFamily

    Raises
    ------
    ModelNotFoundError
        ``model_id`` is not in the graph (the message lists close matches).
    ParameterError
        Bad ``relation``.

    Notes
    -----
    A root is a model without a parent by the chosen edges. A model reachable
    from several roots (a merge of models of two families) belongs to each of
    their families; ``family_size`` counts the union once. Paths are shortest
    paths (fewest edges); among equally short ones the first found is given.

    Examples
    --------
    >>> from hftree.datasets import toy_graph
    >>> f = family_of(toy_graph(), "org/merge")
    >>> f.roots, f.generation, f.parents
    (('other/base2', 'org/base'), 1, (('org/base-ft', 'merge'), ('other/base2', 'merge')))
    >>> [len(p) for p in f.paths], f.family_size, f.root_sizes
    ([1, 2], 7, (2, 6))
    >>> f.to_frame()["path"].tolist()[1]
    'org/base -finetune-> org/base-ft -merge-> org/merge'
    >>> family_of(toy_graph(), "org/base").children
    {'finetune': 1, 'adapter': 1, 'quantized': 1}
    """
    v = G.node(model_id)
    out, inn, _ = G.view(relation)
    dist, via = _up_bfs(G, v, relation)
    roots = _roots(G, dist, relation)
    roots = roots[np.lexsort((roots, dist[roots]))]
    paths = tuple(tuple(_path(G, int(r), via)) for r in roots)

    in_e = inn.edge[inn.indptr[v] : inn.indptr[v + 1]]
    in_e = in_e[np.argsort(G.parent[in_e], kind="stable")]
    parents = tuple((str(G.ids[G.parent[e]]), RELATIONS[G.relation[e]]) for e in in_e)
    out_e = out.edge[out.indptr[v] : out.indptr[v + 1]]
    counts = np.bincount(G.relation[out_e].astype(np.int64), minlength=len(RELATIONS))
    children = {RELATIONS[k]: int(c) for k, c in enumerate(counts) if c}
    par = G.parent[in_e]
    if len(par):
        _, sib, _ = out.gather(par.astype(np.int64))
        siblings = len(np.setdiff1d(np.unique(sib), [v]))
    else:
        siblings = 0
    desc, _ = G.reachable([v], relation=relation)
    fam, _ = G.reachable(roots, relation=relation)
    sizes = tuple(1 + len(G.reachable([int(r)], relation=relation)[0]) for r in roots)
    rel = G._key(relation)
    return ModelFamily(
        model=str(G.ids[v]),
        external=bool(G.external[v]),
        roots=tuple(G.id_of(roots)),
        root_external=tuple(bool(x) for x in G.external[roots]),
        paths=paths,
        generation=int(dist[roots].min()),
        parents=parents,
        children=children,
        siblings=siblings,
        descendants=len(desc),
        family_size=len(np.union1d(fam, roots)),
        root_sizes=sizes,
        relation=rel,
    )
