"""Imports, loads and saves allocate from the system allocator, and give the caller's pool back."""

from __future__ import annotations

import pyarrow as pa
import pytest

import hftree.ingest.snapshot as snapshot_mod
from hftree.ingest import import_sources, load_snapshot
from tests.conftest import write_jsonl


def _pools_seen(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = snapshot_mod.to_pandas

    def spy(*args, **kw):
        seen.append(pa.default_memory_pool().backend_name)
        return real(*args, **kw)

    monkeypatch.setattr(snapshot_mod, "to_pandas", spy)
    return seen


def test_import_load_and_save_use_the_system_pool_then_restore_the_callers(tmp_path, monkeypatch):
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    path = write_jsonl(tmp_path / "m.jsonl", [{"id": "a/base"}, {"id": "b/ft", "cardData": {"base_model": "a/base"}}])
    before = pa.default_memory_pool().backend_name
    seen = _pools_seen(monkeypatch)
    snap = import_sources([path])
    snap.save(tmp_path / "snap")
    loaded = load_snapshot(tmp_path / "snap")
    assert set(seen) == {"system"} and len(seen) >= 4  # two tables imported, two loaded
    assert pa.default_memory_pool().backend_name == before
    assert loaded.models["id"].tolist() == ["a/base", "b/ft"]


def test_a_pool_the_user_chose_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
    path = write_jsonl(tmp_path / "m.jsonl", [{"id": "a/base"}])
    before = pa.default_memory_pool().backend_name
    if before == "system":
        pytest.skip("this pyarrow has no other pool")
    seen = _pools_seen(monkeypatch)
    import_sources([path]).save(tmp_path / "snap")
    load_snapshot(tmp_path / "snap")
    assert set(seen) == {before}
