"""The two ways a fetch finds models: a listing (cursor pagination) and a family crawl.

Both commit what they have fetched to the work directory at page boundaries
(every ``checkpoint_every`` records or ``checkpoint_seconds``), so an interrupted
fetch resumes from its last complete page or its crawl frontier.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import pandas as pd

from hftree._progress import progress_bar
from hftree._version import __version__
from hftree.errors import ModelNotFoundError
from hftree.ingest.hub.modelinfo import model_record
from hftree.ingest.hub.work import Run

__all__ = ["crawl_family", "crawl_listing", "listing_pages"]


def listing_pages(
    run: Run,
    cursor: str | None,
    sort: str | None,
    limit: int | None,
) -> Iterator[Any]:
    """ModelInfo objects of the query, from its start or from a saved ``Link`` cursor."""
    q = run.query
    if cursor is None:
        yield from run.api.list_models(
            author=q["author"],
            search=q["search"],
            filter=q["filter"] or None,
            pipeline_tag=q["pipeline_tag"],
            sort=sort,
            limit=limit,
            expand=list(q["expand"]),
            token=run.token,
        )
        return
    from hftree.ingest.hub.guards import check_origin

    check_origin(cursor, run.endpoint, "the saved cursor of this checkpoint")  # never send the token elsewhere
    # list_models has no cursor argument: continue with the helper it paginates with
    from huggingface_hub.hf_api import ModelInfo
    from huggingface_hub.utils import build_hf_headers
    from huggingface_hub.utils._pagination import paginate

    headers = build_hf_headers(token=run.token, library_name="hftree", library_version=__version__)
    from urllib.parse import parse_qsl, urlsplit

    # httpx2 replaces a URL's query by ``params``: pass the cursor URL's query as params
    parts = urlsplit(cursor)
    base = parts._replace(query="").geturl()
    for item in paginate(base, params=parse_qsl(parts.query, keep_blank_values=True), headers=headers):
        if "siblings" not in item:
            item["siblings"] = None
        yield ModelInfo(**item)


def crawl_listing(run: Run) -> None:
    """Read the listing of the query (from its saved cursor) into part files."""
    st = run.work.state["listing"]
    if st["done"]:
        return
    q = run.query
    since = pd.Timestamp(q["since"]) if q.get("since") else None
    sort = "last_modified" if since is not None else q["sort"]
    limit = q["limit"]
    loc = run.session.local
    loc.pages = 0
    seen = 0
    complete: list[dict] = []  # records of fully received pages, not yet committed
    current: list[dict] = []  # records of the page being read
    cursor = st["cursor"]
    n_total = st["records"]
    last_flush = time.monotonic()
    bar = progress_bar(run.progress, desc="listing", total=limit, unit="model", initial=n_total)

    def flush(done: bool) -> None:
        nonlocal complete, last_flush
        if complete:
            run.work.state["parts"].append(run.work.write_part("models", complete))
        st["records"] += len(complete)
        st["cursor"] = None if done else cursor
        st["done"] = done
        complete = []
        last_flush = time.monotonic()
        run.commit()

    try:
        for info in listing_pages(run, cursor, sort, None if limit is None else limit - n_total):
            if loc.pages != seen:  # a new page arrived: the records before it are complete
                seen = loc.pages
                complete.extend(current)
                current = []
                cursor = loc.url
                st["pages"] += 1
                if len(complete) >= run.checkpoint_every or time.monotonic() - last_flush >= run.checkpoint_seconds:
                    flush(False)
            rec = model_record(info)
            if since is not None and rec.get("lastModified") and pd.Timestamp(rec["lastModified"]) < since:
                break  # sorted by lastModified: everything after is older
            current.append(rec)
            n_total += 1
            bar.update(1)
            if limit is not None and n_total >= limit:
                break
        complete.extend(current)
        current = []
        flush(True)
    except BaseException:
        if complete:  # keep what is complete (Ctrl-C, Hub down)
            with contextlib.suppress(Exception):
                flush(False)
        raise
    finally:
        bar.close()


def crawl_family(run: Run) -> None:
    """Crawl the families of the query's roots, breadth first, into part files."""
    fam = run.work.state["family"]
    if fam["done"]:
        return
    q = run.query
    nodes: dict[str, int] = fam["nodes"]
    queried: set[str] = set(fam["queried"])
    max_depth = q["max_depth"]
    api = run.api
    expand = list(q["expand"])

    def pending() -> list[str]:
        todo = [(d, m) for m, d in nodes.items() if m not in queried and (max_depth is None or d < max_depth)]
        if not todo:
            return []
        level = min(d for d, _ in todo)
        return sorted(m for d, m in todo if d == level)

    bar = progress_bar(run.progress, desc="family crawl", total=len(nodes) or None, unit="model", initial=len(queried))
    buffer: list[dict] = []
    newly: list[str] = []
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal buffer, newly, last_flush
        if buffer:
            run.work.state["parts"].append(run.work.write_part("models", buffer))
        fam["queried"].extend(newly)
        buffer, newly = [], []
        last_flush = time.monotonic()
        run.commit()

    def children(model_id: str) -> list[dict]:
        tags = [f"base_model:{r}:{model_id}" for r in q["relations"]] if q["relations"] else [f"base_model:{model_id}"]
        found: dict[str, dict] = {}
        for tag in tags:
            for info in api.list_models(filter=tag, expand=expand, token=run.token):
                found[info.id] = model_record(info)
        return list(found.values())

    try:
        for root in q["family"]:
            if root in nodes:
                continue
            from huggingface_hub.errors import RepositoryNotFoundError

            try:
                info = api.model_info(root, expand=expand, token=run.token)
            except RepositoryNotFoundError:
                raise ModelNotFoundError(
                    root,
                    f"family root {root!r} is not on the Hub at {run.endpoint} "
                    "(check the id; a private model needs a token)",
                ) from None
            buffer.append(model_record(info))
            nodes[root] = 0
        flush()
        while batch := pending():
            level = nodes[batch[0]]
            bar.total = len(nodes)
            with ThreadPoolExecutor(run.workers, thread_name_prefix="hftree-crawl") as pool:
                futures: dict[Future, str] = {}
                todo = iter(batch)
                try:
                    # keep at most 2*workers queries in flight: a failure stops the crawl quickly
                    for m in todo:
                        futures[pool.submit(children, m)] = m
                        if len(futures) >= 2 * run.workers:
                            break
                    while futures:
                        done, _ = wait(futures, return_when=FIRST_COMPLETED)
                        for fut in done:
                            m = futures.pop(fut)
                            recs = fut.result()
                            for r in recs:
                                if r["id"] not in nodes:
                                    nodes[r["id"]] = level + 1
                            buffer.extend(recs)
                            newly.append(m)
                            queried.add(m)
                            bar.total = len(nodes)
                            bar.update(1)
                            nxt = next(todo, None)
                            if nxt is not None:
                                futures[pool.submit(children, nxt)] = nxt
                        if (
                            len(buffer) >= run.checkpoint_every
                            or time.monotonic() - last_flush >= run.checkpoint_seconds
                        ):
                            flush()
                except BaseException:
                    for f in futures:
                        f.cancel()
                    raise
            flush()
        fam["done"] = True
        flush()
    except BaseException:
        with contextlib.suppress(Exception):
            flush()
        raise
    finally:
        bar.close()
