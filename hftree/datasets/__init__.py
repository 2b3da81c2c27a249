"""Data that ships with hftree: the synthetic Hub generator, the demo snapshot, a toy graph."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from hftree.datasets.synthetic import synthetic_cards, synthetic_hub, write_synthetic_hub

__all__ = ["demo_path", "load_demo", "synthetic_cards", "synthetic_hub", "toy_graph", "write_synthetic_hub"]


def demo_path() -> Path:
    """Directory of the bundled demo snapshot (``data/demo`` in the source tree,
    installed as the package data ``hftree._data``)."""
    try:
        return Path(str(resources.files("hftree._data") / "demo"))
    except ModuleNotFoundError:  # running from a source tree that is not installed
        return Path(__file__).resolve().parents[2] / "data" / "demo"


def load_demo():
    """The bundled demo snapshot: a seeded synthetic Hub (see ``data/README.md``).

    >>> snap = load_demo()
    >>> len(snap.models) > 1000
    True
    """
    from hftree.ingest import load_snapshot

    return load_snapshot(demo_path())


def toy_graph():
    """A 7-model graph with every relation and a merge across two families.

    ::

        org/base ─finetune→ org/base-ft ─quantized→ org/ft-GGUF
          │  │                  └──merge→ org/merge ←merge── other/base2
          │  └─adapter→ org/base-lora ─unknown→ org/base-GGUF
          └──────────quantized──────────────────→ org/base-GGUF

    ``org/base-GGUF`` has two parents in the same family; ``org/merge`` belongs
    to two families.

    >>> toy_graph()
    <LineageGraph 7 models (0 external), 7 edges: finetune 1, adapter 1, quantized 2, merge 2, unknown 1>
    """
    from hftree.lineage import LineageGraph

    models = pd.DataFrame(
        {
            "id": ["org/base", "org/base-ft", "org/base-lora", "org/base-GGUF", "org/ft-GGUF",
                   "other/base2", "org/merge"],
            "author": ["org", "org", "org", "org", "org", "other", "org"],
            "created_at": pd.to_datetime(
                ["2024-01-01", "2024-02-01", "2024-02-15", "2024-03-01", "2024-04-01",
                 "2024-01-10", "2024-05-01"], utc=True),
            "downloads": [1000, 300, 20, 500, 50, 80, 10],
            "likes": [10, 3, 0, 5, 1, 2, 0],
            "license": ["llama3", "llama3", "llama3", "apache-2.0", None, "mit", "apache-2.0"],
        }
    )
    edges = pd.DataFrame(
        {
            "parent": ["org/base", "org/base", "org/base", "org/base-ft", "org/base-ft",
                       "other/base2", "org/base-lora"],
            "child": ["org/base-ft", "org/base-lora", "org/base-GGUF", "org/ft-GGUF", "org/merge",
                      "org/merge", "org/base-GGUF"],
            "relation": ["finetune", "adapter", "quantized", "quantized", "merge", "merge", "unknown"],
        }
    )
    return LineageGraph.from_tables(models, edges, snapshot_time="2024-06-01")
