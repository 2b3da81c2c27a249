"""``hftree families``: the family table of a snapshot."""

from __future__ import annotations

import argparse

from hftree.cli._common import add_output_args, add_relation_arg, load, write_frame


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from hftree.families.stats import FAMILY_COLUMNS

    p = sub.add_parser(
        "families", help="one row of statistics per family (root)",
        description="Family statistics: one row per root with at least --min-size descendants. "
        "A model reachable from several roots (merges) counts in each of its families.",
    )
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p.add_argument("--min-size", type=int, default=1, help="minimum number of descendants (default 1)")
    add_relation_arg(p)
    p.add_argument("--sort", default="descendants", choices=list(FAMILY_COLUMNS), metavar="COLUMN",
                   help="column to sort by, descending (default descendants)")
    p.add_argument("--top", type=int, help="keep the first N rows")
    p.add_argument("--columns", help="comma-separated columns to show (default: all for files, a summary on screen)")
    add_output_args(p)
    p.set_defaults(run=run)
    return p


_SCREEN = ["root", "descendants", "n_finetune", "n_adapter", "n_quantized", "n_merge", "children",
           "depth", "authors", "family_downloads", "root_license", "license_differs_share"]


def run(args: argparse.Namespace) -> int:
    from hftree.families import family_stats
    from hftree.lineage import LineageGraph

    G = LineageGraph.from_snapshot(load(args.snapshot))
    df = family_stats(G, relation=args.relation, min_size=args.min_size, sort=args.sort, top=args.top)
    if args.columns:
        cols = [c.strip() for c in args.columns.split(",") if c.strip()]
        bad = [c for c in cols if c not in df.columns]
        if bad:
            raise ValueError(f"unknown column {bad[0]!r}; columns are {', '.join(df.columns)}")
        df = df[cols]
    elif args.output is None and args.format in (None, "table"):
        df = df[_SCREEN]
    write_frame(df, args.format, args.output)
    return 0
