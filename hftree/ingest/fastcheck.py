"""Where DuckDB is laxer than the Python reader (orjson): NaN, Infinity, very deep nesting.

The fast path (:mod:`hftree.ingest.fastjson`) must give the Python reader's answer or hand the
file over; these checks find the records DuckDB accepted that orjson would refuse, so that such a
file is read (and reported, with its line) by the Python reader whatever its size.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["MAX_DEPTH", "beyond_python", "check_suspects"]


def check_suspects(path: Path, suspect: pa.ChunkedArray, irregular: type[Exception]) -> None:
    """Raise ``irregular`` (:class:`~hftree.ingest.fastjson.Irregular`) if a record DuckDB accepted
    is JSON orjson refuses (NaN, very deep): the Python reader then reads the file and reports that
    line, as it does for a small file. ``suspect`` holds the raw text of the candidate records
    (null for the others)."""
    import orjson

    for text in suspect.drop_null().to_pylist():
        try:
            orjson.loads(text)
        except orjson.JSONDecodeError:
            raise irregular(f"{path}: a record DuckDB read is not JSON the Python reader accepts") from None


#: The deepest nesting the Python reader keeps in ``extra`` (orjson writes at most this many levels).
MAX_DEPTH = 254


def beyond_python(extra: pa.ChunkedArray) -> bool:
    """Whether some ``extra`` text holds what DuckDB accepts and the Python reader does not:
    ``NaN``/``Infinity`` or more than :data:`MAX_DEPTH` levels. Candidates are found generously
    (any bracket, the words anywhere), then each is tried with orjson, as the Python reader would.
    Such a file is read by the Python reader, so both paths give the same answer."""
    import orjson

    if extra.null_count == len(extra):
        return False
    opens = pc.add(pc.count_substring(extra, "["), pc.count_substring(extra, "{"))
    odd = pc.or_(pc.greater(opens, MAX_DEPTH), pc.match_substring_regex(extra, r"NaN|Infinity"))
    for text in extra.filter(pc.fill_null(odd, False)).to_pylist():
        try:
            orjson.dumps(orjson.loads(text))
        except (orjson.JSONDecodeError, TypeError):
            return True
    return False
