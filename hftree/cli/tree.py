"""``hftree tree``: an interactive HTML family tree."""

from __future__ import annotations

import argparse

from hftree.cli._common import add_relation_arg, load, whole_number


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from hftree.viz.tree import COLOR_BY, KEEP_BY

    p = sub.add_parser(
        "tree",
        help="write an interactive HTML family tree (works offline)",
        description="Writes one self-contained HTML page (no network access needed to view it) with the "
        "family of ROOT: layered by generation, coloured by relation (or licence, task, author), "
        "searchable, with depth and relation filters.",
    )
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p.add_argument("root", metavar="ROOT", help="model id whose descendants are drawn")
    p.add_argument("-o", "--output", required=True, metavar="HTML")
    add_relation_arg(p)
    p.add_argument(
        "--max-nodes",
        type=whole_number(1),
        default=3000,
        metavar="N",
        help="node budget: above it the least important subtrees are folded into summary "
        "nodes (default 3000)",
    )
    p.add_argument(
        "--color-by",
        choices=COLOR_BY,
        default="relation",
        help="initial node colouring (the page can switch; default relation)",
    )
    p.add_argument(
        "--keep-by",
        choices=KEEP_BY,
        default="downloads",
        help="what makes a subtree worth keeping when folding (default downloads)",
    )
    p.add_argument("--title", help="page title (default: the root id)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    import warnings

    from hftree.lineage import LineageGraph
    from hftree.viz.tree import tree_html

    snap = load(args.snapshot)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        G = LineageGraph.from_snapshot(snap)
    page = tree_html(
        G,
        args.root,
        relation=args.relation,
        max_nodes=args.max_nodes,
        cards=snap.cards,
        color_by=getattr(args, "color_by", "relation"),
        keep_by=getattr(args, "keep_by", "downloads"),
        title=getattr(args, "title", None),
    )
    page.save(args.output)
    print(
        f"wrote {args.output}: {page.n_nodes:,} nodes, {page.n_edges:,} edges, {page.collapsed:,} folded "
        f"({len(page.html.encode()) / 1e6:.1f} MB)"
    )
    return 0
