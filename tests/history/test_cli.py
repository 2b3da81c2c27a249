"""``hftree history``, ``hftree diff``, ``hftree fetch --dump … --into`` and ``hftree adoption --history``."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hftree.history import add_snapshot, diff_snapshots, open_history
from tests.history.conftest import make_snapshot
from tests.ingest.hub.conftest import _no_network, fast, make_hub  # noqa: F401 (fixtures)


@pytest.fixture
def dirs(tmp_path, old_snap, new_snap):
    old_snap.save(tmp_path / "a")
    new_snap.save(tmp_path / "b")
    return tmp_path / "a", tmp_path / "b"


def test_history_add_list_series_churn(cli, tmp_path, dirs):
    h = tmp_path / "h"
    r = cli("history", "add", h, *dirs)
    assert r.code == 0 and "as 2025-01-01: 9 models, 5 edges (1 dates)" in r.out and "(2 dates)" in r.out
    r = cli("history", "add", h, dirs[0])
    assert r.code == 1 and "already holds the snapshot of 2025-01-01" in r.err and "--replace" in r.err
    assert cli("history", "add", h, dirs[1], "--date", "2025-01-01", "--replace").code == 0
    r = cli("history", "add", h, *dirs, "--date", "2025-01-01")
    assert r.code == 2 and "one snapshot" in r.err
    r = cli("history", "list", h, "--format", "json")
    assert [row["models"] for row in json.loads(r.out)] == [11, 11]
    r = cli("history", "series", h, "--family", "org/base", "--format", "json")
    assert [row["descendants"] for row in json.loads(r.out)] == [5, 5]
    r = cli("history", "series", h, "--model", "org/zzz")
    assert r.code == 1 and "org/zzz" in r.err and "Traceback" not in r.err
    r = cli("history", "churn", h, "--weeks", "1", "--format", "csv")
    assert r.code == 0 and r.out.startswith("snapshot,models,births,deaths")


def test_diff_counts_show_and_json(cli, tmp_path, dirs):
    r = cli("diff", *dirs)
    assert r.code == 0 and "renamed" in r.out and "note: not compared (absent on a side): author" in r.err
    r = cli("diff", *dirs, "--show", "renamed", "--format", "csv")
    assert r.out.splitlines() == ["old_id,id,uid", "org/old-name,org/new-name,u4"]
    out = tmp_path / "d.json"
    assert cli("diff", *dirs, "-o", out).code == 0
    doc = json.loads(out.read_text())
    want = diff_snapshots(*dirs)
    assert doc["counts"] == {c: want.count(c) for c in want.tables}
    assert doc["tables"]["relation_changed"] == [{"parent": "org/ft1", "child": "org/q", "old": "quantized",
                                                  "new": "finetune"}]
    h = tmp_path / "h"
    cli("history", "add", h, *dirs)
    r = cli("diff", f"{h}@2025-01-01", f"{h}@2025-01-08", "--format", "json")
    assert json.loads(r.out)["counts"] == doc["counts"]
    r = cli("diff", f"{h}@2025-02-01", dirs[1])
    assert r.code == 1 and "no snapshot dated 2025-02-01" in r.err
    assert cli("diff", *dirs, "--show", "nonsense").code == 2


def test_terminal_output_is_escaped(cli, tmp_path):
    a = make_snapshot("2025-01-01", [("org/x", "u1", "mit", "t", "2024-01-01", 1, 0)], [])
    b = make_snapshot("2025-01-08", [("org/\x1b[31mred", "u2", "mit", "t", "2024-01-01", 1, 0)], [])
    a.save(tmp_path / "a")
    b.save(tmp_path / "b")
    r = cli("diff", tmp_path / "a", tmp_path / "b", "--show", "added")
    assert "\x1b" not in r.out and "\\x1b[31mred" in r.out


def _weekly(n_children: int) -> bytes:
    """A hub-stats-shaped file: a root and n fine-tunes of it, with the Hub's _id."""
    ids = ["org/root"] + [f"org/ft{i}" for i in range(n_children)]
    table = pa.table({
        "_id": [f"{i:024x}" for i in range(len(ids))],
        "id": ids,
        "createdAt": pa.array([1_704_067_200_000] * len(ids), pa.int64()).cast(pa.timestamp("ms", tz="UTC")),
        "downloads": list(range(len(ids))),
        "tags": [[]] + [["base_model:finetune:org/root"]] * n_children,
        "cardData": ["{}"] * len(ids),
    })
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def test_fetch_dump_into_history_several_dates(cli, make_hub, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.delenv("HF_TOKEN", raising=False)
    hub = make_hub()
    hub.add_dataset_commit("mirror/weekly", {"models/2024-07-24/models.parquet": _weekly(2),
                                             "models/2024-07-31/models.parquet": _weekly(3)})
    h = tmp_path / "h"
    args = ["fetch", "--dump", "weekly", "--repo", "mirror/weekly", "--endpoint", hub.endpoint,
            "--cache-dir", tmp_path / "cache", "--max-retries", "1", "--into", h]
    r = cli(*args, "--date", "2024-07-24,2024-07-31")
    assert r.code == 0, r.err
    hist = open_history(h)
    assert hist.dates == ["2024-07-24", "2024-07-31"]
    assert [hist.info(d)["rows"]["members"] for d in hist.dates] == [2, 3]
    assert not [p for p in h.iterdir() if p.name.startswith(".")]  # no staging left behind
    r = cli(*args, "--date", "2024-07-31")
    assert r.code == 1 and "already holds the snapshot of 2024-07-31" in r.err
    assert cli(*args, "--date", "2024-07-31", "--force").code == 0
    r = cli(*args, "-o", tmp_path / "x")
    assert r.code == 2 and "--into" in r.err


def test_adoption_fits_observed_family_sizes(cli, tmp_path):
    from hftree.adoption import fit_families
    from hftree.history import observed_growth

    sizes = [1, 2, 4, 7, 11, 16, 20, 18, 23, 25, 26, 27]  # a deletion in week 7
    h = tmp_path / "h"
    made = 0
    for w, k in enumerate(sizes):
        day = (np.datetime64("2024-03-01") + np.timedelta64(7 * w, "D")).astype(str)
        made = max(made, k)
        rows = [("org/root", "u0", "mit", "t", "2024-02-20", 1, 0)]
        kids = [i for i in range(made) if not (w == 7 and i >= 18)]  # two removed that week
        rows += [(f"org/ft{i}", f"u{i + 1}", "mit", "t", "2024-02-25", 1, 0) for i in kids[:k]]
        edges = [("org/root", f"org/ft{i}", "finetune") for i in kids[:k]]
        add_snapshot(h, make_snapshot(day, rows, edges))
    r = cli("adoption", "--history", h, "--bins", "day", "--min-size", "2", "--format", "json")
    assert r.code == 0, r.err
    got = json.loads(r.out)
    assert [row["model"] for row in got] == ["org/root"]
    series = observed_growth(open_history(h), bins="day").series
    want = fit_families(series).to_frame()
    assert got[0]["lam"] == pytest.approx(float(want.loc["org/root", "lam"]))
    assert got[0]["n_obs"] == int(series.notna().sum(axis=1).iloc[0]) and got[0]["final"] == 27
    assert "missed" in r.err
    r = cli("adoption", "--history", h, "--relation", "finetune")
    assert r.code == 2 and "every relation" in r.err
