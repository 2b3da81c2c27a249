"""Fixtures for the fetch tests: a Hub stand-in on loopback serving the real shared records.

Nothing here touches the network: huggingface_hub's one request of its own (the
agent-harness registry it reads for its user agent) is answered from memory, every
fetch is pointed at a FakeHub on 127.0.0.1, and subprocesses get ``HF_ENDPOINT``
set to the stand-in and a private ``HF_HOME``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pandas as pd
import pytest

from hftree.ingest import Snapshot, import_sources
from hftree.ingest.hub import FETCH_EXPAND, RetryPolicy
from hftree.testing import FakeHub, load_shared_hub

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub would fetch its agent registry from huggingface.co: give it an empty one."""
    import huggingface_hub.utils._detect_agent as agents

    monkeypatch.setattr(agents, "_registry", {"standardEnvVars": [], "harnesses": {}})
    monkeypatch.delenv("HF_TOKEN", raising=False)


@pytest.fixture(scope="session")
def shared_hub(shared: Path) -> tuple[list[dict], dict[str, str]]:
    """The hub-families and smollm2-tree records as the Hub serves them, and their cards."""
    return load_shared_hub(shared)


@pytest.fixture
def fast() -> RetryPolicy:
    """Short backoff so fault tests stay fast; seeded jitter."""
    return RetryPolicy(max_retries=6, backoff=0.01, max_backoff=0.05, timeout=2.0, random_state=0)


@pytest.fixture
def make_hub() -> Iterator[Callable[..., FakeHub]]:
    hubs: list[FakeHub] = []

    def make(records=(), **kw) -> FakeHub:
        hub = FakeHub(records, **kw).start()
        hubs.append(hub)
        return hub

    yield make
    for h in hubs:
        h.stop()


@pytest.fixture
def real_hub(make_hub, shared_hub) -> FakeHub:
    """The shared records, 50 models per page (53 pages for a full listing)."""
    records, cards = shared_hub
    return make_hub(records, cards=cards, page_size=50)


def served_snapshot(hub: FakeHub, tmp: Path, *, authorized: bool = False) -> Snapshot:
    """What the stand-in serves for a full listing, imported from a JSON Lines file."""
    path = tmp / "served.jsonl"
    recs = hub.records(FETCH_EXPAND, authorized=authorized)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    return import_sources([path])


def canonical(snap: Snapshot) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Models sorted by id and edges sorted by (child, parent, relation), with fresh indexes."""
    models = snap.models.sort_values("id").reset_index(drop=True)
    edges = snap.edges.sort_values(["child", "parent", "relation"]).reset_index(drop=True)
    return models, edges


def assert_same_tables(a: Snapshot, b: Snapshot, *, cards: bool = False) -> None:
    ma, ea = canonical(a)
    mb, eb = canonical(b)
    pd.testing.assert_frame_equal(ma, mb)
    pd.testing.assert_frame_equal(ea, eb)
    if cards:
        ca = a.cards.sort_values("id").reset_index(drop=True)
        cb = b.cards.sort_values("id").reset_index(drop=True)
        pd.testing.assert_frame_equal(ca, cb)


def cli_env(hub: FakeHub, home: Path, **extra: str) -> dict[str, str]:
    """Environment of a CLI subprocess: the stand-in as HF_ENDPOINT, a private HF_HOME, no token."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
    env.update(HF_ENDPOINT=hub.endpoint, HF_HOME=str(home), PYTHONPATH=str(ROOT), **extra)
    return env


PY = sys.executable
