"""``hftree diff OLD NEW``: models added, removed, renamed and changed, lineage and family changes.

OLD and NEW are snapshot directories or dates of a history (``HISTORY@YYYY-MM-DD``). The counts table
is printed by default; ``--show CATEGORY`` prints one category's rows; ``--format json`` without
``--show`` writes everything (counts, notes and every table) as one JSON document.
"""

from __future__ import annotations

import argparse
import sys

from hftree.cli._common import ApiChoices, add_output_args, add_top_arg, output_format, term, write_frame


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "diff",
        help="what changed between two snapshots (models, metadata, lineage, families)",
        description="Compare two snapshots: models added, removed, renamed (same Hub _id, new id) and "
        "re-created, licence/task/library/author changes, lineage edges added, removed or with a new "
        "relation, families that grew or shrank. OLD and NEW are snapshot directories or HISTORY@DATE.",
    )
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    p.add_argument("--show", choices=ApiChoices("hftree.history.diff", "Category"), metavar="CATEGORY",
                   help="print the rows of one category (%(choices)s) instead of the counts")
    add_top_arg(p, "families per direction in families_grew/families_shrank")
    add_output_args(p)
    p.set_defaults(run=run)
    return p


def _side(text: str):
    """A snapshot directory, or ``(History, date)`` for ``HISTORY@DATE``."""
    from pathlib import Path

    from hftree.history import open_history

    if "@" in text and not Path(text).exists():
        path, _, day = text.rpartition("@")
        hist = open_history(path)
        return hist, hist.check_dates([day])[0]
    return text


def run(args: argparse.Namespace) -> int:
    import json

    from hftree._atomic import write_atomic
    from hftree.cli._common import to_json, wrote
    from hftree.history import diff_snapshots

    fmt = output_format(args.format, args.output)  # a bad -o fails before the work
    res = diff_snapshots(_side(args.old), _side(args.new), top=args.top)
    for note in res.notes:
        print(f"note: {term(note)}", file=sys.stderr)
    if args.show:
        write_frame(res.tables[args.show], args.format, args.output)
        return 0
    if fmt == "json":
        doc = {
            "old": res.old,
            "new": res.new,
            "notes": res.notes,
            "counts": {c: res.count(c) for c in res.tables},
            "tables": {c: json.loads(to_json(t, orient="records", date_format="iso")) for c, t in res.tables.items()},
        }
        text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
        if args.output:
            write_atomic(args.output, text)
            wrote(args.output, f"diff of {len(res.tables)} categories (json)")
        else:
            sys.stdout.write(text)
        return 0
    write_frame(res.to_frame(), args.format, args.output)
    return 0
