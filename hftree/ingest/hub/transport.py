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
  retry loop never sees a retryable failure, so retries do not multiply);
* against a hostile or broken server: a total deadline per attempt (a server
  dripping one byte per second cannot hold a request open), a cap on the size of
  an answer, a malformed listing or model answer (truncated JSON, an HTML page,
  the wrong JSON type) retried like a 5xx, records without a valid id dropped and
  counted, pagination that loops or leaves the endpoint's origin refused, and the
  token never sent to another origin;
* an unresolvable host name fails at once ("no network?") instead of retrying.

:func:`hub_session` and :func:`hf_errors` are shared by :func:`~hftree.ingest.hub.fetch`
and :func:`~hftree.ingest.track.track`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hftree._random import RandomState, check_random_state
from hftree.errors import HubError, ParameterError
from hftree.ingest.hub.guards import (
    Malformed,
    checked_body,
    next_link,
    no_network,
    origin,
    shield_agent_lookup,
)

__all__ = ["Politeness", "RetryPolicy", "hf_errors", "hf_version", "hub_session"]

log = logging.getLogger("hftree.fetch")

_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_BUFFER_LIMIT = 64 << 20  # dump files over this size stream to the caller (huggingface_hub resumes them)
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
        Per-request timeout (connect, read, write, pool), seconds: the longest
        silence of the server.
    deadline : float, optional
        Longest time one attempt may take in total, seconds, however slowly the
        server keeps sending (default ``4 * timeout``); then it counts as a timeout.
    max_bytes : int
        Largest answer read into memory (listing pages, model records, READMEs,
        default 64 MiB); a larger one ends the fetch with :class:`HubError`.
        Dump files are streamed to disk and not capped.
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
    deadline: float | None = None
    max_bytes: int = 64 << 20

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ParameterError("max_retries", "a whole number >= 0", self.max_retries)
        for name in ("backoff", "max_backoff", "max_wait", "timeout"):
            v = getattr(self, name)
            if not v >= 0:
                raise ParameterError(name, "a number of seconds >= 0", v)
        if self.timeout == 0:
            raise ParameterError("timeout", "a number of seconds > 0", self.timeout)
        if self.deadline is not None and not self.deadline > 0:
            raise ParameterError("deadline", "a number of seconds > 0", self.deadline)
        if isinstance(self.max_bytes, bool) or not isinstance(self.max_bytes, int) or self.max_bytes < 1:
            raise ParameterError("max_bytes", "a whole number of bytes >= 1", self.max_bytes)

    @property
    def attempt_deadline(self) -> float:
        """Seconds one attempt may take in total (``deadline``, default ``4 * timeout``)."""
        return self.deadline if self.deadline is not None else 4 * self.timeout


# ============================================================================ transport
class Politeness:
    """State shared by every connection of one fetch: policy, counters, rate-limit gate."""

    def __init__(self, policy: RetryPolicy, endpoint: str | None = None, resume_hint: str = "") -> None:
        self.policy = policy
        self.origin = None if endpoint is None else origin(endpoint)
        self.resume_hint = resume_hint
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
            "malformed_answers": 0,
            "bad_records": 0,
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
            path = request.url.path
            url = str(request.url)
            telemetry = path.endswith(_TELEMETRY_PATHS)
            kind = "other" if telemetry else _kind(path)
            if shared.origin is not None and origin(url) != shared.origin:
                request.headers.pop("Authorization", None)  # credentials never leave their origin
                if kind in ("list", "info"):
                    raise HubError(
                        f"the Hub sent a link to {url}, outside its own origin; refusing to follow it "
                        "(the token is only sent to the Hub's own origin)",
                        url=url,
                    )
            t = min(p.timeout, 3.0) if telemetry else p.timeout
            where = f"{request.method} {request.url.scheme}://{request.url.netloc.decode()}{path}"
            started = time.monotonic()
            last = "no answer"
            status = None
            tries = 1 if telemetry else p.max_retries + 1  # huggingface_hub's own best-effort lookup: one try
            for attempt in range(tries):
                shared.wait_gate()
                shared.count("requests")
                try:
                    resp, body = self._attempt(request, kind, t, p.attempt_deadline if not telemetry else 2 * t)
                    if body is not None and kind in ("list", "info") and resp.status_code == 200:
                        body = checked_body(kind, body, shared)
                except retry_exc as exc:
                    if no_network(exc):
                        host = request.url.host
                        raise HubError(f"cannot resolve {host}: no network? ({where})", url=url) from None
                    last = f"{type(exc).__name__}: {str(exc) or 'connection dropped'}"
                    status = None
                    delay = shared.backoff(attempt)
                except Malformed as exc:
                    shared.count("malformed_answers")
                    last = f"a malformed answer: {exc}"
                    status = 200
                    delay = shared.backoff(attempt)
                else:
                    status = resp.status_code
                    info = parse_ratelimit_headers(resp.headers)
                    if status not in _RETRY_STATUS:
                        if info is not None and info.remaining == 0:
                            shared.close_gate(min(info.reset_in_seconds, p.max_wait) + shared.jitter())
                        out = _rebuilt(resp, body, request.method)
                        self._account(kind, status, request, out)
                        return out
                    last = f"HTTP {status}"
                    advised = _advised_wait(resp.headers, info, status)
                    if advised is not None:
                        if advised > p.max_wait:
                            raise HubError(
                                f"the Hub asks to wait {advised:.0f} s before {where} "
                                f"(HTTP {status}); that is more than the allowed {p.max_wait:.0f} s"
                                + (f": {shared.resume_hint}" if shared.resume_hint else ""),
                                url=url,
                                status=status,
                            )
                        delay = advised + shared.jitter()
                    else:
                        delay = shared.backoff(attempt)
                    if status == 429:
                        shared.count("rate_limited")
                        shared.close_gate(delay)  # every worker pauses, not just this one
                if attempt == tries - 1:
                    break
                log.info("%s failed (%s); retry %d/%d in %.2f s", where, last, attempt + 1, p.max_retries, delay)
                shared.count("retries")
                shared.count("waited_seconds", delay)
                time.sleep(delay)
            if telemetry and status is not None:
                raise httpx2.RemoteProtocolError(f"{where}: {last}", request=request)
            raise HubError(
                f"the Hub did not answer {where} after {tries} attempts over "
                f"{time.monotonic() - started:.1f} s (last: {last}); it may be down or rate limiting"
                + (f": {shared.resume_hint}" if shared.resume_hint else ""),
                url=url,
                status=status,
            )

        def _attempt(
            self, request: httpx2.Request, kind: str, t: float, deadline: float
        ) -> tuple[httpx2.Response, bytes | None]:
            """One attempt, bounded in total time: a watchdog shuts the socket at the deadline."""
            conn: dict[str, Any] = {}
            fired = threading.Event()
            outer = request.extensions.get("trace")

            def trace(event: str, info: dict[str, Any]) -> None:
                if event == "connection.connect_tcp.complete":
                    conn["stream"] = info.get("return_value")
                if outer is not None:
                    outer(event, info)

            def kill() -> None:
                fired.set()
                stream = conn.get("stream") or self._reused_stream(trace)
                sock = None if stream is None else stream.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

            request.extensions = {
                **request.extensions,
                "timeout": {"connect": t, "read": t, "write": t, "pool": t},
                "trace": trace,
            }
            end = time.monotonic() + deadline
            timer = threading.Timer(deadline, kill)
            timer.daemon = True
            timer.start()
            try:
                resp = self.inner.handle_request(request)
                # dump files stream to the caller (huggingface_hub resumes them), the rest is read here
                streamed = kind == "dataset_file" and resp.status_code in (200, 206)
                body = None if streamed else _read(resp, end, request)
            except (httpx2.NetworkError, httpx2.RemoteProtocolError) as exc:
                if fired.is_set():
                    raise httpx2.ReadTimeout(f"no complete answer within the {deadline:g} s deadline",
                                             request=request) from exc
                raise
            finally:
                timer.cancel()
            return resp, body

        def _reused_stream(self, trace: Any) -> Any:
            """The network stream of the pooled keep-alive connection serving the request traced by ``trace``.

            A reused connection emits no ``connect_tcp`` event, so the watchdog finds it in the pool (the
            request carries our ``trace`` function); ``None`` when the pool's layout is not the expected one.
            """
            with contextlib.suppress(AttributeError, TypeError):
                for pending in list(self.inner._pool._requests):
                    if pending.request.extensions.get("trace") is trace and pending.connection is not None:
                        return pending.connection._connection._network_stream  # type: ignore[attr-defined]
            return None

        @staticmethod
        def _account(kind: str, status: int, request: httpx2.Request, resp: httpx2.Response) -> None:
            if kind == "list" and 200 <= status < 300 and request.method == "GET":
                shared.count("pages")
                loc = shared.local
                loc.pages = getattr(loc, "pages", 0) + 1
                loc.url = url = str(request.url)
                # a page asked for twice in one chain of next links means the pagination loops
                chain: set[str] = loc.__dict__.get("chain", set())
                if loc.__dict__.get("expect") != url:
                    chain = set()  # a new listing starts
                chain.add(url)
                loc.chain = chain
                nxt = next_link(resp.headers.get("link"))
                loc.expect = nxt
                if nxt is not None:
                    if shared.origin is not None and origin(nxt) != shared.origin:
                        raise HubError(
                            f"the Hub's next page {nxt} is not on its own origin; refusing to follow it "
                            "(the token is only sent to the Hub's own origin)",
                            url=nxt,
                        )
                    if nxt in chain:
                        raise HubError(
                            f"the Hub sent the same listing page twice ({nxt}); its pagination loops, "
                            "stopping instead of fetching forever",
                            url=nxt,
                        )
            elif kind == "info":
                shared.count("model_info")
            elif kind == "card":
                shared.count("card_requests")

    def _read(resp: httpx2.Response, end: float, request: httpx2.Request) -> bytes | None:
        cap = shared.policy.max_bytes
        size = resp.headers.get("Content-Length")
        if size is not None and size.isdigit() and int(size) > max(cap, _BUFFER_LIMIT) and _kind(
            request.url.path
        ) == "dataset_file":
            return None  # large download: streamed to the caller as is
        try:
            if size is not None and size.isdigit() and int(size) > cap:
                raise _too_large(request, cap)
            chunks: list[bytes] = []
            total = 0
            for chunk in resp.iter_bytes():  # decoded: the cap holds for compressed answers too
                chunks.append(chunk)
                total += len(chunk)
                if total > cap:
                    raise _too_large(request, cap)
                if time.monotonic() > end:
                    raise httpx2.ReadTimeout("the answer did not complete within the deadline", request=request)
            return b"".join(chunks)
        finally:
            resp.close()

    def _too_large(request: httpx2.Request, cap: int) -> HubError:
        return HubError(
            f"the answer to {request.method} {request.url} is larger than {cap / (1 << 20):g} MiB; "
            "refusing to hold it in memory (RetryPolicy.max_bytes)",
            url=str(request.url),
        )

    def _rebuilt(resp: httpx2.Response, body: bytes | None, method: str) -> httpx2.Response:
        if body is None:
            return resp
        headers = resp.headers.copy()
        if method != "HEAD":  # a HEAD answer's length is that of the GET it describes
            if "content-length" in headers:
                headers["Content-Length"] = str(len(body))
            headers.pop("content-encoding", None)  # the body was decoded while it was read
        return httpx2.Response(
            resp.status_code,
            headers=headers,
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
def hub_session(
    policy: RetryPolicy, endpoint: str | None = None, *, resume_hint: str = "try again later with --resume"
) -> Iterator[Politeness]:
    """Route huggingface_hub's HTTP client through the polite transport for the duration.

    ``endpoint`` is the origin the token may be sent to (listings elsewhere are refused);
    ``resume_hint`` ends the message of a Hub that stays down (what the command can do next).
    """
    import httpx2
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils import _http as hf_http
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    with _SESSION_LOCK:
        shared = Politeness(policy, endpoint, resume_hint)
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
            shield_agent_lookup()
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
