"""A fetch from start to end, in named steps: plan, open the checkpoint, crawl, read cards, build, save."""

from __future__ import annotations

import os
from collections.abc import Sequence

from hftree._atomic import check_replaceable, recover_dir
from hftree._version import __version__
from hftree.errors import SnapshotError
from hftree.ingest.hub.build import build_snapshot
from hftree.ingest.hub.cards import fetch_cards
from hftree.ingest.hub.crawl import crawl_family, crawl_listing
from hftree.ingest.hub.query import FetchOptions, FetchPlan, SortKey, describe, plan_fetch, same_update
from hftree.ingest.hub.transport import RetryPolicy, hf_errors, hub_session
from hftree.ingest.hub.work import Run, WorkDir, is_run, new_state
from hftree.ingest.snapshot import Snapshot, is_snapshot_dir, load_snapshot
from hftree.schema import RelationFilter

__all__ = ["fetch", "fetch_with"]


def fetch(
    output: str | os.PathLike[str] | None = None,
    *,
    author: str | None = None,
    search: str | None = None,
    filter: str | Sequence[str] | None = None,
    pipeline_tag: str | None = None,
    limit: int | None = None,
    sort: SortKey | None = None,
    family: str | Sequence[str] | None = None,
    max_depth: int | None = None,
    relation: RelationFilter = None,
    cards: bool = False,
    update: str | os.PathLike[str] | None = None,
    resume: bool = False,
    restart: bool = False,
    work_dir: str | os.PathLike[str] | None = None,
    keep_work: bool = False,
    endpoint: str | None = None,
    token: str | bool | None = None,
    retry: RetryPolicy | None = None,
    workers: int = 4,
    card_workers: int = 8,
    cache_dir: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
    checkpoint_every: int = 10_000,
    checkpoint_seconds: float = 10.0,
    update_margin: float = 3600.0,
) -> Snapshot:
    """Fetch model metadata from the Hub into a snapshot directory.

    Listing mode (default): every model matching the filters. Family mode
    (``family=``): each root (``model_info``) and its descendants, crawled
    breadth-first by listing the models tagged ``base_model:<id>`` (or
    ``base_model:<relation>:<id>`` for each of ``relation``) for every model of
    the frontier. Every listing asks for :data:`~hftree.ingest.hub.FETCH_EXPAND`.

    Parameters
    ----------
    output : path
        The snapshot directory to write (atomically); with ``update`` it defaults
        to the updated snapshot, replaced in place.
    author, search, filter, pipeline_tag, limit, sort
        Listing filters, as :meth:`huggingface_hub.HfApi.list_models`.
    family : str or list of str
        Root model ids: fetch their families instead of a listing.
    max_depth : int, optional
        Family mode: generations below the root to crawl (default: all).
    relation : str or list of str, optional
        Family mode: follow only these relations (``finetune``, ``adapter``,
        ``quantized``, ``merge``).
    cards : bool
        Also read each model's README.md into the card table (``card_status``
        says ``ok``, ``missing``, ``gated``, ``not_found`` or ``http_<code>``).
    update : path, optional
        A snapshot written by ``fetch``: refresh it with the models created or
        modified since it was taken (a listing sorted by ``lastModified`` that
        stops at the first older model; family snapshots are re-crawled). Cards
        of models whose ``lastModified`` did not change are kept.
    resume : bool
        Continue the interrupted fetch whose checkpoint is in the work directory.
    restart : bool
        Discard such a checkpoint and start again.
    work_dir : path, optional
        Where partial progress lives (default ``.<output name>.fetch`` next to it).
    keep_work : bool
        Keep the work directory after success (for debugging).
    endpoint : str, optional
        The Hub (default: ``HF_ENDPOINT`` or https://huggingface.co).
    token : str or bool, optional
        Access token; default ``HF_TOKEN`` or the login; ``False``: anonymous.
        Private models are listed and gated READMEs read only with a token.
    retry : RetryPolicy, optional
        Timeouts, retries and backoff.
    workers, card_workers : int
        Concurrent family queries / README downloads.
    cache_dir : path, optional
        huggingface_hub cache for READMEs (default: its usual cache); READMEs are
        requested at the listed commit, so unchanged ones are not downloaded again.
    overwrite : bool
        Replace an existing ``output``.
    progress : bool, optional
        Progress bars on stderr; default: when stderr is a terminal.
    checkpoint_every, checkpoint_seconds
        Commit a checkpoint after this many records or seconds (at page boundaries).
    update_margin : float
        Seconds before the previous fetch's start that an update looks back
        (clock differences, models modified during that fetch).

    Returns
    -------
    Snapshot
        The saved snapshot; ``manifest["fetch"]`` holds the query, versions,
        start/end time and request counts.

    Raises
    ------
    ParameterError
        An option is out of range (``limit=0``, ``workers=0``, an unknown ``sort``, ...).
    FetchArgumentError
        Options contradict each other (``resume`` and ``restart``, filters with ``update``,
        listing filters with ``family``, no ``output``).
    HubError
        The Hub stayed unreachable or refused the query (the checkpoint is kept).
    ModelNotFoundError
        A family root does not exist (or is private and no token was given).
    SnapshotError
        ``output`` exists, a checkpoint exists without ``resume``/``restart``,
        ``resume`` finds none or one of another query, or ``update`` is not a
        fetched snapshot.
    """
    options = FetchOptions(
        author=author,
        search=search,
        filter=filter,
        pipeline_tag=pipeline_tag,
        limit=limit,
        sort=sort,
        family=family,
        max_depth=max_depth,
        relation=relation,
        cards=cards,
        update=update,
        resume=resume,
        restart=restart,
        work_dir=work_dir,
        keep_work=keep_work,
        endpoint=endpoint,
        token=token,
        retry=retry,
        workers=workers,
        card_workers=card_workers,
        cache_dir=cache_dir,
        overwrite=overwrite,
        progress=progress,
        checkpoint_every=checkpoint_every,
        checkpoint_seconds=checkpoint_seconds,
        update_margin=update_margin,
    )
    return fetch_with(output, options)


def fetch_with(output: str | os.PathLike[str] | None, options: FetchOptions) -> Snapshot:
    """:func:`fetch` with its options in one :class:`~hftree.ingest.hub.query.FetchOptions`."""
    plan = plan_fetch(output, options)
    work = _open_work(plan, options)
    if work is None:  # a resumed fetch that had already saved its snapshot
        return load_snapshot(plan.output)
    try:
        snap = _fetch_into(work, plan, options)
    except BaseException:
        if _nothing_fetched(work):  # a checkpoint of nothing would only block the next fetch
            work.remove()
        raise
    snap.save(plan.output, overwrite=bool(plan.overwrite or work.state.get("overwrite")))
    if not options.keep_work:
        work.remove()
    return load_snapshot(plan.output)  # exactly what is on disk (and what a resumed run returns)


def _open_work(plan: FetchPlan, options: FetchOptions) -> WorkDir | None:
    """The checkpoint to work in: a new one, or the one ``resume`` continues (``None``: nothing left to do)."""
    work = WorkDir(plan.work_dir)
    output = plan.output
    if work.exists():
        if options.restart:
            work.remove()
        elif not options.resume:
            raise SnapshotError(
                f"{work.path} holds an interrupted fetch; add --resume to continue it or --restart to discard it"
            )
    elif options.resume:
        raise SnapshotError(f"nothing to resume: no fetch checkpoint in {work.path}")
    if output.exists() and not plan.overwrite and not options.resume:
        raise SnapshotError(f"{output} already exists; pass overwrite=True (CLI: --force) to replace it")
    if os.path.lexists(output) and plan.overwrite:  # refused before the fetch, not after it
        check_replaceable(output, is_snapshot_dir, "an hftree snapshot")
    if not (options.resume and work.exists()):
        work.create(new_state(plan.query, overwrite=plan.overwrite))
        return work
    work.load()
    saved = work.state["query"]
    if saved != plan.query and not (plan.old is not None and same_update(saved, plan.query)):
        raise SnapshotError(
            f"{work.path} holds a fetch of another query ({describe(saved)}); "
            "resume with the same options, or --restart"
        )
    work.state["resumes"] = work.state.get("resumes", 0) + 1
    if output.exists() and is_run(output, work.state["run_id"]):
        work.remove()  # interrupted after the snapshot was saved
        return None
    if output.exists() and not (plan.overwrite or work.state.get("overwrite")):
        raise SnapshotError(f"{output} already exists; pass overwrite=True (CLI: --force) to replace it")
    recover_dir(output)  # an interrupted save: its litter goes, a half-exchanged snapshot comes back
    return work


def _nothing_fetched(work: WorkDir) -> bool:
    st = work.state
    return (
        not st.get("resumes")
        and not st.get("parts")
        and not st.get("card_parts")
        and not st.get("family", {}).get("nodes")
    )


def _fetch_into(work: WorkDir, plan: FetchPlan, options: FetchOptions) -> Snapshot:
    """Talk to the Hub: crawl (listing or families), read cards, and build the snapshot."""
    from huggingface_hub import HfApi, get_token

    query = work.state["query"]  # on resume: the saved query (its ``since`` is the first run's)
    token = get_token() if options.token is None else options.token
    endpoint = query["endpoint"]
    api = HfApi(endpoint=endpoint, token=token, library_name="hftree", library_version=__version__)
    with hub_session(options.retry or RetryPolicy(), endpoint) as session, hf_errors(token):
        run = Run(
            api=api,
            work=work,
            session=session,
            query=query,
            token=token,
            endpoint=endpoint,
            progress=options.progress,
            checkpoint_every=options.checkpoint_every,
            checkpoint_seconds=options.checkpoint_seconds,
            workers=options.workers,
            card_workers=options.card_workers,
            cache_dir=None if options.cache_dir is None else str(options.cache_dir),
            base_stats=dict(work.state.get("stats", {})),
        )
        try:
            if query["mode"] == "listing":
                crawl_listing(run)
            else:
                crawl_family(run)
            if query["cards"]:
                fetch_cards(run, plan.old)
        finally:
            run.commit()
        return build_snapshot(run, plan.old)
