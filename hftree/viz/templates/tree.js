(function () {
// Node ids ("vids"): kept model i < NK; summary node NK + s; folded model j FB + j (drawn once its
// summary is expanded); summary nodes made by expanding from FB + NF on.
const NK = D.ids.length, NS = D.sum.parent.length, NF = D.fold_ids.length, REL = D.relations, F = D.fold;
const FB = NK + NS;
let nextSum = FB + NF;
const GROUP = {finetune: "Finetunes", adapter: "Adapters", quantized: "Quantizations", merge: "Merges", unknown: "Other derivatives"};
const relName = r => (r < 0 ? "root" : REL[r]);
const fmt = n => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");  // toLocaleString is 50x slower
const day = d => (d < 0 ? "unknown" : new Date(d * 86400000).toISOString().slice(0, 10));
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };

// ---------------------------------------------------------------- models (kept or folded)
const isModel = v => v < NK || (v >= FB && v < FB + NF);
const K = (v, kept, fold) => (v < NK ? kept[v] : fold[v - FB]);
const mid = v => K(v, D.ids, D.fold_ids), mrel = v => K(v, D.rel, F.rel), mgen = v => K(v, D.gen, F.gen);
const mdl = v => K(v, D.dl, F.dl), mdays = v => K(v, D.days, F.days), mdesc = v => K(v, D.desc, F.desc);
const dlText = v => (K(v, D.dl_na, F.dl_na) ? "NA" : fmt(mdl(v)));  // no count is not 0 downloads
const mlikes = v => K(v, D.likes, F.likes), mext = v => K(v, D.ext, F.ext), mcode = (kind, v) => K(v, D.code[kind], F.code[kind]);
const mpar = v => (v < NK ? D.par[v] : (F.par[v - FB] >= 0 ? F.par[v - FB] : FB - 1 - F.par[v - FB]));
const catOf = (kind, v) => (v < NK && D.rare[kind][v] !== undefined ? D.rare[kind][v] : D.cats[kind].names[mcode(kind, v)]);
const hubUrl = id => "https://huggingface.co/" + id.split("/").map(encodeURIComponent).join("/");

const kids = new Map();  // tree children of every model, kept and folded
const addKid = (p, c) => { const k = kids.get(p); if (k) k.push(c); else kids.set(p, [c]); };
for (let i = 1; i < NK; i++) addKid(D.par[i], i);
for (let j = 0; j < NF; j++) addKid(mpar(FB + j), FB + j);

// ---------------------------------------------------------------- summary nodes
const SUM = new Map();  // vid -> {parent, rel, members (folded j), label, dl, byRel, top, edge}
const E0 = D.ef.length - NS;
for (let s = 0; s < NS; s++) {
  SUM.set(NK + s, {parent: D.sum.parent[s], rel: D.sum.rel[s], members: [], label: D.sum.label[s], dl: D.sum.dl[s], dlk: D.sum.dl_known[s],
    byRel: D.sum.by_rel[s], top: D.sum.top[s], edge: E0 + s});
}
const holder = D.fold_grp.slice();  // summary node holding folded model j; -1 once drawn
D.fold_grp.forEach((g, j) => SUM.get(g).members.push(j));

// ---------------------------------------------------------------- drawing
let kind = D.color_by;
let vmax = 1;
for (let i = 0; i < NK; i++) vmax = Math.max(vmax, Math.log10(1 + D.dl[i]));
for (let j = 0; j < NF; j++) vmax = Math.max(vmax, Math.log10(1 + F.dl[j]));
const radius = v => (SUM.has(v) ? 6 : v === 0 ? 14 : 3 + 7 * Math.log10(1 + mdl(v)) / vmax);
function nodeColor(k, v) {
  if (SUM.has(v)) return k === "relation" ? "#f3f4f6" : D.folded_color;
  if (k === "relation") return D.cats.relation.colors[mrel(v) + 1];
  return D.cats[k].colors[mcode(k, v)];
}
const colorOf = (k, v) => (SUM.has(v) ? {background: nodeColor(k, v), border: D.edge_colors[SUM.get(v).rel]} : nodeColor(k, v));
function tip(v) {
  if (SUM.has(v)) {
    const S = SUM.get(v), br = S.byRel.map((n, r) => n ? fmt(n) + " " + REL[r] : "").filter(Boolean).join(", ");
    return fmt(S.members.length) + " models folded under " + mid(S.parent) + "\n" + br +
      "\ndownloads (sum): " + (S.dlk ? fmt(S.dl) : "NA") + "\nmost downloaded: " + S.top + "\n(click to expand)";
  }
  return [mid(v), "relation: " + relName(mrel(v)) + "   generation: " + mgen(v),
    "licence: " + catOf("license", v) + "   task: " + catOf("task", v),
    "author: " + catOf("author", v), "created: " + day(mdays(v)),
    "downloads: " + dlText(v) + "   likes: " + (mlikes(v) < 0 ? "NA" : fmt(mlikes(v))),
    "descendants: " + fmt(mdesc(v))].concat(mext(v) ? ["no record in the snapshot (external parent)"] : []).join("\n");
}
function visNode(v, x, y) {
  if (SUM.has(v)) return {id: v, x, y, title: tip(v), shape: "square", size: radius(v), borderWidth: 2, color: colorOf(kind, v)};
  return {id: v, x, y, title: tip(v), size: radius(v), shape: v === 0 ? "star" : (mext(v) ? "triangle" : "dot"), color: colorOf(kind, v)};
}
const present = [];  // drawn vids, parents before children
const arr = [];
for (let i = 0; i < NK; i++) { arr.push(visNode(i, D.x[i], D.y[i])); present.push(i); }
for (let s = 0; s < NS; s++) { arr.push(visNode(NK + s, D.sum.x[s], D.sum.y[s])); present.push(NK + s); }
const edgeRel = D.er.slice();
const inEdges = new Map();  // kept child -> [[parent vid, edge id]] (every in-family edge)
const earr = new Array(D.ef.length);
for (let j = 0; j < D.ef.length; j++) {
  earr[j] = {id: j, from: D.ef[j], to: D.et[j], color: {color: D.edge_colors[D.er[j]], opacity: D.ei[j] ? 0.2 : 0.55}, dashes: D.edge_dashes[D.er[j]]};
  if (j < E0) { const l = inEdges.get(D.et[j]); if (l) l.push([D.ef[j], j]); else inEdges.set(D.et[j], [[D.ef[j], j]]); }
}
let nextEdge = D.ef.length;
const nodes = new vis.DataSet(arr), edges = new vis.DataSet(earr);
const big = NK + NS > 5000;
const container = document.getElementById("net");
const network = new vis.Network(container, {nodes, edges}, {
  physics: {enabled: false}, layout: {improvedLayout: false},
  interaction: {hover: !big, tooltipDelay: 120, hideEdgesOnDrag: big, hideEdgesOnZoom: big},
  nodes: {borderWidth: 1, font: {size: 0}},
  edges: {smooth: false, width: 1, arrows: {to: {enabled: true, scaleFactor: 0.3}}}
});
const canvasEl = () => container.querySelector("canvas");

// ---------------------------------------------------------------- labels: level of detail
// Labels are drawn here, not by vis-network: most important first, each where it fits (right of its
// node, else left), never over another label; so more appear as you zoom in. Boxes are kept for
// window.__hftreeLabels() and the SVG export.
// the font shrinks with the zoom from 12 px down to 9 px (below that, fewer labels fit instead)
const FONT = "px system-ui, -apple-system, 'Segoe UI', sans-serif", LABEL_FONT = "12" + FONT, MAXL = 600, CELL = 48;
let LH = 15;
const widths = new Map(), ctxMeasure = document.createElement("canvas").getContext("2d");
ctxMeasure.font = LABEL_FONT;
let selected = -1, pathSet = new Set(), prio = [], lastLabels = [];
const hiddenSet = new Set();
const textOf = v => (SUM.has(v) ? SUM.get(v).label : mid(v));
const impOf = v => (SUM.has(v) ? SUM.get(v).dl : v < NK ? D.sdl[v] : mdl(v));
function rebuildPriority() { prio = present.slice().sort((a, b) => impOf(b) - impOf(a) || a - b); }
rebuildPriority();
function drawLabels(ctx) {
  const cv = ctx.canvas, W = cv.clientWidth, H = cv.clientHeight, ratio = cv.width / (W || 1);
  window.__hftreeFrame = (window.__hftreeFrame || 0) + 1;  // frames drawn, for checks of what was drawn
  const sc = network.getScale(), vp = network.getViewPosition(), P = network.getPositions();
  ctx.save();
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  const px = Math.max(9, Math.min(12, Math.round(12 * sc * 1.2)));
  ctx.font = px + FONT; ctx.textBaseline = "middle";
  LH = px + 3;
  const grid = new Map(), placed = [], seen = new Set();
  const cells = (b, f) => {
    for (let cx = Math.floor(b.x / CELL); cx <= Math.floor((b.x + b.w) / CELL); cx++)
      for (let cy = Math.floor(b.y / CELL); cy <= Math.floor((b.y + b.h) / CELL); cy++) if (f(cx + ":" + cy)) return true;
    return false;
  };
  const clash = b => cells(b, key => (grid.get(key) || []).some(o => b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h));
  const order = [selected, ...pathSet, 0, ...prio];
  for (const v of order) {
    if (placed.length >= MAXL) break;
    if (v < 0 || seen.has(v)) continue;
    seen.add(v);
    const p = P[v];
    if (!p || hiddenSet.has(v)) continue;
    const sx = (p.x - vp.x) * sc + W / 2, sy = (p.y - vp.y) * sc + H / 2;
    if (sx < -400 || sx > W + 400 || sy < 0 || sy > H) continue;
    const text = textOf(v);
    let w = widths.get(v);
    if (w === undefined) { w = ctxMeasure.measureText(text).width; widths.set(v, w); }  // at 12 px
    w = w * px / 12 + 6;
    const r = radius(v) * sc + 3;
    for (const x of [sx + r, sx - r - w]) {
      const b = {x, y: sy - LH / 2, w, h: LH};
      if (b.x < 0 || b.x + w > W || b.y < 0 || b.y + LH > H || clash(b)) continue;
      cells(b, key => { const g = grid.get(key); if (g) g.push(b); else grid.set(key, [b]); return false; });
      placed.push({v, text, x: b.x, y: b.y, w, h: LH});
      break;
    }
  }
  for (const b of placed) {
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.fillRect(b.x, b.y, b.w, b.h);
    ctx.fillStyle = b.v === selected ? "#b91c1c" : pathSet.has(b.v) ? "#9a3412" : SUM.has(b.v) ? "#374151" : "#111827";
    ctx.fillText(b.text, b.x + 3, b.y + LH / 2);
  }
  ctx.restore();
  lastLabels = placed;
}
network.on("beforeDrawing", ctx => {  // an opaque background, so the PNG export is readable anywhere
  ctx.save(); ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height); ctx.restore();
});
network.on("afterDrawing", drawLabels);
window.__hftreeLabels = () => {
  const r = canvasEl().getBoundingClientRect();
  return lastLabels.map(b => ({id: isModel(b.v) ? mid(b.v) : null, node: b.v, text: b.text, x: r.left + b.x, y: r.top + b.y, w: b.w, h: b.h}));
};

// ---------------------------------------------------------------- legend, colours, filters
function legend(k) {
  const box = document.getElementById("legend"), c = D.cats[k];
  box.textContent = "";
  c.names.forEach((name, i) => {
    if (!c.counts[i]) return;
    const s = el("span", "lg"), dot = el("i");
    dot.style.background = c.colors[i];
    s.append(dot, name + " (" + fmt(c.counts[i]) + ")");
    box.append(s);
  });
}
(function edgeLegend() {
  const box = document.getElementById("edgelegend"), NSVG = "http://www.w3.org/2000/svg";
  REL.forEach((r, k) => {
    const s = el("span", "lg"), svg = document.createElementNS(NSVG, "svg"), ln = document.createElementNS(NSVG, "line");
    svg.setAttribute("width", "28"); svg.setAttribute("height", "8");
    ln.setAttribute("x1", "1"); ln.setAttribute("x2", "27"); ln.setAttribute("y1", "4"); ln.setAttribute("y2", "4");
    ln.setAttribute("stroke", D.edge_colors[k]); ln.setAttribute("stroke-width", "2");
    if (D.edge_dashes[k]) ln.setAttribute("stroke-dasharray", D.edge_dashes[k].join(" "));
    svg.append(ln); s.append(svg, r + " edge"); box.append(s);
  });
  if (D.ei.some(Boolean) || F.inf.some(Boolean)) {  // inferred lineage was asked for: say which edges are guesses
    const s = el("span", "lg"), svg = document.createElementNS(NSVG, "svg"), ln = document.createElementNS(NSVG, "line");
    svg.setAttribute("width", "28"); svg.setAttribute("height", "8");
    ln.setAttribute("x1", "1"); ln.setAttribute("x2", "27"); ln.setAttribute("y1", "4"); ln.setAttribute("y2", "4");
    ln.setAttribute("stroke", "#6b7280"); ln.setAttribute("stroke-width", "2"); ln.setAttribute("stroke-opacity", "0.3");
    svg.append(ln); s.append(svg, "faint: inferred, not declared"); box.append(s);
  }
})();
function recolor(k) {
  kind = k;
  nodes.update(present.map(v => ({id: v, color: colorOf(k, v)})));
  legend(k);
}
function applyFilters() {
  const d = Number(document.getElementById("depth").value);
  const on = REL.map((_, r) => document.querySelector('input[data-rel="' + r + '"]').checked);
  const shown = new Map();
  for (const v of present) {
    let ok;
    if (v === 0) ok = true;
    else if (SUM.has(v)) { const S = SUM.get(v); ok = shown.get(S.parent) && mgen(S.parent) + 1 <= d && on[S.rel]; }
    else ok = mgen(v) <= d && on[mrel(v)] && shown.get(mpar(v));
    shown.set(v, !!ok);
  }
  const nu = [];
  for (const v of present) {
    const h = !shown.get(v);
    if (hiddenSet.has(v) !== h) { nu.push({id: v, hidden: h}); if (h) hiddenSet.add(v); else hiddenSet.delete(v); }
  }
  nodes.update(nu);
  const eu = [];
  edges.forEach(e => {
    const h = !on[edgeRel[e.id]] || !shown.get(e.from) || !shown.get(e.to);
    if (!!e.hidden !== h) eu.push({id: e.id, hidden: h});
  });
  edges.update(eu);
  return shown;
}

// ---------------------------------------------------------------- folded models: expand in place
function subtreeOf(v, out) {  // folded descendants of folded model v, v included (as folded j)
  const stack = [v];
  while (stack.length) { const u = stack.pop(); out.push(u - FB); const k = kids.get(u); if (k) stack.push(...k); }
  return out;
}
function expand(s) {
  const S = SUM.get(s);
  if (!S) return [];
  const at = network.getPositions([s])[s];
  const tops = S.members.map(j => FB + j).filter(v => mpar(v) === S.parent).sort((a, b) => mdl(b) - mdl(a) || a - b);
  nodes.remove(s); edges.remove(S.edge); SUM.delete(s);
  present.splice(present.indexOf(s), 1);
  const nn = [], ne = [], ROWS = 30, ROW = 24;
  let colX = at.x, colW = 0, row = 0;
  const addEdge = (from, to, r, inf) => {  // inf: an inferred edge, faint as on the first drawing
    const id = nextEdge++;
    edgeRel[id] = r;
    ne.push({id, from, to, color: {color: D.edge_colors[r], opacity: inf ? 0.2 : 0.55}, dashes: D.edge_dashes[r]});
    return id;
  };
  for (const t of tops) {
    holder[t - FB] = -1;
    const y = at.y + row * ROW;
    nn.push(visNode(t, colX, y)); present.push(t);
    inEdges.set(t, [[S.parent, addEdge(S.parent, t, mrel(t), F.inf[t - FB])]]);
    let x = colX + ctxMeasure.measureText(mid(t)).width + 30;
    const byRel = new Map();
    for (const c of kids.get(t) || []) { const l = byRel.get(mrel(c)); if (l) l.push(c); else byRel.set(mrel(c), [c]); }
    for (const [r, cs] of [...byRel.entries()].sort((a, b) => a[0] - b[0])) {
      const members = [];
      cs.forEach(c => subtreeOf(c, members));
      if (members.length === 1) {  // a summary of one model costs as much as the model
        const c = FB + members[0];
        holder[members[0]] = -1;
        nn.push(visNode(c, x, y)); present.push(c);
        inEdges.set(c, [[t, addEdge(t, c, r, F.inf[c - FB])]]);
        x += ctxMeasure.measureText(mid(c)).width + 30;
        continue;
      }
      members.sort((a, b) => F.dl[b] - F.dl[a] || a - b);
      const v = nextSum++, byR = REL.map(() => 0);
      let dl = 0, dlk = 0;
      members.forEach(j => { holder[j] = v; byR[F.rel[j]]++; dl += F.dl[j]; dlk += 1 - F.dl_na[j]; });
      const label = "+" + fmt(members.length) + " " + REL[r];
      SUM.set(v, {parent: t, rel: r, members, label, dl, dlk, byRel: byR, top: D.fold_ids[members[0]], edge: -1});
      SUM.get(v).edge = addEdge(t, v, r, cs.every(c => F.inf[c - FB]));
      nn.push(visNode(v, x, y)); present.push(v);
      x += ctxMeasure.measureText(label).width + 30;
    }
    colW = Math.max(colW, x - colX);
    if (++row === ROWS) { row = 0; colX += colW + 20; colW = 0; }
  }
  nodes.add(nn); edges.add(ne);
  rebuildPriority();
  applyFilters();
  return tops;
}
function reveal(v) {  // expand the summary nodes that hold model v until it is drawn; returns what held it
  let first = "";
  while (v >= FB && v < FB + NF && holder[v - FB] >= 0) {
    const s = holder[v - FB];
    if (!first) first = SUM.get(s).label;
    expand(s);
  }
  return first;
}

// ---------------------------------------------------------------- path to root
function pathToRoot(v) {
  const seen = new Set([v]), edgeIds = [], stack = [v];
  while (stack.length) {
    const u = stack.pop();
    const ins = inEdges.get(u) || (u > 0 ? [[mpar(u), -1]] : []);
    for (const [p, e] of ins) {
      if (e >= 0) edgeIds.push(e);
      if (!seen.has(p)) { seen.add(p); stack.push(p); }
    }
  }
  const outside = [];
  for (const u of seen) if (u < NK && D.outp[u]) D.outp[u].forEach(x => outside.push([mid(u), ...x]));
  return {nodes: [...seen], edges: edgeIds, outside};
}
function showPath(v) {
  if (v < 0 || SUM.has(v)) return null;
  const p = pathToRoot(v), drawnNodes = p.nodes.filter(u => present.includes(u));
  pathSet = new Set(p.nodes);
  network.setSelection({nodes: drawnNodes, edges: p.edges}, {unselectAll: true, highlightEdges: false});
  const side = document.getElementById("side"), box = el("div", "path");
  box.append(el("dt", "", "path to root (" + fmt(p.nodes.length - 1) + " ancestors in this family)"));
  const chain = [];
  for (let u = v; u >= 0; u = mpar(u)) chain.push(u);
  chain.reverse().forEach((u, k) => box.append(link(u, (k ? "↳ " + relName(mrel(u)) + ": " : "root: ") + mid(u))));
  if (p.outside.length) {
    box.append(el("dt", "", "roots outside this family (merges)"));
    p.outside.forEach(([child, par, rel, roots]) => box.append(el("dd", "", child + " ← " + rel + " ← " + par +
      (roots.length ? " (root: " + roots.join(", ") + ")" : ""))));
  }
  side.prepend(box);
  network.redraw();
  return p;
}

// ---------------------------------------------------------------- side panel
function link(v, text) { const a = el("a", "nl", text === undefined ? mid(v) : text); a.href = "#"; a.dataset.v = v; return a; }
function hubLink(id) {
  const a = el("a", "", "open on the Hugging Face Hub ↗");
  a.href = hubUrl(id); a.target = "_blank"; a.rel = "noopener noreferrer";
  return a;
}
function showInfo(v) {
  const side = document.getElementById("side"), dl = el("dl");
  side.textContent = "";
  const add = (k, val) => { dl.append(el("dt", "", k), el("dd", "", val)); };
  if (!SUM.has(v)) {
    side.append(hubLink(mid(v)));
    add("model", mid(v)); add("relation", relName(mrel(v))); add("generation", mgen(v));
    add("licence", catOf("license", v)); add("task", catOf("task", v)); add("author", catOf("author", v));
    add("created", day(mdays(v))); add("downloads", dlText(v)); add("likes", mlikes(v) < 0 ? "NA" : fmt(mlikes(v)));
    add("descendants", fmt(mdesc(v)));
    if (v < NK && D.tags.length && D.tags[v].length) add("tags", D.tags[v].join(", "));
    if (v < NK && D.card.length && D.card[v]) add("model card", D.card[v]);
    if (v > 0) {
      dl.append(el("dt", "", "parents"));
      const ps = inEdges.get(v) || [[mpar(v), -1]];
      ps.forEach(([p, e]) => { const dd = el("dd"); dd.append(link(p, mid(p) + " (" + relName(e >= 0 ? edgeRel[e] : mrel(v)) + ")")); dl.append(dd); });
      if (v < NK && D.outp[v]) D.outp[v].forEach(([p, r]) => dl.append(el("dd", "", p + " (" + r + ", outside this family)")));
    }
    const ks = kids.get(v) || [];
    if (ks.length) {
      REL.forEach((r, k) => {
        const mine = ks.filter(c => mrel(c) === k).sort((a, b) => mdl(b) - mdl(a));
        if (!mine.length) return;
        dl.append(el("dt", "", GROUP[r] + " " + fmt(mine.length)));
        mine.slice(0, 12).forEach(c => { const dd = el("dd"); dd.append(link(c)); dl.append(dd); });
        if (mine.length > 12) dl.append(el("dd", "muted", "… " + fmt(mine.length - 12) + " more in the outline"));
      });
    }
    const bp = el("button", "", "path to root"), bo = el("button", "", "show in outline");
    bp.addEventListener("click", () => showPath(v));
    bo.addEventListener("click", () => markOutline(v, true));
    side.append(dl, bp, bo);
  } else {
    const S = SUM.get(v);
    add("folded models", fmt(S.members.length)); add("under", mid(S.parent));
    add("by relation", S.byRel.map((n, r) => n ? fmt(n) + " " + REL[r] : "").filter(Boolean).join(", "));
    add("downloads (sum)", S.dlk ? fmt(S.dl) : "NA");
    const bx = el("button", "", "expand in place");
    bx.addEventListener("click", () => { const t = expand(v); if (t.length) select(t[0]); });
    const ul = el("div");
    S.members.slice(0, 50).forEach(j => ul.append(link(FB + j)));
    side.append(dl, bx, el("div", "muted", "most downloaded first:"), ul);
  }
}
document.getElementById("side").addEventListener("click", e => {
  const a = e.target.closest("a[data-v]");
  if (a) { e.preventDefault(); select(Number(a.dataset.v)); }
});

// ---------------------------------------------------------------- outline
const otree = document.getElementById("otree");
const openN = new Set([0]), openG = new Set();
let sortKey = "downloads";
const cmp = {
  downloads: (a, b) => mdl(b) - mdl(a) || a - b,
  descendants: (a, b) => mdesc(b) - mdesc(a) || mdl(b) - mdl(a) || a - b,
  date: (a, b) => mdays(b) - mdays(a) || a - b,
  name: (a, b) => (mid(a).toLowerCase() < mid(b).toLowerCase() ? -1 : mid(a).toLowerCase() > mid(b).toLowerCase() ? 1 : 0),
};
function orow(v) {
  const wrap = el("div", "onode"), row = el("div", "orow"), ks = kids.get(v);
  row.dataset.v = v;
  const tg = el("button", "tg", ks ? (openN.has(v) ? "▾" : "▸") : "·");
  tg.disabled = !ks;
  const a = el("a", "oid", mid(v));
  a.href = "#";
  const meta = el("span", "om", dlText(v) + " ↓" + (mdesc(v) ? " · " + fmt(mdesc(v)) + " below" : "") + (v >= FB && holder[v - FB] >= 0 ? " · folded" : ""));
  const hub = el("a", "hub", "↗");
  hub.href = hubUrl(mid(v)); hub.target = "_blank"; hub.rel = "noopener noreferrer"; hub.title = "open on the Hugging Face Hub";
  if (v === selected) row.classList.add("sel");
  row.append(tg, a, meta, hub);
  wrap.append(row);
  if (ks && openN.has(v)) wrap.append(ogroups(v, ks));
  return wrap;
}
function ogroups(v, ks) {
  const box = el("div", "okids");
  REL.forEach((r, k) => {
    const mine = ks.filter(c => mrel(c) === k);
    if (!mine.length) return;
    const key = v + ":" + k, g = el("div", "ogrp"), open = openG.has(key);
    const head = el("button", "gh", (open ? "▾ " : "▸ ") + GROUP[r] + " " + fmt(mine.length));
    head.dataset.key = key;
    g.append(head);
    if (open) {
      const rows = el("div", "grows");
      mine.sort(cmp[sortKey]).forEach(c => rows.append(orow(c)));
      g.append(rows);
    }
    box.append(g);
  });
  return box;
}
function renderOutline() {
  otree.replaceChildren(orow(0));
  document.getElementById("ocount").textContent = fmt(NK + NF) + " models · ";
}
otree.addEventListener("click", e => {
  const t = e.target;
  if (t.classList.contains("tg")) {
    const v = Number(t.parentNode.dataset.v);
    if (openN.has(v)) openN.delete(v); else { openN.add(v); openDefault(v); }
    t.parentNode.parentNode.replaceWith(orow(v));
  } else if (t.classList.contains("gh")) {
    const key = t.dataset.key, v = Number(key.split(":")[0]);
    if (openG.has(key)) openG.delete(key); else openG.add(key);
    t.closest(".okids").replaceWith(ogroups(v, kids.get(v)));
  } else if (t.classList.contains("oid")) {
    e.preventDefault();
    select(Number(t.parentNode.dataset.v), false);
  }
});
function openDefault(v) {  // opening a model opens its relation groups when they are not huge
  const ks = kids.get(v) || [];
  if (ks.length <= 1000) ks.forEach(c => openG.add(v + ":" + mrel(c)));
}
function markOutline(v, scroll) {
  if (!isModel(v)) return;
  let changed = false;
  for (let c = v, p = mpar(v); p >= 0; c = p, p = mpar(p)) {
    const key = p + ":" + mrel(c);
    if (!openN.has(p) || !openG.has(key)) { changed = true; openN.add(p); openG.add(key); }
  }
  if (changed) renderOutline();  // else only the highlight moves
  else otree.querySelectorAll(".orow.sel").forEach(r => r.classList.remove("sel"));
  const row = otree.querySelector('.orow[data-v="' + v + '"]');
  if (row) row.classList.add("sel");
  if (row && scroll !== false) row.scrollIntoView({block: "center"});
  return row;
}
function expandAll() {
  kids.forEach((ks, v) => { openN.add(v); ks.forEach(c => openG.add(v + ":" + mrel(c))); });
  renderOutline();
}
function collapseAll() { openN.clear(); openG.clear(); openN.add(0); renderOutline(); }
document.getElementById("oexp").addEventListener("click", expandAll);
document.getElementById("ocol").addEventListener("click", collapseAll);
document.getElementById("osort").addEventListener("change", e => { sortKey = e.target.value; renderOutline(); });

// ---------------------------------------------------------------- select, search
function select(v, scrollOutline) {
  let note = "";
  if (isModel(v) && v >= FB) { const held = reveal(v); if (held) note = mid(v) + " was folded into " + held + "; expanded in place"; }
  selected = v;
  pathSet = new Set();
  network.selectNodes([v]);
  network.focus(v, {scale: 1.3, animation: false});
  showInfo(v);
  markOutline(v, scrollOutline);
  network.redraw();
  return note;
}
function find(query) {
  const msg = document.getElementById("msg");
  const q = (query === undefined ? document.getElementById("q").value : query).trim().toLowerCase();
  msg.textContent = "";
  if (!q) return null;
  let hit = rank[q];
  if (hit === undefined && foldIndex[q] !== undefined) hit = FB + foldIndex[q];
  if (hit === undefined) {  // partial match: a model named exactly so, else the most downloaded match
    let best = -1, bestExact = false;
    const consider = v => {
      const m = mid(v).toLowerCase();
      if (!m.includes(q)) return;
      const exactName = m.slice(m.indexOf("/") + 1) === q;
      if (best < 0 || exactName > bestExact || (exactName === bestExact && mdl(v) > mdl(best))) { best = v; bestExact = exactName; }
    };
    for (let i = 0; i < NK; i++) consider(i);
    if (best < 0) for (let j = 0; j < NF; j++) consider(FB + j);
    if (best >= 0) hit = best;
  }
  if (hit === undefined) { msg.textContent = "no model matches"; return null; }
  let note = select(hit);
  if (hiddenSet.has(hit)) note = (note ? note + "; " : "") + "hidden by the filters";
  msg.textContent = note;
  return hit;
}
const rank = {}, foldIndex = {};
D.ids.forEach((m, i) => { rank[m.toLowerCase()] = i; });
D.fold_ids.forEach((m, j) => { foldIndex[m.toLowerCase()] = j; });

// ---------------------------------------------------------------- export
function viewGeometry() {
  const cv = canvasEl(), W = cv.clientWidth, H = cv.clientHeight, sc = network.getScale(), vp = network.getViewPosition();
  return {W, H, sc, toS: p => [(p.x - vp.x) * sc + W / 2, (p.y - vp.y) * sc + H / 2]};
}
function exportPNG() { return canvasEl().toDataURL("image/png"); }
function exportSVG() {
  const NSV = "http://www.w3.org/2000/svg", g = viewGeometry(), P = network.getPositions();
  const svg = document.createElementNS(NSV, "svg");
  const mk = (tag, attrs) => { const e = document.createElementNS(NSV, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); return e; };
  svg.setAttribute("xmlns", NSV);
  svg.setAttribute("width", g.W); svg.setAttribute("height", g.H); svg.setAttribute("viewBox", "0 0 " + g.W + " " + g.H);
  svg.append(mk("rect", {x: 0, y: 0, width: g.W, height: g.H, fill: "#ffffff"}));
  const inView = ([x, y]) => x >= -50 && x <= g.W + 50 && y >= -50 && y <= g.H + 50;
  const eg = mk("g", {"stroke-width": 1, "stroke-opacity": 0.55});
  edges.forEach(e => {
    if (e.hidden || !P[e.from] || !P[e.to]) return;
    const a = g.toS(P[e.from]), b = g.toS(P[e.to]);
    if (!inView(a) && !inView(b)) return;
    const ln = mk("line", {x1: a[0].toFixed(1), y1: a[1].toFixed(1), x2: b[0].toFixed(1), y2: b[1].toFixed(1), stroke: D.edge_colors[edgeRel[e.id]]});
    if (D.edge_dashes[edgeRel[e.id]]) ln.setAttribute("stroke-dasharray", D.edge_dashes[edgeRel[e.id]].join(" "));
    eg.append(ln);
  });
  const ng = mk("g", {stroke: "#374151", "stroke-width": 0.6});
  for (const v of present) {
    if (hiddenSet.has(v) || !P[v]) continue;
    const [x, y] = g.toS(P[v]);
    if (!inView([x, y])) continue;
    const r = Math.max(1.2, radius(v) * g.sc), c = colorOf(kind, v);
    const shape = SUM.has(v) ? mk("rect", {x: (x - r).toFixed(1), y: (y - r).toFixed(1), width: (2 * r).toFixed(1), height: (2 * r).toFixed(1), fill: c.background, stroke: c.border})
      : mk("circle", {cx: x.toFixed(1), cy: y.toFixed(1), r: r.toFixed(1), fill: c});
    shape.setAttribute("data-node", String(v));
    ng.append(shape);
  }
  const lg = mk("g", {"font-family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "font-size": 12});
  for (const b of lastLabels) {
    lg.append(mk("rect", {x: b.x.toFixed(1), y: b.y.toFixed(1), width: b.w.toFixed(1), height: b.h, fill: "#ffffff", "fill-opacity": 0.85}));
    const t = mk("text", {x: (b.x + 3).toFixed(1), y: (b.y + b.h / 2).toFixed(1), "dominant-baseline": "middle", fill: b.v === selected ? "#b91c1c" : "#111827"});
    t.textContent = b.text;
    lg.append(t);
  }
  svg.append(eg, ng, lg);
  return new XMLSerializer().serializeToString(svg);
}
function download(name, blob) {
  const a = el("a");
  a.href = URL.createObjectURL(blob); a.download = name;
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 5000);
}
const fileBase = D.ids[0].replace(/[^A-Za-z0-9._-]+/g, "_");
document.getElementById("png").addEventListener("click", () => canvasEl().toBlob(b => download(fileBase + ".png", b), "image/png"));
document.getElementById("svg").addEventListener("click", () => download(fileBase + ".svg", new Blob([exportSVG()], {type: "image/svg+xml"})));

// ---------------------------------------------------------------- wiring
document.getElementById("go").addEventListener("click", () => find());
document.getElementById("q").addEventListener("keydown", e => { if (e.key === "Enter") find(); });
document.getElementById("colorby").addEventListener("change", e => recolor(e.target.value));
document.getElementById("depth").addEventListener("change", applyFilters);
document.querySelectorAll("input[data-rel]").forEach(x => x.addEventListener("change", applyFilters));
document.getElementById("physics").addEventListener("change", e => network.setOptions({physics: {enabled: e.target.checked}}));
document.getElementById("path").addEventListener("click", () => showPath(selected));
document.getElementById("fit").addEventListener("click", () => fitView());
network.on("click", p => {
  if (p.nodes.length && SUM.has(p.nodes[0])) { const t = expand(p.nodes[0]); if (t.length) select(t[0]); }
});
network.on("selectNode", p => { if (!SUM.has(p.nodes[0]) && p.nodes.length === 1) { selected = p.nodes[0]; pathSet = new Set(); showInfo(selected); markOutline(selected); } });
network.on("doubleClick", p => {
  if (p.nodes.length && isModel(p.nodes[0])) window.open(hubUrl(mid(p.nodes[0])), "_blank", "noopener");
});
function fitView() {
  network.fit({animation: false});
  if (network.getScale() > 1.3) network.moveTo({scale: 1.3, animation: false});
}
network.once("afterDrawing", () => {
  document.body.dataset.drawn = "1";
  const dlist = document.getElementById("ids");  // completion list, filled once the tree is drawn
  if (NK + NF <= 20000) D.ids.concat(D.fold_ids).forEach(m => { const o = document.createElement("option"); o.value = m; dlist.append(o); });
});
legend(kind);
openDefault(0);
renderOutline();
fitView();
if (D.focus >= 0) { select(D.focus); showPath(D.focus); }
window.hftree = {network, nodes, edges, data: D, find, select, recolor, applyFilters, expand, reveal, pathToRoot, showPath,
  expandAll, collapseAll, renderOutline, exportPNG, exportSVG, fitView, labels: window.__hftreeLabels};
})();
