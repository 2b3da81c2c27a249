"""``hftree track``: record download counts of watched models into a time-series store.

Until the command is registered in :mod:`hftree.cli.main` it also runs as
``python -m hftree.cli.track ARGS``.
"""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from hftree.cli.fetch import add_hub_args

    p = sub.add_parser(
        "track",
        help="append today's download counts of watched models to a store",
        description="Read the 30-day and all-time download counts and likes of every model in WATCHLIST "
        "(model ids, author:NAME or filter:TAG, one per line) and append them to the time-series STORE. "
        "Run it repeatedly (e.g. daily from cron) to build download curves.",
    )
    p.add_argument("watchlist", metavar="WATCHLIST")
    p.add_argument("-o", "--output", required=True, metavar="STORE", help="the store directory")
    p.add_argument("--workers", type=int, default=4, metavar="N", help="concurrent requests (default 4)")
    add_hub_args(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary (for cron)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    from hftree.cli.fetch import retry_policy
    from hftree.ingest.track import load_downloads, track

    result = track(
        args.watchlist,
        args.output,
        endpoint=args.endpoint,
        retry=retry_policy(args),
        workers=args.workers,
        progress=not args.quiet,
    )
    if not args.quiet:
        total = load_downloads(args.output)
        runs = total["run_id"].nunique()
        ok = int((result.rows["status"] == "ok").sum())
        print(
            f"recorded {ok:,} models at {result.time.isoformat()} into {args.output} "
            f"(run {runs:,}, {len(total):,} rows in the store)"
        )
        if result.not_found:
            more = f" and {len(result.not_found) - 5:,} more" if len(result.not_found) > 5 else ""
            print(f"warning: not on the Hub: {', '.join(result.not_found[:5])}{more}", file=sys.stderr)
    return 0


def _standalone(argv: list[str] | None = None) -> int:
    import hftree.cli.main as cli

    if "hftree.cli.track" not in cli.COMMAND_MODULES:
        cli.COMMAND_MODULES = (*cli.COMMAND_MODULES, "hftree.cli.track")
    argv = list(sys.argv[1:] if argv is None else argv)
    flags = [a for a in argv if a == "--debug"]
    return cli.main([*flags, "track", *[a for a in argv if a != "--debug"]])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_standalone())
