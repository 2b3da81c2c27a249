"""Read JSON Lines of Hub model records, plain or gzipped, in parallel.

The file is decompressed in the main process (``isal`` when available: about
three times faster than ``zlib``) and cut into blocks at line boundaries; the
blocks are parsed (``orjson``) and normalised by :class:`RecordBatcher` in a
pool of worker processes, so both cores work on a 2 M-record dump. Results come
back in file order as Arrow batches.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import IO

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from hftree._progress import progress_bar, show_progress
from hftree.errors import InputFormatError
from hftree.ingest.records import Issues, RecordBatcher, check_on_error

__all__ = ["read_jsonl"]

_BLOCK = 16 << 20  # bytes of decompressed text per work unit
_PARALLEL_MIN = 32 << 20  # smaller inputs are parsed in-process


def open_jsonl(path: Path) -> IO[bytes]:
    """The file for reading bytes, decompressed if it is gzip (told by its first bytes, not its name)."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic != b"\x1f\x8b":
        return open(path, "rb")
    try:
        from isal import igzip as gz
    except ImportError:  # pragma: no cover - isal is a dependency, but stay usable without it
        import gzip as gz  # type: ignore[no-redef]
    return gz.open(path, "rb")  # type: ignore[return-value]


def _blocks(path: Path, fh: IO[bytes]) -> Iterator[tuple[bytes, int]]:
    """Yield (block of whole lines, number of the block's first line)."""
    line = 1
    rest = b""
    while True:
        try:
            data = fh.read(_BLOCK)
        except (EOFError, OSError) as exc:  # truncated or corrupt gzip
            done = line + rest.count(b"\n")
            raise InputFormatError(
                f"compressed data is truncated or corrupt after line {done} "
                f"({exc}); re-download or re-create the file",
                path=str(path),
            ) from exc
        if not data:
            break
        data = rest + data
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        block, rest = data[: cut + 1], data[cut + 1 :]
        yield block, line
        line += block.count(b"\n")
    if rest.strip():
        yield rest, line


def _parse_block(block: bytes, first_line: int, source: str, on_error: str):
    batcher = RecordBatcher(source, on_error)
    if first_line == 1 and block.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark, as DuckDB allows
        block = block[3:]
    raw_lines = block.split(b"\n")
    loads = orjson.loads
    try:
        recs = [loads(x) for x in raw_lines if x and not x.isspace()]
        lines = [first_line + i for i, x in enumerate(raw_lines) if x and not x.isspace()]
    except orjson.JSONDecodeError:  # find the bad lines, one by one
        recs, lines = [], []
        for i, x in enumerate(raw_lines):
            if not x or x.isspace():
                continue
            try:
                recs.append(loads(x))
                lines.append(first_line + i)
            except orjson.JSONDecodeError as exc:
                msg = str(exc)
                if "UTF-8" in msg:
                    batcher.fail(first_line + i, "line is not valid UTF-8 text")
                else:
                    batcher.fail(first_line + i, f"malformed JSON ({msg.split(':')[0]})")
    models, edges = batcher.records(recs, lines)
    return models, edges, batcher.issues


def read_jsonl(
    path: str | os.PathLike[str],
    *,
    on_error: str = "raise",
    workers: int | None = None,
    progress: bool | None = None,
) -> tuple[pa.Table, pa.Table, Issues, int]:
    """Read one JSON Lines file (``.gz`` or plain) of model records.

    Parameters
    ----------
    path : path-like
        The file; gzip is detected from its first bytes, not its name.
    on_error : {"raise", "skip"}
        ``"raise"`` stops at the first malformed line with an
        :class:`~hftree.errors.InputFormatError` naming file and line;
        ``"skip"`` skips such lines and counts them in the returned issues.
    workers : int, optional
        Worker processes (default: the number of CPUs, 1 for small files).
    progress : bool, optional
        Show a progress bar on stderr; default: when stderr is a terminal.

    Returns
    -------
    models : pyarrow.Table
        Model-table rows in file order (duplicates not yet resolved).
    edges : pyarrow.Table
        Declared lineage with a ``row`` column pointing into ``models``.
    issues : Issues
        What was skipped or ignored.
    n_lines : int
        Number of lines read.
    """
    path = Path(path)
    check_on_error(on_error)
    size = path.stat().st_size
    if size == 0:
        raise InputFormatError("file is empty; expected one JSON model record per line", path=str(path))
    source = str(path)
    workers = workers or (os.cpu_count() or 1)
    bar = progress_bar(True, desc=f"reading {path.name}", total=size, unit="B", unit_scale=True) \
        if show_progress(progress) else None
    results: list[tuple[pa.RecordBatch, pa.RecordBatch, Issues]] = []
    with open_jsonl(path) as fh:
        raw = getattr(fh, "fileobj", None) or getattr(fh, "_buffer", None) or fh
        if workers <= 1 or size < _PARALLEL_MIN:
            for block, first in _blocks(path, fh):
                results.append(_parse_block(block, first, source, on_error))
                _tick(bar, raw)
        else:
            import multiprocessing as mp

            ctx = mp.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                pending: list[Future] = []
                for block, first in _blocks(path, fh):
                    pending.append(pool.submit(_parse_block, block, first, source, on_error))
                    # bounded read-ahead: keep memory flat on huge files
                    while len(pending) - len(results) > 2 * workers:
                        results.append(pending[len(results)].result())
                        _tick(bar, raw)
                for fut in pending[len(results) :]:
                    results.append(fut.result())
                    _tick(bar, raw)
    if bar is not None:
        bar.close()
    issues = Issues()
    offset = 0
    model_batches = []
    edge_batches = []
    for models, edges, iss in results:
        issues.merge(iss)
        model_batches.append(models)
        if edges.num_rows:
            edges = edges.set_column(4, "row", pc.add(edges.column(4), offset))
        edge_batches.append(edges)
        offset += models.num_rows
    if offset == 0 and issues.skipped_lines == 0:
        raise InputFormatError("file holds no model records (only blank lines)", path=str(path))
    models_t = pa.Table.from_batches(model_batches)
    edges_t = pa.Table.from_batches(edge_batches)
    n_lines = offset + issues.skipped_lines
    return models_t, edges_t, issues, n_lines


_SPACE = np.array([ord(c) for c in " \t\n\r\x0b\x0c"], dtype=np.uint8)


def lines_of_records(path: str | os.PathLike[str], positions: np.ndarray) -> tuple[list[bytes], list[int]]:
    """The text and line number of the records at ``positions`` (0-based, sorted), counting
    records as :func:`read_jsonl` does (blank lines are not records).

    Used by the fast path to hand single records to the Python normaliser. Lines
    are found with NumPy, one pass over each decompressed block; only lines that
    are empty or start with whitespace are looked at one by one.
    """
    path = Path(path)
    wanted = np.asarray(positions, dtype=np.int64)
    out: list[bytes] = []
    out_lines: list[int] = []
    k = 0  # next wanted position
    rec = 0  # records before the current block
    with open_jsonl(path) as fh:
        for block, first in _blocks(path, fh):
            if k == len(wanted):
                break
            arr = np.frombuffer(block, dtype=np.uint8)
            ends = np.flatnonzero(arr == 10)
            if not block.endswith(b"\n"):
                ends = np.append(ends, len(block))
            starts = np.zeros_like(ends)
            starts[1:] = ends[:-1] + 1
            maybe = (ends == starts) | np.isin(arr[np.minimum(starts, len(arr) - 1)], _SPACE)
            lines = np.arange(len(ends))
            if maybe.any():
                blank = [i for i in np.flatnonzero(maybe).tolist() if block[starts[i]: ends[i]].isspace()
                         or ends[i] == starts[i]]
                lines = np.delete(lines, blank)
            stop = int(np.searchsorted(wanted, rec + len(lines)))
            for w in wanted[k:stop].tolist():
                i = int(lines[w - rec])
                out.append(block[int(starts[i]): int(ends[i])])
                out_lines.append(first + i)
            k = stop
            rec += len(lines)
    return out, out_lines


def _tick(bar, raw) -> None:
    if bar is not None:
        with contextlib.suppress(OSError, ValueError):
            bar.update(raw.tell() - bar.n)
