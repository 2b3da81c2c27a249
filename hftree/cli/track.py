"""``hftree track``: record download counts of watched models into a time-series store.

``python -m hftree.cli.track ARGS`` is ``hftree track ARGS`` (the kill test starts it so).
"""

from __future__ import annotations

import argparse
import sys

from hftree.cli._common import progress, term, whole_number
from hftree.cli.fetch import add_hub_args


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "track",
        help="append today's download counts of watched models to a store",
        description="Read the 30-day and all-time download counts and likes of every model in WATCHLIST "
        "(model ids, author:NAME or filter:TAG, one per line) and append them to the time-series STORE. "
        "Run it repeatedly (e.g. daily from cron) to build download curves.",
    )
    p.add_argument("watchlist", metavar="WATCHLIST")
    p.add_argument("-o", "--output", required=True, metavar="STORE", help="the store directory")
    p.add_argument("--workers", type=whole_number(1), default=4, metavar="N", help="concurrent requests (default 4)")
    add_hub_args(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary (for cron)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    from hftree.cli._errors import warning_line
    from hftree.cli.fetch import retry_policy
    from hftree.ingest.track import load_downloads, track

    result = track(
        args.watchlist,
        args.output,
        endpoint=args.endpoint,
        retry=retry_policy(args),
        workers=args.workers,
        progress=progress(args),
    )
    if not args.quiet:
        total = load_downloads(args.output)
        runs = total["run_id"].nunique()
        ok = int((result.rows["status"] == "ok").sum())
        print(
            f"recorded {ok:,} models at {result.time.isoformat()} into {term(args.output)} "
            f"(run {runs:,}, {len(total):,} rows in the store)"
        )
        if result.not_found:
            more = f" and {len(result.not_found) - 5:,} more" if len(result.not_found) > 5 else ""
            warning_line(f"not on the Hub: {', '.join(term(m) for m in result.not_found[:5])}{more}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    from hftree.cli.main import main

    argv = sys.argv[1:]  # --debug belongs before the command
    sys.exit(main([*(a for a in argv if a == "--debug"), "track", *(a for a in argv if a != "--debug")]))
