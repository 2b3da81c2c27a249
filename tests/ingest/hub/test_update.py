"""``--update``: a fetched snapshot catches up with the Hub without listing everything again."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from hftree.errors import SnapshotError
from hftree.ingest import load_snapshot
from hftree.ingest.hub import FetchArgumentError, fetch
from hftree.testing import hub_record
from tests.ingest.hub.conftest import assert_same_tables


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_update_after_additions_and_modifications(real_hub, tmp_path, fast):
    kw = dict(endpoint=real_hub.endpoint, token=False, retry=fast, progress=False)
    first = fetch(tmp_path / "snap", **kw)
    full_pages = real_hub.stats.pages
    assert full_pages == 53
    # the Hub changes: 30 new models (some derived from existing ones), 20 modified ones
    ids = list(first.models["id"])
    new = [
        hub_record(
            {
                "id": f"newcomer/model-{i}",
                "createdAt": now_iso(),
                "lastModified": now_iso(),
                "downloads": i,
                "likes": 1,
                "library_name": "transformers",
                "cardData": {"base_model": ids[i * 7], "license": "mit"},
            }
        )
        for i in range(30)
    ]
    real_hub.add(new)
    for i, mid in enumerate(ids[100:120]):
        tags = [*real_hub.records()[ids.index(mid)]["tags"], "base_model:finetune:newcomer/model-0"]
        real_hub.update(mid, lastModified=now_iso(), likes=10_000 + i, tags=tags, pipeline_tag="fill-mask")
    real_hub.reset_stats()
    updated = fetch(update=tmp_path / "snap", **kw)  # in place
    update_pages = real_hub.stats.pages
    assert update_pages < full_pages
    assert update_pages <= 2  # 50 changed models: one page, plus the one that shows where to stop
    # a fresh full listing of the changed Hub gives the same tables
    real_hub.reset_stats()
    fresh = fetch(tmp_path / "fresh", **kw)
    assert real_hub.stats.pages == 54
    assert_same_tables(updated, fresh)
    assert_same_tables(load_snapshot(tmp_path / "snap"), fresh)
    assert len(updated.models) == 2627 + 30
    row = updated.models.set_index("id").loc[ids[105]]
    assert row["likes"] == 10_005 and row["pipeline_tag"] == "fill-mask"
    e = updated.edges
    assert ((e["child"] == ids[105]) & (e["parent"] == "newcomer/model-0")).any()
    f = updated.manifest["fetch"]
    assert f["updated"]["changed_models"] == 50
    assert [h["run_id"] for h in f["history"]] == [first.manifest["fetch"]["run_id"]]
    assert pd.Timestamp(f["query"]["since"]) < pd.Timestamp(first.manifest["fetch"]["started_at"])
    assert updated.manifest["snapshot_time"] > first.manifest["snapshot_time"]
    # nothing changed since (and no safety margin for clock differences): a single page
    real_hub.reset_stats()
    again = fetch(update=tmp_path / "snap", update_margin=0, **kw)
    assert real_hub.stats.pages == 1 and again.manifest["fetch"]["updated"]["changed_models"] == 0
    assert_same_tables(again, fresh)


def test_update_keeps_unchanged_cards_and_reads_changed_ones(real_hub, tmp_path, fast):
    kw = dict(endpoint=real_hub.endpoint, token=False, retry=fast, progress=False, cache_dir=tmp_path / "cache")
    first = fetch(tmp_path / "snap", search="Llama-2-7b-chat", cards=True, **kw)
    assert first.cards is not None and (first.cards["card_status"] == "ok").sum() > 50
    mid = first.cards.loc[first.cards["card_status"] == "ok", "id"].iloc[0]
    real_hub.set_card(mid, "# rewritten\nThis model card has been automatically generated.\n")
    real_hub.update(mid, lastModified=now_iso(), sha="f" * 40)
    real_hub.add(
        [hub_record({"id": "me/Llama-2-7b-chat-tuned", "createdAt": now_iso(), "lastModified": now_iso(), "tags": []})]
    )
    real_hub.set_card("me/Llama-2-7b-chat-tuned", "# tuned\n")
    real_hub.reset_stats()
    updated = fetch(update=tmp_path / "snap", **{k: v for k, v in kw.items()})
    # only the two changed models' READMEs were requested (HEAD + GET each)
    assert real_hub.stats.by_kind["resolve_get"] == 2
    cards = updated.cards.set_index("id")
    assert cards.loc[mid, "card"].startswith("# rewritten")
    assert cards.loc["me/Llama-2-7b-chat-tuned", "card"] == "# tuned\n"
    models = updated.models.set_index("id")
    assert bool(models.loc[mid, "card_template"]) is True
    fresh = fetch(tmp_path / "fresh", search="Llama-2-7b-chat", cards=True, **kw)
    assert_same_tables(updated, fresh, cards=True)


def test_update_errors(real_hub, tmp_path, fast):
    kw = dict(endpoint=real_hub.endpoint, token=False, retry=fast, progress=False)
    fetch(tmp_path / "top", sort="downloads", limit=10, **kw)
    with pytest.raises(SnapshotError, match="fetched with a limit \\(the top 10\\)"):
        fetch(update=tmp_path / "top", **kw)
    fetch(tmp_path / "all", author="HuggingFaceTB", **kw)
    with pytest.raises(FetchArgumentError, match="update repeats the query of the snapshot"):
        fetch(update=tmp_path / "all", author="x", **kw)
    with pytest.raises(SnapshotError, match="is not a snapshot directory"):
        fetch(update=tmp_path / "missing", **kw)
