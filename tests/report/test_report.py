"""The HTML report: sections, assets, escaping, failure handling, CLI."""

from __future__ import annotations

import argparse
import re

import pytest

from hftree.errors import ParameterError
from hftree.ingest import import_sources
from hftree.report import CORE_SECTIONS, write_report
from hftree.report import analyses as report_analyses
from hftree.report.analyses import Analysis
from tests.conftest import rec, write_jsonl

EVIL = '"><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    d = tmp_path_factory.mktemp("snap")
    recs = [
        rec("org/base", "license:mit", pipeline_tag="text-generation", downloads=1000, likes=5),
        rec("me/ft", "base_model:finetune:org/base", "license:apache-2.0", downloads=50),
        rec("me/q", "base_model:quantized:me/ft", downloads=7),
        rec("you/lora", "base_model:adapter:org/base", downloads=3),
        rec(f"evil/{EVIL}", "license:<script>alert(1)</script>", downloads=5),
        rec("other/ft", f"base_model:finetune:evil/{EVIL}", downloads=2),
    ]
    models = write_jsonl(d / "m.jsonl", recs)
    cards = write_jsonl(
        d / "cards.jsonl", [{"id": "me/ft", "card": "# ft\n<script>alert('card')</script>"}]
    )
    return import_sources([models], cards=[cards], snapshot_time="2025-01-01T00:00:00Z")


@pytest.fixture(scope="module")
def report(snapshot, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return write_report(snapshot, out, analyses=False, top_trees=2)


def test_core_sections_and_assets(report):
    assert [s.id for s in report.sections] == list(CORE_SECTIONS)
    assert all(s.status == "ok" for s in report.sections)
    html_ = report.index.read_text(encoding="utf-8")
    for sid in CORE_SECTIONS:
        assert f'<section id="{sid}" data-status="ok">' in html_
    assets = report.index.parent / "assets"
    for name in (
        "families.csv",
        "family-sizes.png",
        "relation-mix.png",
        "tree-1.html",
        "tree-2.html",
    ):
        assert (assets / name).stat().st_size > 0, name
    assert not (assets / "tree-3.html").exists()  # two families only
    assert not list(assets.glob("*.svg")) and ">SVG</a>" not in html_  # SVG only on request
    # family table: one row per family, sortable, linked to the tree viewer
    table = html_.split('id="families"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1 + 2 and 'data-num="1"' in table
    assert 'href="assets/tree-1.html" class="tv"' in table
    assert "6 models, 4 lineage edges, 2 families" in html_


def test_report_result_follows_the_result_protocol(report):
    import dataclasses

    import pandas as pd

    frame = report.to_frame()
    assert isinstance(report.summary, pd.DataFrame) and frame.equals(report.summary)
    assert frame["id"].tolist() == list(CORE_SECTIONS) and (frame["status"] == "ok").all()
    assert f"{report.index}: 4/4 sections ok" in repr(report)
    assert "<table>" in report._repr_html_() and "overview" in report._repr_html_()
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.seconds = 0.0


def test_page_comes_from_the_template_files(report):
    from hftree.viz._templates import template

    html_ = report.index.read_text(encoding="utf-8")
    for name in ("report.css", "report.js"):
        assert html_.count(template("hftree.report", name)) == 1, name
    assert "{{" not in html_  # every placeholder filled


def test_numbers_come_from_the_snapshot(report, snapshot):
    from hftree.cli.info import summary

    s = summary(snapshot)
    html_ = report.index.read_text(encoding="utf-8")
    counts = html_.split('id="counts"', 1)[1].split("</table>", 1)[0]
    assert f'<th scope="row">models</th><td class="num">{s["models"]:,}</td>' in counts
    assert f'<th scope="row">lineage edges</th><td class="num">{s["edges"]:,}</td>' in counts


def test_untrusted_text_is_escaped(report):
    html_ = report.index.read_text(encoding="utf-8")
    assert "<img src=x" not in html_ and "<script>alert" not in html_
    assert "&lt;img src=x onerror=alert(1)&gt;" in html_  # shown as text
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;" in html_
    )  # the root's licence in the family table
    # the Hub link keeps the id inside the path
    assert (
        'href="https://huggingface.co/evil/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E"'
        in html_
    )
    for i in (1, 2):
        tree = (report.index.parent / "assets" / f"tree-{i}.html").read_text(encoding="utf-8")
        assert "<img src=x" not in tree and "<script>alert" not in tree


def test_offline(report):
    for path in [report.index, *report.index.parent.joinpath("assets").glob("*.html")]:
        text = path.read_text(encoding="utf-8")
        assert "default-src 'none'" in text
        for m in re.finditer(r'\b(?:src|href)="([^"]*)"', text):
            url = m.group(1)
            assert url.startswith(("assets/", "#", "https://huggingface.co/")) or "/" not in url, (
                url
            )
            assert not url.startswith("https://huggingface.co/") or m.group(0).startswith("href"), (
                url
            )


def test_analysis_failures_do_not_stop_the_report(snapshot, tmp_path, monkeypatch):
    def missing(ctx):
        raise ModuleNotFoundError("No module named 'hftree.drift'", name="hftree.drift")

    def broken(ctx):
        raise RuntimeError("no <data>")

    monkeypatch.setattr(
        report_analyses,
        "ANALYSES",
        (
            Analysis("drift", "Drift", "hftree.drift", missing),
            Analysis("broken", "Broken", "hftree.x", broken),
        ),
    )
    with pytest.warns(
        RuntimeWarning, match="report section 'broken' failed: RuntimeError: no <data>"
    ):
        res = write_report(snapshot, tmp_path, top_trees=0)
    ids = {s.id: s for s in res.sections}
    assert "drift" not in ids and res.unavailable == ("Drift (hftree.drift is not available)",)
    assert ids["broken"].status == "error" and ids["broken"].note == "RuntimeError: no <data>"
    html_ = res.index.read_text(encoding="utf-8")
    # the page says it in words; the exception is for the command line (the section's note)
    assert "This analysis could not be computed on this snapshot: an unexpected error" in html_
    assert "RuntimeError" not in html_ and "no &lt;data&gt;" not in html_
    assert "Not in this report: Drift (hftree.drift is not available)." in html_
    assert "Tree viewers are switched off" in html_ and "<iframe" not in html_  # top_trees=0


def test_results_become_sections(snapshot, tmp_path):
    import pandas as pd

    class Comparison:
        def to_frame(self):
            return pd.DataFrame({"model": ["a<b>", "c"], "distance": [0.1, 0.2]})

        def plot(self, ax=None):
            ax.plot([0, 1], [0, 1])
            return ax

        def __repr__(self):
            return "<Comparison 2 models>"

        def _note(self):
            return "2 models <compared>"

    res = write_report(
        snapshot, tmp_path, analyses=False, top_trees=0, results={"Data kernels": Comparison()}, svg=True
    )
    sec = res.sections[-1]
    assert (sec.id, sec.title, sec.status) == ("result-1", "Data kernels", "ok")
    assert sec.figures == ("result-1-plot.png", "result-1-plot.svg")
    html_ = res.index.read_text(encoding="utf-8")
    assert "a&lt;b&gt;" in html_ and "2 models &lt;compared&gt;" in html_
    assert "Comparison 2 models" not in html_  # a note and a table, never a repr
    assert '<a href="assets/result-1-plot.svg">SVG</a>' in html_


def test_bad_arguments(snapshot, tmp_path):
    with pytest.raises(ParameterError, match="top_trees: expected a whole number >= 0, got -1"):
        write_report(snapshot, tmp_path, top_trees=-1)
    with pytest.raises(ParameterError, match="max_nodes: expected a whole number >= 1, got 0"):
        write_report(snapshot, tmp_path, max_nodes=0)
    with pytest.raises(ParameterError, match="table_rows: expected a whole number >= 1, got True"):
        write_report(snapshot, tmp_path, table_rows=True)
    with pytest.raises(ParameterError, match="relation"):
        write_report(snapshot, tmp_path, relation="fork")


def test_cli_report(snapshot, tmp_path, capsys):
    from hftree.cli import report as cli_report

    snapshot.save(tmp_path / "snap")
    parser = argparse.ArgumentParser()
    cli_report.register(parser.add_subparsers())
    args = parser.parse_args(
        [
            "report",
            str(tmp_path / "snap"),
            "-o",
            str(tmp_path / "r"),
            "--no-analyses",
            "--top-trees",
            "1",
            "--title",
            "My <report>",
        ]
    )
    assert args.run(args) == 0
    out = capsys.readouterr().out
    assert "overview" in out and f"wrote {tmp_path / 'r' / 'index.html'} (4 sections" in out
    assert "<title>My &lt;report&gt;</title>" in (tmp_path / "r" / "index.html").read_text(
        encoding="utf-8"
    )
    with pytest.raises(SystemExit):
        parser.parse_args(["report", "s", "-o", "d", "--top-trees", "-1"])
    assert "expected a whole number >= 0, got '-1'" in capsys.readouterr().err
