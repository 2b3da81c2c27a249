"""``hftree history``: a directory of dated snapshots -- add to it, list it, and query it through time.

``hftree history add HISTORY SNAP…`` adds snapshot directories (each under the day of its
``snapshot_time``, or ``--date``); ``hftree fetch --dump … --date D1,D2 --into HISTORY`` fetches dumps
straight into one. ``series`` prints a model's or a family's weekly series, ``churn`` the births and
deaths of the whole Hub per period, ``list`` the dates.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from hftree.cli._common import add_output_args, term, whole_number, write_frame


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "history",
        help="dated snapshots through time: add, list, series, churn",
        description="A history is a directory of dated snapshots (hive-partitioned Parquet, one "
        "snapshot=YYYY-MM-DD/ partition per date) that DuckDB, Spark or any Parquet engine reads as one "
        "dataset. See docs/history.md.",
    )
    hs = p.add_subparsers(dest="history_command", metavar="ACTION", required=True)

    a = hs.add_parser("add", help="add snapshot directories to a history (atomically, one date each)")
    a.add_argument("history", metavar="HISTORY")
    a.add_argument("snapshots", metavar="SNAPSHOT_DIR", nargs="+")
    a.add_argument("--date", metavar="YYYY-MM-DD", help="the date of the (one) snapshot (default: the day of "
                   "its snapshot_time)")
    a.add_argument("--replace", action="store_true", help="replace a date the history already holds")
    a.set_defaults(run=run_add)

    ls = hs.add_parser("list", help="the dates of a history and what each holds")
    ls.add_argument("history", metavar="HISTORY")
    add_output_args(ls)
    ls.set_defaults(run=run_list)

    s = hs.add_parser("series", help="a model's or a family's values at every date")
    s.add_argument("history", metavar="HISTORY")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--model", metavar="ID", help="downloads, likes, licence ... of this model (renames followed)")
    g.add_argument("--family", metavar="ROOT", help="descendants present, new, deleted and downloads of this family")
    s.add_argument("--dates", metavar="D1,D2,…", help="only these dates (default: all)")
    add_output_args(s)
    s.set_defaults(run=run_series)

    c = hs.add_parser("churn", help="births and deaths of the whole Hub per period; share deleted within N weeks")
    c.add_argument("history", metavar="HISTORY")
    c.add_argument("--weeks", type=whole_number(1), default=4, metavar="N", help="churn horizon (default 4)")
    add_output_args(c)
    c.set_defaults(run=run_churn)
    return p


def _dates(text: str | None) -> list[str] | None:
    return None if text is None else [d.strip() for d in text.split(",") if d.strip()]


def run_add(args: argparse.Namespace) -> int:
    from hftree.errors import UsageError
    from hftree.history import add_snapshot

    if args.date and len(args.snapshots) > 1:
        raise UsageError("--date names the date of one snapshot; each of several is added under its own date")
    for snap in args.snapshots:
        hist = add_snapshot(args.history, snap, date=args.date, replace=args.replace)
        day = str(hist.added)
        rows = hist.info(day)["rows"]
        print(f"added {term(snap)} to {term(args.history)} as {day}: {rows['models']:,} models, "
              f"{rows['edges']:,} edges ({len(hist.dates):,} dates)")
    return 0


def run_list(args: argparse.Namespace) -> int:
    import pandas as pd

    from hftree.history import open_history

    hist = open_history(args.history)
    rows = [{"snapshot": d, **hist.info(d)["rows"], "fields": len(hist.info(d)["fields"]),
             "added_at": hist.info(d)["added_at"]} for d in hist.dates]
    write_frame(pd.DataFrame(rows, columns=["snapshot", "models", "edges", "members", "fields", "added_at"]),
                args.format, args.output)
    return 0


def run_series(args: argparse.Namespace) -> int:
    from hftree.history import family_series, model_series, open_history

    hist = open_history(args.history)
    dates = _dates(args.dates)
    res = model_series(hist, args.model, dates=dates) if args.model else family_series(hist, args.family, dates=dates)
    write_frame(res.to_frame(), args.format, args.output)
    return 0


def run_churn(args: argparse.Namespace) -> int:
    import sys

    from hftree.history import hub_churn, open_history

    res = hub_churn(open_history(args.history), weeks=args.weeks)
    write_frame(res.to_frame(), args.format, args.output)
    if res.cohorts["born"].sum():
        print(f"churn: {res.churn:.2%} of {int(res.cohorts['born'].sum()):,} new models deleted within "
              f"{args.weeks} week(s)", file=sys.stderr)
    return 0


def run_fetch_into(args: argparse.Namespace, retry) -> int:
    """``hftree fetch --dump NAME [--date D1,D2,…] --into HISTORY``: each date fetched, then added.

    Each dump is fetched into a staging snapshot inside HISTORY, added under the day of its
    ``snapshot_time`` (``--force`` replaces a date already present) and the staging copy removed.
    ``retry`` is the fetch's :class:`~hftree.ingest.hub.RetryPolicy`.
    """
    from hftree.errors import UsageError
    from hftree.history import add_snapshot, open_history
    from hftree.ingest.hub import fetch_dump

    if args.dump is None:
        raise UsageError("--into HISTORY goes with --dump NAME (a whole dump per date)")
    if args.output or args.update or args.family:
        raise UsageError("--into HISTORY replaces -o/--update/--family: the dumps go into the history")
    if args.revision and args.date and "," in args.date:
        raise UsageError("--revision names one commit; give one --date with it, or several dates without it")
    hist = open_history(args.into, create=True)
    days: list[str | None] = [None]
    if args.date:
        days = list(_dates(args.date) or [])
    for day in days:
        stage = Path(args.into) / f".fetch-{os.getpid()}-{day or 'newest'}"
        try:
            snap = fetch_dump(stage, dump=args.dump, revision=args.revision, date=day, repo=args.repo,
                              endpoint=args.endpoint, cache_dir=args.cache_dir, retry=retry,
                              overwrite=True, progress=False if args.quiet else None)
            hist = add_snapshot(hist.path, snap, replace=args.force)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        if not args.quiet:
            got = snap.snapshot_time.date().isoformat()
            print(f"added {args.dump} of {got} to {term(args.into)}: {len(snap.models):,} models "
                  f"({len(hist.dates):,} dates)")
    return 0


def observed_series(args: argparse.Namespace):
    """``hftree adoption --history HISTORY``: the observed family-size series frame to fit.

    Says on stderr how much the reconstruction from the last snapshot's creation dates misses.
    """
    import sys

    from hftree.history import observed_growth, open_history

    hist = open_history(args.history)
    res = observed_growth(hist, args.root, min_size=args.min_size, bins=args.bins)
    s = res.summary
    if len(s):
        ever, rec = int(s["ever_seen"].sum()), int(s["reconstructed"].sum())
        print(f"observed {len(s):,} families over {len(hist.dates):,} snapshots ({hist.dates[0]} … "
              f"{hist.dates[-1]}): {ever:,} descendants seen, {rec:,} in the last snapshot's reconstruction "
              f"({(ever - rec) / ever if ever else 0:.1%} missed: deleted before it)", file=sys.stderr)
    return res.series
