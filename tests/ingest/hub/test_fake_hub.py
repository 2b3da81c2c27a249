"""The Hub stand-in answers huggingface_hub the way the Hub does (checked with real client calls)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
)

from hftree.errors import ParameterError
from hftree.testing import FakeHub, FaultPlan, hub_record, hub_tags


def recs(n: int, **fields) -> list[dict]:
    return [
        hub_record(
            {
                "id": f"org{i % 3}/m{i:03d}",
                "createdAt": f"2024-01-{1 + i % 28:02d}T00:00:00.000Z",
                "downloads": i * 10,
                "likes": (7 * i) % 11,
                "tags": ["t-even" if i % 2 == 0 else "t-odd"],
                "pipeline_tag": "text-generation" if i % 4 == 0 else None,
                **fields,
            }
        )
        for i in range(n)
    ]


def test_listing_paginates_with_link_cursor(make_hub):
    hub = make_hub(recs(23), page_size=5)
    api = HfApi(endpoint=hub.endpoint, token=False)
    got = [m.id for m in api.list_models()]
    assert got == [r["id"] for r in recs(23)]
    assert hub.stats.pages == 5  # 5 + 5 + 5 + 5 + 3
    r = httpx2.get(f"{hub.endpoint}/api/models", params={"limit": 4})
    assert len(r.json()) == 4
    nxt = r.links["next"]["url"]
    assert "cursor=" in nxt and "limit=4" in nxt
    assert [m["id"] for m in httpx2.get(nxt).json()] == [x["id"] for x in recs(23)[4:8]]


def test_listing_filters_search_author_pipeline(make_hub):
    hub = make_hub(recs(30), page_size=4)
    api = HfApi(endpoint=hub.endpoint, token=False)
    data = recs(30)
    assert [m.id for m in api.list_models(filter="t-even")] == [r["id"] for r in data if "t-even" in r["tags"]]
    assert [m.id for m in api.list_models(author="org1")] == [r["id"] for r in data if r["author"] == "org1"]
    assert [m.id for m in api.list_models(search="M01")] == [r["id"] for r in data if "m01" in r["id"]]
    assert [m.id for m in api.list_models(pipeline_tag="text-generation")] == [
        r["id"] for r in data if r["pipeline_tag"] == "text-generation"
    ]
    # two filters: both must match; "other" is the same as "filter"
    assert list(api.list_models(filter=["t-even", "t-odd"])) == []
    r = httpx2.get(f"{hub.endpoint}/api/models", params=[("other", "t-odd"), ("author", "org0"), ("limit", "50")])
    assert [m["id"] for m in r.json()] == [x["id"] for x in data if "t-odd" in x["tags"] and x["author"] == "org0"]


def test_listing_sort_direction_and_limit(make_hub):
    hub = make_hub(recs(17), page_size=3)
    api = HfApi(endpoint=hub.endpoint, token=False)
    by_dl = [m.id for m in api.list_models(sort="downloads")]
    assert by_dl == [r["id"] for r in sorted(recs(17), key=lambda r: (r["downloads"], r["id"]), reverse=True)]
    asc = httpx2.get(f"{hub.endpoint}/api/models", params={"sort": "likes", "direction": "1", "limit": 100}).json()
    assert [m["id"] for m in asc] == [r["id"] for r in sorted(recs(17), key=lambda r: (r["likes"], r["id"]))]
    assert len(list(api.list_models(limit=7))) == 7


def test_expand_selects_fields_and_bad_values_are_400(make_hub):
    hub = make_hub(recs(3, cardData={"license": "mit"}))
    r = httpx2.get(f"{hub.endpoint}/api/models", params=[("expand[]", "likes"), ("expand[]", "cardData")])
    assert [sorted(m) for m in r.json()] == [["cardData", "id", "likes"]] * 3
    default = httpx2.get(f"{hub.endpoint}/api/models").json()[0]
    assert "cardData" not in default and "tags" in default
    bad = httpx2.get(f"{hub.endpoint}/api/models", params={"expand": "nonsense"})
    assert bad.status_code == 400
    with pytest.raises(HfHubHTTPError, match="Invalid sort"):
        list(HfApi(endpoint=hub.endpoint, token=False).list_models(sort="nonsense"))  # type: ignore[arg-type]


def test_model_info_and_readme_downloads(make_hub, tmp_path):
    data = recs(3)
    data[1]["gated"] = "manual"
    hub = make_hub(data, cards={data[0]["id"]: "# card 0\n", data[1]["id"]: "# gated\n"}, token="tok")
    api = HfApi(endpoint=hub.endpoint, token=False)
    info = api.model_info(data[0]["id"], expand=["likes", "sha"])
    assert (info.id, info.likes, info.sha) == (data[0]["id"], data[0]["likes"], data[0]["sha"])
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("nobody/nothing")
    path = hf_hub_download(data[0]["id"], "README.md", endpoint=hub.endpoint, cache_dir=tmp_path, token=False)
    assert Path(path).read_text(encoding="utf-8") == "# card 0\n"
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(data[2]["id"], "README.md", endpoint=hub.endpoint, cache_dir=tmp_path, token=False)
    with pytest.raises(GatedRepoError):
        hf_hub_download(data[1]["id"], "README.md", endpoint=hub.endpoint, cache_dir=tmp_path, token=False)
    path = hf_hub_download(data[1]["id"], "README.md", endpoint=hub.endpoint, cache_dir=tmp_path, token="tok")
    assert Path(path).read_text(encoding="utf-8") == "# gated\n"
    # at the listed commit a cached README needs no request at all
    before = hub.stats.requests
    hf_hub_download(
        data[0]["id"], "README.md", revision=data[0]["sha"], endpoint=hub.endpoint, cache_dir=tmp_path, token=False
    )
    assert hub.stats.requests == before
    assert hub.stats.by_kind["resolve_head"] >= 1 and hub.stats.by_kind["resolve_get"] >= 1


def test_private_models_need_the_token(make_hub):
    data = recs(4)
    data[2]["private"] = True
    hub = make_hub(data, token="secret")
    assert len(list(HfApi(endpoint=hub.endpoint, token=False).list_models())) == 3
    assert len(list(HfApi(endpoint=hub.endpoint, token="secret").list_models())) == 4
    with pytest.raises(HfHubHTTPError, match="401"):
        list(HfApi(endpoint=hub.endpoint, token="wrong").list_models())


def test_faults_in_turn(make_hub):
    hub = make_hub(recs(5), faults=FaultPlan(every=1, kinds=("429", "500", "502", "504", "429"), retry_after=3))
    url = f"{hub.endpoint}/api/models"
    answers = [httpx2.get(url) for _ in range(5)]
    assert [a.status_code for a in answers] == [429, 500, 502, 504, 429]
    assert answers[0].headers["Retry-After"] == "3"
    assert answers[4].headers["RateLimit"] == '"api";r=0;t=3'  # second 429: the RateLimit variant
    assert hub.stats.faults == {"429": 2, "500": 1, "502": 1, "504": 1}


def test_reset_mid_body_and_slow_answers(make_hub):
    hub = make_hub(recs(40), faults=FaultPlan(every=2, kinds=("reset", "slow"), slow_seconds=0.5))
    url = f"{hub.endpoint}/api/models"
    assert httpx2.get(url).status_code == 200  # request 1: no fault
    with pytest.raises((httpx2.RemoteProtocolError, httpx2.ReadError)):
        httpx2.get(url)  # request 2: headers, half the body, then a reset
    assert httpx2.get(url).status_code == 200  # 3
    with pytest.raises(httpx2.ReadTimeout):
        httpx2.get(url, timeout=0.2)  # 4: answered 0.5 s late
    t = time.monotonic()
    assert httpx2.get(url).status_code == 200
    assert time.monotonic() - t < 0.5


def test_down_and_rate_limit_window(make_hub):
    hub = make_hub(recs(2), faults=FaultPlan(down=True))
    assert httpx2.get(f"{hub.endpoint}/api/models").status_code == 503
    hub2 = make_hub(recs(2), rate_limit=(2, 30))
    codes = [httpx2.get(f"{hub2.endpoint}/api/models") for _ in range(3)]
    assert [c.status_code for c in codes] == [200, 200, 429]
    assert codes[1].headers["RateLimit"].startswith('"api";r=0;t=')
    assert hub2.stats.rate_limited == 1


def test_mutations_and_keyset_cursor(make_hub):
    hub = make_hub(recs(6), page_size=2)
    r = httpx2.get(f"{hub.endpoint}/api/models")
    hub.remove(r.json()[-1]["id"])  # the cursor's own record disappears: continue after its position
    hub.add([hub_record({"id": "new/model", "tags": []})])
    nxt = httpx2.get(r.links["next"]["url"]).json()
    assert [m["id"] for m in nxt] == [x["id"] for x in recs(6)[2:4]]
    hub.update("new/model", likes=5)
    assert httpx2.get(f"{hub.endpoint}/api/models/new/model").json()["likes"] == 5


def test_only_loopback(make_hub):
    hub = make_hub(recs(1))
    host = hub.endpoint.split("//")[1].split(":")[0]
    assert host == "127.0.0.1"
    with (
        pytest.raises(OSError),
        socket.create_connection(("127.0.0.2", int(hub.endpoint.rsplit(":", 1)[1])), timeout=0.5),
    ):
        pass


def test_hub_tags_reconstruction():
    t = hub_tags(
        {
            "id": "a/q",
            "library_name": "transformers",
            "gguf": {"total": 1},
            "cardData": {"base_model": "o/b", "language": ["EN"], "datasets": "d/s"},
        }
    )
    assert t == ["transformers", "dataset:d/s", "en", "base_model:o/b", "base_model:quantized:o/b", "region:us"]
    # existing typed tags are kept, known relations and base_model_relation win over inference
    t = hub_tags(
        {"id": "a/m", "tags": ["base_model:adapter:o/b"], "cardData": {"base_model": ["o/b", "o/c"]}},
        {("o/c", "a/m"): "finetune"},
    )
    assert t == ["base_model:adapter:o/b", "base_model:o/b", "base_model:o/c", "base_model:finetune:o/c", "region:us"]
    t = hub_tags({"id": "a/m", "cardData": {"base_model": ["o/b", "o/c"], "base_model_relation": "merged"}})
    assert "base_model:merge:o/b" in t and "base_model:merge:o/c" in t
    assert hub_tags({"id": "x/y", "library_name": "peft", "cardData": {"base_model": "o/b"}})[2] == (
        "base_model:adapter:o/b"
    )


def test_shared_records_carry_hub_tags(shared_hub):
    records, cards = shared_hub
    assert len(records) == 1585 + 1042 and len(cards) == 1431
    smol = next(r for r in records if r["id"] == "HuggingFaceTB/SmolLM2-1.7B-Instruct")
    assert smol["tags"][:2] == [
        "base_model:HuggingFaceTB/SmolLM2-1.7B",
        "base_model:quantized:HuggingFaceTB/SmolLM2-1.7B",
    ]  # as in the data
    assert "region:us" in smol["tags"] and smol["lastModified"] == smol["createdAt"]
    with_card_base = [r for r in records if isinstance(r.get("cardData"), dict) and r["cardData"].get("base_model")]
    for r in with_card_base:
        bases = r["cardData"]["base_model"]
        for b in [bases] if isinstance(bases, str) else bases:
            assert f"base_model:{b.strip()}" in r["tags"], r["id"]


def test_fault_plan_is_validated():
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultPlan(kinds=("404",))
    with pytest.raises(ParameterError, match="every: expected a whole number >= 0, got -1"):
        FaultPlan(every=-1)
    with pytest.raises(ParameterError, match="page_size: expected a whole number >= 1"):
        FakeHub(page_size=0)
    with pytest.raises(RuntimeError, match="not running"):
        FakeHub().endpoint  # noqa: B018
