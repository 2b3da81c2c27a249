"""The checkpoint of a fetch: its work directory, and what one run carries while it works.

A fetch works in a *work directory* (default ``.<output>.fetch`` next to the
output): records go to part files written atomically, and ``state.json``
(written atomically after each part) holds the listing cursor -- the ``Link``
URL of the next page -- or the crawl frontier, and the cards already read.
``state.json`` is the commit point: a part file it does not list is redone.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from hftree._atomic import write_atomic
from hftree.errors import SnapshotError

if TYPE_CHECKING:
    from hftree.ingest.hub.transport import Politeness

__all__ = ["STATE_VERSION", "Run", "WorkDir", "fetched_records", "is_run", "new_state", "now"]

_STATE = "state.json"
#: Version of ``state.json``; a checkpoint of another version is not resumed.
STATE_VERSION = 1


def now() -> dt.datetime:
    """The current time, UTC."""
    return dt.datetime.now(dt.UTC)


def new_state(query: dict[str, Any], *, overwrite: bool) -> dict[str, Any]:
    """The ``state.json`` of a fetch that has not fetched anything yet."""
    return {
        "version": STATE_VERSION,
        "run_id": uuid.uuid4().hex,
        "query": query,
        "started_at": now().isoformat(timespec="milliseconds"),
        "resumes": 0,
        "parts": [],
        "card_parts": [],
        "listing": {"cursor": None, "done": False, "pages": 0, "records": 0},
        "family": {"nodes": {}, "queried": [], "done": False},
        "cards_done": False,
        "stats": {},
        "overwrite": bool(overwrite),
    }


class WorkDir:
    """The work directory of one fetch: part files + ``state.json`` (the commit point)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.parts = path / "parts"
        self.state: dict[str, Any] = {}
        self._seq = 0

    def exists(self) -> bool:
        return (self.path / _STATE).exists()

    def create(self, state: dict[str, Any]) -> None:
        if self.path.exists():
            shutil.rmtree(self.path)
        self.parts.mkdir(parents=True)
        self.state = state
        self.save()

    def load(self) -> None:
        try:
            self.state = json.loads((self.path / _STATE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SnapshotError(
                f"{self.path / _STATE}: unreadable fetch checkpoint ({exc}); start again with --restart"
            ) from exc
        if self.state.get("version") != STATE_VERSION:
            raise SnapshotError(f"{self.path}: checkpoint of another hftree version; start again with --restart")
        listed = set(self.listed_parts())
        self.parts.mkdir(parents=True, exist_ok=True)
        for f in self.parts.iterdir():  # written but never committed by state.json: redo them
            if f.name not in listed:
                f.unlink()
        nums = [int(n.split("-")[1].split(".")[0]) for n in listed]
        self._seq = max(nums, default=0)

    def listed_parts(self) -> list[str]:
        return [*self.state.get("parts", []), *self.state.get("card_parts", [])]

    def save(self) -> None:
        write_atomic(self.path / _STATE, json.dumps(self.state, indent=1).encode())

    def write_part(self, prefix: str, rows: Sequence[dict[str, Any]]) -> str:
        self._seq += 1
        name = f"{prefix}-{self._seq:06d}.jsonl"
        write_atomic(self.parts / name, b"".join(orjson.dumps(r) + b"\n" for r in rows))
        return name

    def read_part(self, name: str) -> Iterator[dict[str, Any]]:
        with open(self.parts / name, "rb") as fh:
            for line in fh:
                if line.strip():
                    yield orjson.loads(line)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def fetched_records(work: WorkDir) -> Iterator[dict[str, Any]]:
    """Every model record committed so far, in fetch order."""
    for name in work.state["parts"]:
        yield from work.read_part(name)


def is_run(path: Path, run_id: str) -> bool:
    """Whether the snapshot at ``path`` was written by the fetch ``run_id``."""
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return manifest.get("fetch", {}).get("run_id") == run_id


@dataclass
class Run:
    """Everything one fetch needs while it runs."""

    api: Any
    work: WorkDir
    session: Politeness
    query: dict[str, Any]
    token: str | bool | None
    endpoint: str
    progress: bool | None
    checkpoint_every: int
    checkpoint_seconds: float
    workers: int
    card_workers: int
    cache_dir: str | None
    base_stats: dict[str, float]

    def commit(self) -> None:
        """Save the state with the request counts of every session so far."""
        st = dict(self.base_stats)
        for k, v in self.session.stats.items():
            st[k] = st.get(k, 0) + v
        self.work.state["stats"] = st
        self.work.save()
