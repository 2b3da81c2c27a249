"""Where Arrow allocates during bulk work (imports).

pyarrow's default allocator (mimalloc in the Linux wheels) is slow to hand out
memory it has not used before on some virtual machines: on the 2-core
Firecracker VMs hftree is benchmarked on, concatenating 17 M tags took 0.7-1.5 s
with mimalloc and 0.2 s with the system allocator, and a 2 M-model import ran
about 15 % faster with the system allocator; a 3 M-model snapshot loaded in
4.8-5.5 s against 5.6-6.7 s in one comparison, within the noise in another
(docs/benchmarks.md). So imports, snapshot loads and saves allocate from the
system allocator, unless the user chose a pool with ``ARROW_DEFAULT_MEMORY_POOL``.
Buffers remember the pool that made them, so switching back afterwards is safe.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

_lock = threading.Lock()
_depth = 0
_previous: pa.MemoryPool | None = None


@contextmanager
def bulk_allocations() -> Iterator[None]:
    """Use the system allocator as Arrow's default pool inside the block (re-entrant, thread-safe)."""
    global _depth, _previous
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        yield
        return
    with _lock:
        if _depth == 0:
            _previous = pa.default_memory_pool()
            pa.set_memory_pool(pa.system_memory_pool())
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _previous is not None:
                pa.set_memory_pool(_previous)
                _previous = None
