"""Listing mode against the stand-in: exact reproduction, faults, politeness, errors, resume."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest

import hftree
from hftree.errors import ParameterError, SnapshotError, UsageError
from hftree.ingest import load_snapshot
from hftree.ingest.hub import FETCH_EXPAND, FetchArgumentError, HubError, RetryPolicy, fetch
from hftree.testing import FaultPlan, hub_record
from tests.ingest.hub.conftest import assert_same_tables, served_snapshot


def small(n: int) -> list[dict]:
    return [
        hub_record(
            {
                "id": f"o/m{i:03d}",
                "createdAt": "2024-05-01T00:00:00.000Z",
                "downloads": i,
                "tags": [f"base_model:finetune:o/m{i - 1:03d}"] if i else [],
            }
        )
        for i in range(n)
    ]


def test_listing_reproduces_the_served_dataset(real_hub, tmp_path, fast):
    out = tmp_path / "snap"
    snap = fetch(out, endpoint=real_hub.endpoint, token=False, retry=fast, progress=False, checkpoint_every=200)
    assert real_hub.stats.pages == 53  # 2,627 models, 50 per page
    served = served_snapshot(real_hub, tmp_path)
    assert len(snap.models) == len(served.models) == 2627
    assert_same_tables(snap, served)
    assert list(snap.models["id"]) == sorted(snap.models["id"])
    assert_same_tables(load_snapshot(out), snap)  # what was saved is what was returned
    assert not (tmp_path / ".snap.fetch").exists()  # the work directory is gone after success
    m = json.loads((out / "manifest.json").read_text())
    f = m["fetch"]
    assert f["query"]["mode"] == "listing" and f["query"]["expand"] == list(FETCH_EXPAND)
    assert f["query"]["endpoint"] == real_hub.endpoint
    assert f["hftree_version"] == hftree.__version__
    import huggingface_hub

    assert f["huggingface_hub_version"] == huggingface_hub.__version__
    assert pd.Timestamp(f["started_at"]) <= pd.Timestamp(f["finished_at"])
    assert f["counts"]["records_fetched"] == 2627 and f["counts"]["pages"] == 53
    assert f["counts"]["requests"] == 53 and f["counts"]["retries"] == 0
    assert f["authenticated"] is False
    assert m["counts"]["models"] == 2627 and m["snapshot_time"] == pd.Timestamp(f["started_at"]).isoformat()


def test_listing_with_a_fault_on_every_7th_request(real_hub, tmp_path):
    real_hub.faults = FaultPlan(every=7, slow_seconds=1.0)
    retry = RetryPolicy(max_retries=6, backoff=0.01, max_backoff=0.05, timeout=0.5, random_state=1)
    snap = fetch(tmp_path / "snap", endpoint=real_hub.endpoint, token=False, retry=retry, progress=False)
    # every kind was injected: 429 (Retry-After 0), 500, 502, 504, reset mid-body, slow (> timeout)
    assert set(real_hub.stats.faults) == {"429", "500", "502", "504", "reset", "slow"}
    real_hub.faults = FaultPlan()
    assert_same_tables(snap, served_snapshot(real_hub, tmp_path))
    c = snap.manifest["fetch"]["counts"]
    assert c["retries"] >= sum(real_hub.stats.faults.values()) and c["rate_limited"] >= 1


def test_filters_limit_and_sort(real_hub, tmp_path, fast):
    served = real_hub.records(FETCH_EXPAND)
    kw = dict(endpoint=real_hub.endpoint, token=False, retry=fast, progress=False)
    s = fetch(tmp_path / "a", filter="base_model:meta-llama/Llama-2-7b-chat-hf", **kw)
    want = {r["id"] for r in served if "base_model:meta-llama/Llama-2-7b-chat-hf" in r["tags"]}
    assert set(s.models["id"]) == want and len(want) > 50
    s = fetch(tmp_path / "b", author="HuggingFaceTB", search="1.7B", pipeline_tag="text-generation", **kw)
    want = {
        r["id"]
        for r in served
        if r["author"] == "HuggingFaceTB" and "1.7b" in r["id"].lower() and r.get("pipeline_tag") == "text-generation"
    }
    assert set(s.models["id"]) == want and want
    s = fetch(tmp_path / "c", sort="downloads", limit=120, **kw)
    top = sorted(served, key=lambda r: (r["downloads"], r["id"]), reverse=True)[:120]
    assert set(s.models["id"]) == {r["id"] for r in top}
    assert s.manifest["fetch"]["query"]["limit"] == 120


def test_hub_down_is_a_clear_error_and_the_checkpoint_survives(make_hub, tmp_path, fast):
    import threading

    hub = make_hub(small(30), page_size=4)
    retry = RetryPolicy(max_retries=2, backoff=0.01, max_backoff=0.02, timeout=1.0)
    out = tmp_path / "snap"

    def go_down():  # the Hub answers 3 pages, then stays down
        while hub.stats.pages < 3:
            time.sleep(0.002)
        hub.faults = FaultPlan(down=True)

    t = threading.Thread(target=go_down)
    t.start()
    with pytest.raises(
        HubError,
        match=r"did not answer GET http://127\.0\.0\.1:\d+/api/models after 3 "
        r"attempts .*last: HTTP 503.*--resume",
    ):
        fetch(
            out,
            endpoint=hub.endpoint,
            token=False,
            retry=retry,
            progress=False,
            checkpoint_every=1,
            checkpoint_seconds=0,
        )
    t.join()
    assert not out.exists()
    state = json.loads((tmp_path / ".snap.fetch" / "state.json").read_text())
    assert state["listing"]["records"] >= 8 and state["listing"]["cursor"]
    with pytest.raises(SnapshotError, match="interrupted fetch; add --resume"):
        fetch(out, endpoint=hub.endpoint, token=False, retry=retry, progress=False)
    hub.faults = FaultPlan()
    hub.reset_stats()
    snap = fetch(out, endpoint=hub.endpoint, token=False, retry=fast, progress=False, resume=True)
    assert hub.stats.pages < 8  # continued from the cursor, not from the start
    assert_same_tables(snap, served_snapshot(hub, tmp_path))
    assert snap.manifest["fetch"]["resumed"] == 1


def test_retry_after_is_honoured_and_capped(make_hub, tmp_path):
    hub = make_hub(small(6), page_size=2, faults=FaultPlan(every=2, kinds=("429",), retry_after=1))
    t = time.monotonic()
    snap = fetch(
        tmp_path / "a",
        endpoint=hub.endpoint,
        token=False,
        progress=False,
        retry=RetryPolicy(backoff=0.01, max_backoff=0.02, timeout=2, max_wait=5),
    )
    # requests 2 and 4 were refused with "wait 1 s" (Retry-After, then RateLimit t=1)
    assert time.monotonic() - t >= 2.0
    assert snap.manifest["fetch"]["counts"]["rate_limited"] == 2 and len(snap.models) == 6
    hub.faults = FaultPlan(every=1, kinds=("429",), retry_after=120)
    with pytest.raises(HubError, match=r"asks to wait 120 s .* more than the allowed 5 s"):
        fetch(
            tmp_path / "b",
            endpoint=hub.endpoint,
            token=False,
            progress=False,
            retry=RetryPolicy(backoff=0.01, timeout=2, max_wait=5),
        )


def test_ratelimit_header_pauses_before_the_hub_refuses(make_hub, tmp_path, fast):
    hub = make_hub(small(20), page_size=2, rate_limit=(4, 1.0))  # 4 requests per second
    t = time.monotonic()
    snap = fetch(tmp_path / "a", endpoint=hub.endpoint, token=False, retry=fast, progress=False)
    assert len(snap.models) == 20 and hub.stats.pages == 10
    assert hub.stats.rate_limited == 0  # it never had to say no
    assert time.monotonic() - t >= 2.0  # 10 requests at 4 per second


def test_token_is_used_but_never_written_or_printed(make_hub, tmp_path, capfd):
    token = "hf_SeCrEtT0kenValue42"
    data = small(12)
    data[3]["private"] = True
    data[5]["gated"] = "auto"
    hub = make_hub(data, page_size=3, token=token, cards={data[3]["id"]: "# private\n", data[5]["id"]: "# gated\n"})
    out = tmp_path / "out"
    snap = fetch(
        out,
        endpoint=hub.endpoint,
        token=token,
        cards=True,
        cache_dir=tmp_path / "cache",
        progress=True,
        keep_work=True,
        retry=RetryPolicy(backoff=0.01, timeout=2),
    )
    assert data[3]["id"] in set(snap.models["id"])  # the private model: the token was used
    private = snap.models.set_index("id")
    assert bool(private.loc[data[3]["id"], "private"]) and bool(private.loc[data[5]["id"], "gated"])
    st = snap.cards.set_index("id")["card_status"]
    assert st[data[5]["id"]] == "ok" and st[data[0]["id"]] == "missing"
    assert snap.manifest["fetch"]["authenticated"] is True
    # a wrong token: the Hub says 401, the message does not show the token
    with pytest.raises(HubError, match=r"HTTP 401.*check the token") as err:
        fetch(tmp_path / "bad", endpoint=hub.endpoint, token=token[::-1], progress=False)
    captured = capfd.readouterr()
    secret = token.encode()
    for text in (captured.out, captured.err, str(err.value), repr(err.value)):
        assert token not in text and token[::-1] not in text
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "state.json" for p in files)  # the kept work directory was searched too
    for p in files:
        data_bytes = p.read_bytes()
        assert secret not in data_bytes and token[::-1].encode() not in data_bytes, p


def test_without_token_private_models_are_absent_and_gated_cards_marked(make_hub, tmp_path, fast):
    data = small(6)
    data[1]["private"] = True
    data[2]["gated"] = "manual"
    hub = make_hub(data, token="t0k", cards={data[2]["id"]: "# gated\n", data[4]["id"]: "# four\n"})
    snap = fetch(
        tmp_path / "a",
        endpoint=hub.endpoint,
        token=False,
        cards=True,
        cache_dir=tmp_path / "c",
        retry=fast,
        progress=False,
    )
    assert data[1]["id"] not in set(snap.models["id"])
    st = snap.cards.set_index("id")
    assert st.loc[data[2]["id"], "card_status"] == "gated" and pd.isna(st.loc[data[2]["id"], "card"])
    assert st.loc[data[4]["id"], "card"] == "# four\n"
    assert snap.manifest["fetch"]["counts"]["cards_gated"] == 1


def test_argument_and_state_errors(make_hub, tmp_path, fast):
    hub = make_hub(small(3))
    kw = dict(endpoint=hub.endpoint, token=False, retry=fast, progress=False)
    fetch(tmp_path / "a", **kw)
    with pytest.raises(SnapshotError, match="already exists; pass overwrite=True"):
        fetch(tmp_path / "a", **kw)
    fetch(tmp_path / "a", overwrite=True, **kw)
    with pytest.raises(SnapshotError, match="nothing to resume: no fetch checkpoint"):
        fetch(tmp_path / "b", resume=True, **kw)
    with pytest.raises(FetchArgumentError, match="family mode takes no listing filters"):
        fetch(tmp_path / "c", family="o/m000", author="o", **kw)
    with pytest.raises(FetchArgumentError, match="max_depth and relation need family="):
        fetch(tmp_path / "c", max_depth=2, **kw)
    with pytest.raises(ValueError, match=r"relation.*'sibling'"):
        fetch(tmp_path / "c", family="o/m000", relation="sibling", **kw)
    with pytest.raises(ParameterError, match="relation 'unknown' has no tag"):
        fetch(tmp_path / "c", family="o/m000", relation="unknown", **kw)
    with pytest.raises(ParameterError, match="limit: expected a whole number >= 1, got 0"):
        fetch(tmp_path / "c", limit=0, **kw)
    with pytest.raises(ParameterError, match="sort: expected one of created_at, downloads"):
        fetch(tmp_path / "c", sort="name", **kw)  # type: ignore[arg-type]
    for bad in ({"workers": 0}, {"card_workers": -1}, {"checkpoint_every": 0}, {"max_depth": 0},
                {"checkpoint_seconds": -1.0}):
        with pytest.raises(ParameterError, match=f"{next(iter(bad))}: expected") as err:
            fetch(tmp_path / "c", **bad, **kw)
        assert err.value.parameter == next(iter(bad)) and err.value.got == next(iter(bad.values()))
    with pytest.raises(ParameterError, match="endpoint: expected an http:// or https:// URL"):
        fetch(tmp_path / "c", endpoint="localhost:1", token=False, progress=False)
    with pytest.raises(FetchArgumentError, match="resume and restart exclude each other"):
        fetch(tmp_path / "c", resume=True, restart=True, **kw)
    assert issubclass(FetchArgumentError, UsageError)
    with pytest.raises(ParameterError, match="timeout: expected a number of seconds > 0"):
        RetryPolicy(timeout=0)
    with pytest.raises(ParameterError, match="max_retries: expected a whole number >= 0"):
        RetryPolicy(max_retries=-1)
    hftree.datasets.load_demo().save(tmp_path / "demo")
    with pytest.raises(SnapshotError, match="was not written by hftree fetch"):
        fetch(update=tmp_path / "demo", **kw)


def test_resume_refuses_another_query_and_restart_discards(make_hub, tmp_path, fast):
    hub = make_hub(small(10), page_size=2, faults=FaultPlan(every=4, kinds=("503",)))
    kw = dict(endpoint=hub.endpoint, token=False, progress=False, checkpoint_every=1, checkpoint_seconds=0)
    with pytest.raises(HubError):
        fetch(tmp_path / "a", retry=RetryPolicy(max_retries=0, timeout=2), **kw)
    hub.faults = FaultPlan()
    with pytest.raises(SnapshotError, match="holds a fetch of another query \\(listing of all models\\)"):
        fetch(tmp_path / "a", author="o", retry=fast, resume=True, **kw)
    snap = fetch(tmp_path / "a", retry=fast, restart=True, **kw)
    assert len(snap.models) == 10


def test_a_looping_pagination_is_stopped(make_hub, tmp_path, fast, monkeypatch):
    hub = make_hub(small(9), page_size=3)
    real_list_page = type(hub)._list_page

    def looping(self, q, authorized, base, params):
        body, nxt = real_list_page(self, q, authorized, base, params)
        if q["cursor"] is not None:  # from the second page on, point back to the second page
            nxt = f"{base}/api/models?" + "&".join(f"{k}={v}" for k, v in params)
        return body, nxt

    monkeypatch.setattr(type(hub), "_list_page", looping)
    with pytest.raises(HubError, match="sent the same listing page twice"):
        fetch(tmp_path / "a", endpoint=hub.endpoint, token=False, retry=fast, progress=False)
