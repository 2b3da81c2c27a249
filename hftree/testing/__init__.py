"""Test helpers that stand in for the Hugging Face Hub.

:class:`~hftree.testing.fake_hub.FakeHub` is a small HTTP server on 127.0.0.1 that
answers the requests ``huggingface_hub`` makes for listings (``/api/models``),
``model_info`` and README downloads, from a list of records, and for dataset
repositories (the whole-Hub dumps, commit by commit, with ``Range`` downloads), with fault injection
and request counting. hftree's tests and the fetch benchmark point
``huggingface_hub`` at it (``HfApi(endpoint=hub.endpoint)``); nothing here touches
the network. ``python -m hftree.testing.fake_hub`` serves the shared real data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hftree.testing.fake_hub import (
        EXPAND_FIELDS,
        FakeHub,
        FaultPlan,
        hub_record,
        hub_tags,
        load_shared_hub,
    )

__all__ = ["EXPAND_FIELDS", "FakeHub", "FaultPlan", "hub_record", "hub_tags", "load_shared_hub"]


def __getattr__(name: str) -> Any:
    # imported lazily so that ``python -m hftree.testing.fake_hub`` runs the module only once
    if name in __all__:
        from hftree.testing import fake_hub

        return getattr(fake_hub, name)
    raise AttributeError(f"module 'hftree.testing' has no attribute {name!r}")
