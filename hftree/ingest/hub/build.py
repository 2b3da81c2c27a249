"""The last step of a fetch: its records through the importer into a :class:`Snapshot`.

Fetched records are imported by :func:`~hftree.ingest.import_sources` -- the same
normalisation as imported files -- and an update is merged into the snapshot it
refreshes. ``manifest["fetch"]`` records the query, versions, times and request counts.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from hftree._atomic import atomic_path, write_atomic
from hftree._version import __version__
from hftree.ingest.hub.query import describe
from hftree.ingest.hub.transport import hf_version
from hftree.ingest.hub.work import Run, fetched_records, now
from hftree.ingest.snapshot import Snapshot, import_sources
from hftree.schema import empty_models, to_pandas

__all__ = ["build_snapshot"]


def build_snapshot(run: Run, old: Snapshot | None) -> Snapshot:
    """The snapshot of everything the run fetched (merged into ``old`` for a listing update)."""
    work, q = run.work, run.query
    state = work.state
    started = pd.Timestamp(state["started_at"])
    parts = [work.parts / p for p in state["parts"]]
    files: list[Path] = []
    n_fetched = 0
    if q["mode"] == "family":  # the same child found through several parents: keep the newest
        best: dict[str, dict] = {}
        for r in fetched_records(work):
            n_fetched += 1
            prev = best.get(r["id"])
            if prev is None or (r.get("lastModified") or "") >= (prev.get("lastModified") or ""):
                best[r["id"]] = r
        if best:
            path = work.path / "records.jsonl"
            write_atomic(path, b"".join(orjson.dumps(best[k]) + b"\n" for k in sorted(best)))
            files.append(path)
    else:  # one file: the importer's cost is per file, and page order is kept
        n_fetched = state["listing"]["records"]
        if n_fetched:
            path = work.path / "records.jsonl"
            with atomic_path(path) as tmp, open(tmp, "wb") as out:
                for p in parts:
                    with open(p, "rb") as fh:
                        shutil.copyfileobj(fh, out, 1 << 20)
            files.append(path)
    card_rows: dict[str, dict] = {}
    for name in state["card_parts"]:
        for c in work.read_part(name):
            card_rows[c["id"]] = c
    card_file = None
    if q["cards"] and card_rows:
        card_file = work.path / "cards.jsonl"
        write_atomic(
            card_file,
            b"".join(orjson.dumps({"id": k, "card": card_rows[k]["card"]}) + b"\n" for k in sorted(card_rows)),
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if files:
            new = import_sources(
                files, cards=[card_file] if card_file else [], snapshot_time=started, progress=run.progress
            )
        else:
            new = _empty_snapshot(started)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    models, edges, cards = new.models, new.edges, new.cards
    if q["cards"]:
        if cards is None:
            cards = pd.DataFrame({"id": pd.Series([], dtype=object), "card": pd.Series([], dtype=object)})
        cards = cards.copy()
        cards["card_status"] = pd.array([card_rows[m]["status"] for m in cards["id"]], dtype="string")
    if old is not None and q["mode"] == "listing":  # update: merge into the old snapshot
        changed = set(models["id"])
        keep = ~old.models["id"].isin(changed)
        models = pd.concat([old.models[keep], models], ignore_index=True)
        edges = pd.concat([old.edges[~old.edges["child"].isin(changed)], edges], ignore_index=True)
        if q["cards"] and old.cards is not None:
            old_cards = old.cards[~old.cards["id"].isin(changed)]
            cards = pd.concat([old_cards, cards], ignore_index=True)
    models = models.sort_values("id", kind="stable").reset_index(drop=True)
    edges = edges.sort_values("child", kind="stable").reset_index(drop=True)
    if cards is not None:
        cards = cards.sort_values("id", kind="stable").reset_index(drop=True)
    stats = state.get("stats", {})
    status_counts = {} if cards is None or "card_status" not in cards else cards["card_status"].value_counts().to_dict()
    fetch_info: dict[str, Any] = {
        "run_id": state["run_id"],
        "query": q,
        "hftree_version": __version__,
        "huggingface_hub_version": hf_version(),
        "started_at": state["started_at"],
        "finished_at": now().isoformat(timespec="milliseconds"),
        "resumed": state.get("resumes", 0),
        "authenticated": bool(run.token),
        "counts": {
            "records_fetched": n_fetched,
            "pages": int(stats.get("pages", 0)),
            "requests": int(stats.get("requests", 0)),
            "model_info_requests": int(stats.get("model_info", 0)),
            "card_requests": int(stats.get("card_requests", 0)),
            "retries": int(stats.get("retries", 0)),
            "rate_limited": int(stats.get("rate_limited", 0)),
            "malformed_answers": int(stats.get("malformed_answers", 0)),
            "bad_records_skipped": int(stats.get("bad_records", 0)),
            "waited_seconds": round(float(stats.get("waited_seconds", 0.0)), 3),
            "family_queries": len(state["family"]["queried"]),
            **{f"cards_{k}": int(v) for k, v in sorted(status_counts.items())},
        },
    }
    manifest = dict(new.manifest)
    manifest["sources"] = [{"path": q["endpoint"], "kind": "hub", "query": describe(q)}]
    manifest["counts"] = {
        "records_read": n_fetched,
        "models": len(models),
        "edges": len(edges),
        "cards": 0 if cards is None else len(cards),
    }
    if old is not None:
        history = list(old.manifest["fetch"].get("history", []))
        prev = {k: old.manifest["fetch"][k] for k in ("run_id", "started_at", "finished_at")}
        fetch_info["history"] = [*history, prev]
        fetch_info["updated"] = {"since": q.get("since"), "changed_models": n_fetched}
    manifest["fetch"] = fetch_info
    return Snapshot(models=models, edges=edges, cards=cards, manifest=manifest)


def _empty_snapshot(started: pd.Timestamp) -> Snapshot:
    import pyarrow as pa

    from hftree.schema import EDGE_SCHEMA, SCHEMA_VERSION

    return Snapshot(
        models=empty_models(),
        edges=to_pandas(pa.Table.from_pylist([], schema=EDGE_SCHEMA)),
        cards=None,
        manifest={
            "format": "hftree-snapshot",
            "schema_version": SCHEMA_VERSION,
            "hftree_version": __version__,
            "created_at": now().isoformat(timespec="seconds"),
            "snapshot_time": started.isoformat(),
            "sources": [],
            "counts": {},
            "data_quality": {},
        },
    )
