"""``hftree families``: the family table of a snapshot."""

from __future__ import annotations

import argparse

from hftree.cli._common import (
    ApiChoices,
    _ListChoices,
    add_inferred_args,
    add_output_args,
    add_relation_arg,
    add_top_arg,
    lineage_graph,
    load,
    note_missing,
    output_format,
    require_lineage,
    whole_number,
    write_frame,
)

_COLUMNS = ApiChoices("hftree.families.stats", "FAMILY_COLUMNS")


class _AllColumns(ApiChoices):
    """The family-table columns and, with ``--inferred``, the lineage-coverage ones."""

    @property
    def values(self) -> tuple[str, ...]:
        from hftree.families.lineage import LINEAGE_COLUMNS

        return (*super().values, *LINEAGE_COLUMNS)


_SHOWN = _AllColumns("hftree.families.stats", "FAMILY_COLUMNS")


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "families", help="one row of statistics per family (root)",
        description="Family statistics: one row per root whose family (the root and its descendants) has "
        "at least --min-size models. A model reachable from several roots (merges) counts in each of its "
        "families.",
    )
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p.add_argument("--min-size", type=whole_number(1), default=2, metavar="N",
                   help="smallest family kept, in models, the root included (default 2: roots with a child)")
    add_relation_arg(p)
    p.add_argument("--sort", default="descendants", choices=_COLUMNS, metavar="COLUMN",
                   help="column to sort by, descending (default descendants)")
    add_top_arg(p, "keep the first N rows (default: all)")
    p.add_argument("--columns", action=_ListChoices, item_choices=_SHOWN, metavar="COL,COL",
                   help="comma-separated columns to show (default: all for files, a summary on screen); "
                   "with --inferred also lineage_declared, lineage_inferred, lineage_none and their _share")
    add_inferred_args(p)
    add_output_args(p)
    p.set_defaults(run=run)
    return p


_SCREEN = ["root", "descendants", "n_finetune", "n_adapter", "n_quantized", "n_merge", "children",
           "depth", "authors", "family_downloads", "root_license", "license_differs_share", "days_to_first_child"]


def run(args: argparse.Namespace) -> int:
    import warnings

    from hftree.errors import DataQualityWarning, UsageError
    from hftree.families import family_stats
    from hftree.families.lineage import LINEAGE_COLUMNS, with_lineage_coverage

    output_format(args.format, args.output)  # an unknown -o extension fails before the work
    asked = [c for c in args.columns or () if c in LINEAGE_COLUMNS]
    if asked and not args.inferred:
        raise UsageError(f"--columns {asked[0]} needs --inferred EDGES|infer (lineage coverage per family)")
    snap = load(args.snapshot)
    require_lineage(snap, "families")
    G = lineage_graph(snap, args)
    screen = args.output is None and args.format in (None, "table")
    df = family_stats(G, relation=args.relation, min_size=args.min_size, sort=args.sort, top=args.top)
    with_inferred = bool(args.inferred)  # G holds them: coverage is counted on G, nothing read again
    if with_inferred:
        df = with_lineage_coverage(df, G, relation=args.relation)
    note_missing(G.models, ("created_at", "downloads", "likes", "license"))
    early = df[df["days_to_first_child"] < 0]
    if len(early):
        first = early.sort_values("days_to_first_child").iloc[0]
        warnings.warn(
            f"{len(early):,} {'family has' if len(early) == 1 else 'families have'} a child created before "
            "their root (negative days_to_first_child, "
            f"e.g. {first['root']}: {-first['days_to_first_child']:.1f} days); a base model re-pointed after "
            "the fact, or a wrong date",
            DataQualityWarning,
            stacklevel=2,
        )
    shown = _SCREEN + (["lineage_inferred", "lineage_inferred_share"] if with_inferred else [])
    df = df[args.columns or (shown if screen else list(df.columns))]
    write_frame(df, args.format, args.output)
    return 0
