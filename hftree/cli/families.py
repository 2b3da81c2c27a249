"""``hftree families``: the family table of a snapshot."""

from __future__ import annotations

import argparse

from hftree.cli._common import (
    ApiChoices,
    _ListChoices,
    add_output_args,
    add_relation_arg,
    add_top_arg,
    load,
    whole_number,
    write_frame,
)

_COLUMNS = ApiChoices("hftree.families.stats", "FAMILY_COLUMNS")


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
    p.add_argument("--columns", action=_ListChoices, item_choices=_COLUMNS, metavar="COL,COL",
                   help="comma-separated columns to show (default: all for files, a summary on screen)")
    add_output_args(p)
    p.set_defaults(run=run)
    return p


_SCREEN = ["root", "descendants", "n_finetune", "n_adapter", "n_quantized", "n_merge", "children",
           "depth", "authors", "family_downloads", "root_license", "license_differs_share"]


def run(args: argparse.Namespace) -> int:
    from hftree.families import family_stats
    from hftree.lineage import LineageGraph

    G = LineageGraph.from_snapshot(load(args.snapshot))
    screen = args.output is None and args.format in (None, "table")
    df = family_stats(G, relation=args.relation, min_size=args.min_size, sort=args.sort, top=args.top,
                      columns=args.columns or (_SCREEN if screen else None))
    write_frame(df, args.format, args.output)
    return 0
