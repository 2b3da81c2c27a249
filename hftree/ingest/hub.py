"""Fetch model metadata from the Hugging Face Hub into a snapshot: resumable and polite.

All Hub traffic goes through ``huggingface_hub``: :meth:`HfApi.list_models` for
listings and family crawls, :meth:`HfApi.model_info` for family roots,
:func:`hf_hub_download` for README files. hftree only configures the HTTP client
``huggingface_hub`` uses (:func:`huggingface_hub.set_client_factory`) with a
transport that makes every request polite and robust:

* a per-request timeout (``huggingface_hub`` sends listings without one);
* bounded retries with jittered exponential backoff on 408/429/5xx, timeouts
  and dropped connections (the body is read inside the retry, so a connection
  reset half-way through a page is retried too);
* on 429 the ``Retry-After`` / ``RateLimit`` headers are honoured, and every
  worker pauses; a ``RateLimit`` header saying the quota is used up pauses all
  requests until the window resets, before the Hub has to refuse one;
* a clear :class:`HubError` when the Hub stays down (``huggingface_hub``'s own
  retry loop never sees a retryable failure, so retries do not multiply).

A fetch works in a *work directory* (default ``.<output>.fetch`` next to the
output): records go to part files written atomically, and ``state.json``
(written atomically after each part) holds the listing cursor -- the ``Link``
URL of the next page -- or the crawl frontier, and the cards already read. An
interrupted fetch (Ctrl-C, ``kill -9``, network loss) continues with
``resume=True`` and ends with the same snapshot as an uninterrupted run. The
snapshot is built by :func:`~hftree.ingest.import_sources` from the fetched
records -- the same normalisation as imported files -- and saved atomically;
the work directory is removed afterwards.

Tokens come from ``token=``, ``HF_TOKEN`` or the ``huggingface_hub`` login and
are only ever passed to ``huggingface_hub``: the manifest records
``authenticated: true``, never the token.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import random
import shutil
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import orjson
import pandas as pd

from hftree._version import __version__
from hftree.errors import FetchArgumentError, HubError, ModelNotFoundError, SnapshotError
from hftree.ingest.snapshot import Snapshot, import_sources, load_snapshot
from hftree.schema import RELATIONS, check_relations, empty_models, to_pandas

__all__ = [
    "FETCH_EXPAND",
    "FetchArgumentError",
    "HubError",
    "RetryPolicy",
    "SortKey",
    "fetch",
    "model_record",
]

log = logging.getLogger("hftree.fetch")

#: ``expand=`` of every listing: exactly the fields the model table (and card caching) needs.
FETCH_EXPAND: tuple[str, ...] = (
    "author",
    "cardData",
    "createdAt",
    "downloads",
    "downloadsAllTime",
    "gated",
    "gguf",
    "lastModified",
    "library_name",
    "likes",
    "pipeline_tag",
    "private",
    "safetensors",
    "sha",
    "tags",
)
#: Listing orders accepted by ``sort=`` (huggingface_hub's ``ModelSort_T``).
SortKey = Literal["created_at", "downloads", "last_modified", "likes", "trending_score"]
SORT_KEYS: tuple[str, ...] = get_args(SortKey)
#: Relations the Hub writes in typed ``base_model:<relation>:<id>`` tags.
TAG_RELATIONS: tuple[str, ...] = tuple(r for r in RELATIONS if r != "unknown")

_STATE = "state.json"
_STATE_VERSION = 1
_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_BUFFER_LIMIT = 64 << 20  # responses up to this size are read inside the retry loop
# requests huggingface_hub makes for itself (agent-harness registry for its user agent)
_TELEMETRY_PATHS = ("/api/agent-harnesses",)
_SESSION_LOCK = threading.RLock()  # one fetch at a time per process: the HTTP client is global


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try, and how politely.

    Parameters
    ----------
    max_retries : int
        Retries of one request after the first attempt (408/429/5xx, timeouts,
        dropped connections); then :class:`HubError`.
    backoff : float
        First wait in seconds; doubles per retry, with jitter (each wait is drawn
        from ``[d/2, d]``).
    max_backoff : float
        Cap of one backoff wait.
    max_wait : float
        Longest ``Retry-After`` / ``RateLimit`` reset the client will honour; a
        Hub asking for longer ends the fetch with :class:`HubError` (resume later).
    timeout : float
        Per-request timeout (connect, read, write, pool), seconds.
    random_state : int, optional
        Seed of the jitter.

    Examples
    --------
    >>> RetryPolicy(backoff=0.01, max_backoff=0.1).max_retries
    8
    """

    max_retries: int = 8
    backoff: float = 1.0
    max_backoff: float = 60.0
    max_wait: float = 900.0
    timeout: float = 30.0
    random_state: int | None = None

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise FetchArgumentError(f"max_retries must be >= 0, got {self.max_retries}")
        for name in ("backoff", "max_backoff", "max_wait", "timeout"):
            v = getattr(self, name)
            if not v >= 0:
                raise FetchArgumentError(f"{name} must be a number >= 0, got {v!r}")
        if self.timeout == 0:
            raise FetchArgumentError("timeout must be > 0 seconds")


# ============================================================================ transport
class _Politeness:
    """State shared by every connection of one fetch: policy, counters, rate-limit gate."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.rng = random.Random(policy.random_state)
        self.lock = threading.Lock()
        self.gate_until = 0.0  # time.monotonic() before which no request is sent
        self.local = threading.local()  # per thread: listing pages seen, URL of the last page
        self.stats: dict[str, float] = {
            "requests": 0,
            "pages": 0,
            "model_info": 0,
            "card_requests": 0,
            "retries": 0,
            "rate_limited": 0,
            "waited_seconds": 0.0,
        }

    def count(self, key: str, n: float = 1) -> None:
        with self.lock:
            self.stats[key] += n

    def backoff(self, attempt: int) -> float:
        p = self.policy
        d = min(p.max_backoff, p.backoff * (2**attempt))
        with self.lock:
            return d * (0.5 + 0.5 * self.rng.random())

    def jitter(self) -> float:
        with self.lock:
            return self.rng.random() * min(1.0, self.policy.backoff)

    def close_gate(self, seconds: float) -> None:
        with self.lock:
            self.gate_until = max(self.gate_until, time.monotonic() + seconds)

    def wait_gate(self) -> None:
        while True:  # bounded: the gate only moves max_wait seconds into the future at a time
            with self.lock:
                left = self.gate_until - time.monotonic()
            if left <= 0:
                return
            self.count("waited_seconds", min(left, 1.0))
            time.sleep(min(left, 1.0))


def _kind(path: str) -> str:
    if path.endswith("/api/models"):
        return "list"
    if "/api/models/" in path:
        return "info"
    if "/resolve/" in path:
        return "card"
    return "other"


def _transport(shared: _Politeness):
    import httpx2
    from huggingface_hub.utils import parse_ratelimit_headers

    retry_exc = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)

    class PoliteTransport(httpx2.BaseTransport):
        def __init__(self) -> None:
            self.inner = httpx2.HTTPTransport(limits=httpx2.Limits(max_connections=64, max_keepalive_connections=32))

        def close(self) -> None:
            self.inner.close()

        def handle_request(self, request: httpx2.Request) -> httpx2.Response:
            p = shared.policy
            t = p.timeout
            request.extensions = {
                **request.extensions,
                "timeout": {"connect": t, "read": t, "write": t, "pool": t},
            }
            path = request.url.path
            if path.endswith(_TELEMETRY_PATHS):
                # huggingface_hub's own best-effort lookups (it swallows their errors): one try
                return self.inner.handle_request(request)
            kind = _kind(path)
            where = f"{request.method} {request.url.scheme}://{request.url.netloc.decode()}{path}"
            started = time.monotonic()
            last = "no answer"
            status = None
            for attempt in range(p.max_retries + 1):
                shared.wait_gate()
                shared.count("requests")
                try:
                    resp = self.inner.handle_request(request)
                    body = _read(resp)
                except retry_exc as exc:
                    last = f"{type(exc).__name__}: {str(exc) or 'connection dropped'}"
                    status = None
                    delay = shared.backoff(attempt)
                else:
                    status = resp.status_code
                    info = parse_ratelimit_headers(resp.headers)
                    if status not in _RETRY_STATUS:
                        if info is not None and info.remaining == 0:
                            shared.close_gate(min(info.reset_in_seconds, p.max_wait) + shared.jitter())
                        self._account(kind, status, request)
                        return _rebuilt(resp, body)
                    last = f"HTTP {status}"
                    advised = _advised_wait(resp.headers, info, status)
                    if advised is not None:
                        if advised > p.max_wait:
                            raise HubError(
                                f"the Hub asks to wait {advised:.0f} s before {where} "
                                f"(HTTP {status}); that is more than the allowed {p.max_wait:.0f} s: "
                                "resume later (--resume)",
                                url=str(request.url),
                                status=status,
                            )
                        delay = advised + shared.jitter()
                    else:
                        delay = shared.backoff(attempt)
                    if status == 429:
                        shared.count("rate_limited")
                        shared.close_gate(delay)  # every worker pauses, not just this one
                if attempt == p.max_retries:
                    break
                log.info(
                    "%s failed (%s); retry %d/%d in %.2f s",
                    where,
                    last,
                    attempt + 1,
                    p.max_retries,
                    delay,
                )
                shared.count("retries")
                shared.count("waited_seconds", delay)
                time.sleep(delay)
            raise HubError(
                f"the Hub did not answer {where} after {p.max_retries + 1} attempts over "
                f"{time.monotonic() - started:.1f} s (last: {last}); it may be down or rate limiting: "
                "try again later with --resume",
                url=str(request.url),
                status=status,
            )

        @staticmethod
        def _account(kind: str, status: int, request: httpx2.Request) -> None:
            if kind == "list" and 200 <= status < 300 and request.method == "GET":
                shared.count("pages")
                loc = shared.local
                loc.pages = getattr(loc, "pages", 0) + 1
                loc.url = url = str(request.url)
                if "cursor=" in url:  # a page sent twice in one run means the pagination loops
                    seen = loc.__dict__.setdefault("cursors", set())
                    if url in seen:
                        raise HubError(
                            f"the Hub sent the same listing page twice ({url}); its pagination loops, "
                            "stopping instead of fetching forever",
                            url=url,
                        )
                    seen.add(url)
            elif kind == "info":
                shared.count("model_info")
            elif kind == "card":
                shared.count("card_requests")

    def _read(resp: httpx2.Response) -> bytes | None:
        size = resp.headers.get("Content-Length")
        if size is not None and size.isdigit() and int(size) > _BUFFER_LIMIT:
            return None  # large download: streamed to the caller as is
        try:
            return b"".join(resp.iter_raw())
        finally:
            resp.close()

    def _rebuilt(resp: httpx2.Response, body: bytes | None) -> httpx2.Response:
        if body is None:
            return resp
        return httpx2.Response(
            resp.status_code,
            headers=resp.headers,
            stream=httpx2.ByteStream(body),
            extensions=resp.extensions,
        )

    return PoliteTransport


def _advised_wait(headers: Any, info: Any, status: int) -> float | None:
    """Seconds the server asks us to wait: ``RateLimit`` (quota used up) or ``Retry-After``."""
    if status == 429 and info is not None and info.remaining == 0:
        return float(info.reset_in_seconds)
    value = headers.get("Retry-After")
    if value is not None:
        value = value.strip()
        if value.isdigit():
            return float(value)
        with contextlib.suppress(TypeError, ValueError):
            from email.utils import parsedate_to_datetime

            when = parsedate_to_datetime(value)
            return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
    return None


@contextlib.contextmanager
def _hub_session(policy: RetryPolicy) -> Iterator[_Politeness]:
    """Route huggingface_hub's HTTP client through the polite transport for the duration."""
    import httpx2
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils import _http as hf_http
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    with _SESSION_LOCK:
        shared = _Politeness(policy)
        transport_cls = _transport(shared)
        previous = getattr(hf_http, "_GLOBAL_CLIENT_FACTORY", hf_http.default_client_factory)

        def factory() -> httpx2.Client:
            return httpx2.Client(
                transport=transport_cls(),
                event_hooks={"request": [hf_http.hf_request_event_hook]},
                follow_redirects=True,
                timeout=policy.timeout,
            )

        bars_were_off = are_progress_bars_disabled()
        disable_progress_bars()  # one bar per file download would flood stderr
        set_client_factory(factory)
        try:
            yield shared
        finally:
            set_client_factory(previous)
            if not bars_were_off:
                enable_progress_bars()


# ============================================================================ records
_API_NAMES: tuple[tuple[str, str], ...] = (
    ("id", "id"),
    ("author", "author"),
    ("sha", "sha"),
    ("last_modified", "lastModified"),
    ("created_at", "createdAt"),
    ("private", "private"),
    ("gated", "gated"),
    ("disabled", "disabled"),
    ("downloads", "downloads"),
    ("downloads_all_time", "downloadsAllTime"),
    ("likes", "likes"),
    ("library_name", "library_name"),
    ("gguf", "gguf"),
    ("inference", "inference"),
    ("inference_provider_mapping", "inferenceProviderMapping"),
    ("tags", "tags"),
    ("pipeline_tag", "pipeline_tag"),
    ("mask_token", "mask_token"),
    ("trending_score", "trendingScore"),
    ("used_storage", "usedStorage"),
    ("card_data", "cardData"),
    ("widget_data", "widgetData"),
    ("model_index", "model-index"),
    ("config", "config"),
    ("transformers_info", "transformersInfo"),
    ("siblings", "siblings"),
    ("spaces", "spaces"),
    ("safetensors", "safetensors"),
    ("security_repo_status", "securityRepoStatus"),
    ("eval_results", "evalResults"),
    ("base_models", "baseModels"),
    ("children_model_count", "childrenModelCount"),
    ("resource_group", "resourceGroup"),
)
_API_NAME: dict[str, str] = dict(_API_NAMES)
_MODELINFO_ATTRS = frozenset(a for a, _ in _API_NAMES) | {
    "lastModified",
    "cardData",
    "transformersInfo",
}


def _iso(t: dt.datetime) -> str:
    """``2024-01-02T03:04:05.000Z``, the Hub's timestamp format."""
    if t.tzinfo is not dt.UTC:
        t = t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)
    return t.isoformat(timespec="milliseconds")[:-6] + "Z"


def _plain(v: Any) -> Any:
    """JSON-able form of a value huggingface_hub parsed into an object."""
    t = type(v)
    if t in _SCALARS or t is dict:
        return v
    if t is list:
        return v if all(type(x) in _SCALARS for x in v) else [_plain(x) for x in v]
    if isinstance(v, dt.datetime):
        return _iso(v)
    if hasattr(v, "_to_dict") and hasattr(v, "__dict__"):  # CardData: to_dict without its deepcopy
        d = dict(v.__dict__)
        v._to_dict(d)
        return {k: x for k, x in d.items() if x is not None}
    if hasattr(v, "to_dict"):
        return v.to_dict()
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {k: _plain(x) for k, x in dataclasses.asdict(v).items() if x is not None}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


_SCALARS = frozenset({str, int, float, bool, type(None)})
_STR_LISTS = frozenset({"tags", "spaces"})  # lists of strings exactly as the API sent them


def model_record(info: Any) -> dict[str, Any]:
    """A ``huggingface_hub`` ``ModelInfo`` back in the API's camelCase shape.

    Fields the Hub did not send (``None``) are left out; fields huggingface_hub
    does not know are kept, first (as the Hub sends ``_id`` first).

    Examples
    --------
    >>> from huggingface_hub.hf_api import ModelInfo
    >>> info = ModelInfo(id="org/m", createdAt="2024-01-02T03:04:05.000Z", tags=["x"],
    ...                  cardData={"license": "mit"}, safetensors={"parameters": {"F16": 7}, "total": 7})
    >>> model_record(info)  # doctest: +NORMALIZE_WHITESPACE
    {'id': 'org/m', 'createdAt': '2024-01-02T03:04:05.000Z', 'tags': ['x'],
     'cardData': {'license': 'mit'}, 'safetensors': {'parameters': {'F16': 7}, 'total': 7}}
    """
    unknown: dict[str, Any] = {}
    out: dict[str, Any] = {}
    names = _API_NAME
    for attr, v in info.__dict__.items():
        name = names.get(attr)
        if name is None:
            if attr not in _MODELINFO_ATTRS:
                unknown[attr] = v
            continue
        if v is None:
            continue
        t = type(v)
        if t in _SCALARS:
            pass
        elif t is dt.datetime:
            v = _iso(v)
        elif attr == "safetensors":
            v = {"parameters": v.parameters, "total": v.total}
        elif attr == "siblings":
            v = [_sibling(s) for s in v]
        elif attr in _STR_LISTS:
            pass
        else:
            v = _plain(v)
        out[name] = v
    return {**unknown, **out} if unknown else out


def _sibling(s: Any) -> dict[str, Any]:
    lfs = s.lfs and {"size": s.lfs.size, "sha256": s.lfs.sha256, "pointerSize": s.lfs.pointer_size}
    pairs = (("rfilename", s.rfilename), ("size", s.size), ("blobId", s.blob_id), ("lfs", lfs))
    return {k: x for k, x in pairs if x is not None}


# ============================================================================ work directory
class _Work:
    """The work directory of one fetch: part files + ``state.json`` (the commit point)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.parts = path / "parts"
        self.state: dict[str, Any] = {}
        self._seq = 0

    def exists(self) -> bool:
        return (self.path / _STATE).exists()

    def create(self, state: dict[str, Any]) -> None:
        if self.path.exists():
            shutil.rmtree(self.path)
        self.parts.mkdir(parents=True)
        self.state = state
        self.save()

    def load(self) -> None:
        try:
            self.state = json.loads((self.path / _STATE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SnapshotError(
                f"{self.path / _STATE}: unreadable fetch checkpoint ({exc}); start again with --restart"
            ) from exc
        if self.state.get("version") != _STATE_VERSION:
            raise SnapshotError(f"{self.path}: checkpoint of another hftree version; start again with --restart")
        listed = set(self.listed_parts())
        self.parts.mkdir(parents=True, exist_ok=True)
        for f in self.parts.iterdir():  # written but never committed by state.json: redo them
            if f.name not in listed:
                f.unlink()
        nums = [int(n.split("-")[1].split(".")[0]) for n in listed]
        self._seq = max(nums, default=0)

    def listed_parts(self) -> list[str]:
        return [*self.state.get("parts", []), *self.state.get("card_parts", [])]

    def save(self) -> None:
        _atomic_write(self.path / _STATE, json.dumps(self.state, indent=1).encode())

    def write_part(self, prefix: str, rows: Sequence[dict[str, Any]]) -> str:
        self._seq += 1
        name = f"{prefix}-{self._seq:06d}.jsonl"
        _atomic_write(self.parts / name, b"".join(orjson.dumps(r) + b"\n" for r in rows))
        return name

    def read_part(self, name: str) -> Iterator[dict[str, Any]]:
        with open(self.parts / name, "rb") as fh:
            for line in fh:
                if line.strip():
                    yield orjson.loads(line)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# ============================================================================ the fetch
@dataclass
class _Run:
    """Everything one fetch needs while it runs."""

    api: Any
    work: _Work
    session: _Politeness
    query: dict[str, Any]
    token: str | bool | None
    endpoint: str
    bar: Any
    checkpoint_every: int
    checkpoint_seconds: float
    workers: int
    card_workers: int
    cache_dir: str | None
    base_stats: dict[str, float]

    def commit(self) -> None:
        st = dict(self.base_stats)
        for k, v in self.session.stats.items():
            st[k] = st.get(k, 0) + v
        self.work.state["stats"] = st
        self.work.save()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _bar(progress: bool, **kw: Any):
    from tqdm.auto import tqdm

    return tqdm(
        disable=not progress,
        file=sys.stderr,
        mininterval=0.5,
        dynamic_ncols=True,
        unit="model",
        **kw,
    )


def fetch(
    output: str | os.PathLike[str] | None = None,
    *,
    author: str | None = None,
    search: str | None = None,
    filter: str | Sequence[str] | None = None,
    pipeline_tag: str | None = None,
    limit: int | None = None,
    sort: SortKey | None = None,
    family: str | Sequence[str] | None = None,
    max_depth: int | None = None,
    relation: str | Sequence[str] | None = None,
    cards: bool = False,
    update: str | os.PathLike[str] | None = None,
    resume: bool = False,
    restart: bool = False,
    work_dir: str | os.PathLike[str] | None = None,
    keep_work: bool = False,
    endpoint: str | None = None,
    token: str | bool | None = None,
    retry: RetryPolicy | None = None,
    workers: int = 4,
    card_workers: int = 8,
    cache_dir: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    progress: bool = True,
    checkpoint_every: int = 10_000,
    checkpoint_seconds: float = 10.0,
    update_margin: float = 3600.0,
) -> Snapshot:
    """Fetch model metadata from the Hub into a snapshot directory.

    Listing mode (default): every model matching the filters. Family mode
    (``family=``): each root (``model_info``) and its descendants, crawled
    breadth-first by listing the models tagged ``base_model:<id>`` (or
    ``base_model:<relation>:<id>`` for each of ``relation``) for every model of
    the frontier. Every listing asks for :data:`FETCH_EXPAND`.

    Parameters
    ----------
    output : path
        The snapshot directory to write (atomically); with ``update`` it defaults
        to the updated snapshot, replaced in place.
    author, search, filter, pipeline_tag, limit, sort
        Listing filters, as :meth:`huggingface_hub.HfApi.list_models`.
    family : str or list of str
        Root model ids: fetch their families instead of a listing.
    max_depth : int, optional
        Family mode: generations below the root to crawl (default: all).
    relation : str or list of str, optional
        Family mode: follow only these relations (``finetune``, ``adapter``,
        ``quantized``, ``merge``).
    cards : bool
        Also read each model's README.md into the card table (``card_status``
        says ``ok``, ``missing``, ``gated``, ``not_found`` or ``http_<code>``).
    update : path, optional
        A snapshot written by ``fetch``: refresh it with the models created or
        modified since it was taken (a listing sorted by ``lastModified`` that
        stops at the first older model; family snapshots are re-crawled). Cards
        of models whose ``lastModified`` did not change are kept.
    resume : bool
        Continue the interrupted fetch whose checkpoint is in the work directory.
    restart : bool
        Discard such a checkpoint and start again.
    work_dir : path, optional
        Where partial progress lives (default ``.<output name>.fetch`` next to it).
    keep_work : bool
        Keep the work directory after success (for debugging).
    endpoint : str, optional
        The Hub (default: ``HF_ENDPOINT`` or https://huggingface.co).
    token : str or bool, optional
        Access token; default ``HF_TOKEN`` or the login; ``False``: anonymous.
        Private models are listed and gated READMEs read only with a token.
    retry : RetryPolicy, optional
        Timeouts, retries and backoff.
    workers, card_workers : int
        Concurrent family queries / README downloads.
    cache_dir : path, optional
        huggingface_hub cache for READMEs (default: its usual cache); READMEs are
        requested at the listed commit, so unchanged ones are not downloaded again.
    overwrite : bool
        Replace an existing ``output``.
    progress : bool
        Progress bar on stderr.
    checkpoint_every, checkpoint_seconds
        Commit a checkpoint after this many records or seconds (at page boundaries).
    update_margin : float
        Seconds before the previous fetch's start that an update looks back
        (clock differences, models modified during that fetch).

    Returns
    -------
    Snapshot
        The saved snapshot; ``manifest["fetch"]`` holds the query, versions,
        start/end time and request counts.

    Raises
    ------
    HubError
        The Hub stayed unreachable or refused the query (the checkpoint is kept).
    ModelNotFoundError
        A family root does not exist (or is private and no token was given).
    SnapshotError
        ``output`` exists, a checkpoint exists without ``resume``/``restart``,
        ``resume`` finds none or one of another query, or ``update`` is not a
        fetched snapshot.
    """
    retry = retry or RetryPolicy()
    if workers < 1 or card_workers < 1:
        raise FetchArgumentError("workers and card_workers must be >= 1")
    if checkpoint_every < 1:
        raise FetchArgumentError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
    if limit is not None and limit < 1:
        raise FetchArgumentError(f"limit must be >= 1, got {limit}")
    if max_depth is not None and max_depth < 1:
        raise FetchArgumentError(f"max_depth must be >= 1, got {max_depth}")
    if sort is not None and sort not in SORT_KEYS:
        raise FetchArgumentError(f"sort must be one of {', '.join(SORT_KEYS)}, got {sort!r}")
    if resume and restart:
        raise FetchArgumentError("resume and restart exclude each other")
    from huggingface_hub import HfApi, constants, get_token

    old: Snapshot | None = None
    if update is not None:
        old = load_snapshot(update)
        if "fetch" not in old.manifest:
            raise SnapshotError(f"{update} was not written by hftree fetch; --update needs a fetched snapshot")
        query = dict(old.manifest["fetch"]["query"])
        if any(
            v
            for v in (
                author,
                search,
                filter,
                pipeline_tag,
                limit,
                sort,
                family,
                max_depth,
                relation,
            )
        ):
            raise FetchArgumentError("update repeats the query of the snapshot; do not give filters with it")
        if query.get("limit") is not None:
            raise SnapshotError(
                f"{update} was fetched with a limit (the top {query['limit']}); an update cannot keep "
                "that meaning: fetch it again"
            )
        endpoint = _check_endpoint(endpoint or query["endpoint"])
        query["endpoint"] = endpoint
        cards = bool(query.get("cards"))
        output = Path(update) if output is None else Path(output)
        overwrite = overwrite or output.resolve() == Path(update).resolve()
        if query["mode"] == "listing":
            since = pd.Timestamp(old.manifest["fetch"]["started_at"]) - pd.Timedelta(seconds=update_margin)
            query["since"] = since.isoformat()
        query["update_of"] = str(old.manifest["fetch"].get("run_id"))
    else:
        if output is None:
            raise FetchArgumentError("give an output directory")
        output = Path(output)
        endpoint = _check_endpoint(endpoint or constants.ENDPOINT)
        roots = [family] if isinstance(family, str) else list(family or [])
        query = {
            "mode": "family" if roots else "listing",
            "endpoint": endpoint,
            "author": author,
            "search": search,
            "filter": [filter] if isinstance(filter, str) else list(filter or []),
            "pipeline_tag": pipeline_tag,
            "limit": limit,
            "sort": sort,
            "family": roots,
            "max_depth": max_depth,
            "relations": list(
                check_relations(relation if relation is None or isinstance(relation, str) else list(relation)) or []
            )
            or None,
            "cards": bool(cards),
            "expand": list(FETCH_EXPAND),
        }
        if query["relations"] and "unknown" in query["relations"]:
            raise FetchArgumentError(
                "relation 'unknown' has no tag on the Hub; choose among "
                + ", ".join(r for r in RELATIONS if r != "unknown")
            )
        if roots and any(query[k] for k in ("author", "search", "filter", "pipeline_tag", "limit", "sort")):
            raise FetchArgumentError(
                "family mode takes no listing filters (author, search, filter, pipeline_tag, limit, sort)"
            )
    if query["mode"] != "family" and (query.get("max_depth") or query.get("relations")):
        raise FetchArgumentError("max_depth and relation need family=")

    work = _Work(Path(work_dir) if work_dir is not None else output.parent / f".{output.name}.fetch")
    if work.exists():
        if restart:
            work.remove()
        elif not resume:
            raise SnapshotError(
                f"{work.path} holds an interrupted fetch; add --resume to continue it or --restart to discard it"
            )
    elif resume:
        raise SnapshotError(f"nothing to resume: no fetch checkpoint in {work.path}")
    if output.exists() and not overwrite and not resume:
        raise SnapshotError(f"{output} already exists; pass overwrite=True (CLI: --force) to replace it")

    if resume and work.exists():
        work.load()
        saved = work.state["query"]
        if saved != query and not (update is not None and _same_update(saved, query)):
            raise SnapshotError(
                f"{work.path} holds a fetch of another query ({_describe(saved)}); "
                "resume with the same options, or --restart"
            )
        query = saved
        work.state["resumes"] = work.state.get("resumes", 0) + 1
        if output.exists() and _is_run(output, work.state["run_id"]):
            work.remove()  # interrupted after the snapshot was saved: nothing left to do
            return load_snapshot(output)
        if output.exists() and not (overwrite or work.state.get("overwrite")):
            raise SnapshotError(f"{output} already exists; pass overwrite=True (CLI: --force) to replace it")
        for stale in output.parent.glob(f".{output.name}.tmp-*"):  # an interrupted save
            shutil.rmtree(stale, ignore_errors=True)
    else:
        work.create(
            {
                "version": _STATE_VERSION,
                "run_id": uuid.uuid4().hex,
                "query": query,
                "started_at": _now().isoformat(timespec="milliseconds"),
                "resumes": 0,
                "parts": [],
                "card_parts": [],
                "listing": {"cursor": None, "done": False, "pages": 0, "records": 0},
                "family": {"nodes": {}, "queried": [], "done": False},
                "cards_done": False,
                "stats": {},
                "overwrite": bool(overwrite),
            }
        )

    if token is None:
        token = get_token()
    api = HfApi(endpoint=endpoint, token=token, library_name="hftree", library_version=__version__)
    with _hub_session(retry) as session, _hf_errors(token):
        run = _Run(
            api=api,
            work=work,
            session=session,
            query=query,
            token=token,
            endpoint=endpoint,
            bar=None,
            checkpoint_every=checkpoint_every,
            checkpoint_seconds=checkpoint_seconds,
            workers=workers,
            card_workers=card_workers,
            cache_dir=None if cache_dir is None else str(cache_dir),
            base_stats=dict(work.state.get("stats", {})),
        )
        try:
            if query["mode"] == "listing":
                _listing(run, progress)
            else:
                _family(run, progress)
            if query["cards"]:
                _cards(run, old, progress)
        finally:
            run.commit()
        snap = _build(run, old)
    snap.save(output, overwrite=bool(overwrite or work.state.get("overwrite")))
    if not keep_work:
        work.remove()
    return load_snapshot(output)  # exactly what is on disk (and what a resumed run returns)


def _check_endpoint(endpoint: str) -> str:
    if not endpoint.startswith(("http://", "https://")):
        raise FetchArgumentError(f"the endpoint must be an http:// or https:// URL, got {endpoint!r}")
    return endpoint.rstrip("/")


def _same_update(saved: dict, query: dict) -> bool:
    a = {k: v for k, v in saved.items() if k != "since"}
    b = {k: v for k, v in query.items() if k != "since"}
    return a == b


def _describe(q: dict[str, Any]) -> str:
    if q.get("mode") == "family":
        return "family " + ", ".join(q.get("family", []))
    parts = [f"{k}={q[k]!r}" for k in ("author", "search", "filter", "pipeline_tag", "limit", "sort") if q.get(k)]
    return "listing " + (" ".join(parts) or "of all models")


def _is_run(path: Path, run_id: str) -> bool:
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    return manifest.get("fetch", {}).get("run_id") == run_id


@contextlib.contextmanager
def _hf_errors(token: str | bool | None) -> Iterator[None]:
    """Turn huggingface_hub's HTTP errors into one-line hftree errors (never showing the token)."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    try:
        yield
    except OfflineModeIsEnabled as exc:
        raise HubError("huggingface_hub is in offline mode (HF_HUB_OFFLINE is set); unset it to fetch") from exc
    except HfHubHTTPError as exc:
        resp = exc.response
        status = getattr(resp, "status_code", None)
        url = str(getattr(getattr(resp, "request", None), "url", "")) or None
        detail = (exc.server_message or "").strip() or str(exc).splitlines()[0]
        hint = ""
        if status in (401, 403):
            hint = "; check the token (HF_TOKEN or `hf auth login`) and its permissions"
        elif status == 400:
            hint = "; check the filters"
        msg = _scrub(f"the Hub refused {url or 'a request'} (HTTP {status}): {detail}{hint}", token)
        raise HubError(msg, url=url, status=status) from None
    except httpx2.TransportError as exc:  # what the retry loop does not retry (bad URL, proxy, TLS)
        url = str(exc.request.url) if exc._request is not None else None
        raise HubError(_scrub(f"cannot reach {url or 'the Hub'}: {exc}", token), url=url) from None


def _scrub(text: str, token: str | bool | None) -> str:
    if isinstance(token, str) and token:
        text = text.replace(token, "***")
    return text


# ---------------------------------------------------------------------------- listing
def _listing_iter(
    run: _Run,
    cursor: str | None,
    sort: str | None,
    limit: int | None,
) -> Iterator[Any]:
    """ModelInfo objects of the query, from its start or from a saved ``Link`` cursor."""
    q = run.query
    if cursor is None:
        yield from run.api.list_models(
            author=q["author"],
            search=q["search"],
            filter=q["filter"] or None,
            pipeline_tag=q["pipeline_tag"],
            sort=sort,
            limit=limit,
            expand=list(q["expand"]),
            token=run.token,
        )
        return
    # list_models has no cursor argument: continue with the helper it paginates with
    from huggingface_hub.hf_api import ModelInfo
    from huggingface_hub.utils import build_hf_headers
    from huggingface_hub.utils._pagination import paginate

    headers = build_hf_headers(token=run.token, library_name="hftree", library_version=__version__)
    from urllib.parse import parse_qsl, urlsplit

    # httpx2 replaces a URL's query by ``params``: pass the cursor URL's query as params
    parts = urlsplit(cursor)
    base = parts._replace(query="").geturl()
    for item in paginate(base, params=parse_qsl(parts.query, keep_blank_values=True), headers=headers):
        if "siblings" not in item:
            item["siblings"] = None
        yield ModelInfo(**item)


def _listing(run: _Run, progress: bool) -> None:
    st = run.work.state["listing"]
    if st["done"]:
        return
    q = run.query
    since = pd.Timestamp(q["since"]) if q.get("since") else None
    sort = "last_modified" if since is not None else q["sort"]
    limit = q["limit"]
    loc = run.session.local
    loc.pages = 0
    seen = 0
    complete: list[dict] = []  # records of fully received pages, not yet committed
    current: list[dict] = []  # records of the page being read
    cursor = st["cursor"]
    n_total = st["records"]
    last_flush = time.monotonic()
    run.bar = bar = _bar(progress, desc="listing", initial=n_total, total=limit)

    def flush(done: bool) -> None:
        nonlocal complete, last_flush
        if complete:
            run.work.state["parts"].append(run.work.write_part("models", complete))
        st["records"] += len(complete)
        st["cursor"] = None if done else cursor
        st["done"] = done
        complete = []
        last_flush = time.monotonic()
        run.commit()

    try:
        for info in _listing_iter(run, cursor, sort, None if limit is None else limit - n_total):
            if loc.pages != seen:  # a new page arrived: the records before it are complete
                seen = loc.pages
                complete.extend(current)
                current = []
                cursor = loc.url
                st["pages"] += 1
                if len(complete) >= run.checkpoint_every or time.monotonic() - last_flush >= run.checkpoint_seconds:
                    flush(False)
            rec = model_record(info)
            if since is not None and rec.get("lastModified") and pd.Timestamp(rec["lastModified"]) < since:
                break  # sorted by lastModified: everything after is older
            current.append(rec)
            n_total += 1
            bar.update(1)
            if limit is not None and n_total >= limit:
                break
        complete.extend(current)
        current = []
        flush(True)
    except BaseException:
        if complete:  # keep what is complete (Ctrl-C, Hub down)
            with contextlib.suppress(Exception):
                flush(False)
        raise
    finally:
        bar.close()


# ---------------------------------------------------------------------------- family crawl
def _family(run: _Run, progress: bool) -> None:
    fam = run.work.state["family"]
    if fam["done"]:
        return
    q = run.query
    nodes: dict[str, int] = fam["nodes"]
    queried: set[str] = set(fam["queried"])
    max_depth = q["max_depth"]
    api = run.api
    expand = list(q["expand"])

    def pending() -> list[str]:
        todo = [(d, m) for m, d in nodes.items() if m not in queried and (max_depth is None or d < max_depth)]
        if not todo:
            return []
        level = min(d for d, _ in todo)
        return sorted(m for d, m in todo if d == level)

    run.bar = bar = _bar(progress, desc="family crawl", initial=len(queried), total=len(nodes) or None)
    buffer: list[dict] = []
    newly: list[str] = []
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal buffer, newly, last_flush
        if buffer:
            run.work.state["parts"].append(run.work.write_part("models", buffer))
        fam["queried"].extend(newly)
        buffer, newly = [], []
        last_flush = time.monotonic()
        run.commit()

    def children(model_id: str) -> list[dict]:
        tags = [f"base_model:{r}:{model_id}" for r in q["relations"]] if q["relations"] else [f"base_model:{model_id}"]
        found: dict[str, dict] = {}
        for tag in tags:
            for info in api.list_models(filter=tag, expand=expand, token=run.token):
                found[info.id] = model_record(info)
        return list(found.values())

    try:
        for root in q["family"]:
            if root in nodes:
                continue
            from huggingface_hub.errors import RepositoryNotFoundError

            try:
                info = api.model_info(root, expand=expand, token=run.token)
            except RepositoryNotFoundError:
                raise ModelNotFoundError(
                    root,
                    f"family root {root!r} is not on the Hub at {run.endpoint} "
                    "(check the id; a private model needs a token)",
                ) from None
            buffer.append(model_record(info))
            nodes[root] = 0
        flush()
        while batch := pending():
            level = nodes[batch[0]]
            bar.total = len(nodes)
            with ThreadPoolExecutor(run.workers, thread_name_prefix="hftree-crawl") as pool:
                futures: dict[Future, str] = {}
                todo = iter(batch)
                try:
                    # keep at most 2*workers queries in flight: a failure stops the crawl quickly
                    for m in todo:
                        futures[pool.submit(children, m)] = m
                        if len(futures) >= 2 * run.workers:
                            break
                    while futures:
                        done, _ = wait(futures, return_when=FIRST_COMPLETED)
                        for fut in done:
                            m = futures.pop(fut)
                            recs = fut.result()
                            for r in recs:
                                if r["id"] not in nodes:
                                    nodes[r["id"]] = level + 1
                            buffer.extend(recs)
                            newly.append(m)
                            queried.add(m)
                            bar.total = len(nodes)
                            bar.update(1)
                            nxt = next(todo, None)
                            if nxt is not None:
                                futures[pool.submit(children, nxt)] = nxt
                        if (
                            len(buffer) >= run.checkpoint_every
                            or time.monotonic() - last_flush >= run.checkpoint_seconds
                        ):
                            flush()
                except BaseException:
                    for f in futures:
                        f.cancel()
                    raise
            flush()
        fam["done"] = True
        flush()
    except BaseException:
        with contextlib.suppress(Exception):
            flush()
        raise
    finally:
        bar.close()


# ---------------------------------------------------------------------------- cards
def _fetched_records(work: _Work) -> Iterator[dict[str, Any]]:
    for name in work.state["parts"]:
        yield from work.read_part(name)


def _cards(run: _Run, old: Snapshot | None, progress: bool) -> None:
    work = run.work
    if work.state["cards_done"]:
        return
    latest: dict[str, tuple[str | None, str | None]] = {}  # id -> (sha, lastModified)
    for r in _fetched_records(work):
        latest[r["id"]] = (r.get("sha"), r.get("lastModified"))
    done: set[str] = set()
    for name in work.state["card_parts"]:
        done.update(c["id"] for c in work.read_part(name))
    reuse: list[dict] = []
    if old is not None and old.cards is not None:  # cards of unchanged models: keep
        modified = dict(zip(old.models["id"], old.models["last_modified"], strict=True))
        status = old.cards.get("card_status")
        for i, (mid, text) in enumerate(zip(old.cards["id"], old.cards["card"], strict=True)):
            if mid in latest and mid not in done and latest[mid][1] is not None:
                was = modified.get(mid)
                if was is not None and pd.notna(was) and was == pd.Timestamp(latest[mid][1]):
                    reuse.append(
                        {
                            "id": mid,
                            "card": None if pd.isna(text) else text,
                            "status": "ok" if status is None else status.iloc[i],
                            "reused": True,
                        }
                    )
    if reuse:
        work.state["card_parts"].append(work.write_part("cards", reuse))
        done.update(c["id"] for c in reuse)
        run.commit()
    todo = sorted(m for m in latest if m not in done)
    run.bar = bar = _bar(progress, desc="cards", total=len(latest), initial=len(done), unit_scale=False)
    buffer: list[dict] = []
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal buffer, last_flush
        if buffer:
            work.state["card_parts"].append(work.write_part("cards", buffer))
        buffer = []
        last_flush = time.monotonic()
        run.commit()

    def one(mid: str) -> dict:
        sha = latest[mid][0]
        text, status = _download_card(run, mid, sha)
        return {"id": mid, "card": text, "status": status}

    try:
        with ThreadPoolExecutor(run.card_workers, thread_name_prefix="hftree-cards") as pool:
            it = iter(todo)
            futures: set[Future] = set()
            try:
                for m in it:
                    futures.add(pool.submit(one, m))
                    if len(futures) >= 2 * run.card_workers:
                        break
                while futures:
                    finished, futures = wait(futures, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        buffer.append(fut.result())
                        bar.update(1)
                        nxt = next(it, None)
                        if nxt is not None:
                            futures.add(pool.submit(one, nxt))
                    if len(buffer) >= run.checkpoint_every or time.monotonic() - last_flush >= run.checkpoint_seconds:
                        flush()
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        work.state["cards_done"] = True
        flush()
    except BaseException:
        with contextlib.suppress(Exception):
            flush()
        raise
    finally:
        bar.close()


def _download_card(run: _Run, model_id: str, sha: str | None) -> tuple[str | None, str]:
    """README text and status.

    ``ok``; ``missing`` (no README); ``gated`` (no access); ``not_found`` (the
    repository is gone); ``http_<code>`` for any other refusal of that one file
    (e.g. ``http_403``), so one unreadable README does not stop the fetch. Failures
    the transport retried in vain (Hub down) still end the fetch with :class:`HubError`.
    """
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    revisions = [sha, "main"] if sha else ["main"]
    for rev in revisions:
        try:
            path = hf_hub_download(
                model_id,
                "README.md",
                revision=rev,
                endpoint=run.endpoint,
                token=run.token,
                cache_dir=run.cache_dir,
            )
        except EntryNotFoundError:
            return None, "missing"
        except GatedRepoError:
            return None, "gated"
        except RevisionNotFoundError:
            continue  # the model changed since it was listed: read the current README
        except RepositoryNotFoundError:
            return None, "not_found"
        except HfHubHTTPError as exc:
            status = getattr(exc.response, "status_code", None)
            if status is None or not 400 <= status < 500:
                raise
            return None, f"http_{status}"
        return Path(path).read_bytes().decode("utf-8", errors="replace"), "ok"
    return None, "not_found"


# ---------------------------------------------------------------------------- the snapshot
def _build(run: _Run, old: Snapshot | None) -> Snapshot:
    work, q = run.work, run.query
    state = work.state
    started = pd.Timestamp(state["started_at"])
    parts = [work.parts / p for p in state["parts"]]
    files: list[Path] = []
    n_fetched = 0
    if q["mode"] == "family":  # the same child found through several parents: keep the newest
        best: dict[str, dict] = {}
        for r in _fetched_records(work):
            n_fetched += 1
            prev = best.get(r["id"])
            if prev is None or (r.get("lastModified") or "") >= (prev.get("lastModified") or ""):
                best[r["id"]] = r
        if best:
            path = work.path / "records.jsonl"
            _atomic_write(path, b"".join(orjson.dumps(best[k]) + b"\n" for k in sorted(best)))
            files.append(path)
    else:  # one file: the importer's cost is per file, and page order is kept
        n_fetched = state["listing"]["records"]
        if n_fetched:
            path = work.path / "records.jsonl"
            tmp = path.with_name(".records.jsonl.tmp")
            with open(tmp, "wb") as out:
                for p in parts:
                    with open(p, "rb") as fh:
                        shutil.copyfileobj(fh, out, 1 << 20)
            os.replace(tmp, path)
            files.append(path)
    card_rows: dict[str, dict] = {}
    for name in state["card_parts"]:
        for c in work.read_part(name):
            card_rows[c["id"]] = c
    card_file = None
    if q["cards"] and card_rows:
        card_file = work.path / "cards.jsonl"
        _atomic_write(
            card_file,
            b"".join(orjson.dumps({"id": k, "card": card_rows[k]["card"]}) + b"\n" for k in sorted(card_rows)),
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if files:
            new = import_sources(files, cards=[card_file] if card_file else [], snapshot_time=started)
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
        "huggingface_hub_version": _hf_version(),
        "started_at": state["started_at"],
        "finished_at": _now().isoformat(timespec="milliseconds"),
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
            "waited_seconds": round(float(stats.get("waited_seconds", 0.0)), 3),
            "family_queries": len(state["family"]["queried"]),
            **{f"cards_{k}": int(v) for k, v in sorted(status_counts.items())},
        },
    }
    manifest = dict(new.manifest)
    manifest["sources"] = [{"path": q["endpoint"], "kind": "hub", "query": _describe(q)}]
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
            "created_at": _now().isoformat(timespec="seconds"),
            "snapshot_time": started.isoformat(),
            "sources": [],
            "counts": {},
            "data_quality": {},
        },
    )


def _hf_version() -> str:
    import huggingface_hub

    return huggingface_hub.__version__
