"""``hftree import``: read Hub metadata files into a snapshot directory."""

from __future__ import annotations

import argparse
import warnings

from hftree.cli._common import progress, term, timestamp


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "import", help="read Hub metadata files into a snapshot",
        description="Read model records (JSON Lines, CSV, Parquet), edge lists and card texts "
        "into a snapshot directory (Parquet tables + manifest.json). The kind of each INPUT is detected.",
    )
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="model records, edge lists or cards")
    p.add_argument("-o", "--output", required=True, metavar="SNAPSHOT_DIR")
    p.add_argument("--edges", action="append", default=[], metavar="FILE", help="read FILE as an edge list")
    p.add_argument("--cards", action="append", default=[], metavar="FILE", help="read FILE as card texts")
    p.add_argument("--parent-col", help="edge-list column of the parent (default parent/source)")
    p.add_argument("--child-col", help="edge-list column of the child (default child/target)")
    p.add_argument("--relation-col", help="edge-list column of the relation (default relation/edge)")
    p.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                   help="stop at the first malformed line (default) or skip and count such lines")
    p.add_argument("--snapshot-time", type=timestamp, metavar="TIME",
                   help="when the data was taken, e.g. 2025-01-31 (default: newest date in it)")
    p.add_argument("--force", action="store_true",
                   help="replace SNAPSHOT_DIR if it is an hftree snapshot (anything else is refused)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    import os

    from hftree._atomic import check_replaceable
    from hftree.cli._errors import warning_line
    from hftree.errors import DataQualityWarning, SnapshotError, UsageError
    from hftree.ingest import import_sources
    from hftree.ingest.snapshot import is_snapshot_dir

    if not (args.inputs or args.edges or args.cards):
        raise UsageError("give at least one INPUT (or --edges FILE, --cards FILE)")
    if os.path.lexists(args.output):
        if not args.force:
            raise SnapshotError(f"{args.output} already exists; add --force to replace it")
        check_replaceable(args.output, is_snapshot_dir, "an hftree snapshot")  # before the work, not after
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        snap = import_sources(
            args.inputs, edges=args.edges, cards=args.cards, on_error=args.on_error,
            parent_col=args.parent_col, child_col=args.child_col, relation_col=args.relation_col,
            snapshot_time=args.snapshot_time, progress=progress(args),
        )
    snap.save(args.output, overwrite=args.force)
    if not args.quiet:
        c = snap.manifest["counts"]
        dq = snap.data_quality
        print(f"wrote {term(args.output)}: {c['models']:,} models, {c['edges']:,} declared edges, {c['cards']:,} cards")
        for w in caught:
            warning_line(term(w.message))
        if dq.get("placeholder_created_at"):
            print(f"{dq['placeholder_created_at']:,} models carry the placeholder createdAt 2022-03-02T23:29:04Z "
                  "(kept in created_at_raw; created_at is unknown)")
        if dq.get("relation_disagreements"):
            print(f"{dq['relation_disagreements']:,} parent-child pairs whose sources disagree on the relation "
                  "(see `hftree info`)")
        if dq.get("skipped_lines"):
            warning_line(f"skipped {dq['skipped_lines']:,} malformed lines, e.g. {term(dq['skipped_examples'][0])}")
    return 0
