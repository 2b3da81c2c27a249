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
import contextlib
import gzip
import hashlib
import math
import socket
import struct
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import orjson

__all__ = [
    "EXPAND_FIELDS",
    "FakeHub",
    "FaultPlan",
    "hub_record",
    "hub_tags",
    "load_shared_hub",
]

#: Values the Hub accepts in ``expand[]`` for models (huggingface_hub's ``ExpandModelProperty_T``).
EXPAND_FIELDS: frozenset[str] = frozenset(
    {
        "author",
        "baseModels",
        "cardData",
        "childrenModelCount",
        "config",
        "createdAt",
        "disabled",
        "downloads",
        "downloadsAllTime",
        "evalResults",
        "gated",
        "gguf",
        "inference",
        "inferenceProviderMapping",
        "lastModified",
        "library_name",
        "likes",
        "mask_token",
        "model-index",
        "pipeline_tag",
        "private",
        "resourceGroup",
        "safetensors",
        "sha",
        "siblings",
        "spaces",
        "tags",
        "transformersInfo",
        "trendingScore",
        "usedStorage",
        "widgetData",
    }
)
# what the Hub lists when no expand/full is asked for
_DEFAULT_LIST_FIELDS = (
    "id",
    "_id",
    "likes",
    "private",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
)
_SORT_KEYS = {"downloads", "likes", "createdAt", "lastModified", "trendingScore", "id"}
_MAX_DELAY = 30.0  # cap of any injected delay, seconds
_RELATIONS = ("finetune", "adapter", "quantized", "merge")
_REL_WORDS = {
    "finetune": "finetune",
    "fine-tune": "finetune",
    "finetuned": "finetune",
    "adapter": "adapter",
    "lora": "adapter",
    "quantized": "quantized",
    "quantization": "quantized",
    "merge": "merge",
    "merged": "merge",
}


# ----------------------------------------------------------------------------- records
def _as_list(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v] if v.strip() else []
    if isinstance(v, list):
        return [x for x in v if isinstance(x, str) and x.strip()]
    return []


def _infer_relation(rec: Mapping[str, Any], n_parents: int) -> str:
    """The relation the Hub infers when a card names a base model without a type."""
    tags = set(rec.get("tags") or ())
    if n_parents >= 2 or "merge" in tags or "mergekit" in tags:
        return "merge"
    if rec.get("gguf") or "gguf" in tags or any(t in tags for t in ("gptq", "awq", "exl2", "4-bit", "8-bit")):
        return "quantized"
    if rec.get("library_name") == "peft" or "peft" in tags or "lora" in tags:
        return "adapter"
    return "finetune"


def hub_tags(rec: Mapping[str, Any], relations: Mapping[tuple[str, str], str] | None = None) -> list[str]:
    """The tags the Hub would serve for a record: its own plus the derived ones.

    The Hub derives tags from the record: the library and pipeline tag,
    ``dataset:`` and language tags from ``cardData``, ``base_model:<id>`` and
    ``base_model:<relation>:<id>`` for every base model (relation from an
    existing typed tag, ``cardData.base_model_relation``, ``relations`` (known
    ``(parent, child) -> relation``), else inferred as the Hub does: two or more
    parents are a merge, GGUF/GPTQ files a quantization, PEFT an adapter,
    otherwise a fine-tune), ``license:`` and ``region:``. Tags already present
    keep their order; missing ones are added.

    Examples
    --------
    >>> hub_tags({"id": "me/ft", "library_name": "transformers",
    ...           "cardData": {"base_model": "org/base", "license": "MIT"}})
    ['transformers', 'base_model:org/base', 'base_model:finetune:org/base', 'license:mit', 'region:us']
    """
    tags = [t for t in (rec.get("tags") or []) if isinstance(t, str)]
    have = set(tags)
    out = list(tags)

    def add(tag: str) -> None:
        if tag not in have:
            have.add(tag)
            out.append(tag)

    raw_card = rec.get("cardData")
    card: Mapping[str, Any] = raw_card if isinstance(raw_card, dict) else {}
    for key in ("library_name", "pipeline_tag"):
        v = rec.get(key)
        if isinstance(v, str) and v:
            add(v)
    for d in _as_list(card.get("datasets")):
        add(f"dataset:{d.strip()}")
    for lang in _as_list(card.get("language")):
        add(lang.strip().lower())
    # base models: from tags and cardData
    typed: dict[str, str] = {}
    parents: list[str] = []
    for t in tags:
        if t.startswith("base_model:"):
            head, sep, tail = t[11:].partition(":")
            if sep and head in _RELATIONS and tail:
                typed.setdefault(tail, head)
                parent = tail
            else:
                parent = t[11:]
            if parent and parent not in parents:
                parents.append(parent)
    for p in _as_list(card.get("base_model")):
        if p.strip() not in parents:
            parents.append(p.strip())
    override = card.get("base_model_relation")
    override = _REL_WORDS.get(override.strip().lower()) if isinstance(override, str) else None
    for p in parents:
        rel = typed.get(p) or override or (relations or {}).get((p, str(rec.get("id"))))
        rel = rel or _infer_relation(rec, len(parents))
        add(f"base_model:{p}")
        add(f"base_model:{rel}:{p}")
    lic = card.get("license")
    if isinstance(lic, list):
        lic = next((x for x in lic if isinstance(x, str)), None)
    if isinstance(lic, str) and lic.strip():
        add(f"license:{lic.strip().lower()}")
    if not any(t.startswith("region:") for t in have):
        add("region:us")
    return out


def hub_record(raw: Mapping[str, Any], relations: Mapping[tuple[str, str], str] | None = None) -> dict[str, Any]:
    """A record as the Hub's API serves it: tags via :func:`hub_tags`, plus the
    fields every Hub record has (``lastModified`` -- the creation time when
    unknown --, ``private``, ``gated``, and a ``sha`` derived from the id when
    missing). Other fields are kept as they are.

    >>> r = hub_record({"id": "a/b", "createdAt": "2024-01-01T00:00:00.000Z", "tags": []})
    >>> r["lastModified"], r["private"], r["tags"], len(r["sha"])
    ('2024-01-01T00:00:00.000Z', False, ['region:us'], 40)
    """
    rec = dict(raw)
    rec["tags"] = hub_tags(rec, relations)
    if not rec.get("lastModified") and rec.get("createdAt"):
        rec["lastModified"] = rec["createdAt"]
    rec.setdefault("private", False)
    if rec.get("gated") is None:
        rec["gated"] = False
    if not rec.get("sha"):
        seed = f"{rec['id']}@{rec.get('lastModified')}".encode()
        rec["sha"] = hashlib.sha1(seed, usedforsecurity=False).hexdigest()
    if "author" not in rec and "/" in rec["id"]:
        rec["author"] = rec["id"].split("/", 1)[0]
    return rec


def _read_jsonl_gz(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)


def load_shared_hub(
    shared: str | Path, parts: Iterable[str] = ("hub-families", "smollm2-tree")
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The real records of ``../shared/data`` as the Hub would serve them, and their cards.

    Parameters
    ----------
    shared : path
        The shared data directory (holding ``hub-families/`` and ``smollm2-tree/``).
    parts : iterable of str
        Sub-directories to read; each holds ``models.jsonl.gz`` and optionally
        ``cards.jsonl.gz`` and ``crawl_edges.csv`` (known relations).

    Returns
    -------
    records : list of dict
        :func:`hub_record` of every record (first occurrence of an id wins).
    cards : dict
        README text by model id.
    """
    import csv

    shared = Path(shared)
    records: dict[str, dict] = {}
    cards: dict[str, str] = {}
    for part in parts:
        d = shared / part
        relations: dict[tuple[str, str], str] = {}
        edges = d / "crawl_edges.csv"
        if edges.exists():
            with open(edges, newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    child = row["child"].removeprefix("https://huggingface.co/")
                    rel = _REL_WORDS.get((row.get("relation") or "").strip().lower())
                    if rel:
                        relations[(row["parent"], child)] = rel
        for raw in _read_jsonl_gz(d / "models.jsonl.gz"):
            if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"] not in records:
                records[raw["id"]] = hub_record(raw, relations)
        card_file = d / "cards.jsonl.gz"
        if card_file.exists():
            for c in _read_jsonl_gz(card_file):
                if isinstance(c.get("card"), str):
                    cards.setdefault(c["id"], c["card"])
    return list(records.values()), cards


# ----------------------------------------------------------------------------- faults, stats
@dataclass
class FaultPlan:
    """Which requests fail, and how.

    Parameters
    ----------
    every : int
        Every ``every``-th request (counting all requests from 1) fails; 0: none.
        The kinds are used in turn.
    kinds : tuple of str
        ``"429"`` (alternately with ``Retry-After`` and with a ``RateLimit``
        header), ``"500"``, ``"502"``, ``"503"``, ``"504"``, ``"reset"`` (the
        connection is dropped half-way through the body) and ``"slow"`` (the
        answer comes ``slow_seconds`` late).
    retry_after : int
        Seconds in the ``Retry-After`` / ``RateLimit`` ``t=`` of injected 429s.
    slow_seconds : float
        Delay of ``"slow"`` faults (capped at 30 s).
    down : bool
        Every request answers 503: the Hub stays down.
    delay : float
        Added to every response (a slow Hub; capped at 30 s).
    paths : tuple of str
        Request kinds faults apply to: ``"list"``, ``"info"``, ``"resolve"``.
    """

    every: int = 0
    kinds: tuple[str, ...] = ("429", "500", "502", "504", "reset", "slow")
    retry_after: int = 0
    slow_seconds: float = 1.0
    down: bool = False
    delay: float = 0.0
    paths: tuple[str, ...] = ("list", "info", "resolve")

    def __post_init__(self) -> None:
        bad = set(self.kinds) - {"429", "500", "502", "503", "504", "reset", "slow"}
        if bad:
            raise ValueError(f"unknown fault kind(s) {sorted(bad)}")
        if self.every < 0:
            raise ValueError(f"every must be >= 0, got {self.every}")


@dataclass
class _RateLimit:
    quota: int
    window: float
    start: float = 0.0
    used: int = 0


@dataclass
class HubStats:
    """Request counts of a :class:`FakeHub` (thread-safe snapshot via :meth:`as_dict`)."""

    requests: int = 0
    by_kind: Counter = field(default_factory=Counter)  # list / info / resolve_head / resolve_get / other
    pages: int = 0  # listing pages answered with 200
    faults: Counter = field(default_factory=Counter)
    rate_limited: int = 0
    authorized: int = 0  # requests that carried the valid token

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "pages": self.pages,
            "by_kind": dict(self.by_kind),
            "faults": dict(self.faults),
            "rate_limited": self.rate_limited,
            "authorized": self.authorized,
        }


# ----------------------------------------------------------------------------- the server
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
        if page_size < 1 or max_page_size < 1:
            raise ValueError("page sizes must be >= 1")
        self.page_size = page_size
        self.max_page_size = max_page_size
        self.token = token
        self.faults = faults or FaultPlan()
        self._rate = _RateLimit(int(rate_limit[0]), float(rate_limit[1])) if rate_limit else None
        self._port = port
        self._lock = threading.RLock()
        self._records: dict[str, dict[str, Any]] = {}
        self._seq: dict[str, int] = {}
        self._cards: dict[str, str] = dict(cards or {})
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
            fields = None if expand is None else _fields(list(expand))
            out = []
            for mid in sorted(self._records, key=self._seq.__getitem__):
                r = self._records[mid]
                if r.get("private") and not authorized:
                    continue
                out.append(_select(r, fields))
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

        class Handler(_Handler):
            pass

        Handler.hub = hub
        server = _Server(("127.0.0.1", self._port), Handler)
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
            out.sort(key=lambda m: (_sort_value(recs[m], sk), m), reverse=q["direction"] < 0)
        pos = {m: i for i, m in enumerate(out)}
        self._cache[key] = (out, pos)
        while len(self._cache) > 256:
            self._cache.popitem(last=False)
        return out, pos

    def _start_after(self, ids: list[str], pos: dict[str, int], cursor: dict, q: dict) -> int:
        last = cursor.get("i")
        if last in pos:
            i = pos[last]
            if q["sort"] is None or _sort_value(self._records[last], q["sort"]) == tuple(cursor["v"]):
                return i + 1
        # the record moved or vanished: keyset fallback, first item strictly after the cursor
        if q["sort"] is None:
            seq = cursor.get("s", -1)
            return next((k for k, m in enumerate(ids) if self._seq[m] > seq), len(ids))
        ck = (tuple(cursor["v"]), last)
        desc = q["direction"] < 0
        for k, m in enumerate(ids):
            mk = (_sort_value(self._records[m], q["sort"]), m)
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
            body = orjson.dumps([_select(self._records[m], fields) for m in page])
            nxt = None
            if start + n < len(ids) and page:
                last = page[-1]
                cur: dict[str, Any] = {"i": last, "s": self._seq[last]}
                if q["sort"] is not None:
                    cur["v"] = list(_sort_value(self._records[last], q["sort"]))
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


def _sort_value(r: Mapping[str, Any], key: str) -> tuple:
    v = r.get(key)
    if v is None or isinstance(v, bool) or not isinstance(v, int | float | str):
        return (0, 0)
    return (1, v) if not isinstance(v, str) else (2, v)


def _fields(expand: list[str]) -> tuple[str, ...]:
    return ("id", "_id", *expand)


def _select(r: Mapping[str, Any], fields: tuple[str, ...] | None) -> dict[str, Any]:
    if fields is None:
        return dict(r)
    return {k: v for k, v in r.items() if k in fields}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return  # a client that went away (killed, timed out): not the server's problem
        super().handle_error(request, client_address)


class _BadRequest(Exception):
    pass


def _parse_listing(params: list[tuple[str, str]]) -> dict[str, Any]:
    get: dict[str, list[str]] = {}
    for k, v in params:
        get.setdefault(k, []).append(v)

    def one(name: str) -> str | None:
        vals = get.get(name)
        return vals[-1] if vals else None

    expand = get.get("expand", []) + get.get("expand[]", [])
    bad = [e for e in expand if e not in EXPAND_FIELDS]
    if bad:
        raise _BadRequest(f"Invalid expand value: {bad[0]!r}")
    truthy = ("1", "true", "True")
    if expand:
        if one("full") in truthy or one("cardData") in truthy or one("config") in truthy:
            raise _BadRequest("expand cannot be combined with full, cardData or config")
        fields: tuple[str, ...] | None = _fields(expand)
    elif one("full") in truthy:
        fields = None
    else:
        extra = ("cardData",) if one("cardData") in truthy else ()
        fields = (*_DEFAULT_LIST_FIELDS, *extra)
    sort = one("sort")
    if sort is not None and sort not in _SORT_KEYS:
        raise _BadRequest(f"Invalid sort: {sort!r}")
    direction = one("direction")
    try:
        d = int(direction) if direction is not None else -1
        raw_limit = one("limit")
        limit = int(raw_limit) if raw_limit is not None else None
    except ValueError as exc:
        raise _BadRequest(str(exc)) from None
    if limit is not None and limit < 1:
        raise _BadRequest("limit must be >= 1")
    cursor = None
    raw = one("cursor")
    if raw:
        try:
            cursor = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        except (ValueError, orjson.JSONDecodeError):
            raise _BadRequest("Invalid cursor") from None
    return {
        "filter": get.get("filter", []) + get.get("other", []),
        "author": one("author"),
        "search": one("search"),
        "pipeline_tag": one("pipeline_tag"),
        "sort": sort,
        "direction": -1 if d < 0 else 1,
        "limit": limit,
        "fields": fields,
        "cursor": cursor,
    }


class _Handler(BaseHTTPRequestHandler):
    hub: FakeHub
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    timeout = 15  # idle keep-alive connections are closed after this many seconds
    server_version = "hftree-FakeHub/1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # ------------------------------------------------------------------ plumbing
    def _send(
        self,
        status: int,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        *,
        content_type: str = "application/json; charset=utf-8",
        head: bool = False,
    ) -> None:
        fault = getattr(self, "_fault", None)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        for k, v in getattr(self, "_rl_headers", {}).items():
            self.send_header(k, v)
        self.end_headers()
        if head:
            return
        if fault == "reset" and len(body) > 1:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self._abort()
            return
        self.wfile.write(body)

    def _abort(self) -> None:
        """Drop the connection with a TCP reset."""
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.close()

    def _error(self, status: int, message: str, code: str | None = None, *, head: bool = False) -> None:
        headers = {"X-Error-Code": code} if code else {}
        headers["X-Error-Message"] = message
        self._send(status, orjson.dumps({"error": message}), headers, head=head)

    def _authorized(self) -> bool:
        hub = self.hub
        auth = self.headers.get("Authorization", "")
        ok = hub.token is not None and auth == f"Bearer {hub.token}"
        if ok:
            with hub._lock:
                hub.stats.authorized += 1
        return ok

    def _kind(self, path: str) -> str:
        if path == "/api/models":
            return "list"
        if path == "/api/agent-harnesses":
            return "agents"
        if path.startswith("/api/models/"):
            return "info"
        if "/resolve/" in path:
            return "resolve_head" if self.command == "HEAD" else "resolve_get"
        return "other"

    def _admit(self, kind: str) -> bool:
        """Count the request, apply the rate limit and the fault plan; False if already answered."""
        hub = self.hub
        plan = hub.faults
        self._fault = None
        self._rl_headers: dict[str, str] = {}
        with hub._lock:
            hub.stats.requests += 1
            hub.stats.by_kind[kind] += 1
            n = hub.stats.requests
            fault = None
            kind_group = "resolve" if kind.startswith("resolve") else kind
            if plan.down:
                fault = "503"
            elif plan.every and n % plan.every == 0 and kind_group in plan.paths:
                k = n // plan.every - 1
                fault = plan.kinds[k % len(plan.kinds)]
            if fault:
                self._variant = hub.stats.faults[fault] % 2  # 429s alternate Retry-After / RateLimit
                hub.stats.faults[fault] += 1
            rl = hub._rate
            limited = False
            if rl is not None:
                now = time.monotonic()
                if now - rl.start >= rl.window:
                    rl.start, rl.used = now, 0
                rl.used += 1
                reset = max(1, math.ceil(rl.window - (now - rl.start)))
                remaining = max(0, rl.quota - rl.used)
                self._rl_headers = {
                    "RateLimit": f'"api";r={remaining};t={reset}',
                    "RateLimit-Policy": f'"fixed window";"api";q={rl.quota};w={math.ceil(rl.window)}',
                }
                if rl.used > rl.quota:
                    limited = True
                    hub.stats.rate_limited += 1
        if plan.delay > 0:
            time.sleep(min(plan.delay, _MAX_DELAY))
        head = self.command == "HEAD"
        if limited:
            self._error(429, "Too Many Requests", head=head)
            return False
        if fault is None:
            return True
        if fault == "slow":
            time.sleep(min(plan.slow_seconds, _MAX_DELAY))
            return True
        if fault == "reset":
            if head:  # no body to cut: drop the connection before answering
                self._abort()
                return False
            self._fault = "reset"
            return True
        if fault == "429":
            ra = str(int(plan.retry_after))
            if getattr(self, "_variant", 0) == 0:
                hdr = {"Retry-After": ra}
            else:
                hdr = {
                    "RateLimit": f'"api";r=0;t={ra}',
                    "RateLimit-Policy": '"fixed window";"api";q=1000;w=300',
                }
            self._send(429, orjson.dumps({"error": "Too Many Requests"}), hdr, head=head)
            return False
        msg = {
            "500": "Internal Error",
            "502": "Bad Gateway",
            "503": "Service Unavailable",
            "504": "Gateway Timeout",
        }[fault]
        self._send(
            int(fault),
            f"<html><body>{msg}</body></html>".encode(),
            content_type="text/html",
            head=head,
        )
        return False

    # ------------------------------------------------------------------ routes
    def do_HEAD(self) -> None:
        self._route()

    def do_GET(self) -> None:
        self._route()

    def _route(self) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        kind = self._kind(path)
        if not self._admit(kind):
            return
        head = self.command == "HEAD"
        auth = self.headers.get("Authorization")
        if auth is not None and self.hub.token is not None and auth != f"Bearer {self.hub.token}":
            self._error(401, "Invalid credentials in Authorization header", head=head)
            return
        try:
            if kind == "list":
                self._listing(parts.query, head)
            elif kind == "info":
                self._info(path[len("/api/models/") :], parts.query, head)
            elif kind.startswith("resolve"):
                self._resolve(path, head)
            elif kind == "agents":  # huggingface_hub's user-agent registry: none known here
                self._send(200, b'{"standardEnvVars": [], "harnesses": {}}', head=head)
            else:
                self._error(404, "Not Found", head=head)
        except _BadRequest as exc:
            self._error(400, str(exc), head=head)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _listing(self, query: str, head: bool) -> None:
        params = parse_qsl(query, keep_blank_values=True)
        q = _parse_listing(params)
        host = self.headers.get("Host") or f"127.0.0.1:{self.hub.endpoint.rsplit(':', 1)[1]}"
        body, nxt = self.hub._list_page(q, self._authorized(), f"http://{host}", params)
        headers = {"Link": f'<{nxt}>; rel="next"'} if nxt else {}
        self._send(200, body, headers, head=head)

    def _info(self, rest: str, query: str, head: bool) -> None:
        repo, _, _rev = rest.partition("/revision/")
        hub = self.hub
        with hub._lock:
            rec = hub._model(repo, self._authorized())
            if rec is None:
                self._error(401, "Repository not found", "RepoNotFound", head=head)
                return
            params = parse_qsl(query, keep_blank_values=True)
            expand = [v for k, v in params if k in ("expand", "expand[]")]
            bad = [e for e in expand if e not in EXPAND_FIELDS]
            if bad:
                raise _BadRequest(f"Invalid expand value: {bad[0]!r}")
            if expand:
                out = _select(rec, _fields(expand))
            else:
                out = dict(rec)
                out.setdefault(
                    "siblings",
                    [{"rfilename": ".gitattributes"}] + ([{"rfilename": "README.md"}] if repo in hub._cards else []),
                )
            body = orjson.dumps(out)
        self._send(200, body, head=head)

    def _resolve(self, path: str, head: bool) -> None:
        repo, _, rest = path.lstrip("/").partition("/resolve/")
        revision, _, filename = rest.partition("/")
        hub = self.hub
        authorized = self._authorized()
        with hub._lock:
            rec = hub._records.get(repo)
            text = hub._cards.get(repo)
        if rec is None or (rec.get("private") and not authorized):
            self._error(401, "Repository not found", "RepoNotFound", head=head)
            return
        sha = rec.get("sha") or "0" * 40
        if revision not in ("main", sha):
            self._error(404, f"Invalid rev id: {revision}", "RevisionNotFound", head=head)
            return
        if rec.get("gated") and not authorized:
            self._error(401, f"Access to model {repo} is restricted.", "GatedRepo", head=head)
            return
        if filename != "README.md" or text is None:
            self._error(404, "Entry not found", "EntryNotFound", head=head)
            return
        data = text.encode("utf-8")
        etag = hashlib.sha1(data, usedforsecurity=False).hexdigest()
        self._send(
            200,
            data,
            {"X-Repo-Commit": sha, "ETag": f'"{etag}"', "Accept-Ranges": "bytes"},
            content_type="text/plain; charset=utf-8",
            head=head,
        )


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
        records = list(_read_jsonl_gz(Path(args.records)))
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
