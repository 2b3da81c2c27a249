"""Interactive family trees: one self-contained HTML page per family (vis-network).

The page inlines the vis-network library that ships inside the ``pyvis``
package (no Bootstrap, no CDN, no web font), and a Content-Security-Policy
forbids every request, so it opens offline. Positions are computed here
(a layered tree by generation, :mod:`hftree.viz._tree_layout`; physics off
unless switched on in the page). The page itself is three package files,
``hftree/viz/templates/tree.html``, ``tree.css`` and ``tree.js``, filled in by
:func:`hftree.viz._templates.fill`.

Every string that comes from the Hub (ids, licences, tasks, authors) reaches
the page only as JSON data inside a ``<script>`` element, with ``<``, ``>``
and ``&`` escaped, and the page shows it as text (``textContent``, canvas
labels, vis-network's plain-text tooltips), never as HTML.

Large families stay usable: above ``max_nodes`` models, the least important
subtrees are folded into summary nodes such as "+1,234 quantized"; the page
says what was folded and the search box still finds a folded model (it
focuses the summary node that holds it).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from hftree._atomic import check_replaceable_file, write_atomic
from hftree.errors import ParameterError
from hftree.lineage.graph import LineageGraph, Rel
from hftree.schema import RELATIONS
from hftree.viz._templates import fill, json_for_script, template, vis_network_js
from hftree.viz._tree_layout import Family, family_tree, fold, layout

__all__ = ["COLOR_BY", "KEEP_BY", "RELATION_COLORS", "ColorBy", "KeepBy", "TreeHTML", "tree_html"]

#: A string of every tree page's header (templates/tree.html): a file without it is never overwritten.
TREE_MARK = b'aria-label="find a model id"'

ColorBy = Literal["relation", "license", "task", "author"]
KeepBy = Literal["downloads", "descendants"]
#: Node colourings the page offers (``color_by=`` picks the initial one).
COLOR_BY: tuple[str, ...] = get_args(ColorBy)
#: Orders for choosing which models stay visible above the node budget.
KEEP_BY: tuple[str, ...] = get_args(KeepBy)

RELATION_COLORS = {
    "root": "#111827",
    "finetune": "#2563eb",
    "adapter": "#16a34a",
    "quantized": "#d97706",
    "merge": "#9333ea",
    "unknown": "#6b7280",
}
#: vis-network ``dashes`` per relation (False = solid line).
EDGE_DASHES: dict[str, bool | list[int]] = {
    "finetune": False,
    "adapter": [6, 4],
    "quantized": [2, 3],
    "merge": [10, 3, 2, 3],
    "unknown": [1, 4],
}
# Okabe-Ito and Tableau hues that stay apart for colour-blind readers; "other" and "none" greys.
_PALETTE = [
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#f0e442",
    "#7f3c8d",
    "#11a579",
    "#3969ac",
]
_OTHER, _NONE, _FOLDED = "#a8a29e", "#d6d3d1", "#e5e7eb"
_TOP_CATEGORIES = len(_PALETTE)

_COLUMN_OF = {"license": "license", "task": "pipeline_tag", "author": "author"}


@dataclass(frozen=True)
class TreeHTML:
    """A rendered family tree. ``save(path)`` writes it; notebooks display it inline.

    Attributes
    ----------
    html : str
        The whole page.
    root : str
        The family's root.
    n_nodes, n_edges : int
        Nodes (models and summary nodes) and edges drawn.
    collapsed : int
        Models folded into summary nodes.
    models : int
        Models in the family (root included).
    summary_nodes : int
        Summary nodes drawn for the folded models.
    """

    html: str
    root: str
    n_nodes: int
    n_edges: int
    collapsed: int
    models: int = 0
    summary_nodes: int = 0

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page (temp file + rename); returns the path. An existing file is replaced only
        if it is an hftree page (:class:`~hftree.errors.SnapshotError` otherwise)."""
        check_replaceable_file(path, TREE_MARK, "an hftree tree page")
        return write_atomic(path, self.html)

    def _repr_html_(self) -> str:
        srcdoc = html.escape(self.html, quote=True)
        return f'<iframe srcdoc="{srcdoc}" style="width:100%;height:620px;border:1px solid #ddd"></iframe>'

    def __repr__(self) -> str:
        return (
            f"<TreeHTML {self.root!r}: {self.n_nodes:,} nodes, {self.n_edges:,} edges, "
            f"{self.collapsed:,} collapsed, {len(self.html) / 1e6:.1f} MB>"
        )


def tree_html(
    G: LineageGraph,
    root: str,
    *,
    relation: Rel = None,
    max_nodes: int = 3000,
    title: str | None = None,
    color_by: ColorBy = "relation",
    keep_by: KeepBy = "downloads",
    cards: pd.DataFrame | Mapping[str, str] | None = None,
    focus: str | None = None,
) -> TreeHTML:
    """Render the family of ``root`` as an interactive, self-contained HTML page.

    The page has an outline view beside the graph (the family as a collapsible
    list of full ids, children grouped by relation with counts as on a Hub model
    page, sortable by downloads, descendants, date or name; each row focuses its
    model in the graph and links to its Hub page), a legend (node colours, edge
    styles, shapes), tooltips (id, relation, licence, task, author, created,
    downloads, likes, descendants), a side panel linking the model's parents and
    children and its Hub page (also on double-click) with a "path to root"
    button, a search box that focuses and labels a model in both views, a colour
    switch (relation / licence / task / author), depth and relation filters and
    PNG / SVG export of the current view. Graph labels are full ids, drawn by a
    level-of-detail rule: only where they fit at the current zoom, most
    important first, so no two overlap. Node size grows with log downloads;
    edge colour and dash pattern show the relation.

    Parameters
    ----------
    G : LineageGraph
    root : str
        Model id of the family's root (any model: its descendants are drawn).
    relation : str or list of str, optional
        Follow only these edges.
    max_nodes : int
        Budget of nodes drawn. A family with more models is folded: the models
        with the least important subtrees (see ``keep_by``) are hidden, and
        the folded models under one kept parent are drawn as one summary node
        per relation of the folded subtrees' top links, e.g. "+1,234
        quantized". As many models are kept as fit in the budget together
        with their summary nodes (for ``max_nodes`` >= 6 the page never draws
        more than ``max_nodes`` nodes; the root and its summary nodes are
        always drawn).
    title : str, optional
        Page title (default: the root id).
    color_by : {"relation", "license", "task", "author"}
        Initial node colouring (the page can switch). Licences, tasks and
        authors get a colour each for the ten most common values in the
        family, grey for the rest.
    keep_by : {"downloads", "descendants"}
        What makes a subtree important when folding: the downloads summed over
        it (ties: more descendants), or its number of descendants (ties:
        downloads). A model is never folded while one of its descendants is
        kept, so what remains is a tree hanging from the root.
    cards : DataFrame (``id``, ``card``) or mapping id → text, optional
        Model cards (e.g. ``snapshot.cards``): the side panel shows the start
        of each drawn model's card (front matter removed, at most 280
        characters), as text.
    focus : str, optional
        A model of the family to select when the page opens (its path to the
        root highlighted, the view centred on it); it is never folded.

    Returns
    -------
    TreeHTML

    Raises
    ------
    ModelNotFoundError
        ``root`` is not in the graph.
    ParameterError
        Bad ``relation``, ``color_by``, ``keep_by``, ``max_nodes``, ``cards``, or a
        ``focus`` outside the family.

    Notes
    -----
    Generations are shortest distances from the root. A model with several
    parents in the family (a merge) hangs in the drawn tree under its most
    downloaded parent at the previous generation; its other parent edges are
    drawn too. "descendants" counts every model reachable from a model inside
    the family, each once. Folded models travel with the page (id, relation,
    downloads, ...), so a summary node expands in place (click it, or its
    "expand" button), and search and the outline reach every model.

    Examples
    --------
    >>> from hftree.datasets import toy_graph
    >>> page = tree_html(toy_graph(), "org/base")
    >>> page.n_nodes, page.n_edges, page.collapsed, '<script src=' in page.html
    (6, 6, 0, False)
    >>> folded = tree_html(toy_graph(), "org/base", max_nodes=4)
    >>> folded.n_nodes, folded.collapsed, folded.summary_nodes
    (4, 3, 1)
    """
    if color_by not in COLOR_BY:
        raise ParameterError("color_by", f"one of {', '.join(COLOR_BY)}", color_by)
    if keep_by not in KEEP_BY:
        raise ParameterError("keep_by", f"one of {', '.join(KEEP_BY)}", keep_by)
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int | np.integer) or max_nodes < 1:
        raise ParameterError("max_nodes", "a whole number >= 1 (the nodes drawn)", max_nodes)
    snippets = _card_snippets(cards)
    fam = family_tree(G, root, relation)
    must = None
    if focus is not None:
        fid = fam.graph.index.get_indexer([str(focus)])[0] if str(focus) in fam.graph else -1
        hit = np.flatnonzero(fam.nodes == fid) if fid >= 0 else np.empty(0, dtype=np.int64)
        if not len(hit):
            raise ParameterError("focus", f"a model of the family of {root!r}", focus)
        must = int(hit[0])
    kept, groups = fold(fam, int(max_nodes), keep_by, must)
    data = _page_data(G, fam, kept, groups, color_by, snippets)
    data["focus"] = int(np.flatnonzero(kept == must)[0]) if must is not None else -1
    outer = _roots_note(G, str(root), relation)
    n_models = len(fam.nodes)
    n_collapsed = n_models - len(kept)
    budget_note = (
        f"{n_collapsed:,} of {n_models:,} models folded into {len(groups):,} summary nodes "
        f"(budget {max_nodes:,} nodes; kept the models whose subtrees have the most "
        f"{'downloads' if keep_by == 'downloads' else 'descendants'})"
        if n_collapsed
        else "all models shown"
    )
    page = fill(
        template("hftree.viz", "tree.html"),
        title=html.escape(title or root),
        heading=html.escape(title or f"Family of {root}"),
        summary=html.escape(
            f"{n_models:,} models ({n_models - 1:,} descendants), {fam.max_gen} generations; {budget_note}{outer}"
        ),
        css=template("hftree.viz", "tree.css"),
        vis_js=vis_network_js(),
        data=json_for_script(data),
        tree_js=template("hftree.viz", "tree.js"),
        max_gen=fam.max_gen,
        color_options="".join(
            f'<option value="{html.escape(c)}"{" selected" if c == color_by else ""}>{html.escape(c)}</option>'
            for c in COLOR_BY
        ),
        rel_filters="".join(
            f'<label class="rf"><input type="checkbox" data-rel="{i}" checked> {html.escape(r)}</label>'
            for i, r in enumerate(RELATIONS)
        ),
    )
    n_nodes = len(data["ids"]) + len(data["sum"]["parent"])
    n_edges = len(data["ef"])
    return TreeHTML(page, str(root), n_nodes, n_edges, n_collapsed, n_models, len(groups))


def _roots_note(G: LineageGraph, root: str, relation: Rel) -> str:
    """"; <root> is not a root: it belongs to the family of ..." when ``root`` has parents."""
    from hftree.lineage.queries import roots_of

    r = roots_of(G, root, relation=relation)
    if r == [root]:
        return ""
    shown = ", ".join(r[:3]) + (f" and {len(r) - 3:,} more" if len(r) > 3 else "")
    return f"; {root} is not a root: drawn are its descendants; it belongs to the family of {shown}"


# --------------------------------------------------------------------------- page data
def _categories(values: np.ndarray) -> tuple[np.ndarray, list[str], list[str], list[int]]:
    """Codes into (top categories..., "other", "none"), their names, colours and counts."""
    s = pd.Series(values, dtype=object)
    missing = s.isna().to_numpy() | (s.astype(str).str.strip() == "").to_numpy()
    counts = s[~missing].astype(str).value_counts(sort=False)
    counts = counts.iloc[np.lexsort((counts.index.to_numpy(dtype=str), -counts.to_numpy()))]
    top = counts.index[:_TOP_CATEGORIES].tolist()
    code = (
        pd.Index(top, dtype=object).get_indexer(s.where(~missing).astype(object)).astype(np.int64)
    )
    other = len(top)
    code = np.where(code < 0, other, code)
    code[missing] = other + 1
    names = [*top, "other", "none"]
    colors = [*_PALETTE[: len(top)], _OTHER, _NONE]
    n = np.bincount(code, minlength=len(names)).tolist()
    return code, names, colors, n


_SNIPPET = 280
_FRONT_MATTER = re.compile(r"\A\s*---\s*\n.*?\n---\s*(\n|\Z)", re.S)


def _card_snippets(cards: pd.DataFrame | Mapping[str, str] | None) -> Mapping[str, str]:
    if cards is None:
        return {}
    if isinstance(cards, pd.DataFrame):
        if not {"id", "card"} <= set(cards.columns):
            raise ParameterError("cards", "a table with columns 'id' and 'card'", list(cards.columns))
        cards = dict(zip(cards["id"].astype(str), cards["card"], strict=True))
    return cards


def _snippet(text: object) -> str:
    """The start of a model card as one line of plain text.

    >>> _snippet("---\\nlicense: mit\\n---\\n# My  model\\n\\nDoes things.")
    '# My model Does things.'
    """
    if not isinstance(text, str):
        return ""
    body = " ".join(_FRONT_MATTER.sub("", text, count=1).split())
    return body if len(body) <= _SNIPPET else body[: _SNIPPET - 1] + "…"


def _page_data(
    G_all: LineageGraph,
    fam: Family,
    kept: np.ndarray,
    groups: dict[tuple[int, int], np.ndarray],
    color_by: str,
    cards: Mapping[str, str],
) -> dict[str, Any]:
    """Everything the page draws, as JSON-ready lists aligned to the kept models."""
    G = fam.graph
    ids = G.ids[fam.nodes].astype(str)
    sum_labels = [f"+{len(m):,} {RELATIONS[r]}" for (_, r), m in groups.items()]
    pos, spos = layout(fam, kept, groups, ids[kept].tolist(), sum_labels)
    node_times = G.node_times("created_at")[fam.nodes]
    days = np.where(node_times == np.iinfo(np.int64).min, -1, node_times // 86_400_000)
    likes_col = (
        G.node_column("likes")[fam.nodes] if "likes" in G.models else np.full(len(fam.nodes), None)
    )
    likes = np.array([int(x) if x is not None else -1 for x in likes_col], dtype=np.int64)
    cats: dict[str, dict] = {}
    codes: dict[str, np.ndarray] = {}
    rare: dict[str, dict[str, str]] = {}
    for name, col in _COLUMN_OF.items():
        if col in G.models:
            vals = G.node_column(col)[fam.nodes]
        else:
            vals = np.full(len(fam.nodes), None, dtype=object)
        if name == "author":  # external parents have no record: the id's namespace is the author
            ns = np.array([i.split("/")[0] if "/" in i else None for i in ids], dtype=object)
            vals = np.where(pd.isna(vals), ns, vals)
        code, names, colors, counts = _categories(vals)
        codes[name] = code
        cats[name] = {"names": names, "colors": colors, "counts": counts}
        # values that share the grey "other" colour are kept for the side panel and tooltips
        other = np.flatnonzero(code[kept] == len(names) - 2)
        rare[name] = {str(j): str(vals[kept[j]]) for j in other.tolist()}
    rel_names = ["root", *RELATIONS]
    rel_count = np.bincount(fam.rel + 1, minlength=len(rel_names)).tolist()
    cats["relation"] = {
        "names": rel_names,
        "colors": [RELATION_COLORS[r] for r in rel_names],
        "counts": rel_count,
    }

    k = kept.tolist()
    new = {v: i for i, v in enumerate(k)}
    kept_set = set(k)
    ef, et, er, ei = [], [], [], []
    for p, c, r, g in zip(fam.e_par.tolist(), fam.e_chi.tolist(), fam.e_rel.tolist(), fam.e_inf.tolist(), strict=True):
        if p in kept_set and c in kept_set:
            ef.append(new[p])
            et.append(new[c])
            er.append(r)
            ei.append(int(g))
    summ: dict[str, list] = {
        "parent": [],
        "rel": [],
        "count": [],
        "label": [],
        "by_rel": [],
        "top": [],
        "x": [],
        "y": [],
        "dl": [],
        "dl_known": [],
    }
    fold_ids: list[str] = []
    fold_grp: list[int] = []
    n_kept = len(k)
    for s, ((p, r), members) in enumerate(groups.items()):
        summ["parent"].append(new[p])
        summ["rel"].append(r)
        summ["count"].append(len(members))
        summ["label"].append(sum_labels[s])
        summ["by_rel"].append(np.bincount(fam.rel[members], minlength=len(RELATIONS)).tolist())
        summ["top"].append(str(ids[members[0]]))
        summ["dl"].append(int(fam.dl[members].sum()))
        summ["dl_known"].append(int((~fam.dl_na[members]).sum()))  # 0: the sum is shown as NA
        summ["x"].append(round(spos[s][0], 1))
        summ["y"].append(round(spos[s][1], 1))
        fold_ids.extend(ids[members].tolist())
        fold_grp.extend([n_kept + s] * len(members))
        ef.append(new[p])
        et.append(n_kept + s)
        er.append(r)
        tops = members[fam.tpar[members] == p]  # the summary edge stands for p's edges to these
        ei.append(int(len(tops) > 0 and bool(fam.t_inf[tops].all())))
    kept_ids = ids[kept].tolist()
    # folded models travel with the page: a summary node expands in place, search and outline reach them
    fold_local = np.array([i for m in groups.values() for i in m.tolist()], dtype=np.int64)
    fpos = {v: j for j, v in enumerate(fold_local.tolist())}
    fold_par = [new[p] if p in new else -1 - fpos[p] for p in fam.tpar[fold_local].tolist()]
    fold = {
        "par": fold_par,
        "rel": fam.rel[fold_local].tolist(),
        "gen": fam.gen[fold_local].tolist(),
        "dl": fam.dl[fold_local].astype(np.int64).tolist(),
        "dl_na": fam.dl_na[fold_local].astype(int).tolist(),
        "inf": fam.t_inf[fold_local].astype(int).tolist(),  # 1: drawn faint once expanded
        "likes": likes[fold_local].tolist(),
        "days": days[fold_local].tolist(),
        "desc": fam.desc[fold_local].tolist(),
        "ext": G.external[fam.nodes[fold_local]].astype(int).tolist(),
        "code": {name: c[fold_local].tolist() for name, c in codes.items()},
    }
    tags: list[list[str]] = []
    if "tags" in G.models:
        col = G.node_column("tags")[fam.nodes[kept]]
        for t in col:
            vals = [] if t is None else [str(x) for x in t if not str(x).startswith("base_model:")]
            tags.append(vals[:15])
    return {
        "tags": tags,
        "folded_color": _FOLDED,
        "card": [_snippet(cards.get(m)) for m in kept_ids] if cards else [],
        "relations": list(RELATIONS),
        "edge_colors": [RELATION_COLORS[r] for r in RELATIONS],
        "edge_dashes": [EDGE_DASHES[r] for r in RELATIONS],
        "color_by": color_by,
        "ids": kept_ids,
        "x": [round(pos[v][0], 1) for v in k],
        "y": [round(pos[v][1], 1) for v in k],
        "gen": fam.gen[kept].tolist(),
        "rel": fam.rel[kept].tolist(),
        "par": [new[int(fam.tpar[v])] if v else -1 for v in k],
        "dl": fam.dl[kept].astype(np.int64).tolist(),
        "dl_na": fam.dl_na[kept].astype(int).tolist(),
        "likes": likes[kept].tolist(),
        "days": days[kept].tolist(),
        "desc": fam.desc[kept].tolist(),
        "sdl": fam.sub_dl[kept].astype(np.int64).tolist(),
        "ext": G.external[fam.nodes[kept]].astype(int).tolist(),
        "code": {name: c[kept].tolist() for name, c in codes.items()},
        "cats": cats,
        "rare": rare,
        "ef": ef,
        "et": et,
        "er": er,
        "ei": ei,  # 1: an inferred edge, drawn faint
        "sum": summ,
        "fold_ids": fold_ids,
        "fold_grp": fold_grp,
        "fold": fold,
        "outp": _outside_parents(G_all, ids, kept, fam),
        "focus": -1,
    }


def _outside_parents(G: LineageGraph, ids: np.ndarray, kept: np.ndarray, fam: Family) -> dict[str, list]:
    """Parents of kept models that are not in the drawn family (a merge with another family),
    with the roots those parents descend from: ``{kept index: [[parent, relation, [roots]], ...]}``."""
    from hftree.lineage.queries import roots_of

    node_of = G.index.get_indexer(ids[kept])
    _, inn, _ = G.view(None)
    src, par, eid = inn.gather(node_of.astype(np.int64))
    inside = np.zeros(G.n_nodes, dtype=bool)
    inside[G.index.get_indexer(ids)] = True
    out = ~inside[par]
    src, par, eid = src[out], par[out], eid[out]
    roots: dict[int, list[str]] = {}
    for p in np.unique(par)[:200].tolist():  # the roots of at most 200 outside parents
        roots[p] = roots_of(G, str(G.ids[p]))[:5]
    res: dict[str, list] = {}
    for k, p, e in zip(src.tolist(), par.tolist(), eid.tolist(), strict=True):
        res.setdefault(str(k), []).append([str(G.ids[p]), RELATIONS[G.relation[e]], roots.get(p, [])])
    return res


