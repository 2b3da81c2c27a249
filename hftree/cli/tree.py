"""``hftree tree``: an interactive HTML family tree."""

from __future__ import annotations

import argparse
from typing import Any

from hftree.cli._common import (
    ApiChoices,
    add_inferred_args,
    add_relation_arg,
    lineage_graph,
    load,
    n_inferred,
    whole_number,
)


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
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
        choices=ApiChoices("hftree.viz.tree", "ColorBy"), metavar="FIELD",
        default="relation",
        help="initial node colouring: %(choices)s (the page can switch; default relation)",
    )
    p.add_argument(
        "--keep-by",
        choices=ApiChoices("hftree.viz.tree", "KeepBy"), metavar="FIELD",
        default="downloads",
        help="what makes a subtree worth keeping when folding: %(choices)s (default downloads)",
    )
    p.add_argument("--title", help="page title (default: the root id)")
    p.add_argument(
        "--family", action="store_true",
        help="ROOT may be any model: draw the whole family of its (largest) root with ROOT focused",
    )
    add_inferred_args(p)
    p.set_defaults(run=run)
    return p


def _title(args: argparse.Namespace, G: Any, root: str) -> str | None:
    """The page title: ``--title`` (or the viewer's default, the root id), and with ``--inferred`` what
    was added, so a page with inferred lineage never passes for declared lineage only."""
    if not args.inferred:
        return args.title
    n = n_inferred(G)
    return (f"{args.title or root} (with {n:,} inferred edge{'' if n == 1 else 's'}, "
            f"confidence >= {args.min_confidence:g})")


def run(args: argparse.Namespace) -> int:
    from hftree.cli.family import term
    from hftree.lineage import family_of
    from hftree.viz.tree import tree_html

    snap = load(args.snapshot)
    G = lineage_graph(snap, args, warn=False)
    root, focus = args.root, None
    fam = family_of(G, args.root, relation=args.relation)
    if fam.generation > 0:  # not a root: say which family it belongs to
        big = max(zip(fam.root_sizes, fam.roots, strict=True))[1]
        roots = ", ".join(term(r) for r in fam.roots)
        if args.family:
            root, focus = big, args.root
            print(f"{term(args.root)} belongs to the family of {roots}; "
                  f"drawing the family of {term(big)} with it focused")
        else:
            print(f"note: {term(args.root)} is not a root: it belongs to the family of {roots} "
                  f"(--family draws that family with it focused); drawing its descendants")
    page = tree_html(
        G,
        root,
        focus=focus,
        relation=args.relation,
        max_nodes=args.max_nodes,
        cards=snap.cards,
        color_by=args.color_by,
        keep_by=args.keep_by,
        title=_title(args, G, root),
    )
    page.save(args.output)
    print(
        f"wrote {term(args.output)}: {page.n_nodes:,} nodes, {page.n_edges:,} edges, {page.collapsed:,} folded "
        f"({len(page.html.encode()) / 1e6:.1f} MB)"
    )
    return 0
