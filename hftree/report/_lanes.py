"""Building the report's sections, some of them in a second process.

The report is CPU-bound Python (fits, bootstraps, matplotlib), so threads would not run two
sections at once; a forked child does, on the machine's second core, and inherits the
snapshot, the graph and everything :class:`~hftree.report._context.Context` has computed
without copying or pickling them. Only the finished sections (HTML strings and file names)
come back through a pipe. Every section is seeded, so which process builds it does not change
it (``tests/report/test_lanes.py`` checks the page is the same with ``jobs=1``). Where ``fork``
is missing (Windows) or with ``jobs=1`` the sections are built in the calling process, in
order; the sections of a child that dies are built again there.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import pickle
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from hftree.report._context import Context, Section, plain_error
from hftree.report._html import e

__all__ = ["COST", "HERE", "Builder", "Outcome", "build_section", "run_builders"]

#: Sections built in this process whatever ``jobs`` is: those that share what they compute
#: (the overview's lineage line and the lineage section both use ``Context.inference``).
HERE: tuple[str, ...] = ("lineage",)
#: Rough CPU cost of the analysis sections on hub-families (seconds): the queue hands out the
#: costliest first, so that the two processes end about together.
COST: dict[str, float] = {"evolution": 2.0, "inheritance": 1.7, "ecosystem": 1.1, "adoption": 0.6, "drift": 0.4}

Builder = tuple[str, str, Callable[[Context], Section]]
#: ``(kind, payload, warning)``: ``("section", Section, "")``, ``("section", Section, message)``
#: for an analysis that raised, or ``("unavailable", "Title (module is not available)", "")``.
Outcome = tuple[str, Any, str]


def build_section(ctx: Context, builder: Builder, core: Sequence[str]) -> Outcome:
    """Build one section; an analysis (not a ``core`` section) that raises becomes an error section."""
    sid, stitle, build = builder
    t1 = time.perf_counter()
    try:
        return "section", dataclasses.replace(build(ctx), seconds=time.perf_counter() - t1), ""
    except ModuleNotFoundError as exc:
        if sid in core or not (exc.name or "").startswith("hftree."):
            raise
        return "unavailable", f"{stitle} ({exc.name} is not available)", ""
    except Exception as exc:  # an analysis failing must not lose the rest of the report
        if sid in core:
            raise
        message = f"report section {sid!r} failed: {type(exc).__name__}: {exc}"
        return "section", Section(
            sid,
            stitle,
            status="error",
            note=f"{type(exc).__name__}: {exc}",
            seconds=time.perf_counter() - t1,
            body=f'<p class="warn">This analysis could not be computed on this snapshot: '
            f"{e(plain_error(exc))}.</p>",
        ), message


def run_builders(ctx: Context, builders: Sequence[Builder], *, core: Sequence[str], jobs: int) -> list[Outcome]:
    """The outcome of every builder, in order. With ``jobs >= 2`` a forked child takes sections
    from a queue (the costliest first) while this process builds the core sections and then
    takes from the same queue."""
    shared = [i for i, b in enumerate(builders) if b[0] not in core and b[0] not in HERE]
    if jobs < 2 or not shared or not hasattr(os, "fork"):
        return [build_section(ctx, b, core) for b in builders]
    shared = sorted(shared, key=lambda i: -COST.get(builders[i][0], 0.0))[:255]  # one byte per queued section
    mine = [i for i in range(len(builders)) if i not in shared]
    done = _forked(ctx, builders, core, mine, shared)
    missing = [i for i in range(len(builders)) if i not in done]  # the child's, had it failed
    done.update((i, build_section(ctx, builders[i], core)) for i in missing)
    return [done[i] for i in range(len(builders))]


def _take(queue: int) -> Iterator[int]:
    """Indices from the queue pipe until it is empty (one byte each; both processes read it)."""
    while tok := os.read(queue, 1):
        yield tok[0]


def _patience(busy: float) -> float:
    """Seconds to wait for the child once this process is done: generous (the child may hold the
    costliest section), but bounded, so a child that can never finish cannot hang the report."""
    return max(60.0, 10 * busy)


def _read_within(fd: int, seconds: float) -> bytes | None:
    """Everything the child writes to ``fd`` until it closes it, or ``None`` after ``seconds``."""
    import select

    end = time.monotonic() + seconds
    parts: list[bytes] = []
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            break
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
    return None


def _forked(
    ctx: Context, builders: Sequence[Builder], core: Sequence[str], mine: list[int], shared: list[int]
) -> dict[int, Outcome]:
    """Outcomes by index: ``mine`` then queued ones built here, queued ones the child built
    (none if it did not deliver them)."""
    sys.stdout.flush()
    sys.stderr.flush()  # else the child could write this process' buffered output again
    gc.freeze()  # the child's collections then leave the shared pages alone (no copy on write)
    queue, fill = os.pipe()
    os.write(fill, bytes(shared))  # at most 255 bytes: never blocks
    os.close(fill)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: build, send, and leave without running the parent's exit handlers
        code = 0
        try:
            os.close(r)
            before = len(ctx.written)
            built = [(i, build_section(ctx, builders[i], core)) for i in _take(queue)]
            payload = pickle.dumps((built, ctx.written[before:]))
        except BaseException:  # reported, and the parent builds what is missing
            payload, code = pickle.dumps(traceback.format_exc()), 1
        try:
            with os.fdopen(w, "wb") as fh:
                fh.write(payload)
        finally:
            os._exit(code)
    os.close(w)
    gc.unfreeze()
    started = time.perf_counter()
    finished = False
    try:
        out = {i: build_section(ctx, builders[i], core) for i in mine}
        out.update((i, build_section(ctx, builders[i], core)) for i in _take(queue))
        data = _read_within(r, _patience(time.perf_counter() - started))
        os.close(r)
        r = -1
        if data is None:  # the child is stuck (e.g. a lock held at the fork): its sections are built here
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        finished = True
    finally:
        os.close(queue)
        if r >= 0:
            os.close(r)
        if not finished:  # this process failed or was interrupted: the child's work is not wanted
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    try:
        got = pickle.loads(data) if data else None  # None or b"": the child's sections are rebuilt
    except Exception:  # a truncated message: the child was killed while writing
        got = None
    if isinstance(got, tuple):
        outcomes, written = got
        ctx.written.extend(written)
        out.update(outcomes)
    return out
