"""Fixtures of the adoption tests: the paper's data and small stand-in lineage graphs."""

from __future__ import annotations

import os
import types
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("HFTREE_SHARED_DATA", ROOT.parent / "shared" / "data"))
FINETUNE = SHARED / "adoption" / "finetune"
DOWNLOAD = SHARED / "adoption" / "download"


@pytest.fixture(scope="session")
def finetune_files() -> list[Path]:
    """The 12 company files of Bhandari, Chen & Gao (2025)."""
    if not FINETUNE.is_dir():
        pytest.skip(f"real adoption data not found at {FINETUNE} (set HFTREE_SHARED_DATA)")
    files = sorted(FINETUNE.glob("*.csv"))
    assert len(files) == 12
    return files


@pytest.fixture(scope="session")
def download_dir() -> Path:
    if not DOWNLOAD.is_dir():
        pytest.skip(f"real adoption data not found at {DOWNLOAD} (set HFTREE_SHARED_DATA)")
    return DOWNLOAD


@pytest.fixture(scope="session")
def all_counts(finetune_files) -> pd.DataFrame:
    from hftree.adoption import read_finetune_csv

    return pd.concat([read_finetune_csv(f) for f in finetune_files])


@pytest.fixture(scope="session")
def all_paper_fits(finetune_files) -> pd.DataFrame:
    from hftree.adoption import read_paper_fits

    return pd.concat([read_paper_fits(f).assign(file=f.name) for f in finetune_files])


@pytest.fixture(scope="session")
def graph_of():
    """Build a stand-in lineage graph: ``graph_of(models, edges, snapshot_time)``."""
    return stand_in_graph


def stand_in_graph(models: pd.DataFrame, edges: pd.DataFrame, snapshot_time) -> types.SimpleNamespace:
    """An object with exactly the three attributes growth_series relies on."""
    snap = pd.Timestamp(snapshot_time)
    if snap.tzinfo is None:
        snap = snap.tz_localize("UTC")
    return types.SimpleNamespace(models=models, edge_frame=lambda: edges.copy(), snapshot_time=snap)
