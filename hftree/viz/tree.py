"""Interactive family trees: one self-contained HTML page per family (vis-network).

The page inlines the vis-network library that ships inside the ``pyvis``
package (no Bootstrap, no CDN, no web font), and a Content-Security-Policy
forbids every request, so it opens offline. Positions are computed here
(a layered tree by generation; physics off unless switched on in the page).

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
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd

from hftree._atomic import write_atomic
from hftree.lineage.graph import LineageGraph
from hftree.schema import RELATIONS

__all__ = ["COLOR_BY", "KEEP_BY", "RELATION_COLORS", "TreeHTML", "tree_html"]

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

# layout (px): slot width, generation gap, row gap inside a block of leaves
_DX, _GEN_GAP, _ROW_DY = 44, 170, 36
# leaves of one parent beyond this many are laid out as a block of rows
_WRAP = 12

_COLUMN_OF = {"license": "license", "task": "pipeline_tag", "author": "author"}


def _json_for_script(obj: object) -> str:
    """JSON that is safe inside a ``<script>`` element.

    >>> _json_for_script(["</script><b>"])
    '["\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"]'
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@lru_cache(maxsize=1)
def _vis_js() -> str:
    """vis-network's standalone build, from the installed ``pyvis`` package (found
    without importing it: ``import pyvis`` pulls in IPython and takes a second)."""
    import importlib.util

    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "hftree's tree pages need pyvis (pip install 'pyvis>=0.3.2')", name="pyvis"
        )
    here = Path(next(iter(spec.submodule_search_locations)))
    for base in (here / "templates" / "lib" / "vis-9.1.2", here / "lib" / "vis-9.1.2"):
        if (base / "vis-network.min.js").exists():
            js = (base / "vis-network.min.js").read_text(encoding="utf-8")
            return js.replace("</script", "<\\/script").replace("<!--", "<\\!--")
    raise FileNotFoundError(
        f"vis-network 9.1.2 not found inside pyvis at {here}; reinstall pyvis>=0.3.2 "
        "(it ships the library hftree inlines)"
    )


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
        """Write the page (temp file + rename); returns the path."""
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
    relation: str | list[str] | tuple[str, ...] | None = None,
    max_nodes: int = 3000,
    title: str | None = None,
    color_by: ColorBy = "relation",
    keep_by: KeepBy = "downloads",
    cards: pd.DataFrame | Mapping[str, str] | None = None,
) -> TreeHTML:
    """Render the family of ``root`` as an interactive, self-contained HTML page.

    The page has a legend (node colours, edge styles, shapes), tooltips (id,
    relation, licence, task, author, created, downloads, likes, descendants), a
    side panel with a link to the model's Hub page (also on double-click), a
    search box that focuses a model, a colour switch (relation / licence / task
    / author) and depth and relation filters. Node size grows with
    log downloads; edge colour and dash pattern show the relation.

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

    Returns
    -------
    TreeHTML

    Raises
    ------
    ModelNotFoundError
        ``root`` is not in the graph.
    ValueError
        Bad ``relation``, ``color_by``, ``keep_by`` or ``max_nodes``.

    Notes
    -----
    Generations are shortest distances from the root. A model with several
    parents in the family (a merge) hangs in the drawn tree under its most
    downloaded parent at the previous generation; its other parent edges are
    drawn too. "descendants" counts every model reachable from a model inside
    the family, each once.

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
        raise ValueError(
            f"color_by={color_by!r} is not supported; choose one of {', '.join(COLOR_BY)}"
        )
    if keep_by not in KEEP_BY:
        raise ValueError(
            f"keep_by={keep_by!r} is not supported; choose one of {', '.join(KEEP_BY)}"
        )
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int | np.integer) or max_nodes < 1:
        raise ValueError(
            f"max_nodes must be a positive integer (the models drawn), got {max_nodes!r}"
        )
    fam = _family(G, root, relation)
    kept, groups = _fold(fam, int(max_nodes), keep_by)
    data = _page_data(G, fam, kept, groups, color_by, _card_snippets(cards))
    n_models = len(fam.nodes)
    n_collapsed = n_models - len(kept)
    budget_note = (
        f"{n_collapsed:,} of {n_models:,} models folded into {len(groups):,} summary nodes "
        f"(budget {max_nodes:,} nodes; kept the models whose subtrees have the most "
        f"{'downloads' if keep_by == 'downloads' else 'descendants'})"
        if n_collapsed
        else "all models shown"
    )
    heading = title or f"Family of {root}"
    page = _TEMPLATE.format(
        title=html.escape(title or root),
        heading=html.escape(heading),
        summary=html.escape(
            f"{n_models:,} models ({n_models - 1:,} descendants), {fam.max_gen} generations; {budget_note}"
        ),
        vis_js=_vis_js(),
        data=_json_for_script(data),
        max_gen=fam.max_gen,
        color_options="".join(
            f'<option value="{c}"{" selected" if c == color_by else ""}>{c}</option>'
            for c in COLOR_BY
        ),
        rel_filters="".join(
            f'<label class="rf"><input type="checkbox" data-rel="{i}" checked> {r}</label>'
            for i, r in enumerate(RELATIONS)
        ),
    )
    n_nodes = len(data["ids"]) + len(data["sum"]["parent"])
    n_edges = len(data["ef"])
    return TreeHTML(page, str(root), n_nodes, n_edges, n_collapsed, n_models, len(groups))


# --------------------------------------------------------------------------- family and tree
@dataclass
class _Family:
    root: int  # node number
    nodes: np.ndarray  # node numbers, BFS order (root first)
    gen: np.ndarray  # generation, aligned to nodes
    tpar: np.ndarray  # local index of the tree parent (-1 for the root)
    rel: np.ndarray  # relation code of the tree edge (-1 for the root)
    e_par: np.ndarray  # in-family edges, local indices
    e_chi: np.ndarray
    e_rel: np.ndarray
    dl: np.ndarray  # downloads, aligned to nodes
    desc: np.ndarray  # exact descendants inside the family
    tree_desc: np.ndarray  # descendants in the drawn (BFS) tree
    sub_dl: np.ndarray  # downloads summed over the node's tree subtree, itself included
    max_gen: int


def _family(G: LineageGraph, root: str, relation) -> _Family:
    from scipy.sparse import csr_matrix

    from hftree.lineage.queries import _bfs

    out, _, mask = G.view(relation)
    r = G.node(root)
    found, dist = _bfs(out, np.array([r]))
    nodes = np.concatenate([[r], found]).astype(np.int64)
    gen = np.concatenate([[0], dist]).astype(np.int64)
    n = len(nodes)
    local = np.full(G.n_nodes, -1, dtype=np.int64)
    local[nodes] = np.arange(n)
    emask = mask & (local[G.parent] >= 0) & (local[G.child] >= 0)
    e_par, e_chi, e_rel = (
        local[G.parent[emask]],
        local[G.child[emask]],
        G.relation[emask].astype(np.int64),
    )

    if "downloads" in G.models:
        d = G.models["downloads"].to_numpy(dtype="float64", na_value=0.0)
        dl_all = np.concatenate([d, np.zeros(G.n_nodes - len(d))])
    else:
        dl_all = np.zeros(G.n_nodes)
    dl = np.maximum(dl_all[nodes], 0.0)

    # tree parent: among parents one generation up, the most downloaded (then the smaller node number)
    tree_e = np.flatnonzero(gen[e_par] == gen[e_chi] - 1)
    order = np.lexsort((nodes[e_par[tree_e]], -dl[e_par[tree_e]], e_chi[tree_e]))
    tree_e = tree_e[order]
    first = np.ones(len(tree_e), dtype=bool)
    first[1:] = e_chi[tree_e][1:] != e_chi[tree_e][:-1]
    tree_e = tree_e[first]
    tpar = np.full(n, -1, dtype=np.int64)
    rel = np.full(n, -1, dtype=np.int64)
    tpar[e_chi[tree_e]] = e_par[tree_e]
    rel[e_chi[tree_e]] = e_rel[tree_e]

    # subtree sums on the tree, deepest generation first (nodes are in BFS order)
    tree_desc = np.zeros(n, dtype=np.int64)
    sub_dl = dl.copy()
    max_gen = int(gen.max(initial=0))
    for g in range(max_gen, 0, -1):
        sel = np.flatnonzero(gen == g)
        np.add.at(tree_desc, tpar[sel], 1 + tree_desc[sel])
        np.add.at(sub_dl, tpar[sel], sub_dl[sel])

    # exact descendants: rows of the transitive closure (pairs ~ models x depth for Hub families)
    if len(tree_e) == len(e_par):  # no merge or shortcut edge: the tree is the family
        desc = tree_desc.copy()
    else:
        A = csr_matrix((np.ones(len(e_par), dtype=np.int32), (e_par, e_chi)), shape=(n, n))
        reach, step = A.copy(), A.copy()
        for _ in range(max_gen * 4):  # longest path may exceed the BFS depth; stop at a fixpoint
            step = step @ A
            step.data[:] = 1
            if step.nnz == 0:
                break
            grown = reach + step
            grown.data[:] = 1
            if grown.nnz == reach.nnz:
                break
            reach = grown
        reach.data[:] = 1
        desc = np.asarray(reach.sum(axis=1)).ravel().astype(np.int64)
    return _Family(
        r, nodes, gen, tpar, rel, e_par, e_chi, e_rel, dl, desc, tree_desc, sub_dl, max_gen
    )


def _fold(
    fam: _Family, max_nodes: int, keep_by: str
) -> tuple[np.ndarray, dict[tuple[int, int], np.ndarray]]:
    """Kept local indices (BFS order) and, per (kept parent, relation), the folded local indices.

    Keeps the ``k`` most important models, with ``k`` the largest number (found by
    bisection) for which ``k`` plus the summary nodes needed fit in ``max_nodes``.
    """
    n = len(fam.nodes)
    if n <= max_nodes:
        return np.arange(n), {}
    # a parent always ranks above its tree children: its subtree holds theirs (>= downloads,
    # strictly more descendants), so any top-k set forms a tree hanging from the root
    if keep_by == "downloads":
        order = np.lexsort((fam.nodes, fam.gen, -fam.tree_desc, -fam.sub_dl))
    else:
        order = np.lexsort((fam.nodes, fam.gen, -fam.sub_dl, -fam.tree_desc))
    by_gen = [np.flatnonzero(fam.gen == g) for g in range(1, fam.max_gen + 1)]

    def fold(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        keep = np.zeros(n, dtype=bool)
        keep[order[:k]] = True
        keep[0] = True
        # top folded ancestor of every folded model, one generation at a time
        top = np.arange(n)
        for sel in by_gen:
            inherit = sel[~keep[sel] & ~keep[fam.tpar[sel]]]
            top[inherit] = top[fam.tpar[inherit]]
        folded = np.flatnonzero(~keep)
        return keep, folded, fam.tpar[top[folded]], fam.rel[top[folded]]

    def n_groups(key_par: np.ndarray, key_rel: np.ndarray) -> int:
        return len(np.unique(key_par * 8 + key_rel + 1))

    lo, hi = 1, max_nodes
    while lo < hi:
        mid = (lo + hi + 1) // 2
        _, _, kp, kr = fold(mid)
        if mid + n_groups(kp, kr) <= max_nodes:
            lo = mid
        else:
            hi = mid - 1
    keep, folded, key_par, key_rel = fold(lo)
    # a summary node standing for one model costs as much as the model itself: draw the model
    key = key_par * 8 + key_rel + 1
    _, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    single = cnt[inv] == 1
    if single.any():
        keep[folded[single]] = True
        folded, key_par, key_rel = folded[~single], key_par[~single], key_rel[~single]
    groups: dict[tuple[int, int], np.ndarray] = {}
    o = np.lexsort((folded, -fam.dl[folded], key_rel, key_par))
    folded, key_par, key_rel = folded[o], key_par[o], key_rel[o]
    if len(folded):
        brk = np.flatnonzero((np.diff(key_par) != 0) | (np.diff(key_rel) != 0)) + 1
        for chunk in np.split(np.arange(len(folded)), brk):
            groups[(int(key_par[chunk[0]]), int(key_rel[chunk[0]]))] = folded[chunk]
    return np.flatnonzero(keep), groups


def _layout(
    fam: _Family, kept: np.ndarray, groups: dict[tuple[int, int], np.ndarray]
) -> tuple[dict[int, tuple[float, float]], list[tuple[float, float]]]:
    """Layered tidy layout: x slots in depth-first order, y by generation.

    Leaves under one parent beyond ``_WRAP`` are laid out as a block of rows,
    and a generation's band is as tall as its tallest block. Returns the
    position of each kept local index and of each summary node (in ``groups``
    order)."""
    children: dict[int, list[int]] = {}
    for v in kept.tolist():
        if v:
            children.setdefault(int(fam.tpar[v]), []).append(v)
    summary_of: dict[int, list[int]] = {}
    for s, (p, _) in enumerate(groups):
        summary_of.setdefault(p, []).append(-1 - s)  # summary nodes as negative keys
    gen = fam.gen
    # order children: subtrees first (by relation, then subtree downloads), then leaves, then summaries
    layout_children: dict[int, tuple[list[int], list[int]]] = {}
    for p in set(children) | set(summary_of):
        kids = sorted(
            children.get(p, []), key=lambda v: (fam.rel[v], -fam.sub_dl[v], int(fam.nodes[v]))
        )
        inner = [v for v in kids if v in children or v in summary_of]
        leaves = [v for v in kids if not (v in children or v in summary_of)] + summary_of.get(p, [])
        layout_children[p] = (inner, leaves)

    width: dict[int, int] = {}
    block_rows: dict[int, int] = {}
    block_cols: dict[int, int] = {}
    for v in kept[::-1].tolist():  # reverse BFS: children before parents
        if v not in layout_children:
            width[v] = 1
            continue
        inner, leaves = layout_children[v]
        if len(leaves) > _WRAP:
            cols = max(_WRAP, int(np.ceil(np.sqrt(1.5 * len(leaves)))))
            block_cols[v] = cols
            block_rows[v] = int(np.ceil(len(leaves) / cols))
            lw = cols
        else:
            lw = len(leaves)
        width[v] = max(1, sum(width[c] for c in inner) + lw)

    # generation bands: a block of leaves under a generation-g parent sits in band g + 1; the gap
    # between bands grows with the tree's width so that the whole tree fits a screen's proportions
    band = np.ones(fam.max_gen + 2, dtype=np.int64)
    for v, rows in block_rows.items():
        band[gen[v] + 1] = max(band[gen[v] + 1], rows)
    rows_h = (band[:-1] - 1) * _ROW_DY
    gap = float(_GEN_GAP)
    if fam.max_gen:
        gap = float(
            np.clip(
                (0.45 * width[0] * _DX - rows_h[: fam.max_gen].sum()) / fam.max_gen,
                _GEN_GAP,
                40 * _GEN_GAP,
            )
        )
    y_of_gen = np.concatenate([[0.0], np.cumsum(rows_h + gap)])

    pos: dict[int, tuple[float, float]] = {}
    spos: list[tuple[float, float]] = [(0.0, 0.0)] * len(groups)
    stack = [(0, 0.0)]
    while stack:
        v, start = stack.pop()
        pos[v] = ((start + width[v] / 2) * _DX, float(y_of_gen[gen[v]]))
        if v not in layout_children:
            continue
        inner, leaves = layout_children[v]
        # subtrees split around the block of leaves, which sits under the parent
        cum = np.cumsum([0] + [width[c] for c in inner])
        half = int(np.argmin(np.abs(2 * cum - cum[-1])))  # equal widths left and right
        x = start
        for c in inner[:half]:
            stack.append((c, x))
            x += width[c]
        cols = block_cols.get(v, max(len(leaves), 1))
        lw = min(cols, len(leaves))
        y0 = float(y_of_gen[gen[v] + 1])
        for i, c in enumerate(leaves):
            xy = ((x + i % cols + 0.5) * _DX, y0 + (i // cols) * _ROW_DY)
            if c >= 0:
                pos[c] = xy
            else:
                spos[-1 - c] = xy
        x += lw
        for c in inner[half:]:
            stack.append((c, x))
            x += width[c]
    return pos, spos


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
            raise ValueError(f"cards must have columns 'id' and 'card', got {list(cards.columns)}")
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
    G: LineageGraph,
    fam: _Family,
    kept: np.ndarray,
    groups: dict[tuple[int, int], np.ndarray],
    color_by: str,
    cards: Mapping[str, str],
) -> dict:
    pos, spos = _layout(fam, kept, groups)
    ids = G.ids[fam.nodes].astype(str)
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
    ef, et, er = [], [], []
    for p, c, r in zip(fam.e_par.tolist(), fam.e_chi.tolist(), fam.e_rel.tolist(), strict=True):
        if p in kept_set and c in kept_set:
            ef.append(new[p])
            et.append(new[c])
            er.append(r)
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
    }
    fold_ids: list[str] = []
    fold_grp: list[int] = []
    n_kept = len(k)
    for s, ((p, r), members) in enumerate(groups.items()):
        summ["parent"].append(new[p])
        summ["rel"].append(r)
        summ["count"].append(len(members))
        summ["label"].append(f"+{len(members):,} {RELATIONS[r]}")
        summ["by_rel"].append(np.bincount(fam.rel[members], minlength=len(RELATIONS)).tolist())
        summ["top"].append(str(ids[members[0]]))
        summ["dl"].append(int(fam.dl[members].sum()))
        summ["x"].append(round(spos[s][0], 1))
        summ["y"].append(round(spos[s][1], 1))
        fold_ids.extend(ids[members].tolist())
        fold_grp.extend([n_kept + s] * len(members))
        ef.append(new[p])
        et.append(n_kept + s)
        er.append(r)
    kept_ids = ids[kept].tolist()
    tags: list[list[str]] = []
    if "tags" in G.models:
        col = G.node_column("tags")[fam.nodes[kept]]
        for t in col:
            vals = [] if t is None else [str(x) for x in t if not str(x).startswith("base_model:")]
            tags.append(vals[:15])
    return {
        "tags": tags,
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
        "likes": likes[kept].tolist(),
        "days": days[kept].tolist(),
        "desc": fam.desc[kept].tolist(),
        "ext": G.external[fam.nodes[kept]].astype(int).tolist(),
        "code": {name: c[kept].tolist() for name, c in codes.items()},
        "cats": cats,
        "rare": rare,
        "ef": ef,
        "et": et,
        "er": er,
        "sum": summ,
        "fold_ids": fold_ids,
        "fold_grp": fold_grp,
    }


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;font-size:13px;color:#111827}}
header{{padding:6px 10px;border-bottom:1px solid #ddd;line-height:1.9}}
#wrap{{display:flex;height:calc(100vh - 128px);min-height:300px}}
#net{{flex:1;min-width:0}}
#side{{width:290px;border-left:1px solid #ddd;padding:8px;overflow:auto;background:#fafafa}}
#side dt{{font-weight:600;margin-top:4px}} #side dd{{margin:0 0 2px 0;word-break:break-all}}
.lg{{margin-right:10px;white-space:nowrap}} .lg i{{display:inline-block;width:11px;height:11px;border-radius:6px;margin-right:3px;vertical-align:-1px}}
.lg svg{{vertical-align:middle;margin-right:3px}} .rf{{margin-right:8px;white-space:nowrap}}
#msg{{color:#b91c1c;margin-left:8px}} #note{{color:#374151}} .muted{{color:#6b7280}}
div.vis-tooltip{{position:absolute;visibility:hidden;padding:5px 7px;white-space:pre-wrap;font-size:12px;
  background:#fffbe6;border:1px solid #bbb;border-radius:3px;box-shadow:2px 2px 6px rgba(0,0,0,.2);pointer-events:none;z-index:5;max-width:420px}}
</style></head>
<body><header><b>{heading}</b> — <span id="summary">{summary}</span><br>
<input id="q" placeholder="find a model id" size="36" aria-label="find a model id" list="ids"> <button id="go">find</button>
<span id="msg" role="status"></span>
&nbsp; colour by <select id="colorby">{color_options}</select>
&nbsp; depth ≤ <input id="depth" type="number" min="0" max="{max_gen}" value="{max_gen}" style="width:4em">
&nbsp; {rel_filters}
<label class="rf"><input type="checkbox" id="physics"> physics</label><br>
<span id="legend"></span><span id="edgelegend"></span>
<span class="lg muted">size: log downloads · ★ root · ▲ no record (external) · ▭ folded models</span>
</header>
<div id="wrap"><div id="net"></div><aside id="side"><div class="muted">Click a node for details; double-click opens its Hub page.</div></aside></div>
<datalist id="ids"></datalist>
<script>{vis_js}</script>
<script>
"use strict";
const D = {data};
(function () {{
const NK = D.ids.length, NS = D.sum.parent.length, REL = D.relations;
const relName = r => (r < 0 ? "root" : REL[r]);
const fmt = n => String(n).replace(/\\B(?=(\\d{{3}})+(?!\\d))/g, ",");  // toLocaleString is 50x slower
const day = d => (d < 0 ? "unknown" : new Date(d * 86400000).toISOString().slice(0, 10));
const short = s => {{ const t = s.split("/").pop(); return t.length > 40 ? t.slice(0, 39) + "…" : t; }};
const catOf = (kind, i) => (D.rare[kind][i] !== undefined ? D.rare[kind][i] : D.cats[kind].names[D.code[kind][i]]);
function nodeColor(kind, i) {{
  if (i >= NK) return kind === "relation" ? "#f3f4f6" : "{folded}";
  if (kind === "relation") return D.cats.relation.colors[D.rel[i] + 1];
  return D.cats[kind].colors[D.code[kind][i]];
}}
function tip(i) {{
  if (i >= NK) {{
    const s = i - NK, br = D.sum.by_rel[s].map((k, r) => k ? fmt(k) + " " + REL[r] : "").filter(Boolean).join(", ");
    return fmt(D.sum.count[s]) + " models folded under " + D.ids[D.sum.parent[s]] + "\\n" + br +
      "\\ndownloads (sum): " + fmt(D.sum.dl[s]) + "\\nmost downloaded: " + D.sum.top[s];
  }}
  const lic = catOf("license", i);
  return [D.ids[i], "relation: " + relName(D.rel[i]) + "   generation: " + D.gen[i],
    "licence: " + lic + "   task: " + catOf("task", i),
    "author: " + catOf("author", i), "created: " + day(D.days[i]),
    "downloads: " + fmt(D.dl[i]) + "   likes: " + (D.likes[i] < 0 ? "?" : fmt(D.likes[i])),
    "descendants: " + fmt(D.desc[i])].concat(D.ext[i] ? ["no record in the snapshot (external parent)"] : []).join("\\n");
}}
const kind0 = D.color_by;
let vmax = 1;
for (let i = 0; i < NK; i++) vmax = Math.max(vmax, Math.log10(1 + D.dl[i]));
const arr = new Array(NK + NS);
for (let i = 0; i < NK; i++) {{
  arr[i] = {{id: i, x: D.x[i], y: D.y[i], label: short(D.ids[i]), title: tip(i), value: i === 0 ? vmax : Math.log10(1 + D.dl[i]),
    shape: i === 0 ? "star" : (D.ext[i] ? "triangle" : "dot"), color: nodeColor(kind0, i)}};
}}
for (let s = 0; s < NS; s++) {{
  const i = NK + s;
  arr[i] = {{id: i, x: D.sum.x[s], y: D.sum.y[s], label: D.sum.label[s],
    title: tip(i), shape: "box", value: 0, color: {{background: nodeColor(kind0, i), border: D.edge_colors[D.sum.rel[s]]}},
    font: {{size: 12, color: "#111827"}}}};
}}
const earr = new Array(D.ef.length);
for (let j = 0; j < D.ef.length; j++) {{
  const r = D.er[j];
  earr[j] = {{id: j, from: D.ef[j], to: D.et[j], color: {{color: D.edge_colors[r], opacity: 0.7}}, dashes: D.edge_dashes[r]}};
}}
const nodes = new vis.DataSet(arr), edges = new vis.DataSet(earr);
const big = NK + NS > 5000;
const network = new vis.Network(document.getElementById("net"), {{nodes, edges}}, {{
  physics: {{enabled: false}}, layout: {{improvedLayout: false}},
  interaction: {{hover: !big, tooltipDelay: 120, hideEdgesOnDrag: big, hideEdgesOnZoom: big}},
  nodes: {{scaling: {{min: 5, max: 28, label: {{enabled: false}}}}, font: {{size: 11}}, borderWidth: 1}},
  edges: {{smooth: false, width: 1, arrows: {{to: {{enabled: true, scaleFactor: 0.35}}}}}}
}});
const rank = {{}};
D.ids.forEach((m, i) => {{ rank[m.toLowerCase()] = i; }});
const foldIndex = {{}};
D.fold_ids.forEach((m, j) => {{ foldIndex[m.toLowerCase()] = j; }});

function legend(kind) {{
  const box = document.getElementById("legend"), c = D.cats[kind];
  box.textContent = "";
  c.names.forEach((name, k) => {{
    if (!c.counts[k]) return;
    const s = document.createElement("span"), dot = document.createElement("i");
    s.className = "lg"; dot.style.background = c.colors[k];
    s.append(dot, name + " (" + fmt(c.counts[k]) + ")");
    box.append(s);
  }});
}}
(function edgeLegend() {{
  const box = document.getElementById("edgelegend"), NSVG = "http://www.w3.org/2000/svg";
  REL.forEach((r, k) => {{
    const s = document.createElement("span"), svg = document.createElementNS(NSVG, "svg"), ln = document.createElementNS(NSVG, "line");
    svg.setAttribute("width", "28"); svg.setAttribute("height", "8");
    ln.setAttribute("x1", "1"); ln.setAttribute("x2", "27"); ln.setAttribute("y1", "4"); ln.setAttribute("y2", "4");
    ln.setAttribute("stroke", D.edge_colors[k]); ln.setAttribute("stroke-width", "2");
    if (D.edge_dashes[k]) ln.setAttribute("stroke-dasharray", D.edge_dashes[k].join(" "));
    svg.append(ln); s.className = "lg"; s.append(svg, r + " edge"); box.append(s);
  }});
}})();
function recolor(kind) {{
  nodes.update(arr.map((n, i) => ({{id: i, color: i < NK ? nodeColor(kind, i)
    : {{background: nodeColor(kind, i), border: D.edge_colors[D.sum.rel[i - NK]]}}}})));
  legend(kind);
}}
function applyFilters() {{
  const d = Number(document.getElementById("depth").value);
  const on = REL.map((_, r) => document.querySelector('input[data-rel="' + r + '"]').checked);
  const vis_ = new Array(NK + NS);
  for (let i = 0; i < NK; i++) vis_[i] = i === 0 || (D.gen[i] <= d && on[D.rel[i]] && vis_[D.par[i]]);
  for (let s = 0; s < NS; s++) {{ const p = D.sum.parent[s]; vis_[NK + s] = vis_[p] && D.gen[p] + 1 <= d && on[D.sum.rel[s]]; }}
  const nu = [];
  for (let i = 0; i < NK + NS; i++) if (!!nodes.get(i).hidden === vis_[i]) nu.push({{id: i, hidden: !vis_[i]}});
  nodes.update(nu);
  const eu = [];
  for (let j = 0; j < D.ef.length; j++) {{
    const h = !on[D.er[j]] || !vis_[D.ef[j]] || !vis_[D.et[j]];
    if (!!edges.get(j).hidden !== h) eu.push({{id: j, hidden: h}});
  }}
  edges.update(eu);
  return vis_;
}}
function hubLink(id) {{
  const a = document.createElement("a");
  a.href = "https://huggingface.co/" + id.split("/").map(encodeURIComponent).join("/");
  a.target = "_blank"; a.rel = "noopener noreferrer"; a.textContent = "open on the Hugging Face Hub ↗";
  return a;
}}
function showInfo(i) {{
  const side = document.getElementById("side"), dl = document.createElement("dl");
  side.textContent = "";
  const add = (k, v) => {{ const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = k; dd.textContent = v; dl.append(dt, dd); }};
  if (i < NK) {{
    add("model", D.ids[i]); add("relation", relName(D.rel[i])); add("generation", D.gen[i]);
    if (D.par[i] >= 0) add("drawn under", D.ids[D.par[i]]);
    add("licence", catOf("license", i)); add("task", catOf("task", i)); add("author", catOf("author", i));
    add("created", day(D.days[i])); add("downloads", fmt(D.dl[i])); add("likes", D.likes[i] < 0 ? "?" : fmt(D.likes[i]));
    add("descendants", fmt(D.desc[i]));
    if (D.tags.length && D.tags[i].length) add("tags", D.tags[i].join(", "));
    if (D.card.length && D.card[i]) add("model card", D.card[i]);
    side.append(dl, hubLink(D.ids[i]));
  }} else {{
    const s = i - NK;
    add("folded models", fmt(D.sum.count[s])); add("under", D.ids[D.sum.parent[s]]);
    add("by relation", D.sum.by_rel[s].map((k, r) => k ? fmt(k) + " " + REL[r] : "").filter(Boolean).join(", "));
    add("downloads (sum)", fmt(D.sum.dl[s]));
    const ul = document.createElement("ul");
    D.fold_ids.forEach((m, j) => {{ if (D.fold_grp[j] === i && ul.childElementCount < 50) {{
      const li = document.createElement("li"); li.textContent = m; ul.append(li); }} }});
    side.append(dl, document.createTextNode("most downloaded first:"), ul);
  }}
}}
function find(query) {{
  const msg = document.getElementById("msg");
  const q = (query === undefined ? document.getElementById("q").value : query).trim().toLowerCase();
  msg.textContent = "";
  if (!q) return null;
  let bestExact = false;
  let hit = rank[q], note = "";
  if (hit === undefined && foldIndex[q] !== undefined) {{
    hit = D.fold_grp[foldIndex[q]]; note = D.fold_ids[foldIndex[q]] + " is folded into this summary node";
  }}
  if (hit === undefined) {{  // partial match: a model named exactly so, else the most downloaded match
    let best = -1;
    for (let i = 0; i < NK; i++) {{
      const m = D.ids[i].toLowerCase();
      if (!m.includes(q)) continue;
      const exactName = m.slice(m.indexOf("/") + 1) === q;
      if (best < 0 || exactName > bestExact || (exactName === bestExact && D.dl[i] > D.dl[best])) {{ best = i; bestExact = exactName; }}
    }}
    if (best >= 0) hit = best;
  }}
  if (hit === undefined) {{
    const j = D.fold_ids.findIndex(m => m.toLowerCase().includes(q));
    if (j >= 0) {{ hit = D.fold_grp[j]; note = D.fold_ids[j] + " is folded into this summary node"; }}
  }}
  if (hit === undefined) {{ msg.textContent = "no model matches"; return null; }}
  if (nodes.get(hit).hidden) note = (note ? note + "; " : "") + "hidden by the filters";
  msg.textContent = note;
  network.selectNodes([hit]);
  network.focus(hit, {{scale: 1.3, animation: false}});
  showInfo(hit);
  return hit;
}}
document.getElementById("go").addEventListener("click", () => find());
document.getElementById("q").addEventListener("keydown", e => {{ if (e.key === "Enter") find(); }});
document.getElementById("colorby").addEventListener("change", e => recolor(e.target.value));
document.getElementById("depth").addEventListener("change", applyFilters);
document.querySelectorAll("input[data-rel]").forEach(el => el.addEventListener("change", applyFilters));
document.getElementById("physics").addEventListener("change", e => network.setOptions({{physics: {{enabled: e.target.checked}}}}));
network.on("selectNode", p => showInfo(p.nodes[0]));
network.on("doubleClick", p => {{
  if (p.nodes.length && p.nodes[0] < NK) window.open(hubLink(D.ids[p.nodes[0]]).href, "_blank", "noopener");
}});
network.once("afterDrawing", () => {{
  document.body.dataset.drawn = "1";
  const dlist = document.getElementById("ids");  // completion list, filled once the tree is drawn
  if (NK <= 20000) D.ids.forEach(m => {{ const o = document.createElement("option"); o.value = m; dlist.append(o); }});
}});
legend(kind0);
window.hftree = {{network, nodes, edges, data: D, find, recolor, applyFilters}};
}})();
</script></body></html>
"""
_TEMPLATE = _TEMPLATE.replace("{folded}", _FOLDED)
