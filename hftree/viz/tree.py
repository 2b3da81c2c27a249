"""Interactive family trees: one self-contained HTML page per family (vis-network).

The page inlines the vis-network library that ships inside the ``pyvis``
package, so it opens offline and makes no network request. Positions are
computed here (layered by generation), physics is off. Every string that comes
from the Hub (ids, licences, authors) reaches the page only as JSON data with
``<``, ``>`` and ``&`` escaped, and is shown as text, never as HTML.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hftree.lineage.graph import LineageGraph
from hftree.schema import RELATIONS

__all__ = ["RELATION_COLORS", "TreeHTML", "tree_html"]

RELATION_COLORS = {
    "root": "#111827",
    "finetune": "#2563eb",
    "adapter": "#16a34a",
    "quantized": "#d97706",
    "merge": "#9333ea",
    "unknown": "#6b7280",
}
_EDGE_DASHES = {"finetune": False, "adapter": [6, 4], "quantized": [2, 3], "merge": [10, 3, 2, 3], "unknown": [1, 4]}


def _json_for_script(obj: object) -> str:
    """JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


def _vis_assets() -> tuple[str, str]:
    import pyvis

    base = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    if not base.exists():  # layout of other pyvis versions
        base = Path(pyvis.__file__).parent / "lib" / "vis-9.1.2"
    return (base / "vis-network.min.js").read_text(encoding="utf-8"), (base / "vis-network.css").read_text(
        encoding="utf-8"
    )


@dataclass(frozen=True)
class TreeHTML:
    """A rendered family tree. ``save(path)`` writes it; notebooks display it inline."""

    html: str
    root: str
    n_nodes: int
    n_edges: int
    collapsed: int

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page (temp file + rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(self.html)
        os.replace(tmp, path)
        return path

    def _repr_html_(self) -> str:
        srcdoc = html.escape(self.html, quote=True)
        return f'<iframe srcdoc="{srcdoc}" style="width:100%;height:620px;border:1px solid #ddd"></iframe>'

    def __repr__(self) -> str:
        return (f"<TreeHTML {self.root!r}: {self.n_nodes:,} nodes, {self.n_edges:,} edges, "
                f"{self.collapsed:,} collapsed, {len(self.html) / 1e6:.1f} MB>")


def tree_html(
    G: LineageGraph,
    root: str,
    *,
    relation: str | list[str] | tuple[str, ...] | None = None,
    max_nodes: int = 3000,
    title: str | None = None,
) -> TreeHTML:
    """Render the family of ``root`` as an interactive, self-contained HTML page.

    Parameters
    ----------
    G : LineageGraph
    root : str
        Model id of the family's root (any model: its descendants are drawn).
    relation : str or list of str, optional
        Follow only these edges.
    max_nodes : int
        Above this many models, the least downloaded leaves are folded into one
        summary node per (parent, relation), e.g. "+1,234 quantized"; the page
        says how many were folded.
    title : str, optional
        Page title (default: the root id).

    Examples
    --------
    >>> from hftree.datasets import toy_graph
    >>> page = tree_html(toy_graph(), "org/base")
    >>> page.n_nodes, "vis-network" in page.html, '<script src=' in page.html
    (6, True, False)
    """
    from hftree.lineage.queries import _bfs

    out, _, _ = G.view(relation)
    r = G.node(root)
    found, dist = _bfs(out, np.array([r]))
    nodes = np.concatenate([[r], found])
    depth = np.concatenate([[0], dist])
    # the tree edge into each node: its first in-family parent at depth - 1
    gen = np.full(G.n_nodes, -1, dtype=np.int64)
    gen[nodes] = depth
    in_fam = gen >= 0
    emask = in_fam[G.parent] & in_fam[G.child]
    if relation is not None:
        emask &= G.view(relation)[2]
    e_par, e_chi, e_rel = G.parent[emask], G.child[emask], G.relation[emask]
    downloads = G.models["downloads"].to_numpy(dtype="float64", na_value=0.0) if "downloads" in G.models else np.zeros(len(G.models))
    dl = np.concatenate([downloads, np.zeros(G.n_nodes - len(downloads))])
    # descendants per node within the family (for tooltips and the kept set)
    n_desc = np.zeros(G.n_nodes, dtype=np.int64)
    for d in range(int(depth.max(initial=0)), 0, -1):
        sel = gen[e_chi] == d
        np.add.at(n_desc, e_par[sel & (gen[e_par] == d - 1)], 1 + n_desc[e_chi[sel & (gen[e_par] == d - 1)]])
    node_rel = np.full(G.n_nodes, -1, dtype=np.int64)
    node_rel[e_chi] = e_rel
    keep = np.zeros(G.n_nodes, dtype=bool)
    keep[nodes] = True
    collapsed_groups: dict[tuple[int, int], int] = {}
    if len(nodes) > max_nodes:
        # fold leaves, least important first (no descendants, fewest downloads)
        leaves = nodes[(n_desc[nodes] == 0) & (nodes != r)]
        excess = len(nodes) - max_nodes
        order = leaves[np.lexsort((-dl[leaves] * 0, dl[leaves]))][:excess]
        keep[order] = False
        # summary node per (parent, relation) of folded leaves
        first_parent = {}
        for p_, c_ in zip(e_par.tolist(), e_chi.tolist(), strict=True):
            first_parent.setdefault(c_, p_)
        for v in order.tolist():
            key = (first_parent.get(v, r), int(node_rel[v]))
            collapsed_groups[key] = collapsed_groups.get(key, 0) + 1
    kept = nodes[keep[nodes]]
    n_collapsed = int(len(nodes) - len(kept))

    ids = G.ids
    lic = G.node_column("license") if "license" in G.models else np.full(G.n_nodes, None, dtype=object)
    created = G.node_column("created_at") if "created_at" in G.models else np.full(G.n_nodes, None, dtype=object)
    likes = G.node_column("likes") if "likes" in G.models else np.full(G.n_nodes, None, dtype=object)
    # layered layout: x spread within each generation, ordered by parent position
    xs: dict[int, float] = {}
    by_gen: dict[int, list[int]] = {}
    for v in kept.tolist():
        by_gen.setdefault(int(gen[v]), []).append(v)
    rel_names = list(RELATIONS)
    vis_nodes = []
    for g_, members in sorted(by_gen.items()):
        members.sort(key=lambda v: (-dl[v], ids[v]))
        width = max(len(members), 1)
        for i, v in enumerate(members):
            xs[v] = (i - (width - 1) / 2) * 60.0
            rel = "root" if v == r else rel_names[node_rel[v]] if node_rel[v] >= 0 else "unknown"
            tip = "\n".join(
                [
                    str(ids[v]),
                    f"relation: {rel}",
                    f"licence: {lic[v] or 'none'}",
                    f"created: {str(created[v])[:10] if created[v] is not None else '?'}",
                    f"downloads: {int(dl[v]):,}   likes: {int(likes[v] or 0):,}",
                    f"descendants: {int(n_desc[v]):,}",
                    "external (no record in snapshot)" if G.external[v] else "",
                ]
            ).strip()
            vis_nodes.append(
                {
                    "id": int(v), "label": str(ids[v]).split("/")[-1][:40], "mid": str(ids[v]),
                    "title": tip, "x": xs[v], "y": g_ * 160.0, "gen": g_, "rel": rel,
                    "color": RELATION_COLORS[rel], "value": float(np.log10(1 + dl[v])),
                    "url": f"https://huggingface.co/{ids[v]}",
                }
            )
    vis_edges = []
    kept_set = set(kept.tolist())
    for p_, c_, rl in zip(e_par.tolist(), e_chi.tolist(), e_rel.tolist(), strict=True):
        if p_ in kept_set and c_ in kept_set:
            name = rel_names[rl]
            vis_edges.append({"from": p_, "to": c_, "rel": name, "color": RELATION_COLORS[name],
                              "dashes": _EDGE_DASHES[name], "arrows": "to"})
    next_id = -1
    for (p_, rl), count in sorted(collapsed_groups.items()):
        name = rel_names[rl] if rl >= 0 else "unknown"
        vis_nodes.append({"id": next_id, "label": f"+{count:,} {name}", "mid": "", "title":
                          f"{count:,} {name} leaves of {ids[p_]} folded", "x": xs.get(p_, 0.0),
                          "y": (gen[p_] + 1) * 160.0 + 40, "gen": int(gen[p_]) + 1, "rel": name,
                          "color": "#e5e7eb", "value": 0.5, "shape": "box", "url": ""})
        vis_edges.append({"from": p_, "to": next_id, "rel": name, "color": "#9ca3af", "dashes": True, "arrows": "to"})
        next_id -= 1

    js, css = _vis_assets()
    page = _TEMPLATE.format(
        title=html.escape(title or root),
        heading=html.escape(title or f"Family of {root}"),
        summary=html.escape(
            f"{len(nodes):,} models, {int(depth.max(initial=0))} generations; "
            + (f"{n_collapsed:,} leaves folded into summary nodes (over the {max_nodes:,}-node budget)"
               if n_collapsed else "all models shown")
        ),
        legend="".join(
            f'<span class="lg"><i style="background:{c}"></i>{html.escape(k)}</span>'
            for k, c in RELATION_COLORS.items()
        ),
        vis_js=js.replace("</script", "<\\/script"),
        vis_css=css,
        nodes=_json_for_script(vis_nodes),
        edges=_json_for_script(vis_edges),
        max_gen=int(depth.max(initial=0)),
    )
    return TreeHTML(page, root, len(vis_nodes), len(vis_edges), n_collapsed)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>{title}</title>
<style>{vis_css}
body{{font-family:system-ui,sans-serif;margin:0}} header{{padding:8px 12px;border-bottom:1px solid #ddd}}
#net{{width:100%;height:calc(100vh - 90px)}} .lg{{margin-right:12px;font-size:13px}}
.lg i{{display:inline-block;width:11px;height:11px;border-radius:6px;margin-right:4px}}
#msg{{color:#b91c1c;margin-left:8px}}</style></head>
<body><header><b>{heading}</b> — <span id="summary">{summary}</span><br>
<input id="q" placeholder="find a model id" size="40"> <button id="go">find</button>
depth ≤ <input id="depth" type="number" min="0" max="{max_gen}" value="{max_gen}" style="width:4em">
<span id="msg"></span><br>{legend}</header>
<div id="net"></div>
<script>{vis_js}</script>
<script>
const NODES = {nodes};
const EDGES = {edges};
const nodes = new vis.DataSet(NODES.map(n => Object.assign({{shape: n.shape || "dot", font: {{size: 12}}}}, n)));
const edges = new vis.DataSet(EDGES.map((e, i) => Object.assign({{id: i}}, e)));
const network = new vis.Network(document.getElementById("net"), {{nodes, edges}}, {{
  physics: false, interaction: {{hover: true, tooltipDelay: 100}},
  nodes: {{scaling: {{min: 6, max: 30}}}}, edges: {{smooth: false, width: 1}}
}});
window.hftree = {{network, nodes, edges}};
function find() {{
  const q = document.getElementById("q").value.trim().toLowerCase();
  const msg = document.getElementById("msg");
  msg.textContent = "";
  if (!q) return;
  const hit = NODES.find(n => n.mid.toLowerCase() === q) || NODES.find(n => n.mid.toLowerCase().includes(q));
  if (!hit) {{ msg.textContent = "no model matches"; return; }}
  network.selectNodes([hit.id]);
  network.focus(hit.id, {{scale: 1.2, animation: false}});
}}
document.getElementById("go").addEventListener("click", find);
document.getElementById("q").addEventListener("keydown", e => {{ if (e.key === "Enter") find(); }});
document.getElementById("depth").addEventListener("change", e => {{
  const d = Number(e.target.value);
  nodes.update(NODES.map(n => ({{id: n.id, hidden: n.gen > d}})));
}});
network.on("doubleClick", p => {{
  if (p.nodes.length) {{ const n = nodes.get(p.nodes[0]); if (n.url) window.open(n.url, "_blank", "noopener"); }}
}});
network.once("afterDrawing", () => {{ document.body.dataset.drawn = "1"; }});
</script></body></html>
"""
