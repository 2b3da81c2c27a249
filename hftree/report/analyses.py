"""Report sections of the analyses: each imports its module when it runs.

A builder whose module is not installed raises ``ModuleNotFoundError`` naming
an ``hftree.*`` module; :func:`~hftree.report.write_report` then omits the
section and names it in the footer. One figure that fails does not fail its
section: the section is marked ``partial`` and says which figure and why.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hftree.report._context import Context, Figures, Section, frame_table, short_repr
from hftree.report._html import e, kv_table
from hftree.viz.figures import plot_mutation_rates

__all__ = ["ANALYSES", "Analysis", "result_section"]


@dataclass(frozen=True)
class Analysis:
    """A report section computed from the snapshot by an analysis module."""

    id: str
    title: str
    module: str
    build: Callable[[Context], Section]


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence an analysis' warnings: the report shows its results, ``hftree info`` the data issues."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# --------------------------------------------------------------------------- ecosystem
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
    )
    figs.add(
        "tasks",
        lambda ax: plot_shares(st.task_shares, ax=ax),
        "Share of models and downloads by task.",
    )
    figs.add(
        "likes-downloads",
        lambda ax: plot_likes_downloads(ctx.G.models, ax=ax),
        "Likes against downloads (log axes).",
    )
    figs.add(
        "concentration",
        lambda ax: plot_concentration(ctx.G.models, ax=ax),
        "Lorenz curve of downloads across models.",
    )
    figs.add(
        "created-per-month",
        lambda ax: plot_created_per_month(st.created_by_license_class, ax=ax),
        "Models created per month, by licence class.",
        size=(9.0, 4.0),
    )
    rows = [(r.statistic, r.value, r.description) for r in st.summary.itertuples(index=False)]
    body = (
        f"<p>{e(st.n_selected)} of {e(st.n_total)} models ({e(st.selection_label)}).</p>"
        + kv_table(rows, table_id="ecosystem-summary")
    )
    if st.family_concentration is not None and len(st.family_concentration):
        body += "<h3>Downloads within families</h3>" + frame_table(
            st.family_concentration, "family-concentration", 30
        )
    return figs.section("ecosystem", "Ecosystem and downloads", body)


# --------------------------------------------------------------------------- adoption
def _adoption(ctx: Context) -> Section:
    from hftree.adoption import WSBFitter, fit_families, growth_series

    with _quiet():
        counts = growth_series(ctx.G, min_size=6, relation="finetune")  # the root and 5 fine-tunes
    if counts.empty:
        return Figures(ctx, "adoption").section(
            "adoption",
            "Adoption curves",
            "<p>No root has five or more dated fine-tune descendants: nothing to fit.</p>",
        )
    final = counts.max(axis=1, skipna=True)
    top = counts.loc[final.sort_values(ascending=False, kind="stable").index[:40]]
    with _quiet():
        fits = fit_families(top)
    tab = fits.to_frame()
    cols = [
        c
        for c in ("lam", "mu", "sigma", "r2", "final", "c_inf", "impact_time", "flags")
        if c in tab
    ]
    figs = Figures(ctx, "adoption")
    figs.add(
        "collapse",
        lambda ax: fits.plot_collapse(ax=ax),
        "Rescaled adoption curves of the identifiable families on one master curve.",
    )
    for i, root in enumerate(top.index[:4]):

        def draw(ax: Any, root: Any = root) -> Any:
            with _quiet():
                return WSBFitter().fit(top.loc[root]).plot(ax=ax)

        figs.add(
            f"fit-{i + 1}",
            draw,
            f"Cumulative fine-tunes of {root} and the fitted curve.",
            size=(5.5, 3.6),
        )
    body = (
        f"<p>Cumulative fine-tune descendants per month since each root's creation, fitted with the "
        f"Wang–Song–Barabási curve, for the {len(top)} largest of {len(counts):,} roots with at least 5 "
        f"dated fine-tunes. {int(tab.get('converged', pd.Series(dtype=bool)).sum()):,} fits converged.</p>"
        + frame_table(tab[cols], "adoption-fits", 40)
    )
    return figs.section("adoption", "Adoption curves", body)


# --------------------------------------------------------------------------- inheritance
def _inheritance(ctx: Context) -> Section:
    from hftree.traits import inheritance

    with _quiet():
        res = inheritance(ctx.snapshot, ctx.G, samples=2000, n_boot=200, random_state=0)
    figs = Figures(ctx, "inheritance")
    figs.add(
        "kinship",
        lambda ax: res.plot(ax=ax),
        "Mean trait similarity by kinship, with 95 % bootstrap intervals.",
        size=(9.0, 5.0),
    )
    wide = res.wide().round(3)
    comp = res.comparisons_frame()
    body = (
        "<p>How similar related models are, trait by trait: parent and child, siblings, cousins … "
        "against random pairs.</p>" + frame_table(wide, "inheritance-means", 60)
    )
    if len(comp):
        body += "<h3>Claims tested</h3>" + frame_table(comp, "inheritance-claims", 60)
    return figs.section("inheritance", "Trait inheritance", body)


# --------------------------------------------------------------------------- drift
def _drift(ctx: Context) -> Section:
    from hftree.drift import card_drift, license_audit, mutation_rates, transitions

    figs = Figures(ctx, "drift")
    parts: list[str] = []

    def part(title: str, make: Callable[[], str]) -> None:
        try:
            with _quiet():
                parts.append(f"<h3>{e(title)}</h3>" + make())
        except Exception as exc:  # one table failing leaves the others
            figs.errors.append(f"{title}: {type(exc).__name__}: {exc}")

    def rates() -> str:
        r = mutation_rates(ctx.snapshot, ctx.G, n_boot=200, random_state=0)
        figs.add("mutation", lambda ax: plot_mutation_rates(r, ax=ax),
                 "Share of parent → child edges on which each trait changes, by relation.", size=(8.0, 4.2))
        return frame_table(r.wide().round(3), "drift-mutation")

    def audit() -> str:
        a = license_audit(ctx.snapshot, ctx.G)
        return f"<p>{e(short_repr(a))}</p>" + frame_table(a.to_frame(), "drift-licenses", 30)

    def cards() -> str:
        return frame_table(card_drift(ctx.snapshot, ctx.G, n_boot=200, random_state=0).to_frame(), "drift-cards")

    def ordering() -> str:
        o = transitions(ctx.snapshot, ctx.G, trait="license").ordering()
        return ("<p>Licence values ordered so that most parent → child changes point forward.</p>"
                + frame_table(o.to_frame(), "drift-ordering", 20))

    part("Mutation rates", rates)
    part("Licence changes along edges", audit)
    part("Card drift (parent vs child)", cards)
    part("Ordering of licence values", ordering)
    if not parts:
        raise RuntimeError("; ".join(figs.errors))
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
            figs.add(f"ccdf-{q}", laws[q].plot, f"CCDF of {q} with the fitted laws.")
    body = ("<p>Clauset–Shalizi–Newman fits (R &gt; 0 favours the power law), Hub-wide shape per relation, "
            "and the shape of the 30 largest families with z-scores against random-tree null models.</p>"
            + frame_table(laws.to_frame(), "evolution-laws") + "<h3>Leaves and continued derivation</h3>"
            + frame_table(hub.relations, "evolution-hub") + "<h3>Family shape</h3>"
            + frame_table(shape.to_frame(), "evolution-shape", 30))
    return figs.section("evolution", "Evolution: laws and tree shape", body)


ANALYSES: tuple[Analysis, ...] = (
    Analysis("ecosystem", "Ecosystem and downloads", "hftree.ecosystem", _ecosystem),
    Analysis("adoption", "Adoption curves", "hftree.adoption", _adoption),
    Analysis("inheritance", "Trait inheritance", "hftree.traits", _inheritance),
    Analysis("drift", "Drift and mutation", "hftree.drift", _drift),
    Analysis("evolution", "Evolution: laws and tree shape", "hftree.evolution", _evolution),
)


# --------------------------------------------------------------------------- given results
def result_section(ctx: Context, sid: str, title: str, result: Any) -> Section:
    """A section for a result computed elsewhere (e.g. a data-kernel comparison):
    its ``to_frame()`` as a table and its ``plot()`` as a figure, where it has them."""
    figs = Figures(ctx, sid)
    body = f"<p><code>{e(type(result).__name__)}</code>: {e(short_repr(result))}</p>"
    if callable(getattr(result, "to_frame", None)):
        frame = result.to_frame()
        if isinstance(frame, pd.DataFrame):
            body += frame_table(frame, f"{sid}-table", 50)
    if callable(getattr(result, "plot", None)):
        figs.add("plot", lambda ax: result.plot(ax=ax), title)
    return figs.section(sid, title, body)

