"""``hftree fetch`` and ``hftree track`` on the command line (through the real entry point)."""

from __future__ import annotations

import subprocess

import pytest

import hftree.cli.main as cli_main
from hftree.ingest import load_snapshot
from hftree.testing import FaultPlan, hub_record
from tests.ingest.hub.conftest import PY, cli_env

FAST = ["--backoff", "0.01", "--max-backoff", "0.05", "--timeout", "2"]


@pytest.fixture
def hftree_main(monkeypatch):
    """``hftree`` with the fetch and track commands registered (as the lead will register them)."""
    mods = (*cli_main.COMMAND_MODULES, "hftree.cli.fetch", "hftree.cli.track")
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", tuple(dict.fromkeys(mods)))
    return cli_main.main


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


def test_fetch_prints_a_summary(hftree_main, hub, tmp_path, capsys):
    out = tmp_path / "snap"
    assert hftree_main(["fetch", "-o", str(out), "--endpoint", hub.endpoint, *FAST]) == 0
    text = capsys.readouterr().out
    assert f"wrote {out}: 7 models, 6 declared edges; 7 records in 3 pages, 3 requests" in text
    assert len(load_snapshot(out).models) == 7
    assert (
        hftree_main(
            [
                "fetch",
                "-o",
                str(tmp_path / "fam"),
                "--family",
                "o/m0",
                "--max-depth",
                "2",
                "--cards",
                "--cache-dir",
                str(tmp_path / "c"),
                "--endpoint",
                hub.endpoint,
                "-q",
                *FAST,
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == ""
    fam = load_snapshot(tmp_path / "fam")
    assert sorted(fam.models["id"]) == ["o/m0", "o/m1", "o/m2"]
    assert fam.cards.set_index("id")["card_status"].to_dict() == {"o/m0": "ok", "o/m1": "missing", "o/m2": "missing"}


def test_usage_errors_exit_2_and_failures_exit_1(hftree_main, hub, tmp_path, capsys):
    assert hftree_main(["fetch", "--endpoint", hub.endpoint]) == 2
    assert "give -o SNAPSHOT_DIR" in capsys.readouterr().err
    assert hftree_main(["fetch", "-o", str(tmp_path / "x"), "--family", "o/m0", "--author", "o"]) == 2
    assert "family mode takes no listing filters" in capsys.readouterr().err
    hub.faults = FaultPlan(down=True)
    code = hftree_main(
        ["fetch", "-o", str(tmp_path / "y"), "--endpoint", hub.endpoint, "-q", "--max-retries", "1", *FAST]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("hftree: error: the Hub did not answer GET") and "--resume" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    hub.faults = FaultPlan()
    assert hftree_main(["fetch", "-o", str(tmp_path / "y"), "--endpoint", hub.endpoint, "-q", *FAST]) == 1
    assert "interrupted fetch; add --resume" in capsys.readouterr().err
    assert hftree_main(["fetch", "-o", str(tmp_path / "y"), "--endpoint", hub.endpoint, "-q", "--resume", *FAST]) == 0


def test_track_command(hftree_main, hub, tmp_path, capsys):
    wl = tmp_path / "watch.txt"
    wl.write_text("o/m1\no/m3\nnobody/here\n")
    store = tmp_path / "store"
    for _ in range(2):
        assert hftree_main(["track", str(wl), "-o", str(store), "--endpoint", hub.endpoint, *FAST]) == 0
    out = capsys.readouterr()
    assert "recorded 2 models at" in out.out and "(run 2, 6 rows in the store)" in out.out
    assert "warning: not on the Hub: nobody/here" in out.err
    wl.write_text("not an id!\n")
    assert hftree_main(["track", str(wl), "-o", str(store), "--endpoint", hub.endpoint]) == 1
    assert "watch.txt:1: 'not an id!' is not a model id" in capsys.readouterr().err


def test_token_from_hf_token_reaches_the_hub_and_nowhere_else(make_hub, tmp_path):
    token = "hf_cliSecretToken0123456789"
    recs = [hub_record({"id": f"o/m{i}", "private": i == 2, "gated": "auto" if i == 3 else False}) for i in range(5)]
    hub = make_hub(recs, page_size=2, token=token, cards={"o/m2": "# private\n", "o/m3": "# gated\n"})
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            PY,
            "-m",
            "hftree.cli.fetch",
            "-o",
            str(out),
            "--cards",
            "--keep-work",
            "--cache-dir",
            str(tmp_path / "cache"),
            *FAST,
        ],
        env=cli_env(hub, tmp_path / "home", HF_TOKEN=token),
        capture_output=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    snap = load_snapshot(out)
    assert "o/m2" in set(snap.models["id"])  # private: only visible with the token
    assert snap.cards.set_index("id").loc["o/m3", "card"] == "# gated\n"
    assert hub.stats.authorized > 0
    assert token.encode() not in proc.stdout + proc.stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 5
    for p in files:
        assert token.encode() not in p.read_bytes(), p
