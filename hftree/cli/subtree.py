"""``hftree subtree``: write one family as CSV tables, GraphML, node-link JSON or a snapshot."""

from __future__ import annotations

import argparse

from hftree.cli._common import ApiChoices, add_inferred_args, add_relation_arg, load, whole_number


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "subtree",
        help="write a family (ROOT and its descendants) as CSV, GraphML, JSON or a snapshot",
        description="Writes ROOT and its descendants: --format csv (a directory with nodes.csv and "
        "edges.csv), graphml (networkx), json (node-link: nodes and edges) or snapshot (a snapshot "
        "directory every hftree command reads). --relation and --max-depth cut the family down.",
    )
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p.add_argument("root", metavar="ROOT", help="model id whose descendants are written")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="file (graphml, json) or directory (csv, snapshot)")
    p.add_argument(
        "--format",
        choices=ApiChoices("hftree.lineage.export", "FamilyFormat"),
        metavar="FORMAT",
        default=None,
        help="%(choices)s (default: from OUT's extension, .graphml or .json, else csv)",
    )
    add_relation_arg(p)
    p.add_argument("--max-depth", type=whole_number(0), default=None, metavar="N",
                   help="keep models at most N generations below ROOT")
    p.add_argument("--force", action="store_true", help="replace an existing snapshot directory")
    add_inferred_args(p)
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    from pathlib import Path
    from typing import cast

    from hftree.cli._common import lineage_graph
    from hftree.cli.family import term
    from hftree.lineage import family_tables, write_family
    from hftree.lineage.export import FamilyFormat

    ext = Path(args.output).suffix.lower()
    fmt = cast(FamilyFormat, args.format or {".graphml": "graphml", ".json": "json"}.get(ext, "csv"))
    snap = load(args.snapshot)
    G = lineage_graph(snap, args, warn=False)
    written = write_family(
        G, args.root, args.output, format=fmt, relation=args.relation, max_depth=args.max_depth,
        cards=snap.cards, overwrite=args.force,
    )
    nodes, edges = family_tables(G, args.root, relation=args.relation, max_depth=args.max_depth)
    print(f"wrote {', '.join(term(p) for p in written)} ({fmt}): {len(nodes):,} models, {len(edges):,} edges")
    return 0
