"""README files of fetched models: downloaded concurrently, checkpointed like the records.

READMEs are requested at the listed commit (``sha``), so ``huggingface_hub``'s
cache serves unchanged ones without a download; an update keeps the cards of
models whose ``lastModified`` did not change.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

import pandas as pd

from hftree._progress import progress_bar
from hftree.ingest.hub.work import Run, fetched_records
from hftree.ingest.snapshot import Snapshot

__all__ = ["download_card", "fetch_cards"]


def fetch_cards(run: Run, old: Snapshot | None) -> None:
    """Read the README of every fetched model (reusing ``old``'s cards of unchanged models)."""
    work = run.work
    if work.state["cards_done"]:
        return
    latest: dict[str, tuple[str | None, str | None]] = {}  # id -> (sha, lastModified)
    for r in fetched_records(work):
        latest[r["id"]] = (r.get("sha"), r.get("lastModified"))
    done: set[str] = set()
    for name in work.state["card_parts"]:
        done.update(c["id"] for c in work.read_part(name))
    reuse: list[dict] = []
    if old is not None and old.cards is not None:  # cards of unchanged models: keep
        modified = dict(zip(old.models["id"], old.models["last_modified"], strict=True))
        status = old.cards.get("card_status")
        for i, (mid, text) in enumerate(zip(old.cards["id"], old.cards["card"], strict=True)):
            if mid in latest and mid not in done and latest[mid][1] is not None:
                was = modified.get(mid)
                if was is not None and pd.notna(was) and was == pd.Timestamp(latest[mid][1]):
                    reuse.append(
                        {
                            "id": mid,
                            "card": None if pd.isna(text) else text,
                            "status": "ok" if status is None else status.iloc[i],
                            "reused": True,
                        }
                    )
    if reuse:
        work.state["card_parts"].append(work.write_part("cards", reuse))
        done.update(c["id"] for c in reuse)
        run.commit()
    todo = sorted(m for m in latest if m not in done)
    bar = progress_bar(run.progress, desc="cards", total=len(latest), unit="model", initial=len(done))
    buffer: list[dict] = []
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal buffer, last_flush
        if buffer:
            work.state["card_parts"].append(work.write_part("cards", buffer))
        buffer = []
        last_flush = time.monotonic()
        run.commit()

    def one(mid: str) -> dict:
        sha = latest[mid][0]
        text, status = download_card(run, mid, sha)
        return {"id": mid, "card": text, "status": status}

    try:
        with ThreadPoolExecutor(run.card_workers, thread_name_prefix="hftree-cards") as pool:
            it = iter(todo)
            futures: set[Future] = set()
            try:
                for m in it:
                    futures.add(pool.submit(one, m))
                    if len(futures) >= 2 * run.card_workers:
                        break
                while futures:
                    finished, futures = wait(futures, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        buffer.append(fut.result())
                        bar.update(1)
                        nxt = next(it, None)
                        if nxt is not None:
                            futures.add(pool.submit(one, nxt))
                    if len(buffer) >= run.checkpoint_every or time.monotonic() - last_flush >= run.checkpoint_seconds:
                        flush()
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        work.state["cards_done"] = True
        flush()
    except BaseException:
        with contextlib.suppress(Exception):
            flush()
        raise
    finally:
        bar.close()


def download_card(run: Run, model_id: str, sha: str | None) -> tuple[str | None, str]:
    """README text and status.

    ``ok``; ``missing`` (no README); ``gated`` (no access); ``not_found`` (the
    repository is gone); ``invalid_id`` (an id or commit huggingface_hub refuses to
    request); ``http_<code>`` for any other refusal of that one file
    (e.g. ``http_403``), so one unreadable README does not stop the fetch. Failures
    the transport retried in vain (Hub down) still end the fetch with :class:`HubError`.
    """
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )
    from huggingface_hub.utils import HFValidationError

    revisions = [sha, "main"] if sha else ["main"]
    for rev in revisions:
        try:
            path = hf_hub_download(
                model_id,
                "README.md",
                revision=rev,
                endpoint=run.endpoint,
                token=run.token,
                cache_dir=run.cache_dir,
            )
        except HFValidationError:  # an id (or revision) huggingface_hub will not send: skipped, counted
            return None, "invalid_id"
        except EntryNotFoundError:
            return None, "missing"
        except GatedRepoError:
            return None, "gated"
        except RevisionNotFoundError:
            continue  # the model changed since it was listed: read the current README
        except RepositoryNotFoundError:
            return None, "not_found"
        except HfHubHTTPError as exc:
            status = getattr(exc.response, "status_code", None)
            if status is None or not 400 <= status < 500:
                raise
            return None, f"http_{status}"
        return Path(path).read_bytes().decode("utf-8", errors="replace"), "ok"
    return None, "not_found"
