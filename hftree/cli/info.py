"""``hftree info``: counts, relations, roots, family sizes and data quality of a snapshot."""

from __future__ import annotations

import argparse
import json
from typing import Any


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
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    from hftree.cli._common import load
    from hftree.families.overview import snapshot_summary

    snap = load(args.snapshot)
    s = snapshot_summary(snap)
    s["edges_by_source"] = snap.manifest.get("edges_by_source", {})
    if args.json:
        print(json.dumps(s, indent=2, default=str))
    else:
        print(render(s, args.snapshot), end="")
    return 0


def render(s: dict, name: str) -> str:
    """The text ``hftree info`` prints for a :func:`~hftree.families.overview.snapshot_summary`."""
    lines: list[str] = []
    out = lines.append
    out(f"snapshot        {name} (taken {s['snapshot_time']})")
    out(f"models          {s['models']:,}   cards {s['cards']:,}")
    out(f"external parents {s['external_parents']:,} (named as base model, no record)")
    out(f"edges           {s['edges']:,} (declared {s['declared_edges']:,})")
    for r, k in s["edges_by_relation"].items():
        out(f"  {r:<13} {k:>10,}")
    if s.get("edges_by_source"):
        out("declarations by source   " + ", ".join(f"{k} {v:,}" for k, v in s["edges_by_source"].items()))
    out(f"models with a parent   {s['models_with_parent']:,}")
    out(f"roots with descendants {s['roots_with_descendants']:,}   isolated models {s['isolated_models']:,}")
    out("largest families")
    for f in s["largest_families"]:
        out(f"  {f['descendants']:>8,}  {f['root']}")
    out("family sizes (descendants: families, share)")
    for row in s["family_sizes"]:
        out(f"  {row['descendants']:>12}: {row['families']:>9,}  {row['share']:.1%}")
    out("data quality")
    for k, v in {**s["import_quality"], **s["graph_quality"]}.items():
        if isinstance(v, dict):  # e.g. relation_disagreement_kinds: one line per kind
            for kind, n in v.items():
                out(f"  {k:<28} {n:>7,}  {kind}")
            continue
        label = _LABELS.get(k, k)
        out(f"  {label:<28} {v:,}" if isinstance(v, int) else f"  {label:<28} {v}")
    for e in s["cycle_edges_removed"]:
        out(f"  cycle broken: removed {e['parent']} -> {e['child']}")
    for e in s["near_miss_examples"]:
        out(f"  near-miss id (not joined): {e['external']} ~ {e['model']}")
    return "\n".join(lines) + "\n"


#: Data-quality keys named for people where the key alone misleads.
_LABELS = {"placeholder_created_at": "placeholder createdAt"}
