"""A local stand-in for the Hugging Face Hub API, for tests and benchmarks.

:class:`FakeHub` serves model records over HTTP on 127.0.0.1 the way the Hub
does, for the requests ``huggingface_hub`` makes:

``GET /api/models``
    the listing: cursor pagination through the ``Link: <…>; rel="next"`` header,
    ``limit`` (page size, capped), ``author``, ``search`` (substring of the id,
    case-insensitive), ``filter`` / ``other`` (tags, all must match),
    ``pipeline_tag``, ``expand`` / ``expand[]`` (only those fields, plus ``id``
    and ``_id``), ``full``, ``cardData``, ``sort`` + ``direction`` (``-1``, the
    default, is descending). Private models are listed only to the token.
``GET /api/models/{repo_id}[/revision/{rev}]``
    what ``HfApi.model_info`` requests; ``expand`` as above, else the full record.
Dataset repositories (the whole-Hub dumps, commit by commit; :meth:`FakeHub.add_dataset_commit`):
    ``dataset_info``, ``list_repo_commits``, ``list_repo_tree`` and ``hf_hub_download`` with
    ``Range`` requests (see :mod:`hftree.testing.datasets`).
``HEAD|GET /{repo_id}/resolve/{revision}/README.md``
    what ``hf_hub_download`` / ``ModelCard.load`` request: ``X-Repo-Commit``,
    ``ETag``, ``Content-Length``; a missing README is ``404`` with
    ``X-Error-Code: EntryNotFound``, a gated or private repository without the
    token ``401`` with ``X-Error-Code: GatedRepo`` / ``RepoNotFound``.

Faults (:class:`FaultPlan`): every *n*-th request answers ``429`` (with
``Retry-After`` or a ``RateLimit`` header), ``500``, ``502``, ``504``, drops the
connection half-way through the body, or answers late; a fixed-window rate
limit with ``RateLimit``/``RateLimit-Policy`` headers; or the whole Hub being
down. Every request is counted (:attr:`FakeHub.stats`).

Everything is bounded: the server only listens on loopback, keep-alive
connections time out, and every fault delay is capped.

Example (not run as a doctest: it opens a port)::

    from huggingface_hub import HfApi
    from hftree.testing import FakeHub

    with FakeHub([{"id": "org/a", "tags": ["x"]}], page_size=1) as hub:
        ids = [m.id for m in HfApi(endpoint=hub.endpoint).list_models(filter="x")]
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson

from hftree.errors import ParameterError
from hftree.testing.datasets import DatasetRepo
from hftree.testing.faults import FaultPlan, HubStats, RateLimit
from hftree.testing.handler import Handler, Server
from hftree.testing.listing import select_fields, sort_value, with_fields
from hftree.testing.records import EXPAND_FIELDS, hub_record, hub_tags, load_shared_hub, read_records

__all__ = [
    "EXPAND_FIELDS",
    "FakeHub",
    "FaultPlan",
    "HubStats",
    "hub_record",
    "hub_tags",
    "load_shared_hub",
]


class FakeHub:
    """A Hub stand-in serving ``records`` (Hub API dicts) on ``http://127.0.0.1:<port>``.

    Parameters
    ----------
    records : iterable of dict
        Model records as the API serves them (see :func:`hub_record`).
    cards : mapping, optional
        README text by model id; models without one have no README.
    page_size : int
        Models per listing page when the request gives no ``limit``.
    max_page_size : int
        Cap of ``limit`` per page (the Hub's is 1000).
    token : str, optional
        The token that unlocks private models and gated READMEs.
    faults : FaultPlan, optional
        Injected failures.
    rate_limit : (int, float), optional
        ``(quota, window_seconds)``: a fixed-window limit; requests over quota get 429.
    port : int
        0 picks a free port.

    Use as a context manager, or :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        records: Iterable[Mapping[str, Any]] = (),
        *,
        cards: Mapping[str, str] | None = None,
        page_size: int = 1000,
        max_page_size: int = 1000,
        token: str | None = None,
        faults: FaultPlan | None = None,
        rate_limit: tuple[int, float] | None = None,
        port: int = 0,
    ) -> None:
        for name, size in (("page_size", page_size), ("max_page_size", max_page_size)):
            if size < 1:
                raise ParameterError(name, "a whole number >= 1", size)
        self.page_size = page_size
        self.max_page_size = max_page_size
        self.token = token
        self.faults = faults or FaultPlan()
        self._rate = RateLimit(int(rate_limit[0]), float(rate_limit[1])) if rate_limit else None
        self._port = port
        self._lock = threading.RLock()
        self._records: dict[str, dict[str, Any]] = {}
        self._seq: dict[str, int] = {}
        self._cards: dict[str, str] = dict(cards or {})
        self._datasets: dict[str, DatasetRepo] = {}
        self._version = 0
        self._tag_index: tuple[int, dict[str, set[str]]] | None = None
        self._cache: OrderedDict[tuple, tuple[list[str], dict[str, int]]] = OrderedDict()
        self.stats = HubStats()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add(records)

    # ------------------------------------------------------------------ data
    def add(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Add or replace records (a replaced record keeps its listing position)."""
        with self._lock:
            for r in records:
                mid = r["id"]
                if mid not in self._seq:
                    self._seq[mid] = len(self._seq)
                self._records[mid] = dict(r)
            self._changed()

    def update(self, model_id: str, **fields: Any) -> None:
        """Change fields of a record (e.g. ``lastModified=..., likes=...``)."""
        with self._lock:
            if model_id not in self._records:
                raise KeyError(model_id)
            self._records[model_id].update(fields)
            self._changed()

    def remove(self, model_id: str) -> None:
        """Delete a model (and its README)."""
        with self._lock:
            self._records.pop(model_id)
            self._seq.pop(model_id)
            self._cards.pop(model_id, None)
            self._changed()

    def set_card(self, model_id: str, text: str | None) -> None:
        """Set (or with ``None`` delete) a model's README."""
        with self._lock:
            if text is None:
                self._cards.pop(model_id, None)
            else:
                self._cards[model_id] = text

    def add_dataset_commit(self, repo_id: str, files: Mapping[str, bytes | str | Path], *,
                           date: str | None = None, title: str | None = None, replace: bool = False) -> str:
        """Commit ``files`` (path in the repo -> bytes, text or a local file) to dataset ``repo_id``
        (created on first use); the other files of the previous commit stay unless ``replace``.
        Returns the commit id; ``date`` (ISO 8601) is the commit's date."""
        with self._lock:
            repo = self._datasets.setdefault(repo_id, DatasetRepo(repo_id))
            return repo.commit(files, date=date, title=title, replace=replace)

    def _changed(self) -> None:
        self._version += 1
        self._cache.clear()
        self._tag_index = None

    @property
    def cards(self) -> dict[str, str]:
        """README texts by model id (a copy)."""
        with self._lock:
            return dict(self._cards)

    def records(self, expand: Iterable[str] | None = None, *, authorized: bool = False) -> list[dict]:
        """Every record as a full listing with ``expand`` would serve it, in listing order.

        ``expand=None`` gives the complete records. Private models only with ``authorized``.
        """
        with self._lock:
            fields = None if expand is None else with_fields(list(expand))
            out = []
            for mid in sorted(self._records, key=self._seq.__getitem__):
                r = self._records[mid]
                if r.get("private") and not authorized:
                    continue
                out.append(select_fields(r, fields))
            return out

    # ------------------------------------------------------------------ lifecycle
    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:<port>`` (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("FakeHub is not running; call start() or use it as a context manager")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeHub:
        """Listen on 127.0.0.1 and serve in a background thread."""
        if self._server is not None:
            return self
        hub = self

        class HubHandler(Handler):
            pass

        HubHandler.hub = hub
        server = Server(("127.0.0.1", self._port), HubHandler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="FakeHub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset_stats(self) -> None:
        """Zero the request counters."""
        with self._lock:
            self.stats = HubStats()

    # ------------------------------------------------------------------ query engine
    def _tags(self) -> dict[str, set[str]]:
        if self._tag_index is None or self._tag_index[0] != self._version:
            index: dict[str, set[str]] = {}
            for mid, r in self._records.items():
                for t in r.get("tags") or ():
                    index.setdefault(t, set()).add(mid)
            self._tag_index = (self._version, index)
        return self._tag_index[1]

    def _query(self, q: dict[str, Any], authorized: bool) -> tuple[list[str], dict[str, int]]:
        """Ids matching a listing query, in order, and their positions (cached per data version)."""
        key = (
            self._version,
            authorized,
            tuple(sorted(q["filter"])),
            q["author"],
            q["search"],
            q["pipeline_tag"],
            q["sort"],
            q["direction"],
        )
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        if q["filter"]:
            index = self._tags()
            sets = [index.get(t, set()) for t in q["filter"]]
            ids = set.intersection(*sets) if sets else set()
            cand = sorted(ids, key=self._seq.__getitem__)
        else:
            cand = sorted(self._records, key=self._seq.__getitem__)
        recs = self._records
        out = []
        author, search, ptag = q["author"], q["search"], q["pipeline_tag"]
        for mid in cand:
            r = recs[mid]
            if r.get("private") and not authorized:
                continue
            if author is not None and r.get("author") != author:
                continue
            if search is not None and search.lower() not in mid.lower():
                continue
            if ptag is not None and r.get("pipeline_tag") != ptag:
                continue
            out.append(mid)
        if q["sort"] is not None:
            sk = q["sort"]
            out.sort(key=lambda m: (sort_value(recs[m], sk), m), reverse=q["direction"] < 0)
        pos = {m: i for i, m in enumerate(out)}
        self._cache[key] = (out, pos)
        while len(self._cache) > 256:
            self._cache.popitem(last=False)
        return out, pos

    def _start_after(self, ids: list[str], pos: dict[str, int], cursor: dict, q: dict) -> int:
        last = cursor.get("i")
        if last in pos:
            i = pos[last]
            if q["sort"] is None or sort_value(self._records[last], q["sort"]) == tuple(cursor["v"]):
                return i + 1
        # the record moved or vanished: keyset fallback, first item strictly after the cursor
        if q["sort"] is None:
            seq = cursor.get("s", -1)
            return next((k for k, m in enumerate(ids) if self._seq[m] > seq), len(ids))
        ck = (tuple(cursor["v"]), last)
        desc = q["direction"] < 0
        for k, m in enumerate(ids):
            mk = (sort_value(self._records[m], q["sort"]), m)
            if (mk < ck) if desc else (mk > ck):
                return k
        return len(ids)

    def _list_page(
        self, q: dict, authorized: bool, base: str, raw_params: list[tuple[str, str]]
    ) -> tuple[bytes, str | None]:
        with self._lock:
            ids, pos = self._query(q, authorized)
            start = 0
            if q["cursor"] is not None:
                start = self._start_after(ids, pos, q["cursor"], q)
            n = min(q["limit"] or self.page_size, self.max_page_size)
            page = ids[start : start + n]
            fields = q["fields"]
            body = orjson.dumps([select_fields(self._records[m], fields) for m in page])
            nxt = None
            if start + n < len(ids) and page:
                last = page[-1]
                cur: dict[str, Any] = {"i": last, "s": self._seq[last]}
                if q["sort"] is not None:
                    cur["v"] = list(sort_value(self._records[last], q["sort"]))
                token = base64.urlsafe_b64encode(orjson.dumps(cur)).decode().rstrip("=")
                params = [(k, v) for k, v in raw_params if k != "cursor"] + [("cursor", token)]
                nxt = f"{base}/api/models?{urlencode(params)}"
            self.stats.pages += 1
        return body, nxt

    def _model(self, model_id: str, authorized: bool) -> dict | None:
        r = self._records.get(model_id)
        if r is None or (r.get("private") and not authorized):
            return None
        return r



# ----------------------------------------------------------------------------- command line
def _main(argv: list[str] | None = None) -> int:
    """``python -m hftree.testing.fake_hub``: serve the shared data (or synthetic records)."""
    import argparse
    import os
    import signal
    import sys

    p = argparse.ArgumentParser(
        prog="python -m hftree.testing.fake_hub",
        description="Serve a local Hub stand-in on 127.0.0.1.",
    )
    p.add_argument(
        "--shared",
        default=os.environ.get("HFTREE_SHARED_DATA", "../shared/data"),
        help="shared data directory (default $HFTREE_SHARED_DATA or ../shared/data)",
    )
    p.add_argument("--synthetic", type=int, metavar="N", help="serve N synthetic records instead")
    p.add_argument("--records", metavar="JSONL", help="serve these records (as the API serves them)")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--page-size", type=int, default=1000)
    p.add_argument("--fault-every", type=int, default=0)
    p.add_argument("--token", default=None, help="token unlocking private/gated models (tests only)")
    args = p.parse_args(argv)
    cards: dict[str, str] = {}
    if args.records is not None:
        records = list(read_records(Path(args.records)))
    elif args.synthetic is not None:
        from hftree.datasets import synthetic_hub

        records = [hub_record(r) for r in synthetic_hub(args.synthetic, random_state=0)]
    else:
        records, cards = load_shared_hub(args.shared)
    hub = FakeHub(
        records,
        cards=cards,
        page_size=args.page_size,
        token=args.token,
        faults=FaultPlan(every=args.fault_every),
        port=args.port,
    ).start()
    print(f"endpoint {hub.endpoint} models {len(records)}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    hub.stop()
    print(f"stats {orjson.dumps(hub.stats.as_dict()).decode()}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_main())
