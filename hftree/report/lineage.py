"""The report's lineage coverage: how many models declare a parent, how many more could have
one inferred (:func:`hftree.lineage.infer.infer`), how many have none, Hub-wide and per family."""

from __future__ import annotations

import pandas as pd

from hftree.report._context import Context, Section
from hftree.report._html import e, kv_table, sortable_table

__all__ = ["lineage_line", "lineage_section"]

_SHARES = ("declared_share", "inferred_share", "none_share")
_SHOWN = {"declared_share": "share declared", "inferred_share": "share inferred", "none_share": "share none"}


def lineage_line(ctx: Context) -> str:
    """One line: which edges the report's families and trees use, and what inference would add."""
    res, why = ctx.inference
    p = f"{ctx.min_confidence:g}"
    if res is None:
        return f"lineage: declared edges only; no edge could be inferred ({why})"
    n = len(res.edges)
    s = "" if n == 1 else "s"
    if ctx.include_inferred:
        return f"lineage: declared edges and {n:,} inferred edge{s} at confidence ≥ {p} — see hftree infer"
    return f"lineage: declared edges only; {n:,} more edge{s} could be inferred at confidence ≥ {p} — see hftree infer"


def lineage_section(ctx: Context) -> Section:
    """Hub-wide and per-family counts and shares of models with declared, inferred and no lineage."""
    from hftree.lineage.infer import lineage_coverage

    res, why = ctx.inference
    inferred = res.edges if res is not None else pd.DataFrame(columns=["parent", "child", "confidence"])
    cov = lineage_coverage(ctx.snapshot, inferred, min_confidence=ctx.min_confidence, top=ctx.coverage_rows)
    o, fam = cov.overall.iloc[0], cov.families
    rows = [
        ("declared parent", int(o["declared"]), f"{o['declared_share']:.1%} of {int(o['models']):,} models"),
        ("inferred parent only", int(o["inferred"]),
         f"{o['inferred_share']:.1%}, confidence ≥ {ctx.min_confidence:g}" if res is not None else "not inferred"),
        ("no parent", int(o["none"]), f"{o['none_share']:.1%} (roots, isolated models)"),
    ]
    cols = ["family", "models", "declared", "inferred", "none", *_SHARES]
    shown = fam[[c for c in cols if c in fam]].rename(columns=_SHOWN) if len(fam) else fam
    table = sortable_table(shown, table_id="lineage-families", hub_column="family", links=ctx.tree_links,
                           percent=tuple(_SHOWN.values())) if len(fam) else ""
    body = (
        f"<p>{e(lineage_line(ctx))}.</p>"
        "<p>A model counts as <i>declared</i> when it names a parent (base_model tags, card metadata or "
        "the edge list), as <i>inferred</i> when it names none but "
        "<code>hftree infer</code> proposes one at or above the confidence threshold, and as "
        "<i>none</i> otherwise.</p>"
        + kv_table(rows, table_id="lineage-coverage")
        + (f"<h3>The {len(fam):,} largest families</h3><p class=\"muted\">A family here is a root and its "
           "descendants by declared and inferred edges; the root itself counts under none.</p>" + table
           if len(fam) else "")
    )
    note = f"no edge inferred: {why}" if res is None else ""
    return Section("lineage", "Lineage coverage", note=note, body=body)
