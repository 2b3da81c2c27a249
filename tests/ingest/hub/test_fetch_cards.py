"""README cards: fetched with bounded concurrency, cached, a missing README recorded."""

from __future__ import annotations

import orjson
import pandas as pd

from hftree.ingest import import_sources
from hftree.ingest.hub import FETCH_EXPAND, fetch
from hftree.testing import FaultPlan
from tests.ingest.hub.conftest import canonical

ROOT = "deepseek-ai/Janus-Pro-7B"


def test_cards_equal_the_served_readmes(real_hub, tmp_path, fast):
    snap0 = fetch(tmp_path / "ids", family=ROOT, endpoint=real_hub.endpoint, token=False, retry=fast, progress=False)
    members = sorted(snap0.models["id"])
    no_readme = members[3]
    real_hub.set_card(no_readme, None)
    real_hub.faults = FaultPlan(every=7, kinds=("500", "reset", "429"))
    real_hub.reset_stats()
    snap = fetch(
        tmp_path / "a",
        family=ROOT,
        cards=True,
        cache_dir=tmp_path / "cache",
        card_workers=3,
        endpoint=real_hub.endpoint,
        token=False,
        retry=fast,
        progress=False,
    )
    real_hub.faults = FaultPlan()
    served_cards = real_hub.cards
    gated = {r["id"] for r in real_hub.records() if r.get("gated")}
    assert gated & set(members)  # the family has gated models: no README without a token
    cards = snap.cards.set_index("id")
    assert list(cards.index) == members
    for mid in members:
        if mid == no_readme:
            assert cards.loc[mid, "card_status"] == "missing" and pd.isna(cards.loc[mid, "card"])
        elif mid in gated:
            assert cards.loc[mid, "card_status"] == "gated" and pd.isna(cards.loc[mid, "card"])
        else:
            assert cards.loc[mid, "card_status"] == "ok" and cards.loc[mid, "card"] == served_cards[mid]
    counts = snap.manifest["fetch"]["counts"]
    n_gated = len(gated & set(members))
    assert counts["cards_ok"] == len(members) - 1 - n_gated and counts["cards_missing"] == 1
    assert counts["cards_gated"] == n_gated
    # the same normalisation as importing the served records with their cards
    recs = [r for r in real_hub.records(FETCH_EXPAND) if r["id"] in set(members)]
    (tmp_path / "m.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    (tmp_path / "c.jsonl").write_bytes(
        b"".join(
            orjson.dumps({"id": m, "card": served_cards[m]}) + b"\n"
            for m in members
            if m in served_cards and m not in gated
        )
    )
    imported = import_sources([tmp_path / "m.jsonl"], cards=[tmp_path / "c.jsonl"])
    for a, b in zip(canonical(snap), canonical(imported), strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert snap.models["card_length"].notna().sum() == len(members) - 1 - n_gated


def test_cards_are_cached_between_runs(real_hub, tmp_path, fast):
    kw = dict(
        family=ROOT,
        cards=True,
        cache_dir=tmp_path / "cache",
        endpoint=real_hub.endpoint,
        token=False,
        retry=fast,
        progress=False,
    )
    first = fetch(tmp_path / "a", **kw)
    n_ok = int((first.cards["card_status"] == "ok").sum())
    assert real_hub.stats.by_kind["resolve_get"] == n_ok > 30
    real_hub.reset_stats()
    second = fetch(tmp_path / "b", **kw)
    # READMEs are read at the listed commit: cached ones need no request at all (only the gated
    # ones, which could not be read, are asked for again)
    assert real_hub.stats.by_kind["resolve_get"] == 0
    assert real_hub.stats.by_kind["resolve_head"] == len(first.cards) - n_ok
    pd.testing.assert_frame_equal(first.cards, second.cards)


def test_an_unreadable_readme_is_recorded_not_fatal(real_hub, tmp_path, fast, monkeypatch):
    import httpx2
    import huggingface_hub
    from huggingface_hub.errors import HfHubHTTPError

    real = huggingface_hub.hf_hub_download
    refused = "deepseek-ai/Janus-Pro-7B"

    def download(repo_id, *a, **k):
        if repo_id == refused:
            req = httpx2.Request("GET", f"{real_hub.endpoint}/{repo_id}/resolve/main/README.md")
            raise HfHubHTTPError("403 Forbidden", response=httpx2.Response(403, request=req))
        return real(repo_id, *a, **k)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    snap = fetch(
        tmp_path / "a",
        family=ROOT,
        cards=True,
        cache_dir=tmp_path / "cache",
        endpoint=real_hub.endpoint,
        token=False,
        retry=fast,
        progress=False,
    )
    cards = snap.cards.set_index("id")
    assert cards.loc[refused, "card_status"] == "http_403" and pd.isna(cards.loc[refused, "card"])
    assert (cards["card_status"] == "ok").sum() > 20
    assert snap.manifest["fetch"]["counts"]["cards_http_403"] == 1
