"""Fixtures of the adoption tests: the paper's data and small lineage graphs."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from hftree.lineage import LineageGraph

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
    """Build a lineage graph from tables: ``graph_of(models, edges, snapshot_time)``."""
    return graph_from_tables


def graph_from_tables(models: pd.DataFrame, edges: pd.DataFrame, snapshot_time) -> LineageGraph:
    """The :class:`~hftree.lineage.LineageGraph` of ``models`` and ``edges`` at ``snapshot_time``."""
    return LineageGraph.from_tables(models, edges, snapshot_time=snapshot_time)
