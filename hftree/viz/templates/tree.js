(function () {
const NK = D.ids.length, NS = D.sum.parent.length, REL = D.relations;
const relName = r => (r < 0 ? "root" : REL[r]);
const fmt = n => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");  // toLocaleString is 50x slower
const day = d => (d < 0 ? "unknown" : new Date(d * 86400000).toISOString().slice(0, 10));
const short = s => { const t = s.split("/").pop(); return t.length > 40 ? t.slice(0, 39) + "…" : t; };
const catOf = (kind, i) => (D.rare[kind][i] !== undefined ? D.rare[kind][i] : D.cats[kind].names[D.code[kind][i]]);
function nodeColor(kind, i) {
  if (i >= NK) return kind === "relation" ? "#f3f4f6" : D.folded_color;
  if (kind === "relation") return D.cats.relation.colors[D.rel[i] + 1];
  return D.cats[kind].colors[D.code[kind][i]];
}
function tip(i) {
  if (i >= NK) {
    const s = i - NK, br = D.sum.by_rel[s].map((k, r) => k ? fmt(k) + " " + REL[r] : "").filter(Boolean).join(", ");
    return fmt(D.sum.count[s]) + " models folded under " + D.ids[D.sum.parent[s]] + "\n" + br +
      "\ndownloads (sum): " + fmt(D.sum.dl[s]) + "\nmost downloaded: " + D.sum.top[s];
  }
  const lic = catOf("license", i);
  return [D.ids[i], "relation: " + relName(D.rel[i]) + "   generation: " + D.gen[i],
    "licence: " + lic + "   task: " + catOf("task", i),
    "author: " + catOf("author", i), "created: " + day(D.days[i]),
    "downloads: " + fmt(D.dl[i]) + "   likes: " + (D.likes[i] < 0 ? "?" : fmt(D.likes[i])),
    "descendants: " + fmt(D.desc[i])].concat(D.ext[i] ? ["no record in the snapshot (external parent)"] : []).join("\n");
}
const kind0 = D.color_by;
let vmax = 1;
for (let i = 0; i < NK; i++) vmax = Math.max(vmax, Math.log10(1 + D.dl[i]));
const arr = new Array(NK + NS);
for (let i = 0; i < NK; i++) {
  arr[i] = {id: i, x: D.x[i], y: D.y[i], label: short(D.ids[i]), title: tip(i), value: i === 0 ? vmax : Math.log10(1 + D.dl[i]),
    shape: i === 0 ? "star" : (D.ext[i] ? "triangle" : "dot"), color: nodeColor(kind0, i)};
}
for (let s = 0; s < NS; s++) {
  const i = NK + s;
  arr[i] = {id: i, x: D.sum.x[s], y: D.sum.y[s], label: D.sum.label[s],
    title: tip(i), shape: "box", value: 0, color: {background: nodeColor(kind0, i), border: D.edge_colors[D.sum.rel[s]]},
    font: {size: 12, color: "#111827"}};
}
const earr = new Array(D.ef.length);
for (let j = 0; j < D.ef.length; j++) {
  const r = D.er[j];
  earr[j] = {id: j, from: D.ef[j], to: D.et[j], color: {color: D.edge_colors[r], opacity: 0.7}, dashes: D.edge_dashes[r]};
}
const nodes = new vis.DataSet(arr), edges = new vis.DataSet(earr);
const big = NK + NS > 5000;
const network = new vis.Network(document.getElementById("net"), {nodes, edges}, {
  physics: {enabled: false}, layout: {improvedLayout: false},
  interaction: {hover: !big, tooltipDelay: 120, hideEdgesOnDrag: big, hideEdgesOnZoom: big},
  nodes: {scaling: {min: 5, max: 28, label: {enabled: false}}, font: {size: 11}, borderWidth: 1},
  edges: {smooth: false, width: 1, arrows: {to: {enabled: true, scaleFactor: 0.35}}}
});
const rank = {};
D.ids.forEach((m, i) => { rank[m.toLowerCase()] = i; });
const foldIndex = {};
D.fold_ids.forEach((m, j) => { foldIndex[m.toLowerCase()] = j; });

function legend(kind) {
  const box = document.getElementById("legend"), c = D.cats[kind];
  box.textContent = "";
  c.names.forEach((name, k) => {
    if (!c.counts[k]) return;
    const s = document.createElement("span"), dot = document.createElement("i");
    s.className = "lg"; dot.style.background = c.colors[k];
    s.append(dot, name + " (" + fmt(c.counts[k]) + ")");
    box.append(s);
  });
}
(function edgeLegend() {
  const box = document.getElementById("edgelegend"), NSVG = "http://www.w3.org/2000/svg";
  REL.forEach((r, k) => {
    const s = document.createElement("span"), svg = document.createElementNS(NSVG, "svg"), ln = document.createElementNS(NSVG, "line");
    svg.setAttribute("width", "28"); svg.setAttribute("height", "8");
    ln.setAttribute("x1", "1"); ln.setAttribute("x2", "27"); ln.setAttribute("y1", "4"); ln.setAttribute("y2", "4");
    ln.setAttribute("stroke", D.edge_colors[k]); ln.setAttribute("stroke-width", "2");
    if (D.edge_dashes[k]) ln.setAttribute("stroke-dasharray", D.edge_dashes[k].join(" "));
    svg.append(ln); s.className = "lg"; s.append(svg, r + " edge"); box.append(s);
  });
})();
function recolor(kind) {
  nodes.update(arr.map((n, i) => ({id: i, color: i < NK ? nodeColor(kind, i)
    : {background: nodeColor(kind, i), border: D.edge_colors[D.sum.rel[i - NK]]}})));
  legend(kind);
}
function applyFilters() {
  const d = Number(document.getElementById("depth").value);
  const on = REL.map((_, r) => document.querySelector('input[data-rel="' + r + '"]').checked);
  const vis_ = new Array(NK + NS);
  for (let i = 0; i < NK; i++) vis_[i] = i === 0 || (D.gen[i] <= d && on[D.rel[i]] && vis_[D.par[i]]);
  for (let s = 0; s < NS; s++) { const p = D.sum.parent[s]; vis_[NK + s] = vis_[p] && D.gen[p] + 1 <= d && on[D.sum.rel[s]]; }
  const nu = [];
  for (let i = 0; i < NK + NS; i++) if (!!nodes.get(i).hidden === vis_[i]) nu.push({id: i, hidden: !vis_[i]});
  nodes.update(nu);
  const eu = [];
  for (let j = 0; j < D.ef.length; j++) {
    const h = !on[D.er[j]] || !vis_[D.ef[j]] || !vis_[D.et[j]];
    if (!!edges.get(j).hidden !== h) eu.push({id: j, hidden: h});
  }
  edges.update(eu);
  return vis_;
}
function hubLink(id) {
  const a = document.createElement("a");
  a.href = "https://huggingface.co/" + id.split("/").map(encodeURIComponent).join("/");
  a.target = "_blank"; a.rel = "noopener noreferrer"; a.textContent = "open on the Hugging Face Hub ↗";
  return a;
}
function showInfo(i) {
  const side = document.getElementById("side"), dl = document.createElement("dl");
  side.textContent = "";
  const add = (k, v) => { const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = k; dd.textContent = v; dl.append(dt, dd); };
  if (i < NK) {
    add("model", D.ids[i]); add("relation", relName(D.rel[i])); add("generation", D.gen[i]);
    if (D.par[i] >= 0) add("drawn under", D.ids[D.par[i]]);
    add("licence", catOf("license", i)); add("task", catOf("task", i)); add("author", catOf("author", i));
    add("created", day(D.days[i])); add("downloads", fmt(D.dl[i])); add("likes", D.likes[i] < 0 ? "?" : fmt(D.likes[i]));
    add("descendants", fmt(D.desc[i]));
    if (D.tags.length && D.tags[i].length) add("tags", D.tags[i].join(", "));
    if (D.card.length && D.card[i]) add("model card", D.card[i]);
    side.append(dl, hubLink(D.ids[i]));
  } else {
    const s = i - NK;
    add("folded models", fmt(D.sum.count[s])); add("under", D.ids[D.sum.parent[s]]);
    add("by relation", D.sum.by_rel[s].map((k, r) => k ? fmt(k) + " " + REL[r] : "").filter(Boolean).join(", "));
    add("downloads (sum)", fmt(D.sum.dl[s]));
    const ul = document.createElement("ul");
    D.fold_ids.forEach((m, j) => { if (D.fold_grp[j] === i && ul.childElementCount < 50) {
      const li = document.createElement("li"); li.textContent = m; ul.append(li); } });
    side.append(dl, document.createTextNode("most downloaded first:"), ul);
  }
}
function find(query) {
  const msg = document.getElementById("msg");
  const q = (query === undefined ? document.getElementById("q").value : query).trim().toLowerCase();
  msg.textContent = "";
  if (!q) return null;
  let bestExact = false;
  let hit = rank[q], note = "";
  if (hit === undefined && foldIndex[q] !== undefined) {
    hit = D.fold_grp[foldIndex[q]]; note = D.fold_ids[foldIndex[q]] + " is folded into this summary node";
  }
  if (hit === undefined) {  // partial match: a model named exactly so, else the most downloaded match
    let best = -1;
    for (let i = 0; i < NK; i++) {
      const m = D.ids[i].toLowerCase();
      if (!m.includes(q)) continue;
      const exactName = m.slice(m.indexOf("/") + 1) === q;
      if (best < 0 || exactName > bestExact || (exactName === bestExact && D.dl[i] > D.dl[best])) { best = i; bestExact = exactName; }
    }
    if (best >= 0) hit = best;
  }
  if (hit === undefined) {
    const j = D.fold_ids.findIndex(m => m.toLowerCase().includes(q));
    if (j >= 0) { hit = D.fold_grp[j]; note = D.fold_ids[j] + " is folded into this summary node"; }
  }
  if (hit === undefined) { msg.textContent = "no model matches"; return null; }
  if (nodes.get(hit).hidden) note = (note ? note + "; " : "") + "hidden by the filters";
  msg.textContent = note;
  network.selectNodes([hit]);
  network.focus(hit, {scale: 1.3, animation: false});
  showInfo(hit);
  return hit;
}
document.getElementById("go").addEventListener("click", () => find());
document.getElementById("q").addEventListener("keydown", e => { if (e.key === "Enter") find(); });
document.getElementById("colorby").addEventListener("change", e => recolor(e.target.value));
document.getElementById("depth").addEventListener("change", applyFilters);
document.querySelectorAll("input[data-rel]").forEach(el => el.addEventListener("change", applyFilters));
document.getElementById("physics").addEventListener("change", e => network.setOptions({physics: {enabled: e.target.checked}}));
network.on("selectNode", p => showInfo(p.nodes[0]));
network.on("doubleClick", p => {
  if (p.nodes.length && p.nodes[0] < NK) window.open(hubLink(D.ids[p.nodes[0]]).href, "_blank", "noopener");
});
network.once("afterDrawing", () => {
  document.body.dataset.drawn = "1";
  const dlist = document.getElementById("ids");  // completion list, filled once the tree is drawn
  if (NK <= 20000) D.ids.forEach(m => { const o = document.createElement("option"); o.value = m; dlist.append(o); });
});
legend(kind0);
window.hftree = {network, nodes, edges, data: D, find, recolor, applyFilters};
})();
