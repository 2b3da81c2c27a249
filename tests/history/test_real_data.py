"""The shared hub-2022 (Feb 2022 listing) and hub-2023 (2023-10-01 table) snapshots, diffed and stored."""

from __future__ import annotations

import gzip
import json
import warnings

import pyarrow.parquet as pq
import pytest

from hftree.history import add_snapshot, diff_snapshots, model_series


@pytest.fixture(scope="module")
def snaps(shared):
    from hftree.ingest import import_sources

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = import_sources([shared / "hub-2022" / "models.jsonl.gz", shared / "hub-2022" / "cards.jsonl.gz"])
        b = import_sources([shared / "hub-2023" / "model_info.parquet"], snapshot_time="2023-10-01")
    return a, b


def test_hub_2022_vs_hub_2023(snaps, shared):
    a, b = snaps
    d = diff_snapshots(a, b)
    with gzip.open(shared / "hub-2022" / "models.jsonl.gz", "rt", encoding="utf-8") as fh:
        old = {json.loads(line)["id"] for line in fh if line.strip()}
    new = set(pq.read_table(shared / "hub-2023" / "model_info.parquet", columns=["modelId"])["modelId"].to_pylist())
    assert set(d.tables["added"]["id"]) == new - old
    assert set(d.tables["removed"]["id"]) == old - new
    # what cannot be compared is said: no _id in either (no renames), no licence/library in 2023, no lineage
    notes = " | ".join(d.notes)
    assert "matched by id (no Hub _id on either side)" in notes
    assert "license" in notes and "library_name" in notes
    assert "lineage not compared: the new side declares no edge at all" in notes
    assert d.count("renamed") == 0 and d.count("edges_removed") == 0
    changed = d.tables["changed"]
    assert set(changed["field"]) <= {"pipeline_tag", "author"}
    tasks = changed[changed["field"] == "pipeline_tag"]
    assert (tasks["kind"] == "set").sum() > 0 and (tasks["kind"] == "changed").sum() > 0


def test_both_years_in_one_history(snaps, tmp_path):
    a, b = snaps
    h = add_snapshot(tmp_path / "h", a)
    h = add_snapshot(tmp_path / "h", b)
    assert h.dates == ["2022-02-15", "2023-10-01"]
    both = diff_snapshots((h, h.dates[0]), (h, h.dates[1]))
    assert both.to_frame().equals(diff_snapshots(a, b).to_frame())
    t = model_series(h, "bert-base-uncased").table
    assert t["present"].all() and (t["downloads"] > 0).all()
