"""The HTML tree: offline, escaped, folded above the node budget."""

from __future__ import annotations

import json
import re

import pandas as pd

from hftree.datasets import toy_graph
from hftree.lineage import LineageGraph
from hftree.viz.tree import tree_html


def _data(page_html: str, name: str):
    m = re.search(rf"const {name} = (\[.*?\]);\n", page_html)
    return json.loads(m.group(1))


def test_offline_and_complete():
    page = tree_html(toy_graph(), "org/base")
    assert "https://cdn" not in page.html and "<link" not in page.html and "src=\"http" not in page.html
    nodes = _data(page.html, "NODES")
    assert {n["mid"] for n in nodes} == {"org/base", "org/base-ft", "org/base-lora", "org/base-GGUF",
                                         "org/ft-GGUF", "org/merge"}
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
    models = pd.DataFrame({"id": ["root"] + [f"u/m{i}" for i in range(n)], "downloads": [0] + list(range(n))})
    edges = pd.DataFrame({"parent": ["root"] * n, "child": [f"u/m{i}" for i in range(n)],
                          "relation": ["quantized"] * n})
    page = tree_html(LineageGraph.from_tables(models, edges), "root", max_nodes=100)
    assert page.collapsed == 401
    nodes = _data(page.html, "NODES")
    assert any(x["label"] == "+401 quantized" for x in nodes)
    kept = {x["mid"] for x in nodes if x["mid"]}
    assert "u/m499" in kept and "u/m0" not in kept  # most downloaded kept
