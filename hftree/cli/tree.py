"""``hftree tree``: an interactive HTML family tree."""

from __future__ import annotations

import argparse

from hftree.cli._common import add_relation_arg, load


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("tree", help="write an interactive HTML family tree (works offline)")
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p.add_argument("root", metavar="ROOT", help="model id whose descendants are drawn")
    p.add_argument("-o", "--output", required=True, metavar="HTML")
    add_relation_arg(p)
    p.add_argument("--max-nodes", type=int, default=3000, help="fold the least downloaded leaves above this many")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    import warnings

    from hftree.lineage import LineageGraph
    from hftree.viz.tree import tree_html

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        G = LineageGraph.from_snapshot(load(args.snapshot))
    page = tree_html(G, args.root, relation=args.relation, max_nodes=args.max_nodes)
    page.save(args.output)
    print(f"wrote {args.output}: {page.n_nodes:,} nodes, {page.n_edges:,} edges, {page.collapsed:,} folded")
    return 0
