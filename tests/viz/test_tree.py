"""The HTML tree: offline, escaped, folded above the node budget."""

from __future__ import annotations

import argparse
import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hftree.datasets import toy_graph
from hftree.errors import ModelNotFoundError, ParameterError
from hftree.lineage import LineageGraph
from hftree.lineage.queries import descendants
from hftree.schema import RELATIONS
from hftree.viz.tree import COLOR_BY, RELATION_COLORS, tree_html


def _page_data(page_html: str) -> dict:
    """The page's data object (``const D = {...};``), as Python."""
    m = re.search(r"^const D = (\{.*\});$", page_html, flags=re.M)
    return json.loads(m.group(1))


def _data(page_html: str, name: str):
    """Drawn nodes as dicts: ``mid`` (model id, "" for a summary node) and ``label``."""
    assert name == "NODES"
    d = _page_data(page_html)
    return [{"mid": m, "label": m.split("/")[-1]} for m in d["ids"]] + [
        {"mid": "", "label": label} for label in d["sum"]["label"]
    ]


def test_offline_and_complete():
    page = tree_html(toy_graph(), "org/base")
    assert (
        "https://cdn" not in page.html and "<link" not in page.html and 'src="http' not in page.html
    )
    nodes = _data(page.html, "NODES")
    assert {n["mid"] for n in nodes} == {
        "org/base",
        "org/base-ft",
        "org/base-lora",
        "org/base-GGUF",
        "org/ft-GGUF",
        "org/merge",
    }
    assert page.n_edges == 6 and page.collapsed == 0


def test_untrusted_strings_are_escaped():
    evil = '"><img src=x onerror=alert(1)></script><script>alert(2)</script>'
    models = pd.DataFrame({"id": ["org/base", evil], "license": ["<b>mit</b>", None]})
    edges = pd.DataFrame({"parent": ["org/base"], "child": [evil], "relation": ["finetune"]})
    page = tree_html(LineageGraph.from_tables(models, edges), "org/base", title=evil)
    assert "<img src=x" not in page.html and "<script>alert" not in page.html
    assert "<b>mit</b>" not in page.html
    nodes = _data(page.html, "NODES")
    assert evil in {n["mid"] for n in nodes}  # the data survives, as text


def test_large_family_is_folded():
    n = 500
    models = pd.DataFrame(
        {"id": ["root"] + [f"u/m{i}" for i in range(n)], "downloads": [0, *range(n)]}
    )
    edges = pd.DataFrame(
        {
            "parent": ["root"] * n,
            "child": [f"u/m{i}" for i in range(n)],
            "relation": ["quantized"] * n,
        }
    )
    page = tree_html(LineageGraph.from_tables(models, edges), "root", max_nodes=100)
    # the budget counts drawn nodes: 99 models + 1 summary node
    assert page.collapsed == 402 and page.n_nodes == 100
    nodes = _data(page.html, "NODES")
    assert any(x["label"] == "+402 quantized" for x in nodes)
    kept = {x["mid"] for x in nodes if x["mid"]}
    assert "u/m499" in kept and "u/m0" not in kept  # most downloaded kept


def _tree(parents: list[int], rels: list[str], downloads: list[int] | None = None) -> LineageGraph:
    """Node 0 is the root ``m0``; node i+1 hangs under ``parents[i]``."""
    n = len(parents) + 1
    ids = [f"u/m{i}" for i in range(n)]
    models = pd.DataFrame({"id": ids, "downloads": downloads if downloads is not None else [0] * n})
    edges = pd.DataFrame({"parent": [ids[p] for p in parents], "child": ids[1:], "relation": rels})
    return LineageGraph.from_tables(models, edges)


def test_page_data_matches_the_graph():
    G = toy_graph()
    page = tree_html(G, "org/base")
    d = _page_data(page.html)
    assert d["ids"][0] == "org/base" and d["gen"][0] == 0 and d["par"][0] == -1
    # every in-family edge is drawn, with its relation
    drawn = {
        (d["ids"][a], d["ids"][b], RELATIONS[r])
        for a, b, r in zip(d["ef"], d["et"], d["er"], strict=True)
    }
    fam = {"org/base", *descendants(G, "org/base")}
    expected = {
        (p, c, r)
        for p, c, r in G.edge_frame().astype(str).itertuples(index=False)
        if p in fam and c in fam
    }
    assert drawn == expected
    # exact descendants (org/base-GGUF has two parents in the family; counted once)
    for i, m in enumerate(d["ids"]):
        assert d["desc"][i] == len(descendants(G, m) & fam), m
    # tooltips' raw fields
    i = d["ids"].index("org/base-ft")
    assert (d["dl"][i], d["likes"][i], d["rel"][i]) == (300, 3, RELATIONS.index("finetune"))
    assert d["days"][i] == (pd.Timestamp("2024-02-01", tz="UTC") - pd.Timestamp(0, tz="UTC")).days
    lic = d["cats"]["license"]
    assert lic["names"][d["code"]["license"][d["ids"].index("org/ft-GGUF")]] == "none"
    assert lic["names"][d["code"]["license"][0]] == "llama3"


def test_layout_runs_left_to_right():
    rng = np.random.default_rng(1)
    parents = [0] * 30 + [int(rng.integers(0, 30)) + 1 for _ in range(200)]
    G = _tree(parents, ["adapter"] * len(parents))
    d = _page_data(tree_html(G, "u/m0").html)
    x, y, par = np.array(d["x"]), np.array(d["y"]), np.array(d["par"])
    # left to right: every model right of the model it hangs under, on a grid of rows
    assert (x[1:] > x[par[1:]]).all()
    assert (np.asarray(y) % 24 == 0).all()
    # no two nodes share a position
    assert len({(a, b) for a, b in zip(d["x"], d["y"], strict=True)}) == len(d["x"])


def test_layout_gives_every_label_its_own_row_and_column():
    """At 1:1 zoom the estimated label boxes (right of each node) never overlap: wide generations
    become blocks of columns as wide as their labels, not a grid of overlapping names."""
    from hftree.viz._tree_layout import _PAD, _ROW, label_width

    n = 427
    ids = ["org/root"] + [f"user{i % 37}/gemma-7b-sft-{'x' * (i % 23)}{i}" for i in range(n)]
    models = pd.DataFrame({"id": ids, "downloads": range(n + 1)})
    edges = pd.DataFrame({"parent": ["org/root"] * 400 + [ids[1]] * 27, "child": ids[1:], "relation": ["finetune"] * n})
    d = _page_data(tree_html(LineageGraph.from_tables(models, edges), "org/root").html)
    x, y = np.array(d["x"]), np.array(d["y"])
    w = np.array([label_width(m) for m in d["ids"]])
    left, right = x + _PAD / 2, x + _PAD / 2 + w
    same_row = np.abs(y[:, None] - y[None, :]) < _ROW * 0.9
    apart = (right[:, None] <= left[None, :] + 1e-6) | (right[None, :] <= left[:, None] + 1e-6)
    np.fill_diagonal(same_row, False)
    assert not (same_row & ~apart).any()
    # the block of 399 leaves is about as wide as it is tall (not one 8,000 px column)
    leaves = np.array(d["gen"]) == 1
    span_x, span_y = np.ptp(x[leaves]), np.ptp(y[leaves])
    assert 0.3 < span_x / span_y < 5


@pytest.mark.parametrize("color_by", COLOR_BY)
def test_color_by_sets_initial_colouring(color_by):
    page = tree_html(toy_graph(), "org/base", color_by=color_by)
    d = _page_data(page.html)
    assert d["color_by"] == color_by
    assert f'<option value="{color_by}" selected>' in page.html
    assert d["cats"]["relation"]["colors"] == [RELATION_COLORS[r] for r in ("root", *RELATIONS)]
    authors = d["cats"]["author"]
    assert authors["names"][:1] == ["org"] and authors["counts"][0] == 6


def test_rare_categories_are_grouped_as_other():
    n = 40
    ids = ["root"] + [f"a{i}/m" for i in range(n)]
    models = pd.DataFrame({"id": ids, "license": ["mit"] + [f"lic-{i % 14}" for i in range(n)]})
    edges = pd.DataFrame({"parent": ["root"] * n, "child": ids[1:], "relation": ["finetune"] * n})
    d = _page_data(
        tree_html(LineageGraph.from_tables(models, edges), "root", color_by="license").html
    )
    lic = d["cats"]["license"]
    assert len(lic["names"]) == 12 and lic["names"][-2:] == ["other", "none"]
    assert sum(lic["counts"]) == n + 1 and lic["counts"][-2] > 0  # 14 + 1 licences, 10 get a colour
    other = len(lic["names"]) - 2
    rare = {int(i): v for i, v in d["rare"]["license"].items()}
    assert rare and all(d["code"]["license"][i] == other for i in rare)
    assert set(rare.values()) <= {"mit"} | {
        f"lic-{k}" for k in range(14)
    }  # real values, for the side panel


def test_relation_argument_restricts_the_family():
    d = _page_data(tree_html(toy_graph(), "org/base", relation="quantized").html)
    assert d["ids"] == ["org/base", "org/base-GGUF"]
    assert [RELATIONS[r] for r in d["er"]] == ["quantized"]


def test_keep_by_descendants_keeps_the_big_subtree():
    # m1, m3: many downloads, no children; m2: no downloads but 5 children
    parents = [0, 0, 0] + [2] * 5
    downloads = [0, 10_000, 0, 9_000] + [0] * 5
    G = _tree(parents, ["finetune"] * 8, downloads)
    by_dl = _page_data(tree_html(G, "u/m0", max_nodes=4, keep_by="downloads").html)
    by_desc = _page_data(tree_html(G, "u/m0", max_nodes=4, keep_by="descendants").html)
    assert by_dl["ids"] == ["u/m0", "u/m1", "u/m3"] and by_dl["sum"]["label"] == ["+6 finetune"]
    assert by_desc["ids"] == ["u/m0", "u/m2"] and by_desc["sum"]["label"] == [
        "+2 finetune",
        "+5 finetune",
    ]


def test_folded_models_are_accounted_for():
    rng = np.random.default_rng(7)
    parents = [int(rng.integers(0, i + 1) * rng.random() ** 2) for i in range(600)]
    rels = list(rng.choice(["finetune", "adapter", "quantized", "merge"], size=600))
    G = _tree(parents, rels, list(rng.integers(0, 1000, size=601)))
    page = tree_html(G, "u/m0", max_nodes=150)
    d = _page_data(page.html)
    assert page.n_nodes <= 150 and page.models == 601
    assert sorted(d["ids"] + d["fold_ids"]) == sorted(f"u/m{i}" for i in range(601))
    assert sum(d["sum"]["count"]) == page.collapsed == len(d["fold_ids"])
    assert all(c >= 2 for c in d["sum"]["count"])  # a lone folded model is drawn instead
    kept = set(range(len(d["ids"])))
    assert all(p in kept for p in d["par"][1:])  # what is kept hangs from the root
    assert "models folded into" in page.html and f"{page.collapsed:,} of 601" in page.html


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 10**6), min_size=1, max_size=80),
    st.integers(6, 60),
    st.sampled_from(["downloads", "descendants"]),
)
def test_budget_is_never_exceeded(seeds, max_nodes, keep_by):
    n = len(seeds)
    parents = [s % (i + 1) for i, s in enumerate(seeds)]
    rels = [RELATIONS[s % 4] for s in seeds]
    G = _tree(parents, rels, [s % 97 for s in [0, *seeds]])
    page = tree_html(G, "u/m0", max_nodes=max_nodes, keep_by=keep_by)
    d = _page_data(page.html)
    assert page.n_nodes <= max_nodes or n + 1 <= max_nodes
    assert len(d["ids"]) + page.collapsed == n + 1
    assert page.n_nodes == len(d["ids"]) + page.summary_nodes


def test_bad_arguments_raise():
    G = toy_graph()
    with pytest.raises(ParameterError, match="color_by: expected one of relation, license, task, author, got 'size'"):
        tree_html(G, "org/base", color_by="size")
    with pytest.raises(ParameterError, match="keep_by: expected one of downloads, descendants, got 'likes'"):
        tree_html(G, "org/base", keep_by="likes")
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ParameterError, match="max_nodes: expected a whole number >= 1") as info:
            tree_html(G, "org/base", max_nodes=bad)
        assert (info.value.parameter, info.value.got) == ("max_nodes", bad)
    with pytest.raises(ParameterError, match=r"relation.*'fork'"):
        tree_html(G, "org/base", relation="fork")
    with pytest.raises(ModelNotFoundError, match="did you mean 'org/base'"):
        tree_html(G, "org/BASE")


def test_save_and_notebook_display(tmp_path):
    page = tree_html(toy_graph(), "org/base")
    path = page.save(tmp_path / "sub" / "t.html")
    assert path.read_text(encoding="utf-8") == page.html
    assert path.stat().st_mode & 0o044  # readable by others, like any saved page
    frame = page._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "<script>" not in frame
    assert "6 nodes, 6 edges, 0 collapsed" in repr(page)


def test_page_is_the_template_files_filled_in():
    from hftree.viz._templates import fill, template

    # a Hub string that looks like a placeholder stays data: filling is one pass
    models = pd.DataFrame({"id": ["org/base", "u/{{data}}"], "license": ["{{css}}", None]})
    edges = pd.DataFrame({"parent": ["org/base"], "child": ["u/{{data}}"], "relation": ["finetune"]})
    page = tree_html(LineageGraph.from_tables(models, edges), "org/base", title="{{tree_js}}").html
    d = _page_data(page)
    assert d["ids"] == ["org/base", "u/{{data}}"] and "<title>{{tree_js}}</title>" in page
    # every template file reaches the page, each once
    for name in ("tree.css", "tree.js"):
        assert page.count(template("hftree.viz", name)) == 1, name
    assert "{{" not in template("hftree.viz", "tree.js") + template("hftree.viz", "tree.css")
    with pytest.raises(KeyError, match=r"placeholders without a value: \['b'\]"):
        fill("{{a}}{{b}}", a=1)
    with pytest.raises(KeyError, match=r"the template does not have: \['c'\]"):
        fill("{{a}}", a=1, c=2)


def test_page_requests_nothing():
    page = tree_html(toy_graph(), "org/base").html
    assert "default-src 'none'" in page
    assert not re.search(r"<(link|img|iframe)\b", page)
    assert not re.search(r"\bsrc\s*=", page.split("<script>", 1)[0])
    assert "bootstrap" not in page.lower() and "cdn" not in page.lower()


def test_cli_tree_options(tmp_path, capsys):
    from hftree.cli import tree as cli_tree
    from hftree.ingest import import_sources
    from tests.conftest import rec, write_jsonl

    src = write_jsonl(
        tmp_path / "m.jsonl",
        [
            rec("org/base", "license:mit"),
            rec("me/ft", "base_model:finetune:org/base", "license:apache-2.0"),
        ],
    )
    import_sources([src]).save(tmp_path / "snap")
    parser = argparse.ArgumentParser()
    cli_tree.register(parser.add_subparsers())
    out = tmp_path / "t.html"
    args = parser.parse_args(
        [
            "tree",
            str(tmp_path / "snap"),
            "org/base",
            "-o",
            str(out),
            "--color-by",
            "license",
            "--max-nodes",
            "10",
            "--keep-by",
            "descendants",
            "--title",
            "T<1>",
        ]
    )
    assert args.run(args) == 0
    assert "wrote" in capsys.readouterr().out
    html_ = out.read_text(encoding="utf-8")
    assert _page_data(html_)["color_by"] == "license" and "<title>T&lt;1&gt;</title>" in html_
    with pytest.raises(SystemExit):
        parser.parse_args(["tree", "s", "r", "-o", "x", "--max-nodes", "0"])
    assert "expected a positive whole number, got '0'" in capsys.readouterr().err


def test_tags_and_card_snippets_reach_the_side_panel_data():
    models = pd.DataFrame(
        {
            "id": ["org/base", "me/ft"],
            "tags": [["transformers", "en"], ["base_model:finetune:org/base", "gguf"]],
        }
    )
    edges = pd.DataFrame({"parent": ["org/base"], "child": ["me/ft"], "relation": ["finetune"]})
    G = LineageGraph.from_tables(models, edges)
    cards = pd.DataFrame(
        {
            "id": ["me/ft"],
            "card": ["---\nlicense: mit\n---\n# FT\n<script>alert(1)</script>" + "x" * 400],
        }
    )
    page = tree_html(G, "org/base", cards=cards)
    d = _page_data(page.html)
    assert d["tags"] == [["transformers", "en"], ["gguf"]]
    assert d["card"][0] == "" and d["card"][1].startswith("# FT <script>alert(1)</script>xx")
    assert len(d["card"][1]) == 280 and d["card"][1].endswith("…")
    assert "<script>alert(1)" not in page.html  # escaped in the JSON
    assert _page_data(tree_html(G, "org/base", cards={"me/ft": "hi"}).html)["card"] == ["", "hi"]
    with pytest.raises(ParameterError, match="cards: expected a table with columns 'id' and 'card', got \\['id'\\]"):
        tree_html(G, "org/base", cards=pd.DataFrame({"id": ["me/ft"]}))


def test_cli_tree_on_a_non_root_names_its_family(tmp_path, cli):
    from hftree.ingest import import_sources
    from tests.conftest import rec, write_jsonl

    src = write_jsonl(
        tmp_path / "m.jsonl",
        [rec("org/base"), rec("me/ft", "base_model:finetune:org/base"), rec("me/q", "base_model:quantized:me/ft"),
         rec("x/y", "base_model:adapter:org/base")],
    )
    import_sources([src]).save(tmp_path / "snap")
    r = cli("tree", tmp_path / "snap", "me/ft", "-o", tmp_path / "a.html")
    assert r.code == 0 and "is not a root: it belongs to the family of org/base" in r.out
    assert _page_data((tmp_path / "a.html").read_text())["ids"] == ["me/ft", "me/q"]
    r = cli("tree", tmp_path / "snap", "me/q", "-o", tmp_path / "b.html", "--family")
    assert r.code == 0 and "drawing the family of org/base with it focused" in r.out
    d = _page_data((tmp_path / "b.html").read_text())
    assert d["ids"][0] == "org/base" and len(d["ids"]) == 4 and d["ids"][d["focus"]] == "me/q"
    with pytest.raises(ParameterError, match="focus"):
        tree_html(toy_graph(), "org/base-ft", focus="org/base")


def test_inferred_edges_are_marked_on_the_page():
    models = pd.DataFrame({"id": ["org/base", "me/ft", "me/ft-GGUF"]})
    edges = pd.DataFrame({"parent": ["org/base", "me/ft"], "child": ["me/ft", "me/ft-GGUF"],
                          "relation": ["finetune", "quantized"], "source": ["tag", "inferred"],
                          "confidence": [np.nan, 0.9]})
    G = LineageGraph.from_tables(models, edges, min_confidence=0.5)
    d = _page_data(tree_html(G, "org/base").html)
    marks = {(d["ids"][f], d["ids"][t]): i for f, t, i in zip(d["ef"], d["et"], d["ei"], strict=True)}
    assert marks == {("org/base", "me/ft"): 0, ("me/ft", "me/ft-GGUF"): 1}
    declared = LineageGraph.from_tables(models, edges)  # inferred edges left out: nothing marked
    assert not any(_page_data(tree_html(declared, "org/base").html)["ei"])


def test_inferred_edges_stay_faint_when_folded_and_expanded():
    # org/base has 6 inferred quantisations and 6 declared fine-tunes: a budget of 3 folds both groups
    kids = [f"me/q{i}" for i in range(6)] + [f"me/f{i}" for i in range(6)]
    models = pd.DataFrame({"id": ["org/base", *kids], "downloads": [100, *range(12, 0, -1)]})
    edges = pd.DataFrame({"parent": "org/base", "child": kids, "relation": ["quantized"] * 6 + ["finetune"] * 6,
                          "source": ["inferred"] * 6 + ["tag"] * 6, "confidence": [0.9] * 6 + [np.nan] * 6})
    G = LineageGraph.from_tables(models, edges, min_confidence=0.5)
    d = _page_data(tree_html(G, "org/base", max_nodes=3).html)
    assert len(d["ef"]) == len(d["ei"])  # every drawn edge, summary edges too, says whether it is inferred
    n_kept = len(d["ids"])
    summary = {d["relations"][r]: i for r, i, t in zip(d["er"], d["ei"], d["et"], strict=True) if t >= n_kept}
    assert summary == {"quantized": 1, "finetune": 0}
    folded = dict(zip(d["fold_ids"], d["fold"]["inf"], strict=True))  # what an expanded edge is drawn as
    assert folded and all(folded[m] == m.startswith("me/q") for m in folded)
