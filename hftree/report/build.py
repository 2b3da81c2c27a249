"""``write_report``: one offline HTML report of a snapshot (index.html + assets/)."""

from __future__ import annotations

import dataclasses
import functools
import os
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from hftree._atomic import check_replaceable, csv_text, has_marker, replace_dir, write_atomic
from hftree._results import Result, format_value
from hftree._version import __version__
from hftree.errors import ParameterError
from hftree.families.coverage import missing_note
from hftree.families.overview import quality_label
from hftree.families.stats import FAMILY_COLUMNS
from hftree.lineage.graph import LineageGraph, Rel
from hftree.report import analyses as report_analyses
from hftree.report._context import Context, Section, given_inference, run_inference, skipped
from hftree.report._html import e, header, hub_url, kv_table, page, sortable_table
from hftree.report._lanes import run_builders
from hftree.report.lineage import lineage_line, lineage_section
from hftree.viz.figures import plot_family_sizes, plot_relation_mix
from hftree.viz.tree import tree_html

if TYPE_CHECKING:
    from hftree.ingest import Snapshot

__all__ = ["CORE_SECTIONS", "ReportResult", "Section", "write_report"]

#: Sections every report has, in order (analysis sections follow when available).
CORE_SECTIONS: tuple[str, ...] = ("overview", "quality", "families", "trees")

_FAMILY_COLUMNS = [
    "root",
    "descendants",
    "n_finetune",
    "n_adapter",
    "n_quantized",
    "n_merge",
    "n_unknown",
    "children",
    "depth",
    "authors",
    "shared_descendants",
    "family_downloads",
    "top_descendant_share",
    "root_license",
    "license_differs_share",
    "root_created_at",
    "days_to_first_child",
    "new_90d",
]


@dataclass(frozen=True, repr=False)
class ReportResult(Result):
    """What :func:`write_report` wrote.

    Attributes
    ----------
    index : Path
        The report's ``index.html``.
    sections : tuple of Section
        The sections written, in order.
    unavailable : tuple of str
        Analysis sections left out because their module is not installed.
    seconds : float
        Time spent writing the report.
    """

    title: ClassVar[str] = "Report"

    index: Path
    sections: tuple[Section, ...]
    unavailable: tuple[str, ...]
    seconds: float

    def to_frame(self) -> pd.DataFrame:
        """One row per section: id, title, status, note, figures, seconds."""
        return pd.DataFrame(
            [
                {
                    "id": s.id,
                    "title": s.title,
                    "status": s.status,
                    "note": s.note,
                    "figures": len(s.figures),
                    "seconds": round(s.seconds, 2),
                }
                for s in self.sections
            ],
            columns=["id", "title", "status", "note", "figures", "seconds"],
        )

    def _note(self) -> str:
        ok = sum(s.status == "ok" for s in self.sections)
        return f"{self.index}: {ok}/{len(self.sections)} sections ok" + (
            f", unavailable: {', '.join(self.unavailable)}" if self.unavailable else ""
        )


# --------------------------------------------------------------------------- core sections
def _overview(ctx: Context) -> Section:
    s = ctx.summary
    rows = [
        ("models", s["models"], "records in the snapshot"),
        ("ids without a record", s["external_nodes"],
         f"{s['external_parents']:,} named as a parent, {s['external_children']:,} only as a child"),
        ("model cards", s["cards"], "README texts"),
        ("lineage edges", s["edges"], f"from {s['declared_edges']:,} parent declarations"),
        ("models with a parent", s["models_with_parent"], ""),
        ("roots with descendants", s["roots_with_descendants"], "families"),
        ("isolated models", s["isolated_models"], "no parent, no child"),
    ]
    total = max(sum(s["edges_by_relation"].values()), 1)
    rel_rows = "".join(
        f'<tr><th scope="row">{e(r)}</th><td class="num">{k:,}</td><td class="num">{k / total:.1%}</td>'
        f'<td><span class="bar" style="width:{round(240 * k / total)}px"></span></td></tr>'
        for r, k in s["edges_by_relation"].items()
    )
    sizes = "".join(
        f'<tr><th scope="row">{e(r["descendants"])}</th><td class="num">{r["families"]:,}</td>'
        f'<td class="num">{r["share"]:.1%}</td></tr>'
        for r in s["family_sizes"]
    )
    largest = "".join(
        f'<li><a href="{e(hub_url(f["root"]))}" rel="noopener noreferrer" target="_blank">{e(f["root"])}</a>'
        f" — {f['descendants']:,} descendants"
        + (
            f' (<a href="{e(ctx.tree_links[f["root"]])}" class="tv">tree</a>)'
            if f["root"] in ctx.tree_links
            else ""
        )
        + "</li>"
        for f in s["largest_families"]
    )
    sources = "".join(f"<li><code>{e(src)}</code></li>" for src in s["sources"])
    lacks = missing_note(ctx.missing)
    lineage = (
        f'<div><h3>Edges by relation</h3><table class="kv" id="relations">{rel_rows}</table>'
        f'<h3>Family sizes (descendants)</h3><table class="kv">{sizes}</table></div>'
        f"<div><h3>Largest families</h3><ol>{largest}</ol></div>"
        if ctx.has_lineage
        else '<div><p class="warn">No lineage edges in this snapshot: the family, tree, adoption, '
        "inheritance and drift sections are left out.</p></div>"
    )
    body = (
        f"<p>Snapshot taken <b>{e(s['snapshot_time'])}</b> from:</p><ul>{sources}</ul>"
        + (f'<p id="lineage-line">{e(lineage_line(ctx))} (<a href="#lineage">coverage</a>).</p>'
           if ctx.coverage else "")
        + (f'<p class="warn">{e(lacks)}</p>' if lacks else "")
        + f'<div class="grid"><div><h3>Counts</h3>{kv_table(rows, table_id="counts")}</div>{lineage}</div>'
    )
    return Section("overview", "Overview", body=body)


_QUALITY_NOTES = {
    "duplicate_ids_dropped": "records of an id seen before (the later record was kept)",
    "skipped_lines": "input lines that could not be read",
    "invalid_base_model_fields": "base_model values that are not model ids",
    "ignored_values": "values of the wrong type, left out",
    "declared_edges": "parent links as declared, one per source (before merging)",
    "self_loops": "models naming themselves as base model (dropped)",
    "external_nodes": "ids an edge names that have no record of their own",
    "placeholder_created_at": "the Hub's placeholder date 2022-03-02T23:29:04Z, treated as unknown",
    "relation_disagreements": "children whose sources give different relations",
    "out_of_range_values": "dates outside 1970–2200 and negative counts, left out",
    "inferred_edges": "inferred parent links in the graph (only when asked for)",
    "external_children": "children without a record (from edge lists)",
    "duplicate_edges": "parent links declared twice (merged)",
    "cycles_broken": "edges removed to break cycles",
    "near_miss_ids": "parent ids equal to a model id up to letter case (not joined)",
}


def _count_text(value: Any) -> Any:
    """A count as it is; counts by kind (a dict) as ``kind n, kind n`` (``none`` when empty).

    >>> _count_text(3), _count_text({}), _count_text({"finetune/quantized": 2})
    (3, 'none', 'finetune/quantized 2')
    """
    if isinstance(value, dict):
        return ", ".join(f"{k} {v:,}" for k, v in value.items()) or "none"
    return value


def _quality(ctx: Context) -> Section:
    s = ctx.summary
    items = {**s["import_quality"], **s["graph_quality"]}
    rows = [(quality_label(k), _count_text(v), _QUALITY_NOTES.get(k, "")) for k, v in items.items()]
    notes = []
    if ctx.snapshot.manifest.get("synthetic"):
        notes.append(
            '<p class="warn">This snapshot is <b>synthetic</b> (generated by hftree for demos and '
            "tests): its numbers describe no real model.</p>"
        )
    flagged = [  # declarations, merged duplicates and inferred links are counts, not problems
        quality_label(k) for k, v in items.items()
        if isinstance(v, int) and v
        and k not in ("declared_edges", "duplicate_edges", "inferred_edges", "external_children")
    ]
    notes.append(
        "<p>Nothing to flag: every record was read and every link joined.</p>"
        if not flagged
        else f'<p class="warn">Flagged: {e(", ".join(flagged))}.</p>'
    )
    examples = "".join(
        f"<li>cycle broken: removed <code>{e(c['parent'])}</code> → <code>{e(c['child'])}</code></li>"
        for c in s["cycle_edges_removed"]
    ) + "".join(
        f"<li>near-miss id (not joined): <code>{e(n['external'])}</code> ~ <code>{e(n['model'])}</code></li>"
        for n in s["near_miss_examples"]
    )
    cover = [
        (f"models with {r['what']}", format_value(r["share"], percent=True),
         f"{r['models']:,} of {r['models'] + r['missing']:,}" + ("" if r["models"] else ": none"))
        for r in s["field_coverage"]
    ]
    if s["roots_with_earlier_child"]:
        worst = s["earlier_child_examples"][0]
        notes.append(
            f'<p class="warn">{s["roots_with_earlier_child"]:,} families have a child created before their '
            f"root (negative days_to_first_child; e.g. <code>{e(worst['root'])}</code>, "
            f"{-worst['days_to_first_child']:,} days): a base model named after the fact, or a wrong date.</p>"
        )
    body = (
        "".join(notes)
        + f'<div class="grid"><div><h3>Import and graph checks</h3>{kv_table(rows, table_id="quality-table")}</div>'
        + f"<div><h3>Field coverage</h3>{kv_table(cover)}</div></div>"
        + (f"<h3>Examples</h3><ul>{examples}</ul>" if examples else "")
    )
    return Section("quality", "Data quality", body=body)


def _families_section(ctx: Context) -> Section:
    if not ctx.has_lineage:
        return skipped("families", "Families", "no lineage edges in this snapshot: it has no families")
    fam = ctx.families
    csv = ctx.write_text("families.csv", csv_text(fam))  # formula cells defused
    cols = [c for c in _FAMILY_COLUMNS if c in fam and fam[c].notna().any()]
    gone = [c for c in _FAMILY_COLUMNS if c in fam and c not in cols]
    shown = fam[cols].head(ctx.table_rows)
    figs: list[str] = []
    fig_html = []
    if len(fam):
        h, f = ctx.figure(
            "family-sizes",
            lambda ax: plot_family_sizes(ctx.G, ax=ax, by_relation=True),
            caption="Share of families with at least s descendants (log-log), all relations "
            "and each relation's edges alone.",
            fixed=True,
        )
        fig_html.append(h)
        figs += f
        h, f = ctx.figure(
            "relation-mix",
            lambda ax: plot_relation_mix(fam, ax=ax, top=15),
            caption="How the descendants of the 15 largest families split by relation.",
            size=(7.0, 5.0),
        )
        fig_html.append(h)
        figs += f
    body = (
        f"<p>{len(fam):,} families (roots with at least one descendant). The table lists the "
        f'{len(shown):,} largest; click a header to sort. Full table: <a href="{e(csv)}">families.csv</a>. '
        '<label>Filter roots: <input id="famfilter" size="30"></label></p>'
        + (f'<p class="muted">Columns left out (no value in this snapshot): '
           f'{e(", ".join(header(c) for c in gone))}.</p>' if gone else "")
        + sortable_table(shown, table_id="families", links=ctx.tree_links, hub_column="root",
                         descriptions=FAMILY_COLUMNS, percent=("top_descendant_share", "license_differs_share"))
        + f'<div class="grid">{"".join(fig_html)}</div>'
    )
    return Section("families", "Families", figures=tuple(figs), body=body)


def _trees(ctx: Context) -> Section:
    if not ctx.has_lineage:
        return skipped("trees", "Family trees", "no lineage edges in this snapshot: there is no tree to draw")
    fam = ctx.families
    roots = fam["root"].head(ctx.top_trees).astype(str).tolist()
    if not roots:
        why = (
            "Tree viewers are switched off (top_trees=0)."
            if ctx.top_trees == 0
            else "No family has descendants."
        )
        return Section("trees", "Family trees", body=f"<p>{why}</p>")
    options, links = [], []
    for i, root in enumerate(roots, 1):
        href = ctx.tree_links[root]
        pg = tree_html(
            ctx.G, root, relation=ctx.relation, max_nodes=ctx.max_nodes, cards=ctx.snapshot.cards
        )
        ctx.write_text(Path(href).name, pg.html)
        label = f"{root} ({pg.models - 1:,} descendants" + (
            f", {pg.collapsed:,} folded)" if pg.collapsed else ")"
        )
        options.append(f'<option value="{e(href)}">{e(f"{i}. {label}")}</option>')
        links.append(f'<li><a href="{e(href)}">{e(label)}</a></li>')
    body = (
        f"<p>Interactive trees of the {len(roots)} largest families (vis-network, inlined: they work offline). "
        "Search a model, filter by depth or relation, switch the colouring; click a node for details and a "
        "link to its Hub page.</p>"
        f'<label>Family: <select id="treepick">{"".join(options)}</select></label> '
        f'<a id="treeopen" href="{e(ctx.tree_links[roots[0]])}">open in its own page</a>'
        f'<iframe class="tree" id="treeframe" title="family tree" src="{e(ctx.tree_links[roots[0]])}"></iframe>'
        f'<ol class="muted">{"".join(links)}</ol>'
    )
    return Section("trees", "Family trees", body=body)


# --------------------------------------------------------------------------- driver
def _unless_lacking(a: report_analyses.Analysis) -> Callable[[Context], Section]:
    """``a.build``, or a one-line note when the snapshot lacks what ``a`` needs."""

    def build(ctx: Context) -> Section:
        why = ctx.lacking(a.needs)
        return skipped(a.id, a.title, why) if why else a.build(ctx)

    return build


def snapshot_name(snapshot: Snapshot) -> str:
    """What to call a snapshot: its folder, else the folders (or files) it was imported from."""
    path = getattr(snapshot, "path", None)
    if path:
        return Path(path).name
    names = []
    for src in snapshot.manifest.get("sources", []):
        p = Path(str(src.get("path", "")))
        name = p.parent.name or p.name
        if name and name not in names:
            names.append(name)
    return " + ".join(names[:3]) or "snapshot"


def write_report(
    snapshot: Snapshot,
    out_dir: str | os.PathLike[str],
    *,
    relation: Rel = None,
    top_trees: int = 5,
    max_nodes: int = 2000,
    table_rows: int = 500,
    analyses: bool = True,
    results: Mapping[str, Any] | None = None,
    title: str | None = None,
    graph: LineageGraph | None = None,
    svg: bool = False,
    inferred: bool | pd.DataFrame = False,
    min_confidence: float = 0.5,
    jobs: int | None = None,
) -> ReportResult:
    """Write an offline HTML report of ``snapshot`` to ``out_dir`` (``index.html`` + ``assets/``).

    Sections: overview counts, data-quality notes, the lineage coverage (models with a
    declared, an inferred or no parent, Hub-wide and for the largest families; with
    ``analyses`` or ``inferred``), a sortable family table with
    the family-size and relation-mix figures, interactive trees of the largest
    families, then one section per analysis module that is installed
    (ecosystem and downloads, adoption curves, inheritance, drift, data
    kernels). A missing analysis module omits its section (the footer names
    it); an analysis that fails shows its error in its section instead of
    stopping the report.

    Parameters
    ----------
    snapshot : Snapshot
        From :func:`hftree.ingest.load_snapshot` or :func:`hftree.ingest.import_sources`.
    out_dir : path
        Created if needed. The report is written next to it and then takes its
        place, so ``out_dir`` is at every moment the old report or the new one; a
        directory holding anything but an hftree report is refused.
    relation : str or list of str, optional
        Define families by these edges only.
    top_trees : int
        Interactive trees for this many of the largest families.
    max_nodes : int
        Node budget of each tree (see :func:`hftree.viz.tree.tree_html`).
    table_rows : int
        Rows of the family table shown (the CSV has all).
    analyses : bool
        Add the analysis sections (False: the core sections only).
    results : mapping of str to result, optional
        Results computed elsewhere that the snapshot alone cannot give (e.g. a
        :class:`hftree.kernels.KernelComparison`, which needs embeddings):
        each becomes a section titled by its key, with the result's
        ``to_frame()`` table and ``plot()`` figure.
    title : str, optional
        Default: ``hftree report: <snapshot>``, the snapshot named by its folder or its sources.
    graph : LineageGraph, optional
        The snapshot's lineage graph, when the caller has already built it.
    svg : bool
        Also write every figure as SVG (linked under it); PNG only by default, which halves
        the time spent on figures.
    inferred : bool or DataFrame
        True: add the edges :func:`hftree.lineage.infer.infer` proposes at confidence
        ``>= min_confidence`` to the graph every section uses (families, trees, analyses).
        A DataFrame (``parent, child, relation, confidence``, e.g. ``InferredLineage.edges``
        or a file of ``hftree infer -o``): add those edges instead, without inferring.
        Default False: declared edges only, and the overview says so in one line with the
        number of edges that could be inferred. Cannot be combined with ``graph``.
    min_confidence : float
        Confidence threshold (0 to 1, default 0.5) of the inferred edges counted in the
        "Lineage coverage" section and, with ``inferred=True``, added to the graph.
    jobs : int, optional
        Processes building sections: 2 (the default where the machine has two cores or more
        and ``os.fork`` exists) builds the evolution and inheritance sections in a forked
        child while this process builds the others; 1 builds every section here. The report
        is the same either way.

    Returns
    -------
    ReportResult

    Raises
    ------
    ParameterError
        ``top_trees``, ``max_nodes``, ``table_rows`` or ``jobs`` is not a whole number in range,
        ``min_confidence`` is not between 0 and 1, ``inferred`` is combined with ``graph``, or
        ``relation`` names an unknown relation.
    """
    if jobs is None:
        jobs = 2 if (os.cpu_count() or 1) >= 2 else 1
    for name, value, lo in (
        ("jobs", jobs, 1),
        ("top_trees", top_trees, 0),
        ("max_nodes", max_nodes, 1),
        ("table_rows", table_rows, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
            raise ParameterError(name, f"a whole number >= {lo}", value)
    if isinstance(min_confidence, bool) or not isinstance(min_confidence, int | float) or not 0 <= min_confidence <= 1:
        raise ParameterError("min_confidence", "a number between 0 and 1", min_confidence)
    supplied = inferred if isinstance(inferred, pd.DataFrame) else None
    if supplied is not None:
        lacking = [c for c in ("parent", "child", "relation", "confidence") if c not in supplied]
        if lacking:
            raise ParameterError("inferred", "a table with columns parent, child, relation, confidence",
                                 f"a table without {', '.join(lacking)}")
    inferred = supplied is not None or bool(inferred)
    if inferred and graph is not None:
        raise ParameterError("graph", "not given with inferred=True (the graph is built with the inferred edges)",
                             "a LineageGraph")
    t0 = time.perf_counter()
    out = Path(out_dir)
    if os.path.lexists(out):  # refused before any work: a folder of other files is never replaced
        check_replaceable(out, _is_report, "an hftree report")
    done: list[ReportResult] = []

    def fill(stage: Path) -> None:  # a sibling of out, which takes out's place once complete
        nonlocal graph
        assets = stage / "assets"
        assets.mkdir(parents=True, exist_ok=True)
        inference = None
        if inferred:  # the graph needs the inferred edges, so inference comes first
            inference = run_inference(snapshot, min_confidence) if supplied is None else given_inference(
                supplied, min_confidence)
            res = inference[0]
            if res is not None and len(res.edges):
                with_inferred = dataclasses.replace(
                    snapshot, edges=pd.concat([snapshot.edges, res.edge_table()], ignore_index=True)
                )
                graph = LineageGraph.from_snapshot(with_inferred, warn=False, min_confidence=min_confidence)
        if graph is None:
            graph = LineageGraph.from_snapshot(snapshot, warn=False)
        G = graph
        ctx = Context(
            snapshot,
            G,
            assets,
            relation=relation,
            top_trees=top_trees,
            max_nodes=max_nodes,
            table_rows=table_rows,
            svg=svg,
            min_confidence=float(min_confidence),
            include_inferred=inferred,
            inference=inference,
            coverage=analyses or inferred,
        )
        ctx.tree_links = {
            str(r): f"assets/tree-{i}.html"
            for i, r in enumerate(ctx.families["root"].head(top_trees).astype(str), 1)
        } if ctx.has_lineage else {}

        sections: list[Section] = []
        unavailable: list[str] = []
        builders: list[tuple[str, str, Callable[[Context], Section]]] = [
            ("overview", "Overview", _overview),
            ("quality", "Data quality", _quality),
            ("families", "Families", _families_section),
            ("trees", "Family trees", _trees),
        ]
        if ctx.coverage:
            builders.insert(2, ("lineage", "Lineage coverage", lineage_section))
        if analyses:
            builders += [(a.id, a.title, _unless_lacking(a)) for a in report_analyses.ANALYSES]
        for i, (name, res) in enumerate((results or {}).items(), 1):
            given = functools.partial(report_analyses.result_section, sid=f"result-{i}", title=str(name), result=res)
            builders.append((f"result-{i}", str(name), given))
        for kind, payload, warning in run_builders(ctx, builders, core=CORE_SECTIONS, jobs=int(jobs)):
            if kind == "unavailable":
                unavailable.append(payload)
                continue
            if warning:
                warnings.warn(warning, RuntimeWarning, stacklevel=4)
            sections.append(payload)

        s = ctx.summary
        nav = "".join(f'<a href="#{e(sec.id)}">{e(sec.title)}</a>' for sec in sections)
        body = "".join(
            f'<section id="{e(sec.id)}" data-status="{e(sec.status)}"><h2>{e(sec.title)}</h2>{sec.body}</section>'
            for sec in sections
        )
        seconds = time.perf_counter() - t0
        footer = (
            f"Written by hftree {e(__version__)} in {seconds:.1f} s. Works offline: no file of this report "
            "loads anything from the network."
            + (f" Not in this report: {e('; '.join(unavailable))}." if unavailable else "")
        )
        index = stage / "index.html"
        write_atomic(
            index,
            page(
                title=title or f"hftree report: {snapshot_name(snapshot)}",
                subtitle=e(
                    f"{s['models']:,} models, {s['edges']:,} lineage edges, "
                    f"{s['roots_with_descendants']:,} families; snapshot {s['snapshot_time']}"
                ),
                nav=nav,
                body=body,
                footer=footer,
            ),
        )
        done.append(ReportResult(out / "index.html", tuple(sections), tuple(unavailable), seconds))

    replace_dir(out, fill, is_ours=_is_report, what="an hftree report", overwrite=True)
    return done[0]


def _is_report(path: Path) -> bool:
    """Whether ``path`` holds a report this function wrote (its page says so)."""
    return has_marker(path / "index.html", b"Written by hftree")
