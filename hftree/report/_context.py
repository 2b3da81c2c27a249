"""What the report's section builders share: the :class:`Section` record, the build
:class:`Context` (data computed once, the asset writer) and :class:`Figures`.

:mod:`hftree.report.build` (the core sections and the driver) and
:mod:`hftree.report.analyses` (one section per analysis) both import this
module and not each other's internals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from matplotlib.figure import Figure

from hftree._atomic import atomic_path, write_atomic
from hftree.errors import HftreeError
from hftree.families import family_stats
from hftree.families.coverage import FIELDS, missing_fields
from hftree.families.overview import snapshot_summary
from hftree.lineage.graph import LineageGraph, Rel
from hftree.report._html import e, sortable_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from hftree.ingest import Snapshot

__all__ = ["FIXED_MARGINS", "Context", "Figures", "GivenInference", "Section", "frame_table", "given_inference",
           "plain_error", "run_inference",
           "short_repr", "skipped"]


@dataclass(frozen=True)
class Section:
    """One section of the report.

    Attributes
    ----------
    id, title : str
        Anchor (``<section id=...>``) and heading.
    status : {"ok", "partial", "skipped", "error"}
        ``partial``: some figure could not be drawn; ``skipped``: the snapshot
        lacks what the analysis needs (no lineage, no dates, ...); ``error``: the
        analysis raised. The section says which and why, in words for readers.
    note : str
        What failed or was left out ("" when ok), for the command line: it may
        name the exception, the page does not.
    figures : tuple of str
        Files written to ``assets/`` (PNG, and SVG on request).
    seconds : float
        Time spent building the section.
    """

    id: str
    title: str
    status: str = "ok"
    note: str = ""
    figures: tuple[str, ...] = ()
    seconds: float = 0.0
    body: str = field(default="", repr=False, compare=False)


#: Margins (inches: left, bottom, right, top) of a figure drawn with ``fixed=True``: room for
#: tick labels such as 10⁻³, an axis label on each side and a one-line title.
FIXED_MARGINS: tuple[float, float, float, float] = (0.8, 0.6, 0.15, 0.4)


class Context:
    """What the section builders share: the data, computed once, and the asset writer."""

    def __init__(
        self,
        snapshot: Snapshot,
        G: LineageGraph,
        assets: Path,
        *,
        relation: Rel,
        top_trees: int,
        max_nodes: int,
        table_rows: int,
        svg: bool = False,
        min_confidence: float = 0.5,
        include_inferred: bool = False,
        inference: tuple[Any, str] | None = None,
        coverage_rows: int = 15,
        coverage: bool = True,
    ) -> None:
        self.snapshot = snapshot
        self.G = G
        self.assets = assets
        self.relation = relation
        self.top_trees = top_trees
        self.max_nodes = max_nodes
        self.table_rows = table_rows
        self.svg = svg
        #: threshold of the inferred edges counted (and, with ``include_inferred``, in the graph)
        self.min_confidence = min_confidence
        self.include_inferred = include_inferred
        self.coverage_rows = coverage_rows
        #: whether the report has the lineage-coverage section and the overview's lineage line
        self.coverage = coverage
        self._inference = inference
        #: fields no model of the snapshot has (:func:`hftree.families.coverage.missing_fields`)
        self.missing: tuple[str, ...] = missing_fields(G.models)
        self.has_cards = snapshot.cards is not None and len(snapshot.cards) > 0
        self._families: pd.DataFrame | None = None
        self._summary: dict[str, Any] | None = None
        self.written: list[str] = []
        self.tree_links: dict[str, str] = {}

    @property
    def families(self) -> pd.DataFrame:
        """The family table of the graph (:func:`hftree.families.family_stats`), computed once."""
        if self._families is None:
            self._families = family_stats(self.G, relation=self.relation)
        return self._families

    @property
    def inference(self) -> tuple[Any, str]:
        """``(InferredLineage, "")`` of :func:`hftree.lineage.infer.infer` at ``min_confidence``, computed
        once; ``(None, why)`` when nothing can be inferred (e.g. too few declared edges to learn from)."""
        if self._inference is None:
            self._inference = run_inference(self.snapshot, self.min_confidence)
        return self._inference

    @property
    def has_lineage(self) -> bool:
        """Whether the graph has at least one edge (families, inheritance and drift need one)."""
        return self.G.n_edges > 0

    def lacking(self, needs: tuple[str, ...]) -> str:
        """Why something needing ``needs`` (fields, ``"lineage"``, ``"cards"``) cannot be computed ("" if it can)."""
        words = []
        for n in needs:
            if n == "lineage" and not self.has_lineage:
                words.append("lineage edges")
            elif n == "cards" and not self.has_cards:
                words.append("model cards")
            elif n in self.missing:
                words.append(FIELDS.get(n, n))
        if not words:
            return ""
        listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
        return f"this snapshot has no {listed}"

    @property
    def summary(self) -> dict[str, Any]:
        """The snapshot's overview counts (:func:`hftree.families.overview.snapshot_summary`)."""
        if self._summary is None:
            self._summary = snapshot_summary(self.snapshot, self.G)
        return self._summary

    def write_text(self, name: str, text: str) -> str:
        """Write ``assets/<name>`` (atomically); returns its href."""
        write_atomic(self.assets / name, text)
        self.written.append(name)
        return f"assets/{name}"

    def figure(
        self,
        name: str,
        draw: Callable[[Axes], Any],
        *,
        caption: str,
        size: tuple[float, float] = (7.0, 4.5),
        fixed: bool = False,
    ) -> tuple[str, list[str]]:
        """Draw on a fresh matplotlib Figure (no pyplot state), save PNG (+ SVG with ``svg``), return HTML and files.

        ``fixed``: margins of :data:`FIXED_MARGINS` instead of the constrained layout, which draws
        the figure twice (half its cost); for plots with numeric axes and the legend inside.
        """
        if fixed:
            fig = Figure(figsize=size)
            (left, bottom, right, top), (w, h) = FIXED_MARGINS, size
            fig.subplots_adjust(left=left / w, bottom=bottom / h, right=1 - right / w, top=1 - top / h)
        else:
            fig = Figure(figsize=size, layout="constrained")
        draw(fig.add_subplot())
        files = []
        for ext, dpi in (("png", 100), ("svg", 72))[: 2 if self.svg else 1]:
            with atomic_path(self.assets / f"{name}.{ext}", suffix=f".{ext}") as tmp:
                fig.savefig(tmp, format=ext, dpi=dpi)
            files.append(f"{name}.{ext}")
        self.written.extend(files)
        svg = f' <a href="assets/{e(name)}.svg">SVG</a>' if self.svg else ""
        html_ = (
            f'<figure><img src="assets/{e(name)}.png" alt="{e(caption)}">'
            f"<figcaption>{e(caption)}{svg}</figcaption></figure>"
        )
        return html_, files


class Figures:
    """Collects a section's figures; a failing figure becomes a note, not an exception."""

    def __init__(self, ctx: Context, prefix: str) -> None:
        self.ctx, self.prefix = ctx, prefix
        self.html: list[str] = []
        self.files: list[str] = []
        self.errors: list[str] = []  # full text, for the command line
        self.skips: list[str] = []  # one plain line per figure left out, for the page

    def add(
        self,
        name: str,
        draw: Callable[[Any], Any],
        caption: str,
        size: tuple[float, float] = (7.0, 4.5),
        *,
        needs: tuple[str, ...] = (),
        fixed: bool = False,
    ) -> None:
        """Draw figure ``<prefix>-<name>`` (``fixed``: see :meth:`Context.figure`); when the snapshot
        lacks ``needs``, or drawing fails, leave it out with a one-line note and carry on."""
        why = self.ctx.lacking(needs)
        if why:
            self.skips.append(f"{caption.rstrip('.')}: not drawn, {why}.")
            return
        try:
            h, f = self.ctx.figure(f"{self.prefix}-{name}", draw, caption=caption, size=size, fixed=fixed)
        except Exception as exc:  # one figure failing must not lose its section
            self.errors.append(f"figure {name!r}: {type(exc).__name__}: {exc}")
            self.skips.append(f"{caption.rstrip('.')}: could not be drawn ({plain_error(exc)}).")
            return
        self.html.append(h)
        self.files.extend(f)

    def section(self, sid: str, title: str, body: str) -> Section:
        """The section: ``body``, a note per figure left out, then the figures drawn."""
        notes = "".join(f'<p class="muted">{e(s)}</p>' for s in self.skips)
        return Section(
            sid,
            title,
            status="partial" if self.errors else "ok",
            note="; ".join(self.errors),
            figures=tuple(self.files),
            body=body + notes + f'<div class="grid">{"".join(self.html)}</div>',
        )


def run_inference(snapshot: Any, min_confidence: float) -> tuple[Any, str]:
    """``(infer(snapshot, min_confidence=...), "")``, or ``(None, why)`` in words for readers."""
    import warnings

    from hftree.lineage.infer import infer

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return infer(snapshot, min_confidence=min_confidence, progress=False), ""
    except Exception as exc:  # e.g. too few declared edges to learn from: the report says so
        return None, plain_error(exc)


@dataclass(frozen=True)
class GivenInference:
    """Inferred edges the caller supplies, shaped like :class:`~hftree.lineage.infer.InferredLineage`
    for the report: ``edges`` (at or above the threshold) and ``edge_table()``."""

    edges: pd.DataFrame

    def edge_table(self) -> pd.DataFrame:
        return self.edges.assign(source="inferred")


def given_inference(edges: pd.DataFrame, min_confidence: float) -> tuple[Any, str]:
    """``(GivenInference, "")`` of the rows of ``edges`` with confidence ``>= min_confidence``."""
    conf = pd.to_numeric(edges["confidence"], errors="coerce")
    kept = edges.loc[conf >= min_confidence, ["parent", "child", "relation", "confidence"]].reset_index(drop=True)
    return GivenInference(kept), ""


def skipped(sid: str, title: str, why: str) -> Section:
    """A section that cannot be computed on this snapshot: one line saying why."""
    text = why[:1].upper() + why[1:].rstrip(".") + "."
    return Section(sid, title, status="skipped", note=text, body=f'<p class="muted">{e(text)}</p>')


def plain_error(exc: BaseException) -> str:
    """What went wrong, for a reader: the first sentence of an hftree error, else a generic phrase.

    hftree's errors are written for people (the CLI prints them), but may go on with advice
    for programmers; other exceptions are bugs whose text means nothing on a report page.

    >>> from hftree.errors import ConvergenceError
    >>> plain_error(ConvergenceError("the fit did not converge on x (status 0). Things to try: 1. ..."))
    'the fit did not converge on x (status 0)'
    >>> plain_error(ValueError("Data has no positive values, and therefore cannot be log-scaled."))
    'an unexpected error; the command line shows the details'
    """
    if isinstance(exc, HftreeError):
        first = str(exc).split("\n")[0].split(". ")[0].split("; ")[0].rstrip(".")
        return first or type(exc).__name__
    return "an unexpected error; the command line shows the details"


def frame_table(frame: pd.DataFrame, table_id: str, rows: int = 50) -> str:
    """The first ``rows`` rows of ``frame`` (its index as columns) as a sortable, escaped table."""
    frame = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame
    head = frame.head(rows).set_axis([str(c) for c in frame.columns], axis=1)  # a copy: the caller's frame stays
    return sortable_table(head, table_id=table_id)


def short_repr(obj: Any, n: int = 400) -> str:
    """``repr(obj)`` on one line, at most ``n`` characters.

    >>> short_repr("a\\n b" * 3, n=8)
    "'a\\\\n ba…"
    """
    text = " ".join(repr(obj).split())
    return text if len(text) <= n else text[: n - 1] + "…"
