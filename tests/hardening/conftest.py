"""Hostile servers for the hardening tests: raw HTTP on 127.0.0.1, scripted per request, bounded in time.

A test gives a function ``answer(server, path, headers) -> bytes | callable``: bytes are
sent as the whole raw HTTP answer; a callable gets the socket and writes as slowly or as
much as it likes (it must stop when ``server.closing`` is set). Every request is logged
with its headers, so a test can assert what reached which server.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest

from hftree.ingest.hub import RetryPolicy


class Hostile:
    """One scripted HTTP server on 127.0.0.1."""

    def __init__(self, answer: Callable[..., Any]) -> None:
        self.answer = answer
        self.log: list[tuple[str, dict[str, str]]] = []
        self.connections = 0  # accepted TCP connections: tells a reused keep-alive connection from a new one
        self.closing = threading.Event()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self.closing.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            buf = b""
            while not self.closing.is_set():
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
                self.log.append((target, headers))
                out = self.answer(self, method, target, headers)
                if callable(out):
                    out(conn)
                    return
                conn.sendall(out)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.closing.set()
        self.sock.close()
        self.thread.join(2)


def http(status: int, body: bytes = b"", **headers: str) -> bytes:
    """A whole raw HTTP/1.1 answer."""
    hdrs = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    hdrs.update({k.replace("_", "-"): v for k, v in headers.items()})
    head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
    return head.encode() + b"\r\n" + body


def drip(server: Hostile, data: bytes, pause: float, *, head: bytes = b"") -> Callable[[socket.socket], None]:
    """An answer that sends ``head`` at once, then ``data`` one byte every ``pause`` seconds (until closing)."""

    def send(conn: socket.socket) -> None:
        if head:
            conn.sendall(head)
        for b in data:
            if server.closing.is_set():
                return
            conn.sendall(bytes([b]))
            time.sleep(pause)

    return send


def page(records: list[dict], next_url: str | None = None) -> bytes:
    """A listing page, with a ``Link`` to ``next_url``."""
    extra = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return http(200, orjson.dumps(records), **extra)


def models(*ids: str) -> list[dict]:
    return [{"id": i, "_id": f"x{n}", "author": i.split("/")[0]} for n, i in enumerate(ids)]


@pytest.fixture
def hostile() -> Iterator[Callable[[Callable[..., Any]], Hostile]]:
    servers: list[Hostile] = []

    def make(answer: Callable[..., Any]) -> Hostile:
        s = Hostile(answer)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub's agent-registry lookup answered from memory; no token from the environment."""
    import huggingface_hub.utils._detect_agent as agents

    monkeypatch.setattr(agents, "_registry", {"standardEnvVars": [], "harnesses": {}})
    monkeypatch.delenv("HF_TOKEN", raising=False)


@pytest.fixture
def quick() -> RetryPolicy:
    """No waiting between retries, two retries, short timeouts."""
    return RetryPolicy(max_retries=2, backoff=0.0, max_backoff=0.0, timeout=2.0, random_state=0)


def elapsed(t0: float) -> float:
    return time.monotonic() - t0


@pytest.fixture
def hx() -> Any:
    """The answer builders, for tests (conftest modules are not importable)."""
    from types import SimpleNamespace

    return SimpleNamespace(http=http, page=page, models=models, elapsed=elapsed, drip=drip)
