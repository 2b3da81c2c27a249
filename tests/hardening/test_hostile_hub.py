"""A hostile or broken Hub on 127.0.0.1: the fetch never leaks the token, never hangs, never
holds an endless answer in memory, never loops, never shows a traceback (issue 15, items 1, 4-9)."""

from __future__ import annotations

import json
import socket
import time

import pytest

from hftree.errors import HubError
from hftree.ingest.hub import RetryPolicy, fetch

TOKEN = "hf_secretTOKEN1234567890"


def test_token_never_goes_to_the_origin_of_a_next_link(hx, hostile, quick, tmp_path):
    other = hostile(lambda s, m, t, h: hx.page(hx.models("evil/x")))
    hub = hostile(lambda s, m, t, h: hx.page(hx.models("a/m1"), f"{other.endpoint}/api/models?cursor=abc"))
    with pytest.raises(HubError, match="not on its own origin"):
        fetch(tmp_path / "out", endpoint=hub.endpoint, token=TOKEN, retry=quick)
    assert hub.log and hub.log[0][1].get("authorization") == f"Bearer {TOKEN}"
    assert other.log == []  # never asked at all, so it never saw the token


def test_token_never_goes_to_the_origin_of_a_saved_cursor(hx, hostile, quick, tmp_path):
    other = hostile(lambda s, m, t, h: hx.page(hx.models("evil/x")))
    calls = {"n": 0}

    def answer(s, m, target, h):
        if "cursor=2" in target:
            return hx.page(hx.models("a/m2"), f"{s.endpoint}/api/models?cursor=3")
        if "cursor=3" in target:
            return hx.http(500)
        return hx.page(hx.models("a/m1"), f"{s.endpoint}/api/models?cursor=2")

    hub = hostile(answer)
    out = tmp_path / "out"
    with pytest.raises(HubError):
        fetch(out, endpoint=hub.endpoint, token=TOKEN, retry=quick, checkpoint_every=1)
    state_path = tmp_path / ".out.fetch" / "state.json"
    state = json.loads(state_path.read_text())
    assert state["listing"]["cursor"]  # a checkpoint to resume
    state["listing"]["cursor"] = f"{other.endpoint}/api/models?cursor=2"  # a tampered checkpoint
    state_path.write_text(json.dumps(state))
    with pytest.raises(HubError, match=r"saved cursor.*refusing"):
        fetch(out, endpoint=hub.endpoint, token=TOKEN, retry=quick, resume=True)
    assert other.log == []
    del calls


def test_a_server_dripping_one_byte_a_second_hits_the_deadline(hx, hostile, tmp_path):
    body = json.dumps(hx.models("a/m1")).encode()

    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    hub = hostile(lambda s, m, t, h: hx.drip(s, body, 0.5, head=head))
    policy = RetryPolicy(max_retries=1, backoff=0.0, timeout=1.0, deadline=1.5, random_state=0)
    t0 = time.monotonic()
    with pytest.raises(HubError, match=r"did not answer .* after 2 attempts"):
        fetch(tmp_path / "out", endpoint=hub.endpoint, token=False, retry=policy)
    assert hx.elapsed(t0) < 10


def test_a_server_dripping_its_status_line_hits_the_deadline(hx, hostile, tmp_path):
    hub = hostile(lambda s, m, t, h: hx.drip(s, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000, 0.3))
    policy = RetryPolicy(max_retries=0, timeout=1.0, deadline=1.5, random_state=0)
    t0 = time.monotonic()
    with pytest.raises(HubError, match="deadline"):
        fetch(tmp_path / "out", endpoint=hub.endpoint, token=False, retry=policy)
    assert hx.elapsed(t0) < 8


def test_a_status_line_drip_on_a_reused_connection_hits_the_deadline(hx, hostile, tmp_path):
    def answer(s, m, target, h):
        if "cursor=2" in target:  # the second page, on the keep-alive connection the first one opened
            return hx.drip(s, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 40, 0.3)
        return hx.page(hx.models("a/m1"), f"{s.endpoint}/api/models?cursor=2")

    hub = hostile(answer)
    policy = RetryPolicy(max_retries=0, timeout=1.0, deadline=1.5, random_state=0)
    t0 = time.monotonic()
    with pytest.raises(HubError, match="deadline"):
        fetch(tmp_path / "out", endpoint=hub.endpoint, token=False, retry=policy)
    assert hx.elapsed(t0) < 8  # the drip alone lasts 15 s
    assert hub.connections == 1 and len(hub.log) == 2  # both pages asked on one connection


def test_an_endless_answer_is_capped_not_held_in_memory(hx, hostile, tmp_path):
    def endless(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[")
        chunk = b'{"id": "a/b"},' * 4096
        while not hub.closing.is_set():
            try:
                conn.sendall(chunk)
            except OSError:
                return

    hub = hostile(lambda s, m, t, h: endless)
    policy = RetryPolicy(max_retries=0, timeout=2.0, max_bytes=4 << 20, random_state=0)
    t0 = time.monotonic()
    with pytest.raises(HubError, match="larger than 4 MiB"):
        fetch(tmp_path / "out", endpoint=hub.endpoint, token=False, retry=policy)
    assert hx.elapsed(t0) < 10


def test_a_declared_huge_answer_is_refused_before_reading(hx, hostile, quick, tmp_path):
    hub = hostile(lambda s, m, t, h: hx.http(200, b"[]", Content_Length=str(1 << 30)))
    with pytest.raises(HubError, match="larger than"):
        fetch(tmp_path / "out", endpoint=hub.endpoint, token=False, retry=quick)


@pytest.mark.parametrize("loop", ["self", "two"])
def test_a_next_link_that_loops_is_detected(hx, hostile, quick, tmp_path, loop):
    def answer(s, m, target, h):
        if loop == "self":
            return hx.page(hx.models("a/m1"), f"{s.endpoint}/api/models")  # the same URL, no cursor
        nxt = "/api/models?p=b" if "p=b" not in target else "/api/models?p=a"
        return hx.page(hx.models("a/m1"), s.endpoint + nxt)

    hub = hostile(answer)
    t0 = time.monotonic()
    with pytest.raises(HubError, match="pagination loops"):
        fetch(tmp_path / "out", endpoint=hub.endpoint, token=False, retry=quick)
    assert hx.elapsed(t0) < 10 and len(hub.log) < 10


@pytest.mark.parametrize(
    "body",
    [b'[{"id": "a/m1"}, {"id": "a/', b"<html><body>Bad gateway</body></html>", b'{"error": "nope"}'],
    ids=["truncated", "html", "object"],
)
def test_a_malformed_page_is_retried_then_one_line_error_keeping_the_checkpoint(hx, hostile, quick, tmp_path, body):
    state = {"broken": True}

    def answer(s, m, target, h):
        if "cursor=3" in target:
            return hx.http(200, body) if state["broken"] else hx.page(hx.models("a/m3"))
        if "cursor=2" in target:
            return hx.page(hx.models("a/m2"), f"{s.endpoint}/api/models?cursor=3")
        return hx.page(hx.models("a/m1"), f"{s.endpoint}/api/models?cursor=2")

    hub = hostile(answer)
    out = tmp_path / "out"
    with pytest.raises(HubError, match=r"after 3 attempts.*malformed answer") as err:
        fetch(out, endpoint=hub.endpoint, token=False, retry=quick, checkpoint_every=1)
    assert "\n" not in str(err.value)
    assert sum("cursor=3" in t for t, _ in hub.log) == 3  # retried like a 5xx
    assert (tmp_path / ".out.fetch" / "state.json").exists()  # the checkpoint is kept
    state["broken"] = False
    snap = fetch(out, endpoint=hub.endpoint, token=False, retry=quick, resume=True)
    assert sorted(snap.models["id"]) == ["a/m1", "a/m2", "a/m3"]


def test_records_without_a_valid_id_are_skipped_and_counted(hx, hostile, quick, tmp_path):
    recs = [*hx.models("a/m1"), {"author": "x"}, {"id": None}, {"id": "bad id with spaces"}, "str", *hx.models("a/m2")]
    hub = hostile(lambda s, m, t, h: hx.http(200, json.dumps(recs).encode()))
    snap = fetch(tmp_path / "out", endpoint=hub.endpoint, token=False, retry=quick)
    assert sorted(snap.models["id"]) == ["a/m1", "a/m2"]
    assert snap.manifest["fetch"]["counts"]["bad_records_skipped"] == 4


def test_an_id_huggingface_hub_rejects_does_not_stop_the_card_reader(tmp_path):
    from types import SimpleNamespace

    from hftree.ingest.hub.cards import download_card

    run = SimpleNamespace(endpoint="http://127.0.0.1:9", token=False, cache_dir=str(tmp_path))
    assert download_card(run, "bad id/with spaces", None) == (None, "invalid_id")
    assert download_card(run, "a/b/c/d", "../../etc") == (None, "invalid_id")


@pytest.mark.parametrize(
    "registry",
    [{"standardEnvVars": "AGENT", "harnesses": []}, ["x"], {"harnesses": {"a": "b"}},
     {"harnesses": {"a": {"envVars": 3}}}],
)
def test_a_wrong_shaped_agent_registry_is_shielded(hx, hostile, quick, tmp_path, monkeypatch, registry):
    import huggingface_hub.constants as constants
    import huggingface_hub.utils._detect_agent as agents

    cache = tmp_path / "agents.json"
    cache.write_text(json.dumps(registry))  # what huggingface_hub cached from a bad answer: read for 24 h
    monkeypatch.setattr(constants, "AGENT_HARNESSES_PATH", str(cache))
    monkeypatch.setattr(agents, "_registry", None)
    monkeypatch.setenv("AGENT", "x")
    hub = hostile(lambda s, m, t, h: hx.page(hx.models("a/m1")))
    snap = fetch(tmp_path / "out", endpoint=hub.endpoint, token=False, retry=quick)
    assert list(snap.models["id"]) == ["a/m1"]


def test_a_wrong_shaped_agent_registry_served_by_the_hub_is_shielded(hx, hostile, quick, tmp_path, monkeypatch):
    import huggingface_hub.constants as constants
    import huggingface_hub.utils._detect_agent as agents

    def answer(s, m, target, h):
        if "agent-harnesses" in target:
            return hx.http(200, b'{"standardEnvVars": 1, "harnesses": [1, 2]}')
        return hx.page(hx.models("a/m1"))

    hub = hostile(answer)
    monkeypatch.setattr(constants, "AGENT_HARNESSES_PATH", str(tmp_path / "none.json"))
    monkeypatch.setattr(constants, "ENDPOINT", hub.endpoint)
    monkeypatch.setattr(agents, "_registry", None)
    monkeypatch.setenv("AGENT", "x")
    snap = fetch(tmp_path / "out", endpoint=hub.endpoint, token=False, retry=quick)
    assert list(snap.models["id"]) == ["a/m1"]
    assert any("agent-harnesses" in t for t, _ in hub.log)


def test_no_network_fails_within_seconds_and_leaves_no_checkpoint(hx, tmp_path):
    t0 = time.monotonic()
    with pytest.raises(HubError, match=r"cannot resolve no-such-host\.invalid: no network\?"):
        fetch(tmp_path / "out", endpoint="http://no-such-host.invalid", token=False)  # default: 8 retries
    assert hx.elapsed(t0) < 15
    assert not (tmp_path / ".out.fetch").exists()
    assert not (tmp_path / "out").exists()


def test_track_does_not_advise_a_resume_it_does_not_have(hx, hostile, tmp_path):
    from hftree.ingest.track import track

    hub = hostile(lambda s, m, t, h: hx.http(503))
    policy = RetryPolicy(max_retries=1, backoff=0.0, timeout=2.0, random_state=0)
    with pytest.raises(HubError) as err:
        track(["a/m1"], tmp_path / "store", endpoint=hub.endpoint, token=False, retry=policy)
    assert "--resume" not in str(err.value) and "run track again later" in str(err.value)


def test_fetch_force_refuses_other_files_before_fetching(hx, hostile, quick, tmp_path):
    from hftree.errors import SnapshotError

    hub = hostile(lambda s, m, t, h: hx.page(hx.models("a/m1")))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "data.csv").write_text("precious")
    with pytest.raises(SnapshotError, match="refusing to replace"):
        fetch(mine, endpoint=hub.endpoint, token=False, retry=quick, overwrite=True)
    assert hub.log == [] and (mine / "data.csv").read_text() == "precious"
