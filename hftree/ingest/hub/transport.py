"""The HTTP side of a fetch: a polite, robust transport under ``huggingface_hub``.

hftree only configures the HTTP client ``huggingface_hub`` uses
(:func:`huggingface_hub.set_client_factory`) with a transport that makes every
request polite and robust:

* a per-request timeout (``huggingface_hub`` sends listings without one);
* bounded retries with jittered exponential backoff on 408/429/5xx, timeouts
  and dropped connections (the body is read inside the retry, so a connection
  reset half-way through a page is retried too);
* on 429 the ``Retry-After`` / ``RateLimit`` headers are honoured, and every
  worker pauses; a ``RateLimit`` header saying the quota is used up pauses all
  requests until the window resets, before the Hub has to refuse one;
* a clear :class:`HubError` when the Hub stays down (``huggingface_hub``'s own
  retry loop never sees a retryable failure, so retries do not multiply).

:func:`hub_session` and :func:`hf_errors` are shared by :func:`~hftree.ingest.hub.fetch`
and :func:`~hftree.ingest.track.track`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hftree._random import RandomState, check_random_state
from hftree.errors import HubError, ParameterError

__all__ = ["Politeness", "RetryPolicy", "hf_errors", "hf_version", "hub_session"]

log = logging.getLogger("hftree.fetch")

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
    random_state : int, Generator or None
        Seed of the jitter (via :func:`hftree._random.check_random_state`). ``None``,
        the default, draws fresh entropy: clients started together must not wait
        in step, which is what the jitter is for.

    Examples
    --------
    >>> RetryPolicy(backoff=0.01, max_backoff=0.1).max_retries
    8
    >>> RetryPolicy(timeout=0)
    Traceback (most recent call last):
    ...
    hftree.errors.ParameterError: timeout: expected a number of seconds > 0, got 0
    """

    max_retries: int = 8
    backoff: float = 1.0
    max_backoff: float = 60.0
    max_wait: float = 900.0
    timeout: float = 30.0
    random_state: RandomState = None

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ParameterError("max_retries", "a whole number >= 0", self.max_retries)
        for name in ("backoff", "max_backoff", "max_wait", "timeout"):
            v = getattr(self, name)
            if not v >= 0:
                raise ParameterError(name, "a number of seconds >= 0", v)
        if self.timeout == 0:
            raise ParameterError("timeout", "a number of seconds > 0", self.timeout)


# ============================================================================ transport
class Politeness:
    """State shared by every connection of one fetch: policy, counters, rate-limit gate."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.rng = check_random_state(policy.random_state)
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
            return d * (0.5 + 0.5 * float(self.rng.random()))

    def jitter(self) -> float:
        with self.lock:
            return float(self.rng.random()) * min(1.0, self.policy.backoff)

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
    if path.startswith("/datasets/") and "/resolve/" in path:
        return "dataset_file"
    if path.endswith("/api/models"):
        return "list"
    if "/api/models/" in path:
        return "info"
    if "/resolve/" in path:
        return "card"
    return "other"


def _transport(shared: Politeness):
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
                    # dump files stream to the caller (huggingface_hub resumes them), the rest is read here
                    body = None if kind == "dataset_file" and resp.status_code in (200, 206) else _read(resp)
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
def hub_session(policy: RetryPolicy) -> Iterator[Politeness]:
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
        shared = Politeness(policy)
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


@contextlib.contextmanager
def hf_errors(token: str | bool | None) -> Iterator[None]:
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


def hf_version() -> str:
    """The installed ``huggingface_hub`` version (recorded in manifests)."""
    import huggingface_hub

    return huggingface_hub.__version__
