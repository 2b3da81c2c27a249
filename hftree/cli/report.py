"""``hftree report``: the offline HTML report of a snapshot."""

from __future__ import annotations

import argparse

from hftree.cli._common import INFER_NOW, add_inferred_args, add_relation_arg, inferred_edges, load, whole_number
from hftree.cli._errors import term


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "report",
        help="write the offline HTML report of a snapshot (index.html + assets/)",
        description="Writes DIR/index.html and DIR/assets/: overview counts and data-quality notes, a "
        "sortable family table, interactive trees of the largest families, and a section per analysis "
        "module that is installed (ecosystem, adoption, inheritance, ...). Opens offline.",
    )
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="report folder (created if needed)"
    )
    add_relation_arg(p)
    p.add_argument(
        "--top-trees",
        type=whole_number(0),
        default=5,
        metavar="N",
        help="interactive trees for the N largest families (default 5)",
    )
    p.add_argument(
        "--max-nodes",
        type=whole_number(1),
        default=2000,
        metavar="N",
        help="node budget of each tree (default 2000)",
    )
    p.add_argument(
        "--table-rows",
        type=whole_number(1),
        default=500,
        metavar="N",
        help="rows of the family table shown (the CSV has all; default 500)",
    )
    p.add_argument(
        "--no-analyses", action="store_true", help="core sections only (no analysis modules)"
    )
    p.add_argument("--title", help="report title (default 'hftree report: ' and the snapshot's name)")
    p.add_argument("--svg", action="store_true", help="also write every figure as SVG (default: PNG only)")
    add_inferred_args(p)
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    import sys

    from hftree.report import write_report

    snap = load(args.snapshot)
    # 'infer': the report infers the edges itself; a file: its edges are handed over. Either way the
    # report's graph, its lineage section and its overview line count the same edges
    given = args.inferred and args.inferred != INFER_NOW
    inferred = inferred_edges(snap, args) if given else args.inferred == INFER_NOW
    if given and inferred is not None:
        k = int((inferred["confidence"] >= args.min_confidence).sum())
        print(f"lineage: declared + {k:,} inferred edges (confidence >= {args.min_confidence:g}, source 'inferred', "
              f"from {term(args.inferred)})", file=sys.stderr)
    elif inferred:
        print(f"lineage: declared + inferred edges (confidence >= {args.min_confidence:g}, source 'inferred', "
              "inferred now by the report)", file=sys.stderr)
    res = write_report(
        snap,
        args.output,
        inferred=inferred,
        min_confidence=args.min_confidence,
        relation=args.relation,
        top_trees=args.top_trees,
        max_nodes=args.max_nodes,
        table_rows=args.table_rows,
        analyses=not args.no_analyses,
        title=args.title,
        svg=args.svg,
    )
    for s in res.sections:
        line = f"  {s.id:<14} {s.status:<8} {s.seconds:6.1f} s"
        print(line + (f"  {s.note}" if s.note else ""))
    for u in res.unavailable:
        print(f"  not included: {u}")
    print(f"wrote {res.index} ({len(res.sections)} sections, {res.seconds:.1f} s)")
    return 0
