"""Hash lookups over millions of model ids.

Arrow's hash kernels (``unique``, ``index_in``, ``dictionary_encode``) run on one thread. On the 2 M ids
of a whole-Hub snapshot, DuckDB's parallel hash aggregate and hash join do the same work in a third to a
half of the time (``docs/benchmarks.md``), but a DuckDB connection costs tens of milliseconds, so small
inputs stay in Arrow. Both engines give the same answers (``tests/test_hashing.py``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["has_duplicates", "positions_in"]

#: inputs at least this long go to DuckDB
DUCKDB_MIN_ROWS = 200_000


def _connect():
    import duckdb

    return duckdb.connect()


def has_duplicates(values: pa.Array | pa.ChunkedArray) -> bool:
    """Whether any value occurs twice (two nulls count as a duplicate)."""
    if len(values) < DUCKDB_MIN_ROWS:
        return len(pc.unique(values)) != len(values)
    con = _connect()
    try:
        con.register("v", pa.table({"v": values}))
        # distinct 64-bit hashes mean distinct values: one sort of integers answers the common case
        # (no duplicates) at a third of the cost of a hash aggregate over the strings; equal hashes
        # (a duplicate, two nulls, or a collision) go to the exact check
        hashes = np.sort(con.sql("SELECT hash(v) AS h FROM v").to_arrow_table().column("h").to_numpy())
        if not (hashes[1:] == hashes[:-1]).any():
            return False
        return bool(con.sql("SELECT 1 FROM v GROUP BY v HAVING count(*) > 1 LIMIT 1").fetchall())
    finally:
        con.close()


def positions_in(values: pa.Array, keys: pa.Array) -> np.ndarray:
    """For each value, the position of the equal key, or -1 (nulls match nothing).

    ``keys`` must hold no duplicates (see :func:`has_duplicates`).
    """
    if len(values) + len(keys) < DUCKDB_MIN_ROWS:
        pos = pc.index_in(values, value_set=keys, skip_nulls=True)
        return pc.fill_null(pos, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    con = _connect()
    try:
        con.register("k", pa.table({"k": keys, "i": np.arange(len(keys), dtype=np.int64)}))
        con.register("v", pa.table({"v": values, "j": np.arange(len(values), dtype=np.int64)}))
        hit = con.sql("SELECT v.j, k.i FROM v JOIN k ON v.v = k.k").to_arrow_table()
    finally:
        con.close()
    out = np.full(len(values), -1, dtype=np.int64)
    out[hit.column("j").to_numpy()] = hit.column("i").to_numpy()
    return out
