"""Hand-made snapshots with known differences (see ``expected`` in test_diff.py)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hftree.ingest.snapshot import Snapshot
from hftree.schema import MODEL_COLUMNS, SCHEMA_VERSION, empty_models


def make_snapshot(day: str, rows: list[tuple], edges: list[tuple[str, str, str]]) -> Snapshot:
    """rows: (id, uid, license, pipeline_tag, created, downloads, likes)."""
    models = pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "extra": [json.dumps({"_id": r[1]}) for r in rows],
            "license": [r[2] for r in rows],
            "pipeline_tag": [r[3] for r in rows],
            "library_name": ["transformers"] * len(rows),
            "created_at": pd.to_datetime([r[4] for r in rows], utc=True),
            "downloads": pd.array([r[5] for r in rows], dtype="Int64"),
            "likes": pd.array([r[6] for r in rows], dtype="Int64"),
        }
    )
    empty = empty_models()
    for c in MODEL_COLUMNS:  # every canonical column, so that the snapshot can be saved and loaded
        if c not in models:
            models[c] = empty[c].reindex(range(len(models)))
    models = models[list(MODEL_COLUMNS)]
    e = pd.DataFrame(edges, columns=["parent", "child", "relation"]).assign(source="tag")
    return Snapshot(models, e.astype(str), manifest={"format": "hftree-snapshot", "schema_version": SCHEMA_VERSION,
                                                     "snapshot_time": f"{day}T00:00:00+00:00"})


TG = "text-generation"
OLD_ROWS = [
    ("org/base", "u1", "mit", TG, "2024-11-01", 100, 5),
    ("org/ft1", "u2", "mit", TG, "2024-11-20", 10, 1),
    ("org/ft2", "u3", "mit", TG, "2024-12-01", 7, 0),
    ("org/old-name", "u4", "mit", TG, "2024-12-05", 3, 0),
    ("org/same", "u5", "mit", TG, "2024-12-06", 1, 0),
    ("org/lic", "u6", "mit", TG, "2024-12-07", 2, 0),
    ("org/q", "u7", "mit", TG, "2024-12-10", 4, 0),
    ("org/solo", "u8", "mit", TG, "2024-10-01", 9, 0),
    ("org/solo-ft", "u13", "mit", TG, "2024-10-05", 1, 0),
]
OLD_EDGES = [
    ("org/base", "org/ft1", "finetune"),
    ("org/base", "org/ft2", "finetune"),
    ("org/base", "org/old-name", "adapter"),
    ("org/ft1", "org/q", "quantized"),
    ("org/solo", "org/solo-ft", "finetune"),
]
NEW_ROWS = [
    ("org/base", "u1", "mit", TG, "2024-11-01", 150, 6),
    ("org/ft1", "u2", "mit", TG, "2024-11-20", 12, 1),
    ("org/new-name", "u4", "mit", TG, "2024-12-05", 5, 0),
    ("org/same", "u9", "mit", TG, "2025-01-03", 0, 0),
    ("org/lic", "u6", "apache-2.0", "text-classification", "2024-12-07", 2, 0),
    ("org/q", "u7", "mit", TG, "2024-12-10", 4, 0),
    ("org/solo", "u8", "mit", TG, "2024-10-01", 8, 0),
    ("org/ft3", "u10", "mit", TG, "2025-01-02", 1, 0),
    ("org/ft4", "u14", "mit", TG, "2025-01-04", 1, 0),
    ("org/other-root", "u11", "mit", TG, "2025-01-01", 1, 0),
    ("org/oc", "u12", "mit", TG, "2025-01-05", 1, 0),
]
NEW_EDGES = [
    ("org/base", "org/ft1", "finetune"),
    ("org/base", "org/new-name", "adapter"),
    ("org/ft1", "org/q", "finetune"),
    ("org/base", "org/ft3", "finetune"),
    ("org/base", "org/ft4", "finetune"),
    ("org/other-root", "org/oc", "finetune"),
]


@pytest.fixture
def old_snap() -> Snapshot:
    return make_snapshot("2025-01-01", OLD_ROWS, OLD_EDGES)


@pytest.fixture
def new_snap() -> Snapshot:
    return make_snapshot("2025-01-08", NEW_ROWS, NEW_EDGES)
