"""``hftree shape``: one row of tree-shape statistics per family, with null-model z-scores."""

from __future__ import annotations

import argparse

from hftree.cli._common import (
    ApiChoices,
    add_inferred_args,
    add_output_args,
    add_random_state_arg,
    add_relation_arg,
    add_top_arg,
    load,
    whole_number,
    write_frame,
)

_NULLS = ApiChoices("hftree.evolution.nulls", "NULL_MODELS")


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "shape", help="tree shape of every family (depth, branching, Sackin, Colless, cherries, Wiener, z-scores)",
        description="Shape statistics of every family's BFS tree (a model with several parents hangs from the "
        "first one reached), and for families with at least --null-min descendants, z-scores against random "
        "trees of the same size (uniform = Yule-like random recursive tree, linear preferential attachment, "
        "and preferential attachment with the kernel exponent fitted from creation dates). "
        "With --hub: the Hub-wide figures per relation (leaf share, continued derivation, generation gaps).",
    )
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p.add_argument("--min-size", type=whole_number(1), default=2, metavar="N",
                   help="smallest family kept, in models, the root included (default 2)")
    add_relation_arg(p)
    p.add_argument("--null", action="append", choices=_NULLS, metavar="MODEL",
                   help="null models (repeatable; one of %(choices)s); default: uniform and fitted")
    p.add_argument("--no-null", action="store_true", help="no null models")
    p.add_argument("--n-null", type=whole_number(2), default=20, metavar="N",
                   help="simulated trees per family and null model (default 20)")
    p.add_argument("--null-min", type=whole_number(1), default=100, metavar="N",
                   help="families with at least N descendants get null models (default 100)")
    p.add_argument("--hub", action="store_true", help="print the Hub-wide figures per relation instead")
    add_top_arg(p, "keep the N largest families (default: all)")
    add_random_state_arg(p)
    add_inferred_args(p)
    add_output_args(p)
    p.set_defaults(run=run)
    return p


_SCREEN = ["root", "descendants", "depth", "widest_generation_size", "root_share", "max_children", "leaf_share",
           "sackin_norm", "colless_norm", "cherries", "wiener_norm", "median_generation_days"]


def run(args: argparse.Namespace) -> int:
    from hftree.cli._common import lineage_graph
    from hftree.evolution import family_shape, hub_shape

    G = lineage_graph(load(args.snapshot), args)
    if args.hub:
        write_frame(hub_shape(G).relations, args.format, args.output)
        return 0
    null = () if args.no_null else (tuple(args.null) if args.null else ("uniform", "fitted"))
    res = family_shape(G, relation=args.relation, min_size=args.min_size, null=null, n_null=args.n_null,
                       null_min_descendants=args.null_min, top=args.top, random_state=args.random_state)
    df = res.to_frame()
    if args.output is None and args.format in (None, "table"):
        z = [c for c in df.columns if c.startswith("z_") and c.split("_", 2)[2] in ("root_share", "sackin_norm")]
        df = df[_SCREEN + z]
    write_frame(df, args.format, args.output)
    return 0
