"""Acceptance in a real browser: headless Chromium with every network request blocked.

Needs Debian's ``chromium`` (``/usr/bin/chromium``) and the ``playwright`` Python
package (no browser download: Playwright drives the system Chromium). Without
them the tests are skipped on a developer machine and fail in CI (``CI`` set).
Screenshots are kept in each test's tmp dir.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hftree.lineage import LineageGraph
from hftree.lineage.queries import descendants, generations
from hftree.viz.tree import tree_html

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SMOL_ROOT = "HuggingFaceTB/SmolLM2-1.7B"
LLAMA_ROOT = "meta-llama/Llama-2-7b-chat-hf"
# every text drawn on a canvas, in CSS px of the page, while window.__fills is an array
RECORD_FILLS = """
(() => {
  const orig = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text, x, y, ...rest) {
    if (Array.isArray(window.__fills)) {
      const m = this.getTransform(), r = this.canvas.getBoundingClientRect(), k = this.canvas.width / (r.width || 1);
      window.__fills.push({frame: window.__hftreeFrame, text: String(text),
        x: r.left + (m.a * x + m.c * y + m.e) / k, y: r.top + (m.b * x + m.d * y + m.f) / k});
    }
    return orig.call(this, text, x, y, ...rest);
  };
})();
"""


def _unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests need {why} in CI (.ci/run installs chromium and playwright)")
    pytest.skip(f"{why} not available")


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    if not CHROMIUM.exists():
        _unavailable(str(CHROMIUM))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package")
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:  # everything else would leave the machine: refuse and remember
            blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1400, "height": 900},
        )
        ctx.route("**/*", route)
        ctx.add_init_script(RECORD_FILLS)
        ctx.blocked = blocked
        yield ctx
        ctx.close()


class _Page:
    """A page with its console errors, page errors, dialogs and non-file requests recorded."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.page = ctx.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: r.url.startswith("file:") or self.requests.append(r.url))
        ctx.blocked.clear()

    def open(
        self, path: Path, ready: str = "document.body.dataset.drawn === '1'", timeout: float = 60
    ) -> float:
        t0 = time.perf_counter()
        self.page.goto(path.as_uri(), timeout=timeout * 1000)
        self.page.wait_for_function(ready, timeout=timeout * 1000)
        return time.perf_counter() - t0

    def js(self, expr: str, arg=None):
        return self.page.evaluate(expr, arg)

    def assert_clean(self):
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs
        assert self.requests == [] and self.ctx.blocked == [], (self.requests, self.ctx.blocked)


@pytest.fixture
def page(browser_context):
    p = _Page(browser_context)
    yield p
    p.page.close()


# --------------------------------------------------------------------------- SmolLM2 (real data)
@pytest.fixture(scope="module")
def smol(shared):
    import warnings

    from hftree.ingest import import_sources

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the dump's data-quality notes are not under test here
        snap = import_sources([shared / "smollm2-tree" / "models.jsonl.gz"])
    return LineageGraph.from_snapshot(snap, warn=False)


def test_smollm2_tree_renders_searches_and_filters(smol, page, tmp_path):
    G = smol
    tree = tree_html(G, SMOL_ROOT)
    path = tree.save(tmp_path / "smollm2.html")
    page.open(path)
    family = {SMOL_ROOT, *descendants(G, SMOL_ROOT)}
    assert len(family) == 1042

    # the vis DataSets hold every model and every lineage edge of the family
    n_nodes, n_edges = page.js("[hftree.nodes.length, hftree.edges.length]")
    assert (n_nodes, n_edges) == (1042, 1041) == (tree.n_nodes, tree.n_edges)
    shown = page.js("hftree.nodes.get().map(n => hftree.data.ids[n.id])")
    assert set(shown) == family
    drawn_edges = page.js(
        "hftree.edges.get().map(e => [hftree.data.ids[e.from], hftree.data.ids[e.to]])"
    )
    ef = G.edge_frame()
    assert {tuple(e) for e in drawn_edges} == set(
        zip(ef["parent"].astype(str), ef["child"].astype(str), strict=True)
    )
    assert page.js("hftree.nodes.get(0).shape") == "star"

    # the search box focuses a named model (deepest generation, typed in lower case)
    gen = generations(G)
    target = sorted(m for m in family if gen[m] == 4)[0]
    page.page.fill("#q", target.lower())
    page.page.press("#q", "Enter")
    idx = page.js("hftree.data.ids.indexOf(arguments[0])".replace("arguments[0]", repr(target)))
    assert page.js("hftree.network.getSelectedNodes()") == [idx]
    view = page.js("hftree.network.getViewPosition()")
    pos = page.js(f"hftree.network.getPositions([{idx}])[{idx}]")
    assert abs(view["x"] - pos["x"]) < 1 and abs(view["y"] - pos["y"]) < 1
    assert page.js("hftree.network.getScale()") == pytest.approx(1.3)
    assert target in page.page.inner_text("#side")
    assert page.page.get_attribute("#side a", "href") == f"https://huggingface.co/{target}"
    # a partial query prefers the model named exactly so, then the most downloaded match
    page.page.fill("#q", "smollm2-1.7b-instruct")
    page.page.click("#go")
    hit = page.js("hftree.network.getSelectedNodes()[0]")
    assert page.js(f"hftree.data.ids[{hit}]") == "HuggingFaceTB/SmolLM2-1.7B-Instruct"
    page.page.fill("#q", "no-such-model-anywhere")
    page.page.click("#go")
    assert page.page.inner_text("#msg") == "no model matches"

    # depth filter: generation <= 1 only
    page.page.fill("#depth", "1")
    page.page.dispatch_event("#depth", "change")
    visible = page.js("hftree.nodes.get({filter: n => !n.hidden}).length")
    assert visible == 1 + int((gen[list(family)] == 1).sum()) == 75
    # relation filter: without adapters, what stays is what is reachable without adapter edges
    page.page.fill("#depth", "4")
    page.page.dispatch_event("#depth", "change")
    page.page.uncheck('input[data-rel="1"]')  # adapter
    visible = page.js("hftree.nodes.get({filter: n => !n.hidden}).length")
    no_adapter = descendants(G, SMOL_ROOT, relation=["finetune", "quantized", "merge", "unknown"])
    assert visible == 1 + len(no_adapter)
    assert page.js("hftree.edges.get({filter: e => !e.hidden}).length") == len(no_adapter)
    page.page.check('input[data-rel="1"]')

    # colour switch: nodes take their author's colour, the legend lists authors
    page.page.select_option("#colorby", "author")
    ok = page.js(
        """hftree.nodes.get().every(n => n.color === hftree.data.cats.author.colors[hftree.data.code.author[n.id]])"""
    )
    assert ok
    assert "HuggingFaceTB" in page.page.inner_text("#legend")

    shot = tmp_path / "smollm2.png"
    page.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    page.assert_clean()


# --------------------------------------------------------------------------- XSS
def test_untrusted_text_does_not_run(page, tmp_path):
    payloads = [
        '"><img src=x onerror="document.body.dataset.pwned=1;alert(1)">',
        "<script>document.body.dataset.pwned=2;alert(2)</script>",
        "</script><script>alert(3)</script>",
    ]
    ids = ["org/base", *(f"evil{i}/{p}" for i, p in enumerate(payloads))]
    models = pd.DataFrame(
        {
            "id": ids,
            "license": ["mit", "<img src=y onerror=alert(4)>", None, "<script>alert(5)</script>"],
            "pipeline_tag": [None, "<b onmouseover=alert(6)>task</b>", None, None],
            "author": ["org", "<svg onload=alert(7)>", None, None],
            "tags": [["ok"], ["<img src=z onerror=alert(8)>"], [], []],
            "downloads": [10, 5, 4, 3],
        }
    )
    edges = pd.DataFrame(
        {"parent": ["org/base"] * 3, "child": ids[1:], "relation": ["finetune", "merge", "adapter"]}
    )
    cards = {
        ids[
            1
        ]: "# card\n<script>document.body.dataset.pwned=3;alert(9)</script><img src=w onerror=alert(10)>"
    }
    G = LineageGraph.from_tables(models, edges)
    path = tree_html(G, "org/base", title=payloads[0], cards=cards, color_by="license").save(
        tmp_path / "xss.html"
    )
    page.open(path)
    assert page.js("hftree.nodes.length") == 4
    for i, mid in enumerate(ids[1:]):
        assert page.js(f"hftree.find({mid!r})") == i + 1  # selects it and fills the side panel
        assert mid in page.page.inner_text("#side")
    page.js(f"hftree.find({ids[1]!r})")
    side = page.page.inner_text("#side")
    assert (
        "<script>document.body.dataset.pwned=3" in side and "<img src=z onerror=alert(8)>" in side
    )
    # hover the evil node: vis-network's tooltip shows the text, not HTML
    box = page.page.locator("#net canvas").bounding_box()
    dom = page.js(
        "(() => { const p = hftree.network.getPositions([1])[1]; return hftree.network.canvasToDOM(p); })()"
    )
    page.page.mouse.move(box["x"] + dom["x"], box["y"] + dom["y"])
    page.page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5000)
    assert payloads[0] in page.page.inner_text("div.vis-tooltip")
    # innerText turns newlines into <br>; nothing else may appear
    assert (
        page.js(
            "Array.from(document.querySelector('div.vis-tooltip').children).map(c => c.tagName)"
        )
        == ["BR"] * 6
    )
    # nothing ran, nothing was injected
    assert page.js("document.body.dataset.pwned") is None
    assert (
        page.js(
            "Array.from(document.querySelectorAll('img, svg image, iframe')).map(x => x.outerHTML)"
        )
        == []
    )
    assert page.js("Array.from(document.querySelectorAll('b')).map(x => x.textContent)") == [
        payloads[0]
    ]  # heading
    assert page.js("document.scripts.length") == 2  # vis-network and the page's own
    assert page.js("document.title") == payloads[0]
    page.assert_clean()


# --------------------------------------------------------------------------- 50,000 descendants
def synthetic_family(n: int, random_state: int = 0) -> LineageGraph:
    """One root with ``n`` descendants: heavy-tailed fan-out, Hub-like relation mix, Pareto downloads."""
    rng = np.random.default_rng(random_state)
    i = np.arange(1, n + 1)
    parent = np.where(i < 50, 0, np.floor(i * rng.random(n) ** 3)).astype(np.int64)
    ids = np.array(
        ["org/root"]
        + [f"user{u}/model-{k}" for u, k in zip(rng.integers(0, 5000, n), i, strict=True)]
    )
    rel = rng.choice(
        ["finetune", "adapter", "quantized", "merge"], size=n, p=[0.36, 0.42, 0.2, 0.02]
    )
    models = pd.DataFrame(
        {
            "id": ids,
            "author": [m.split("/")[0] for m in ids],
            "downloads": (rng.pareto(1.2, n + 1) * 10).astype(np.int64),
            "likes": rng.poisson(1, n + 1),
            "created_at": pd.Timestamp("2024-01-01", tz="UTC")
            + pd.to_timedelta(np.arange(n + 1) * 600, unit="s"),
            "license": rng.choice(["apache-2.0", "mit", "llama3", None], n + 1),
            "pipeline_tag": rng.choice(["text-generation", "text-classification", None], n + 1),
        }
    )
    edges = pd.DataFrame({"parent": ids[parent], "child": ids[1:], "relation": rel})
    return LineageGraph.from_tables(models, edges, snapshot_time="2025-07-01")


def test_50k_family_page_is_small_and_draws(page, tmp_path):
    G = synthetic_family(50_000)
    tree = tree_html(G, "org/root")
    path = tree.save(tmp_path / "family-50k.html")
    size = path.stat().st_size
    assert tree.models == 50_001 and size <= 5_000_000
    seconds = page.open(path, timeout=120)
    assert page.js("hftree.nodes.length") == tree.n_nodes <= 3000
    # a folded model is still found: the search focuses its summary node
    folded = page.js("hftree.data.fold_ids[0]")
    hit = page.js(f"hftree.find({folded!r})")
    assert hit >= page.js("hftree.data.ids.length") and "was folded into" in page.page.inner_text(
        "#msg"
    )
    assert page.js("hftree.network.getSelectedNodes()") == [hit]  # expanded in place: drawn, selected
    page.page.screenshot(path=str(tmp_path / "family-50k.png"))
    print(
        f"\n50k family: {size / 1e6:.2f} MB, {tree.n_nodes:,} nodes drawn, drawn after {seconds:.2f} s"
    )
    page.assert_clean()


# --------------------------------------------------------------------------- the demo report
@pytest.mark.slow
def test_demo_report_opens_with_every_section(page, tmp_path):
    import warnings

    from hftree.datasets import load_demo
    from hftree.report import CORE_SECTIONS, write_report

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = write_report(load_demo(), tmp_path / "report")
    page.open(res.index, ready="document.body.dataset.ready === '1'")
    present = page.js("Array.from(document.querySelectorAll('main > section')).map(s => s.id)")
    assert present == [s.id for s in res.sections]
    assert set(CORE_SECTIONS) <= set(present)
    assert {"ecosystem", "adoption", "inheritance", "drift"} <= set(present)
    for sid in present:  # each section has its heading and content
        assert page.js(f"document.querySelector('section#{sid}').innerText.length") > 40
    # every figure loaded
    imgs = page.js(
        "Array.from(document.images).map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0])"
    )
    assert imgs and all(ok for _, ok in imgs), imgs
    assert len(imgs) == sum(len(s.figures) for s in res.sections)  # PNG only (SVG on request)
    # the family table sorts by a numeric column
    page.page.click("#families th:nth-child(2)")  # descendants, ascending
    col = page.js(
        "Array.from(document.querySelectorAll('#families tbody tr')).map(r => Number(r.cells[1].dataset.v))"
    )
    assert col == sorted(col) and col[0] < col[-1]
    # the tree viewer draws the largest family
    page.page.locator("#treeframe").scroll_into_view_if_needed()
    frame = page.page.frame_locator("#treeframe")
    frame.locator("body[data-drawn='1']").wait_for(timeout=30_000)
    page.page.select_option("#treepick", index=1)
    frame.locator("body[data-drawn='1']").wait_for(timeout=30_000)
    assert "user6/t5-model-1034" in frame.locator("header").inner_text()
    page.page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.assert_clean()


def test_report_with_untrusted_text_does_not_run(page, tmp_path):
    from hftree.ingest import import_sources
    from hftree.report import write_report
    from tests.conftest import rec, write_jsonl

    evil = '"><img src=x onerror="document.body.dataset.pwned=1;alert(1)">'
    src = write_jsonl(
        tmp_path / "m.jsonl",
        [
            rec(
                f"evil/{evil}",
                "license:<script>document.body.dataset.pwned=2</script>",
                downloads=9,
            ),
            rec("me/ft", f"base_model:finetune:evil/{evil}", downloads=1),
        ],
    )
    cards = write_jsonl(
        tmp_path / "c.jsonl",
        [{"id": "me/ft", "card": "<script>document.body.dataset.pwned=3;alert(3)</script>"}],
    )
    snap = import_sources([src], cards=[cards], snapshot_time="2025-01-01T00:00:00Z")
    res = write_report(snap, tmp_path / "r", analyses=False)
    page.open(res.index, ready="document.body.dataset.ready === '1'")
    page.page.locator(
        "#treeframe"
    ).scroll_into_view_if_needed()  # off-screen frames are not painted
    frame = page.page.frame_locator("#treeframe")
    frame.locator("body[data-drawn='1']").wait_for(timeout=30_000)
    assert evil in page.page.inner_text("#families")
    assert page.js("document.body.dataset.pwned") is None
    assert page.js(
        "Array.from(document.querySelectorAll('main img')).map(i => i.getAttribute('src'))"
    ) == ["assets/family-sizes.png", "assets/relation-mix.png"]
    inner = page.page.frames[1]
    inner.evaluate("hftree.find('me/ft')")
    assert "<script>document.body.dataset.pwned=3" in inner.inner_text("#side")
    assert inner.evaluate("document.body.dataset.pwned") is None
    assert inner.evaluate("document.querySelectorAll('img, iframe').length") == 0
    page.assert_clean()


# --------------------------------------------------------------------------- readable trees
def _drawn_labels(page) -> list[dict]:
    """The labels the page reports, checked against the texts really drawn on the canvas in one frame."""
    page.js("window.__fills = []; hftree.network.redraw()")
    page.page.wait_for_function("window.__fills.length > 0 || window.__hftreeLabels().length === 0")
    page.page.wait_for_timeout(50)
    fills, labels = page.js(
        "(() => { const f = window.__fills.filter(x => x.frame === window.__hftreeFrame); window.__fills = null;"
        " return [f, window.__hftreeLabels()]; })()"
    )  # the last frame's texts and the boxes of that frame
    # the boxes are the labels actually drawn: same texts, each drawn inside its box
    assert sorted(f["text"] for f in fills) == sorted(b["text"] for b in labels)
    boxes = {}
    for b in labels:
        boxes.setdefault(b["text"], []).append(b)
    for f in fills:
        assert any(
            b["x"] - 0.5 <= f["x"] <= b["x"] + b["w"] and b["y"] - 0.5 <= f["y"] <= b["y"] + b["h"] + 0.5
            for b in boxes[f["text"]]
        ), f
    return labels


def _overlaps(labels: list[dict]) -> int:
    n = 0
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            apart_x = a["x"] >= b["x"] + b["w"] or b["x"] >= a["x"] + a["w"]
            apart_y = a["y"] >= b["y"] + b["h"] or b["y"] >= a["y"] + a["h"]
            n += not (apart_x or apart_y)
    return n


def _check_zoom_levels(page, tmp_path: Path, name: str) -> dict[str, int]:
    """At the initial view and at 2x and 4x zoom: labels are drawn, full ids, no two overlap."""
    counts = {}
    s0 = page.js("hftree.network.getScale()")
    for zoom in (1, 2, 4):
        page.js(f"hftree.network.moveTo({{scale: {s0 * zoom}, animation: false}})")
        labels = _drawn_labels(page)
        assert labels and _overlaps(labels) == 0, (zoom, _overlaps(labels))
        ids = set(page.js("hftree.data.ids.concat(hftree.data.fold_ids)"))
        assert all(b["id"] in ids and b["text"] == b["id"] for b in labels if b["id"] is not None)
        counts[f"{zoom}x"] = len(labels)
        page.page.screenshot(path=str(tmp_path / f"{name}-zoom{zoom}.png"))
    page.js("hftree.fitView()")
    return counts


def _check_search_both_views(page, target: str, tmp_path: Path, name: str) -> None:
    page.page.fill("#q", target)
    page.page.press("#q", "Enter")
    node = page.js("hftree.network.getSelectedNodes()[0]")
    labels = _drawn_labels(page)
    assert target in [b["id"] for b in labels] and _overlaps(labels) == 0  # labelled in the graph
    row = page.page.locator("#otree .orow.sel")
    assert row.count() == 1 and row.locator(".oid").inner_text() == target  # and in the outline
    assert int(row.get_attribute("data-v")) == node
    box, pane = row.bounding_box(), page.page.locator("#otree").bounding_box()
    assert pane["y"] <= box["y"] and box["y"] + box["height"] <= pane["y"] + pane["height"]  # scrolled to
    page.page.screenshot(path=str(tmp_path / f"{name}-search.png"))


@pytest.fixture(scope="module")
def hubfam(shared):
    import warnings

    from hftree.ingest import import_sources

    d = shared / "hub-families"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snap = import_sources([d / "models.jsonl.gz"], cards=[d / "cards.jsonl.gz"])
    return snap, LineageGraph.from_snapshot(snap, warn=False)


def test_llama2_family_is_readable(hubfam, page, tmp_path):
    snap, G = hubfam
    family = {LLAMA_ROOT, *descendants(G, LLAMA_ROOT)}
    assert len(family) == 455
    path = tree_html(G, LLAMA_ROOT, cards=snap.cards).save(tmp_path / "llama2.html")
    seconds = page.open(path)
    # the outline: the root's 427 children grouped by relation with counts, every id as text
    heads = page.page.locator("#otree .gh").all_inner_texts()
    assert any(h.endswith("Finetunes 426") for h in heads) and any(h.endswith("Merges 1") for h in heads)
    page.page.click("#oexp")
    text = page.page.inner_text("#otree")
    assert all(m in text for m in family)
    assert page.js("document.querySelectorAll('#otree .orow').length") == 455
    page.page.screenshot(path=str(tmp_path / "llama2-outline.png"))
    # sorting by name orders the root's finetunes alphabetically
    page.page.select_option("#osort", "name")
    first = page.js(
        "Array.from(document.querySelectorAll('#otree .grows')[0].children)"
        ".map(n => n.querySelector('.oid').textContent)"
    )
    assert first == sorted(first, key=str.lower) and len(first) == 426
    page.page.click("#ocol")
    counts = _check_zoom_levels(page, tmp_path, "llama2")
    gen = generations(G)
    leaf = sorted(m for m in family if gen[m] == 2)[0]
    _check_search_both_views(page, leaf, tmp_path, "llama2")
    # the side panel links the parent; "path to root" highlights the ancestry
    parent = page.js("hftree.data.ids[hftree.data.par[hftree.network.getSelectedNodes()[0]]]")
    assert parent in page.page.inner_text("#side")
    page.page.click("#path")
    sel = page.js("hftree.network.getSelection()")
    assert sorted(page.js(f"{sel['nodes']}.map(v => hftree.data.ids[v])")) == sorted([LLAMA_ROOT, parent, leaf])
    assert len(sel["edges"]) == 2 and "path to root" in page.page.inner_text("#side")
    page.page.locator("#side a[data-v]").first.click()  # a link of the side panel selects that model
    assert page.js("hftree.network.getSelectedNodes()").__len__() == 1
    print(f"\nLlama-2-7b-chat-hf: 455 models, drawn after {seconds:.2f} s, labels {counts}")
    page.assert_clean()


def test_smollm2_outline_labels_and_draw_time(smol, page, tmp_path):
    path = tree_html(smol, SMOL_ROOT).save(tmp_path / "smol.html")
    seconds = page.open(path)
    assert seconds <= 5
    page.page.click("#oexp")
    family = {SMOL_ROOT, *descendants(smol, SMOL_ROOT)}
    text = page.page.inner_text("#otree")
    assert len(family) == 1042 and all(m in text for m in family)
    page.page.click("#ocol")
    counts = _check_zoom_levels(page, tmp_path, "smollm2")
    _check_search_both_views(page, "HuggingFaceTB/SmolLM2-1.7B-Instruct", tmp_path, "smollm2")
    print(f"\nSmolLM2: 1,042 models, drawn after {seconds:.2f} s, labels {counts}")
    page.assert_clean()


def test_50k_family_labels_expand_in_place_and_export(page, tmp_path):
    import base64
    import xml.etree.ElementTree as ET

    G = synthetic_family(50_000)
    tree = tree_html(G, "org/root")
    seconds = page.open(tree.save(tmp_path / "family-50k.html"), timeout=120)
    assert seconds <= 5
    counts = _check_zoom_levels(page, tmp_path, "50k")
    # a folded model is found: its summary nodes expand in place until it is drawn, labelled, in the outline
    folded = page.js("hftree.data.fold_ids[1000]")
    n_before = page.js("hftree.nodes.length")
    _check_search_both_views(page, folded, tmp_path, "50k")
    assert "was folded into" in page.page.inner_text("#msg") and page.js("hftree.nodes.length") > n_before
    # clicking a summary node expands it in place: its models are drawn
    s = page.js("hftree.nodes.getIds().find(v => hftree.nodes.get(v).shape === 'square')")
    n = page.js("hftree.nodes.length")
    tops = page.js(f"hftree.expand({s})")
    assert tops and page.js("hftree.nodes.length") >= n - 1 + len(tops) and page.js(f"hftree.nodes.get({s})") is None
    # export of the current view: PNG (the canvas, labels included) and SVG (nodes, edges, the drawn labels)
    png = page.js("hftree.exportPNG()")
    raw = base64.b64decode(png.split(",", 1)[1])
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and len(raw) > 5000
    svg = ET.fromstring(page.js("hftree.exportSVG()"))
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in svg.iter(f"{ns}text")]
    assert sorted(texts) == sorted(b["text"] for b in page.js("window.__hftreeLabels()"))
    assert len(list(svg.iter(f"{ns}circle"))) > 10 and len(list(svg.iter(f"{ns}line"))) > 10
    with page.page.expect_download() as dl:
        page.page.click("#svg")
    assert dl.value.suggested_filename == "org_root.svg"
    with page.page.expect_download() as dl:
        page.page.click("#png")
    assert dl.value.suggested_filename == "org_root.png"
    print(f"\n50k family: drawn after {seconds:.2f} s, labels {counts}")
    page.assert_clean()


def test_focus_highlights_the_path_of_a_merge(page, tmp_path):
    from hftree.datasets import toy_graph

    path = tree_html(toy_graph(), "org/base", focus="org/merge").save(tmp_path / "focus.html")
    page.open(path)
    sel = page.js("hftree.network.getSelection()")
    assert sorted(page.js(f"{sel['nodes']}.map(v => hftree.data.ids[v])")) == ["org/base", "org/base-ft", "org/merge"]
    side = page.page.inner_text("#side")
    assert "roots outside this family" in side and "other/base2" in side  # the merge's other root
    assert "org/merge" in [b["id"] for b in _drawn_labels(page)]
    page.assert_clean()


def test_expanded_inferred_edges_are_drawn_faint(page, tmp_path):
    kids = [f"me/q{i}" for i in range(6)] + [f"me/f{i}" for i in range(6)]
    models = pd.DataFrame({"id": ["org/base", *kids], "downloads": [100, *range(12, 0, -1)]})
    edges = pd.DataFrame({"parent": "org/base", "child": kids, "relation": ["quantized"] * 6 + ["finetune"] * 6,
                          "source": ["inferred"] * 6 + ["tag"] * 6, "confidence": [0.9] * 6 + [np.nan] * 6})
    G = LineageGraph.from_tables(models, edges, min_confidence=0.5)
    page.open(tree_html(G, "org/base", max_nodes=3).save(tmp_path / "inferred.html"))
    opacity = "v => hftree.edges.get({filter: e => e.to === v})[0].color.opacity"
    seen = set()
    for s in page.js("hftree.nodes.getIds().filter(v => hftree.nodes.get(v).shape === 'square')"):
        for v in page.js(f"hftree.expand({s})"):  # the models drawn by expanding, each with its edge
            inferred = page.js(f"hftree.data.fold_ids[{v} - hftree.data.ids.length - hftree.data.sum.parent.length]")
            assert page.js(f"({opacity})({v})") == (0.2 if inferred.startswith("me/q") else 0.55), inferred
            seen.add(inferred[:4])
    assert seen == {"me/q", "me/f"}
    assert "inferred" in page.page.inner_text("body").lower()  # the legend says faint edges are guesses
    page.assert_clean()
