"""The HTTP side of the stand-in Hub: routes, fault injection, the Hub's error headers."""

from __future__ import annotations

import contextlib
import hashlib
import math
import socket
import struct
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson

from hftree.testing.faults import MAX_DELAY
from hftree.testing.listing import BadRequest, parse_listing, select_fields, with_fields
from hftree.testing.records import EXPAND_FIELDS

if TYPE_CHECKING:
    from hftree.testing.fake_hub import FakeHub

__all__ = ["Handler", "Server"]


class Server(ThreadingHTTPServer):
    """A threading server that ignores clients going away."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return  # a client that went away (killed, timed out): not the server's problem
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    """Answers one connection's requests from :attr:`hub` (set on a subclass per server)."""

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
        if path.startswith("/api/datasets/"):
            return "dataset"
        if path.startswith("/datasets/") and "/resolve/" in path:
            return "dataset_head" if self.command == "HEAD" else "dataset_get"
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
            kind_group = "resolve" if kind.startswith(("resolve", "dataset_")) else \
                "info" if kind == "dataset" else kind
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
            time.sleep(min(plan.delay, MAX_DELAY))
        head = self.command == "HEAD"
        if limited:
            self._error(429, "Too Many Requests", head=head)
            return False
        if fault is None:
            return True
        if fault == "slow":
            time.sleep(min(plan.slow_seconds, MAX_DELAY))
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
            if kind.startswith("dataset"):
                from hftree.testing.datasets import dataset_route

                dataset_route(self, path, head)
            elif kind == "list":
                self._listing(parts.query, head)
            elif kind == "info":
                self._info(path[len("/api/models/") :], parts.query, head)
            elif kind.startswith("resolve"):
                self._resolve(path, head)
            elif kind == "agents":  # huggingface_hub's user-agent registry: none known here
                self._send(200, b'{"standardEnvVars": [], "harnesses": {}}', head=head)
            else:
                self._error(404, "Not Found", head=head)
        except BadRequest as exc:
            self._error(400, str(exc), head=head)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _listing(self, query: str, head: bool) -> None:
        params = parse_qsl(query, keep_blank_values=True)
        q = parse_listing(params)
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
                raise BadRequest(f"Invalid expand value: {bad[0]!r}")
            if expand:
                out = select_fields(rec, with_fields(expand))
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
