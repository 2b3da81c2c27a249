"""Report sections of the analyses: each imports its module when it runs.

A builder whose module is not installed raises ``ModuleNotFoundError`` naming
an ``hftree.*`` module; :func:`~hftree.report.write_report` then omits the
section and names it in the footer. An analysis that needs what the snapshot
lacks (``Analysis.needs``: lineage edges, creation dates, ...) is replaced by a
one-line note; so is a figure or table that cannot be computed. The page shows
results as tables and sentences: never an exception or a Python repr.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hftree._results import format_value
from hftree.report._context import Context, Figures, Section, frame_table, plain_error, skipped
from hftree.report._html import e, kv_table
from hftree.viz.figures import plot_mutation_rates

__all__ = ["ANALYSES", "Analysis", "result_section"]


@dataclass(frozen=True)
class Analysis:
    """A report section computed from the snapshot by an analysis module.

    ``needs``: what the section cannot do without (``"lineage"``, ``"cards"`` or a model-table
    field such as ``"created_at"``); when the snapshot lacks one, the report says so in one
    line instead of building the section.
    """

    id: str
    title: str
    module: str
    build: Callable[[Context], Section]
    needs: tuple[str, ...] = ("lineage",)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence an analysis' warnings: the report shows its results, ``hftree info`` the data issues."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _lacks_note(ctx: Context, what: str, needs: tuple[str, ...]) -> str:
    """``<p>`` saying that ``what`` is left out because the snapshot lacks ``needs`` ("" if it has them)."""
    why = ctx.lacking(needs)
    return f'<p class="muted">{e(what)}: left out, {e(why)}.</p>' if why else ""


def _values(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the columns that hold no value at all (a missing field, not zeros)."""
    return frame[[c for c in frame.columns if frame[c].notna().any()]]


# --------------------------------------------------------------------------- ecosystem
def _figure_text(statistic: str, value: Any) -> str:
    """A headline figure of :func:`hftree.ecosystem.ecosystem_stats` for people: shares as %."""
    return format_value(value, percent="share" in statistic)


def _ecosystem(ctx: Context) -> Section:
    from hftree.ecosystem import (
        ecosystem_stats,
        plot_concentration,
        plot_created_per_month,
        plot_likes_downloads,
        plot_shares,
    )

    with _quiet():
        st = ecosystem_stats(ctx.G, relation=ctx.relation)
    figs = Figures(ctx, "ecosystem")
    figs.add(
        "license-classes",
        lambda ax: plot_shares(st.license_class_shares, ax=ax),
        "Share of models and of downloads by licence class.",
        needs=("license", "downloads"),
    )
    figs.add(
        "tasks",
        lambda ax: plot_shares(st.task_shares, ax=ax),
        "Share of models and downloads by task.",
        needs=("pipeline_tag", "downloads"),
    )
    figs.add(
        "likes-downloads",
        lambda ax: plot_likes_downloads(ctx.G.models, ax=ax),
        "Likes against downloads (log axes).",
        needs=("likes", "downloads"),
        fixed=True,
    )
    figs.add(
        "concentration",
        lambda ax: plot_concentration(ctx.G.models, ax=ax),
        "Lorenz curve of downloads across models.",
        needs=("downloads",),
        fixed=True,
    )
    figs.add(
        "created-per-month",
        lambda ax: plot_created_per_month(st.created_by_license_class, ax=ax),
        "Models created per month, by licence class.",
        size=(9.0, 4.0),
        needs=("created_at",),
    )
    head = st.summary
    known = head[head["value"].notna()]
    rows = [(r.description[:1].upper() + r.description[1:], _figure_text(r.statistic, r.value))
            for r in known.itertuples(index=False)]
    left = len(head) - len(known)
    body = (
        f"<p>{st.n_selected:,} of {st.n_total:,} models ({e(st.selection_label)}).</p>"
        + kv_table(rows, table_id="ecosystem-summary")
        + (f'<p class="muted">{left} figures left out: they need fields this snapshot does not have.</p>'
           if left else "")
    )
    fam = st.family_concentration
    if fam is not None and len(fam) and "downloads" not in ctx.missing:
        body += "<h3>Downloads within families</h3>" + frame_table(_values(fam), "family-concentration", 30)
    return figs.section("ecosystem", "Ecosystem and downloads", body)


# --------------------------------------------------------------------------- adoption
def _adoption(ctx: Context) -> Section:
    from hftree.adoption import WSBFitter, fit_families, growth_series

    with _quiet():
        counts = growth_series(ctx.G, min_size=6, relation="finetune")  # the root and 5 fine-tunes
    if counts.empty:
        return skipped("adoption", "Adoption curves",
                       "no dated root has five or more dated fine-tune descendants: nothing to fit")
    final = counts.max(axis=1, skipna=True)
    top = counts.loc[final.sort_values(ascending=False, kind="stable").index[:40]]
    with _quiet():
        fits = fit_families(top)
    tab = fits.to_frame()
    tab.insert(0, "family root (all relations)", _family_roots(ctx, tab.index))
    cols = [c for c in ("family root (all relations)", "lam", "mu", "sigma", "r2", "final", "c_inf",
                        "impact_time", "flags") if c in tab]
    figs = Figures(ctx, "adoption")
    figs.add(
        "collapse",
        lambda ax: fits.plot_collapse(ax=ax),
        "Rescaled adoption curves of the identifiable families on one master curve.",
        fixed=True,
    )
    good = [r for r in top.index if tab.loc[r, "identifiable"]][:2]  # flagged fits are in the table only
    for i, root in enumerate(good):

        def draw(ax: Any, root: Any = root) -> Any:
            with _quiet():
                return WSBFitter().fit(top.loc[root]).plot(ax=ax)

        figs.add(f"fit-{i + 1}", draw, f"Cumulative fine-tunes of {root} and the fitted curve.", size=(5.5, 3.6),
                 fixed=True)
    moved = int((tab["family root (all relations)"] != "").sum())
    body = (
        "<p>Cumulative fine-tune descendants per month since each root's creation, fitted with the "
        f"Wang–Song–Barabási curve, for the {len(top)} largest of {len(counts):,} roots with at least 5 "
        f"dated fine-tunes. {int(tab['identifiable'].sum()):,} fits are identifiable; the others are "
        "flagged in the table (their parameters are not to be read) and have no figure.</p>"
        "<p>A root here is a model with a record and a creation date whose family follows fine-tune "
        "edges only. The Families section follows every relation, so a family can appear there under "
        "another root (an older base model, or a parent without a record): "
        + (f"{moved:,} of these roots do, named in the first column." if moved else
           "none of these roots does.") + "</p>"
        + frame_table(tab[cols], "adoption-fits", 40)
    )
    return figs.section("adoption", "Adoption curves", body)


def _family_roots(ctx: Context, ids: pd.Index) -> list[str]:
    """For each adoption root, the root(s) of its family by every relation ("" when it is one itself)."""
    nodes = ctx.G.align(pd.DataFrame({"id": ids.astype(str)}))
    _, inn, _ = ctx.G.view(ctx.relation)
    indeg = np.diff(inn.indptr)
    out = []
    for j in nodes:
        if j < 0 or indeg[j] == 0:
            out.append("")
            continue
        up, _ = ctx.G.reachable([int(j)], relation=ctx.relation, direction="up")
        tops = sorted(ctx.G.id_of(np.asarray([u for u in up if indeg[u] == 0], dtype=np.int64)))
        out.append(", ".join(tops))
    return out


# --------------------------------------------------------------------------- inheritance
def _inheritance(ctx: Context) -> Section:
    from hftree.traits import inheritance

    with _quiet():
        res = inheritance(ctx.snapshot, ctx.G, samples=1000, n_boot=100, random_state=0)
    figs = Figures(ctx, "inheritance")
    figs.add(
        "kinship",
        lambda ax: res.plot(ax=ax),
        "Mean trait similarity by kinship, with 95 % bootstrap intervals.",
        size=(9.0, 5.0),
    )
    wide = res.wide()
    comp = res.comparisons_frame()
    body = (
        "<p>How similar related models are, trait by trait: parent and child, siblings, cousins … "
        "against random pairs (1 = always the same value).</p>" + frame_table(wide, "inheritance-means", 60)
    )
    if ctx.has_cards:
        with _quiet():
            text = inheritance(ctx.snapshot, ctx.G, traits=["card", "metadata"], samples=500, exact=(),
                               n_boot=100, random_state=0)
        figs.add("text", lambda ax: text.plot(ax=ax),
                 "Similarity of model cards and metadata records by kinship (TF-IDF and bag of words).",
                 size=(9.0, 5.0))
        body += ("<h3>Card and metadata similarity</h3><p>Text similarity (cosine of TF-IDF and of word "
                 "counts) of the model cards and of the metadata records, 500 sampled pairs per kinship: "
                 "relatives write alike far more than random models do.</p>"
                 + frame_table(text.wide(), "inheritance-text", 20))
        comp = pd.concat([comp, text.comparisons_frame()], ignore_index=True)
    else:
        body += _lacks_note(ctx, "Card and metadata similarity", ("cards",))
    if len(comp):
        body += "<h3>Claims tested</h3>" + frame_table(comp, "inheritance-claims", 60)
    return figs.section("inheritance", "Trait inheritance", body)


# --------------------------------------------------------------------------- drift
def _drift(ctx: Context) -> Section:
    from hftree.drift import card_drift, license_audit, mutation_rates, transitions

    figs = Figures(ctx, "drift")
    parts: list[str] = []

    def part(title: str, make: Callable[[], str], needs: tuple[str, ...] = ()) -> None:
        if ctx.lacking(needs):
            parts.append(f"<h3>{e(title)}</h3>" + _lacks_note(ctx, title, needs))
            return
        try:
            with _quiet():
                parts.append(f"<h3>{e(title)}</h3>" + make())
        except Exception as exc:  # one table failing leaves the others
            figs.errors.append(f"{title}: {type(exc).__name__}: {exc}")
            parts.append(f'<h3>{e(title)}</h3><p class="muted">Could not be computed: {e(plain_error(exc))}.</p>')

    def rates() -> str:
        r = mutation_rates(ctx.snapshot, ctx.G, n_boot=200, random_state=0)
        figs.add("mutation", lambda ax: plot_mutation_rates(r, ax=ax),
                 "Share of parent → child edges on which each trait changes, by relation.", size=(8.0, 4.2))
        return frame_table(_values(r.wide()), "drift-mutation")

    def audit() -> str:
        a = license_audit(ctx.snapshot, ctx.G)
        verdicts = a.summary
        n = int(verdicts["edges"].sum())
        bad = int((a.families["violations"] > 0).sum())
        moves = a.violations.drop_duplicates(["parent", "child"])
        top = (moves["parent_license"] + " → " + moves["child_license"]).value_counts().head(5)
        counts = pd.DataFrame({"licence change": top.index.astype(str), "edges": top.to_numpy()})
        return (f"<p>{n:,} parent → child edges whose parent declares a licence; "
                + ", ".join(f"{int(k):,} {e(v)}" for v, k in zip(verdicts["verdict"], verdicts["edges"], strict=True))
                + f". {bad:,} families have edges whose child's licence the parent's does not allow.</p>"
                + kv_table(list(zip(verdicts["verdict"], verdicts["edges"], strict=True)), table_id="drift-verdicts")
                + ("<h4>Most common disallowed changes</h4>" + frame_table(counts, "drift-moves", 5)
                   if len(counts) else "")
                + "<h4>Disallowed changes, edge by edge</h4>" + frame_table(a.to_frame(), "drift-licenses", 30))

    def cards() -> str:
        return frame_table(card_drift(ctx.snapshot, ctx.G, n_boot=200, random_state=0).to_frame(), "drift-cards")

    def ordering() -> str:
        o = transitions(ctx.snapshot, ctx.G, trait="license").ordering()
        return ("<p>Licence values ordered so that most parent → child changes point forward.</p>"
                + frame_table(o.to_frame(), "drift-ordering", 20))

    part("Mutation rates", rates)
    part("Licence changes along edges", audit, ("license",))
    part("Card drift (parent vs child)", cards, ("cards",))
    part("Ordering of licence values", ordering, ("license",))
    return figs.section("drift", "Drift and mutation", "".join(parts))


# --------------------------------------------------------------------------- evolution
def _evolution(ctx: Context) -> Section:
    from hftree.evolution import family_shape, hub_laws, hub_shape

    with _quiet():
        laws = hub_laws(ctx.G, n_boot=50, random_state=0)
        hub = hub_shape(ctx.G)
        shape = family_shape(ctx.G, relation=ctx.relation, top=30, n_null=20, random_state=0)
    figs = Figures(ctx, "evolution")
    for q in ("family_size", "children"):
        if q in laws.fits:
            figs.add(f"ccdf-{q}", laws[q].plot, f"CCDF of {q} with the fitted laws.", fixed=True)
    body = ("<p>Clauset–Shalizi–Newman fits (R &gt; 0 favours the power law), Hub-wide shape per relation, "
            "and the shape of the 30 largest families with z-scores against random-tree null models.</p>"
            + frame_table(laws.to_frame(), "evolution-laws") + "<h3>Leaves and continued derivation</h3>"
            + frame_table(hub.relations, "evolution-hub") + "<h3>Family shape</h3>"
            + frame_table(shape.to_frame(), "evolution-shape", 30))
    return figs.section("evolution", "Evolution: laws and tree shape", body)


ANALYSES: tuple[Analysis, ...] = (
    Analysis("ecosystem", "Ecosystem and downloads", "hftree.ecosystem", _ecosystem, needs=()),
    Analysis("adoption", "Adoption curves", "hftree.adoption", _adoption, needs=("lineage", "created_at")),
    Analysis("inheritance", "Trait inheritance", "hftree.traits", _inheritance),
    Analysis("drift", "Drift and mutation", "hftree.drift", _drift),
    Analysis("evolution", "Evolution: laws and tree shape", "hftree.evolution", _evolution),
)


# --------------------------------------------------------------------------- given results
def result_section(ctx: Context, sid: str, title: str, result: Any) -> Section:
    """A section for a result computed elsewhere (e.g. a data-kernel comparison): its one-line
    note, its ``to_frame()`` as a table and its ``plot()`` as a figure, where it has them."""
    figs = Figures(ctx, sid)
    note = result._note() if callable(getattr(result, "_note", None)) else ""
    body = f"<p>{e(note)}</p>" if note else ""
    if callable(getattr(result, "to_frame", None)):
        frame = result.to_frame()
        if isinstance(frame, pd.DataFrame):
            body += frame_table(frame, f"{sid}-table", 50)
    if callable(getattr(result, "plot", None)):
        figs.add("plot", lambda ax: result.plot(ax=ax), title)
    return figs.section(sid, title, body)
