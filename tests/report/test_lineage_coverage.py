"""The report's lineage coverage (issue 19): declared / inferred / none, Hub-wide and per family,
and ``inferred=True`` putting the inferred edges into the families and trees."""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

from hftree.errors import ParameterError
from hftree.ingest import Snapshot
from hftree.lineage.graph import LineageGraph
from hftree.lineage.infer import infer, lineage_coverage
from hftree.report import write_report


@pytest.fixture(scope="module")
def snap():
    models = pd.DataFrame({"id": [f"org/base-{i}" for i in range(30)] + [f"q/base-{i}-GGUF" for i in range(30)]
                           + ["me/base-3-GGUF", "lone/model"]})
    edges = pd.DataFrame({"parent": [f"org/base-{i}" for i in range(30)],
                          "child": [f"q/base-{i}-GGUF" for i in range(30)], "relation": "quantized",
                          "source": "tag"})
    return Snapshot(models, edges, manifest={"snapshot_time": "2025-01-01T00:00:00Z"})


def _report(snap, path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = write_report(snap, path, top_trees=1, **kw)
    return res, res.index.read_text(encoding="utf-8")


def _section(html_: str, sid: str) -> str:
    return html_.split(f'<section id="{sid}"', 1)[1].split("</section>", 1)[0]


def _kv(section: str, name: str) -> str:
    return re.search(rf'<th scope="row">{name}</th><td class="num">([^<]*)</td>', section).group(1)


def test_coverage_counts_are_those_of_the_api(snap, tmp_path):
    res, html_ = _report(snap, tmp_path / "r")
    assert [s.id for s in res.sections][:3] == ["overview", "quality", "lineage"]
    edges = infer(snap, min_confidence=0.5, progress=False).edges
    assert len(edges) == 1  # me/base-3-GGUF -> org/base-3
    o = lineage_coverage(snap, edges, min_confidence=0.5).overall.iloc[0]
    sec = _section(html_, "lineage")
    assert _kv(sec, "declared parent") == f"{int(o['declared']):,}" == "30"
    assert _kv(sec, "inferred parent only") == f"{int(o['inferred']):,}" == "1"
    assert _kv(sec, "no parent") == f"{int(o['none']):,}" == "31"
    assert 'id="lineage-families"' in sec and "org/base-3" in sec
    line = "lineage: declared edges only; 1 more edge could be inferred at confidence ≥ 0.5 — see hftree infer"
    assert line in _section(html_, "overview") and line in sec
    fam = pd.read_csv(tmp_path / "r" / "assets" / "families.csv")  # declared edges only by default
    assert fam.loc[fam["root"] == "org/base-3", "descendants"].item() == 1


def test_inferred_edges_join_the_families_on_request(snap, tmp_path):
    res, html_ = _report(snap, tmp_path / "r", inferred=True, analyses=False)
    assert "lineage: declared edges and 1 inferred edge at confidence ≥ 0.5" in _section(html_, "overview")
    assert "lineage" in [s.id for s in res.sections]
    fam = pd.read_csv(tmp_path / "r" / "assets" / "families.csv")
    assert fam.loc[fam["root"] == "org/base-3", "descendants"].item() == 2
    # the same graph as the API builds from the snapshot and the inferred edges
    inf = infer(snap, min_confidence=0.5, progress=False).edge_table()
    G = LineageGraph.from_tables(snap.models, pd.concat([snap.edges, inf], ignore_index=True), min_confidence=0.5)
    assert f"{G.n_edges:,} lineage edges" in html_


def test_threshold_is_the_callers(snap, tmp_path):
    _, html_ = _report(snap, tmp_path / "r", min_confidence=1.0)
    n = len(infer(snap, min_confidence=1.0, progress=False).edges)
    s = "" if n == 1 else "s"
    assert f"{n} more edge{s} could be inferred at confidence ≥ 1 " in _section(html_, "overview")


def test_core_only_report_has_no_coverage(snap, tmp_path):
    res, html_ = _report(snap, tmp_path / "r", analyses=False)
    assert "lineage" not in [s.id for s in res.sections] and 'id="lineage-line"' not in html_


def test_no_declared_lineage_says_why(tmp_path):
    snap = Snapshot(pd.DataFrame({"id": ["a/x", "b/y"]}),
                    pd.DataFrame(columns=["parent", "child", "relation", "source"]),
                    manifest={"snapshot_time": "2025-01-01T00:00:00Z"})
    _, html_ = _report(snap, tmp_path / "r")
    sec = _section(html_, "lineage")
    assert "no edge could be inferred (" in sec and _kv(sec, "no parent") == "2"
    assert "Traceback" not in html_


@pytest.mark.parametrize(("kw", "name"), [({"min_confidence": 1.5}, "min_confidence"),
                                          ({"min_confidence": True}, "min_confidence"),
                                          ({"jobs": 0}, "jobs")])
def test_bad_parameters(snap, tmp_path, kw, name):
    with pytest.raises(ParameterError, match=name):
        write_report(snap, tmp_path / "r", **kw)


def test_inferred_with_a_given_graph_is_refused(snap, tmp_path):
    with pytest.raises(ParameterError, match="graph"):
        write_report(snap, tmp_path / "r", inferred=True, graph=LineageGraph.from_snapshot(snap, warn=False))


def test_given_inferred_edges_are_used_as_they_are(snap, tmp_path):
    edges = pd.DataFrame({"parent": ["org/base-3", "org/base-3"], "child": ["me/base-3-GGUF", "a/x"],
                          "relation": ["quantized", "finetune"], "confidence": [0.8, 0.3]})
    known = set(snap.models["id"])
    edges = edges[edges["child"].isin(known)]  # a/x may not exist: only the snapshot's models count
    _, html_ = _report(snap, tmp_path / "r", inferred=edges, min_confidence=0.5)
    kept = int((edges["confidence"] >= 0.5).sum())
    s = "" if kept == 1 else "s"
    assert f"lineage: declared edges and {kept} inferred edge{s} at confidence ≥ 0.5" in _section(html_, "overview")
    o = lineage_coverage(snap, edges, min_confidence=0.5).overall.iloc[0]
    assert _kv(_section(html_, "lineage"), "inferred parent only") == f"{int(o['inferred']):,}"
    with pytest.raises(ParameterError, match="inferred"):
        write_report(snap, tmp_path / "bad", inferred=edges.drop(columns="confidence"))
