"""``hftree fetch``: model metadata from the Hub into a snapshot -- resumable and polite.

``python -m hftree.cli.fetch ARGS`` is ``hftree fetch ARGS`` (the kill-and-resume tests start it so).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

from hftree.cli._common import ApiChoices, add_relation_arg, number, progress, term, whole_number

_CARD_LABELS = (
    ("ok", "read"),
    ("missing", "without README"),
    ("gated", "gated"),
    ("not_found", "gone"),
)


def add_hub_args(p: argparse.ArgumentParser) -> None:
    """Options shared by commands that talk to the Hub: endpoint, timeouts, retries."""
    g = p.add_argument_group("connection (the token comes from HF_TOKEN or `hf auth login`)")
    g.add_argument("--endpoint", metavar="URL", help="the Hub (default $HF_ENDPOINT or https://huggingface.co)")
    g.add_argument("--timeout", type=number(0, strict=True), default=30.0, metavar="S",
                   help="longest silence of the server per request (default 30)")
    g.add_argument("--deadline", type=number(0, strict=True), default=None, metavar="S",
                   help="longest time one request may take in total, however slowly the server sends "
                   "(default 4 x --timeout)")
    g.add_argument(
        "--max-retries",
        type=whole_number(0),
        default=8,
        metavar="N",
        help="retries of a failing request before giving up (default 8)",
    )
    g.add_argument(
        "--backoff",
        type=number(0),
        default=1.0,
        metavar="S",
        help="first retry wait; doubles, jittered (default 1)",
    )
    g.add_argument(
        "--max-backoff",
        type=number(0),
        default=60.0,
        metavar="S",
        help="longest retry wait (default 60)",
    )
    g.add_argument(
        "--max-wait",
        type=number(0),
        default=900.0,
        metavar="S",
        help="longest Retry-After/RateLimit wait to honour; longer ends the run (default 900)",
    )


def retry_policy(args: argparse.Namespace):
    from hftree.ingest.hub import RetryPolicy

    return RetryPolicy(
        max_retries=args.max_retries,
        backoff=args.backoff,
        max_backoff=args.max_backoff,
        max_wait=args.max_wait,
        timeout=args.timeout,
        deadline=args.deadline,
    )


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "fetch",
        help="fetch model metadata from the Hub into a snapshot",
        description="List models (all, or filtered), or crawl the families of root models, from the Hub "
        "into a snapshot directory. Interrupted fetches continue with --resume; the snapshot appears "
        "only when complete.",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="SNAPSHOT_DIR",
        help="snapshot to write (with --update: default the updated snapshot itself)",
    )
    g = p.add_argument_group("listing mode (default: every model on the Hub)")
    g.add_argument("--author", help="models of this user or organisation")
    g.add_argument("--search", help="models whose id contains this text")
    g.add_argument("--filter", action="append", metavar="TAG", help="models with this tag (repeatable: all)")
    g.add_argument("--pipeline-tag", metavar="TASK", help="models of this task, e.g. text-generation")
    g.add_argument("--limit", type=whole_number(1), metavar="N", help="at most N models")
    g.add_argument("--sort", choices=ApiChoices("hftree.ingest.hub", "SortKey"), metavar="KEY",
                   help="listing order, descending (%(choices)s); with --limit, the top N")
    g = p.add_argument_group("family mode")
    g.add_argument(
        "--family",
        action="append",
        metavar="ROOT_ID",
        help="fetch this model and all its descendants (repeatable)",
    )
    g.add_argument("--max-depth", type=whole_number(1), metavar="N", help="generations below the root (default: all)")
    add_relation_arg(g, default="all", choices=ApiChoices("hftree.ingest.hub", "TAG_RELATIONS"))
    g = p.add_argument_group("cards, updates and checkpoints")
    g.add_argument("--cards", action="store_true", help="also read every model's README.md")
    g.add_argument(
        "--update",
        metavar="SNAPSHOT_DIR",
        help="refresh this fetched snapshot with models created or modified since it was taken",
    )
    g.add_argument("--resume", action="store_true", help="continue an interrupted fetch from its checkpoint")
    g.add_argument("--restart", action="store_true", help="discard an interrupted fetch's checkpoint")
    g.add_argument("--work-dir", metavar="DIR", help="checkpoint directory (default .<SNAPSHOT_DIR>.fetch)")
    g.add_argument("--keep-work", action="store_true", help="keep the checkpoint directory after success")
    g.add_argument("--cache-dir", metavar="DIR", help="huggingface_hub cache for README files")
    g.add_argument("--workers", type=whole_number(1), default=4, metavar="N",
                   help="concurrent family queries (default 4)")
    g.add_argument(
        "--card-workers",
        type=whole_number(1),
        default=8,
        metavar="N",
        help="concurrent README downloads (default 8)",
    )
    g.add_argument(
        "--checkpoint-every",
        type=whole_number(1),
        default=10_000,
        metavar="N",
        help="commit a checkpoint after N models (default 10000)",
    )
    g.add_argument(
        "--checkpoint-seconds",
        type=number(0),
        default=10.0,
        metavar="S",
        help="... or after S seconds (default 10)",
    )
    g = p.add_argument_group("dump mode (a whole-Hub dump, a dataset repository of Parquet files)")
    g.add_argument("--dump", metavar="NAME|FILE",
                   help="hub-stats, weekly or cards (or a local Parquet file / folder): download and import it")
    g.add_argument("--revision", metavar="REV", help="commit, branch or tag of the dump repository (default main)")
    g.add_argument("--date", metavar="YYYY-MM-DD", help="the newest commit on or before this day (weekly: that week)")
    g.add_argument("--repo", metavar="OWNER/NAME", help="the dump's dataset repository, if not the default")
    g.add_argument("--into", metavar="HISTORY", help="add the dump to this history instead of writing -o; "
                   "--date D1,D2,… fetches and adds several dates (see `hftree history`)")
    add_hub_args(p)
    p.add_argument("--force", action="store_true",
                   help="replace SNAPSHOT_DIR if it is an hftree snapshot (anything else is refused)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary (for cron)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    from hftree.cli._errors import warning_line
    from hftree.errors import UsageError
    from hftree.ingest.hub import fetch

    if args.into:
        from hftree.cli.history import run_fetch_into

        return run_fetch_into(args, retry_policy(args))
    if args.output is None and args.update is None:
        raise UsageError("give -o SNAPSHOT_DIR (or --update SNAPSHOT_DIR)")
    if args.dump is not None or args.revision or args.date or args.repo:
        return _run_dump(args)
    t0 = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        snap = _fetch(fetch, args)
    if not args.quiet:
        c = snap.manifest["counts"]
        f = snap.manifest["fetch"]["counts"]
        out = args.output or args.update
        cards = ""
        if c["cards"]:
            kinds = [(f.get(f"cards_{k}", 0), label) for k, label in _CARD_LABELS]
            other = c["cards"] - sum(n for n, _ in kinds)
            kinds.append((other, "refused"))  # http_<code>: see the card_status column
            cards = f", {c['cards']:,} cards (" + ", ".join(f"{n:,} {lab}" for n, lab in kinds if n) + ")"
        print(
            f"wrote {term(out)}: {c['models']:,} models, {c['edges']:,} declared edges{cards}; "
            f"{f['records_fetched']:,} records in {f['pages']:,} pages, {f['requests']:,} requests "
            f"({f['retries']:,} retried, {f['rate_limited']:,} rate-limited) in {time.monotonic() - t0:.1f} s"
        )
        for w in caught:
            warning_line(term(w.message))
    return 0


def _run_dump(args: argparse.Namespace) -> int:
    from hftree.cli._errors import warning_line
    from hftree.errors import UsageError
    from hftree.ingest.hub import fetch_dump

    if args.dump is None:
        raise UsageError("--revision, --date and --repo go with --dump NAME")
    other = [o for o, v in (("--family", args.family), ("--update", args.update), ("--author", args.author),
                            ("--filter", args.filter), ("--search", args.search), ("--cards", args.cards),
                            ("--resume", args.resume)) if v]
    if other:
        raise UsageError(f"--dump takes a whole dump; it does not combine with {other[0]}")
    t0 = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        snap = fetch_dump(args.output, dump=args.dump, revision=args.revision, date=args.date, repo=args.repo,
                          endpoint=args.endpoint, cache_dir=args.cache_dir, retry=retry_policy(args),
                          overwrite=args.force, progress=progress(args))
    if not args.quiet:
        c, f = snap.manifest["counts"], snap.manifest["fetch"]
        where = f.get("path") or f"{f['repo']}@{f['commit'][:12]}"
        print(f"wrote {args.output}: {c['models']:,} models, {c['edges']:,} declared edges, {c['cards']:,} cards "
              f"from {where} in {time.monotonic() - t0:.1f} s")
        for w in caught:
            warning_line(w.message)
    return 0


def _fetch(fetch, args: argparse.Namespace):
    return fetch(
        args.output,
        author=args.author,
        search=args.search,
        filter=args.filter,
        pipeline_tag=args.pipeline_tag,
        limit=args.limit,
        sort=args.sort,
        family=args.family,
        max_depth=args.max_depth,
        relation=args.relation,
        cards=args.cards,
        update=args.update,
        resume=args.resume,
        restart=args.restart,
        work_dir=args.work_dir,
        keep_work=args.keep_work,
        endpoint=args.endpoint,
        retry=retry_policy(args),
        workers=args.workers,
        card_workers=args.card_workers,
        cache_dir=args.cache_dir,
        overwrite=args.force,
        progress=progress(args),
        checkpoint_every=args.checkpoint_every,
        checkpoint_seconds=args.checkpoint_seconds,
    )


if __name__ == "__main__":  # pragma: no cover
    from hftree.cli.main import main

    argv = sys.argv[1:]  # --debug belongs before the command
    sys.exit(main([*(a for a in argv if a == "--debug"), "fetch", *(a for a in argv if a != "--debug")]))
