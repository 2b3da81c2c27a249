"""``hftree fetch`` and ``hftree track`` on the command line, in-process, against the loopback Hub stand-in."""

from __future__ import annotations

import pytest

from hftree.ingest import load_snapshot
from hftree.testing import FaultPlan, hub_record

FAST = ["--backoff", "0.01", "--max-backoff", "0.05", "--timeout", "2"]


@pytest.fixture
def hub(make_hub):
    recs = [
        hub_record(
            {
                "id": f"o/m{i}",
                "downloads": i,
                "downloadsAllTime": 3 * i,
                "tags": [f"base_model:adapter:o/m{i - 1}"] if i else [],
            }
        )
        for i in range(7)
    ]
    return make_hub(recs, page_size=3, cards={"o/m0": "# root\n"})


def test_fetch_prints_a_summary(cli, hub, tmp_path):
    out = tmp_path / "snap"
    r = cli("fetch", "-o", out, "--endpoint", hub.endpoint, *FAST)
    assert r.code == 0, r.err
    text = r.out
    assert f"wrote {out}: 7 models, 6 declared edges; 7 records in 3 pages, 3 requests" in text
    assert len(load_snapshot(out).models) == 7
    r = cli("fetch", "-o", tmp_path / "fam", "--family", "o/m0", "--max-depth", "2", "--cards",
            "--cache-dir", tmp_path / "c", "--endpoint", hub.endpoint, "-q", *FAST)
    assert r.code == 0 and r.out == ""
    fam = load_snapshot(tmp_path / "fam")
    assert sorted(fam.models["id"]) == ["o/m0", "o/m1", "o/m2"]
    assert fam.cards.set_index("id")["card_status"].to_dict() == {"o/m0": "ok", "o/m1": "missing", "o/m2": "missing"}


def test_usage_errors_exit_2_and_failures_exit_1(cli, hub, tmp_path):
    r = cli("fetch", "--endpoint", hub.endpoint)
    assert r.code == 2 and r.err.startswith("hftree: error: give -o SNAPSHOT_DIR")
    r = cli("fetch", "-o", tmp_path / "x", "--family", "o/m0", "--author", "o")
    assert r.code == 2 and r.err.startswith("hftree: error: ") and "family mode takes no listing filters" in r.err
    r = cli("fetch", "-o", tmp_path / "x", "--limit", "0")
    assert r.code == 2 and r.err.startswith("hftree: error: argument --limit: expected a positive whole number")
    hub.faults = FaultPlan(down=True)
    r = cli("fetch", "-o", tmp_path / "y", "--endpoint", hub.endpoint, "-q", "--max-retries", "1", *FAST)
    assert r.code == 1
    assert r.err.startswith("hftree: error: the Hub did not answer GET") and "--resume" in r.err
    assert r.err.count("\n") == 1 and "Traceback" not in r.err
    hub.faults = FaultPlan()
    # nothing was fetched, so no checkpoint was left to block this run (issue 15)
    assert not (tmp_path / ".y.fetch").exists()
    assert cli("fetch", "-o", tmp_path / "y", "--endpoint", hub.endpoint, "-q", *FAST).code == 0


def test_track_command(cli, hub, tmp_path):
    wl = tmp_path / "watch.txt"
    wl.write_text("o/m1\no/m3\nnobody/here\n")
    store = tmp_path / "store"
    assert cli("track", wl, "-o", store, "--endpoint", hub.endpoint, *FAST).code == 0
    r = cli("track", wl, "-o", store, "--endpoint", hub.endpoint, *FAST)
    assert r.code == 0
    assert "recorded 2 models at" in r.out and "(run 2, 6 rows in the store)" in r.out
    assert "hftree: warning: not on the Hub: nobody/here" in r.err
    wl.write_text("not an id!\n")
    r = cli("track", wl, "-o", store, "--endpoint", hub.endpoint)
    assert r.code == 1 and "watch.txt:1: 'not an id!' is not a model id" in r.err


def test_token_from_hf_token_reaches_the_hub_and_nowhere_else(make_hub, tmp_path, cli, monkeypatch):
    token = "hf_cliSecretToken0123456789"
    recs = [hub_record({"id": f"o/m{i}", "private": i == 2, "gated": "auto" if i == 3 else False}) for i in range(5)]
    hub = make_hub(recs, page_size=2, token=token, cards={"o/m2": "# private\n", "o/m3": "# gated\n"})
    monkeypatch.setenv("HF_TOKEN", token)
    out = tmp_path / "out"
    r = cli("fetch", "-o", out, "--endpoint", hub.endpoint, "--cards", "--keep-work",
            "--cache-dir", tmp_path / "cache", *FAST)
    assert r.code == 0, r.err
    snap = load_snapshot(out)
    assert "o/m2" in set(snap.models["id"])  # private: only visible with the token
    assert snap.cards.set_index("id").loc["o/m3", "card"] == "# gated\n"
    assert hub.stats.authorized > 0
    assert token not in r.out + r.err
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 5
    for p in files:
        assert token.encode() not in p.read_bytes(), p
