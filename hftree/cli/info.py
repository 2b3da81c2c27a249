"""``hftree info``: counts, relations, roots, family sizes and data quality of a snapshot."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hftree.cli._common import add_inferred_args


def __getattr__(name: str) -> Any:
    """``hftree.cli.info.summary``: the data behind ``hftree info``, imported on first use."""
    if name == "summary":
        from hftree.families.overview import snapshot_summary

        return snapshot_summary
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("info", help="summary and data-quality report of a snapshot")
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_inferred_args(p)
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    from hftree.cli._common import inferred_edges, load
    from hftree.families.overview import snapshot_summary

    snap = load(args.snapshot)
    s = snapshot_summary(snap)
    s["edges_by_source"] = snap.manifest.get("edges_by_source", {})
    extra = inferred_edges(snap, args)
    if extra is not None:
        from hftree.lineage.infer import lineage_coverage

        row = lineage_coverage(snap, extra, min_confidence=args.min_confidence).overall.iloc[0]
        s["lineage_coverage"] = {k: (int(v) if k in ("models", "declared", "inferred", "none") else float(v))
                                 for k, v in row.items()}
        s["lineage_coverage"]["min_confidence"] = args.min_confidence
    if args.json:
        print(json.dumps(s, indent=2, default=str))
    else:
        print(render(s, args.snapshot), end="")
    return 0


def render(s: dict, name: str) -> str:
    """The text ``hftree info`` prints for a :func:`~hftree.families.overview.snapshot_summary`."""
    from hftree.cli._common import term
    from hftree.families.overview import quality_label

    lines: list[str] = []
    out = lines.append
    out(f"snapshot        {name} (taken {s['snapshot_time']})")
    out(f"models          {s['models']:,}   cards {s['cards']:,}")
    ext = s.get("external_nodes", s["external_parents"])
    out(f"ids without a record {ext:,}: {s['external_parents']:,} named as a parent, "
        f"{s.get('external_children', 0):,} named only as a child")
    out(f"edges           {s['edges']:,} (from {s['declared_edges']:,} parent declarations)"
        + ("   no lineage edges in this snapshot" if not s["edges"] else ""))
    for r, k in s["edges_by_relation"].items():
        out(f"  {r:<13} {k:>10,}")
    if s.get("edges_by_source"):
        out("declarations by source   " + ", ".join(f"{k} {v:,}" for k, v in s["edges_by_source"].items()))
    out(f"models with a parent   {s['models_with_parent']:,}")
    out(f"roots with descendants {s['roots_with_descendants']:,}   isolated models {s['isolated_models']:,}")
    out("largest families")
    for f in s["largest_families"]:
        out(f"  {f['descendants']:>8,}  {term(f['root'])}")
    out("family sizes (descendants: families, share)")
    for row in s["family_sizes"]:
        out(f"  {row['descendants']:>12}: {row['families']:>9,}  {row['share']:.1%}")
    _coverage(s, out)
    _lineage(s, out)
    out("data quality")
    for k, v in {**s["import_quality"], **s["graph_quality"]}.items():
        label = quality_label(k)
        if isinstance(v, dict):  # e.g. relation_disagreement_kinds: one line per kind
            for kind, n in v.items():
                out(f"  {label:<28} {n:>7,}  {kind}")
            continue
        out(f"  {label:<28} {v:,}" if isinstance(v, int) else f"  {label:<28} {v}")
    for e in s["cycle_edges_removed"]:
        out(f"  cycle broken: removed {term(e['parent'])} -> {term(e['child'])}")
    for e in s["near_miss_examples"]:
        out(f"  near-miss id (not joined): {term(e['external'])} ~ {term(e['model'])}")
    if s.get("children_before_parent"):
        out(f"  {'children dated before parent':<28} {s['children_before_parent']:,}   families with a negative "
            f"days_to_first_child {s['roots_with_earlier_child']:,}")
        for x in s.get("earlier_child_examples", []):
            out(f"    {term(x['root'])}: first child {-x['days_to_first_child']:,} days before the root")
    return "\n".join(lines) + "\n"


def _lineage(s: dict, out: Any) -> None:
    """The lineage-coverage lines: models with declared, inferred and no lineage (inferred: or how to get it)."""
    cov = s.get("lineage_coverage")
    if not cov or not cov["models"]:
        return
    out("lineage coverage (models)")
    out(f"  {'declared parent':<20} {cov['declared']:>10,}  {cov['declared_share']:>6.1%}")
    if cov["inferred"] is None:
        out("  inferred parent only not computed: `hftree info SNAPSHOT --inferred infer` (or --inferred EDGES from "
            "`hftree infer -o`)")
    else:
        out(f"  {'inferred parent only':<20} {cov['inferred']:>10,}  {cov['inferred_share']:>6.1%}   "
            f"confidence >= {cov['min_confidence']:g}")
    out(f"  {'no parent':<20} {cov['none']:>10,}  {cov['none_share']:>6.1%}")


def _coverage(s: dict, out: Any) -> None:
    """The field-coverage lines: how many models have each field, and which fields none has."""
    cov = s.get("field_coverage")
    if not cov:
        return
    out("field coverage (models with a value)")
    for row in cov:
        share = "" if row["share"] is None else f"{row['share']:.1%}"
        missing = f"   {row['missing']:,} missing" if row["missing"] and row["models"] else ""
        none = "" if row["models"] else "   none"
        out(f"  {row['field']:<14} {row['models']:>10,}  {share:>6}{missing}{none}")
    if s.get("missing_fields"):
        out("  this snapshot has no " + ", ".join(s["missing_fields"]) + ": analyses show them as missing, not zero")
