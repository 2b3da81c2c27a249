"""Sections built in a second process (``jobs=2``) make the same report as in one, and a child
that dies loses nothing."""

from __future__ import annotations

import filecmp
import os
import re
import time
import warnings

import pytest

from hftree.datasets.synthetic import synthetic_cards, synthetic_hub
from hftree.ingest import import_sources
from hftree.report import _lanes, write_report
from hftree.report._context import Section
from tests.conftest import write_jsonl

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    d = tmp_path_factory.mktemp("synthetic")
    recs = list(synthetic_hub(400, random_state=3))
    models = write_jsonl(d / "models.jsonl", recs)
    cards = write_jsonl(d / "cards.jsonl", list(synthetic_cards(recs, random_state=3)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return import_sources([models], cards=[cards])


def _page(path) -> str:
    return re.sub(r"Written by hftree \S+ in \d+\.\d s", "", (path / "index.html").read_text(encoding="utf-8"))


def test_two_processes_write_the_same_report(snap, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = write_report(snap, tmp_path / "one", jobs=1)
        two = write_report(snap, tmp_path / "two", jobs=2)
    assert [(s.id, s.status, s.note, s.figures) for s in one.sections] == \
        [(s.id, s.status, s.note, s.figures) for s in two.sections]
    assert _page(tmp_path / "one") == _page(tmp_path / "two")
    names = sorted(os.listdir(tmp_path / "one" / "assets"))
    assert names == sorted(os.listdir(tmp_path / "two" / "assets")) and any(n.endswith(".png") for n in names)
    same, diff, _ = filecmp.cmpfiles(tmp_path / "one" / "assets", tmp_path / "two" / "assets", names, shallow=False)
    assert not diff and len(same) == len(names)


def test_sections_of_a_child_that_dies_are_built_here(snap, tmp_path):
    parent = os.getpid()

    def slow(ctx):  # keeps this process busy until the child has taken the queued section
        time.sleep(1.0)
        return Section("slow", "Slow", body="<p>slow</p>")

    def dies_in_child(ctx):
        if os.getpid() != parent:
            os._exit(3)
        return Section("fragile", "Fragile", body="<p>built here</p>")

    from hftree.lineage.graph import LineageGraph
    from hftree.report.build import Context

    G = LineageGraph.from_snapshot(snap, warn=False)
    ctx = Context(snap, G, tmp_path, relation=None, top_trees=0, max_nodes=10, table_rows=5)
    out = _lanes.run_builders(ctx, [("overview", "Overview", slow), ("fragile", "Fragile", dies_in_child)],
                              core=("overview",), jobs=2)
    assert [o[1].id for o in out] == ["slow", "fragile"]
    assert out[1][1].body == "<p>built here</p>"


def test_an_analysis_failing_in_the_child_is_an_error_section(snap, tmp_path):
    def boom(ctx):
        raise ValueError("Data has no positive values, and therefore cannot be log-scaled.")

    from hftree.lineage.graph import LineageGraph
    from hftree.report.build import Context

    ctx = Context(snap, LineageGraph.from_snapshot(snap, warn=False), tmp_path, relation=None, top_trees=0,
                  max_nodes=10, table_rows=5)
    out = _lanes.run_builders(ctx, [("evolution", "Evolution", boom)], core=(), jobs=2)
    kind, sec, warning = out[0]
    assert kind == "section" and sec.status == "error" and "ValueError" in warning
    assert "log-scaled" not in sec.body and "unexpected error" in sec.body


def test_a_child_that_never_finishes_is_killed_and_its_sections_built_here(snap, tmp_path, monkeypatch):
    parent = os.getpid()
    monkeypatch.setattr(_lanes, "_patience", lambda busy: 1.0)

    def slow(ctx):
        time.sleep(0.5)
        return Section("slow", "Slow", body="<p>slow</p>")

    def hangs_in_child(ctx):
        if os.getpid() != parent:
            time.sleep(3600)  # as a child deadlocked on a lock held at the fork would
        return Section("stuck", "Stuck", body="<p>built here</p>")

    from hftree.lineage.graph import LineageGraph
    from hftree.report.build import Context

    G = LineageGraph.from_snapshot(snap, warn=False)
    ctx = Context(snap, G, tmp_path, relation=None, top_trees=0, max_nodes=10, table_rows=5)
    t0 = time.monotonic()
    out = _lanes.run_builders(ctx, [("overview", "Overview", slow), ("stuck", "Stuck", hangs_in_child)],
                              core=("overview",), jobs=2)
    assert time.monotonic() - t0 < 30
    assert [o[1].body for o in out] == ["<p>slow</p>", "<p>built here</p>"]
