"""Guards of the fetch against a hostile or broken server (used by :mod:`~hftree.ingest.hub.transport`).

* origins: the token goes only to the endpoint's origin; a ``Link`` next page or a saved
  cursor elsewhere is refused;
* answers: a listing page or model record that is not the API's JSON is :class:`Malformed`
  (the transport retries it like a 5xx); records without a valid id are dropped and counted;
* name resolution failing means no network: no point in retrying;
* huggingface_hub's agent-registry lookup (best effort, cached 24 h) is kept from crashing a fetch.
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING, Any

from hftree.errors import HubError

if TYPE_CHECKING:
    from hftree.ingest.hub.transport import Politeness

__all__ = ["Malformed", "check_origin", "checked_body", "next_link", "no_network", "origin",
           "shield_agent_lookup"]

log = logging.getLogger("hftree.fetch")


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, the default port made explicit.

    >>> origin("https://huggingface.co/api/models") == origin("https://HUGGINGFACE.co:443/x")
    True
    """
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def check_origin(url: str, endpoint: str, what: str) -> None:
    """Refuse a URL (a ``Link`` next page, a saved cursor) outside the endpoint's origin.

    >>> check_origin("https://evil.example/api/models?cursor=x", "https://huggingface.co", "x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hftree.errors.HubError: x https://evil.example/api/models?cursor=x is not on https://huggingface.co; ...
    """
    if origin(url) != origin(endpoint):
        raise HubError(
            f"{what} {url} is not on {endpoint.rstrip('/')}; refusing to follow it "
            "(the token is only sent to the Hub's own origin)",
            url=url,
        )


def no_network(exc: BaseException) -> bool:
    """Whether a connection error comes from name resolution (no DNS, no network)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, socket.gaierror):
            return True
        e = e.__cause__ or e.__context__
    text = str(exc)
    return "Name or service not known" in text or "Temporary failure in name resolution" in text


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header.

    >>> next_link('<https://h/api/models?cursor=a>; rel="next"')
    'https://h/api/models?cursor=a'
    """
    if not header:
        return None
    import httpx2

    links = httpx2.Response(200, headers={"link": header}).links
    return links.get("next", {}).get("url")


class Malformed(Exception):
    """A 200 answer that is not what the API sends (retried like a 5xx)."""


def valid_id(value: Any) -> bool:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if not isinstance(value, str) or not value:
        return False
    try:
        validate_repo_id(value)
    except HFValidationError:
        return False
    return True


def checked_body(kind: str, body: bytes, shared: Politeness) -> bytes:
    """A listing page or model record, checked: malformed -> :class:`_Malformed`; bad records dropped."""
    import orjson

    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        head = body[:40].decode("utf-8", "replace").strip()
        raise Malformed(f"not JSON ({exc}; begins {head!r})") from None
    if kind == "info":
        if not isinstance(data, dict) or not valid_id(data.get("id")):
            raise Malformed(f"a model record without a valid id ({type(data).__name__})")
        return body
    if not isinstance(data, list):
        raise Malformed(f"a JSON {type(data).__name__} instead of a list of models")
    good = [r for r in data if isinstance(r, dict) and valid_id(r.get("id"))]
    if len(good) == len(data):
        return body
    shared.count("bad_records", len(data) - len(good))
    log.warning("skipped %d listing records without a valid id", len(data) - len(good))
    return orjson.dumps(good)


def shield_agent_lookup() -> None:
    """huggingface_hub looks up an agent registry for its user agent (best effort) and caches the
    answer for 24 h; a wrong-shaped one makes every request raise. Resolve it now and replace
    anything that is not the expected shape by the empty registry, for this process."""
    try:
        from huggingface_hub.utils import _detect_agent as da
    except ImportError:  # another huggingface_hub: nothing to shield
        return
    empty: Any = {"standardEnvVars": [], "harnesses": {}}
    try:
        reg = da._get_registry()
        ok = (
            isinstance(reg, dict)
            and isinstance(reg.get("standardEnvVars") or [], list)
            and all(isinstance(v, str) for v in reg.get("standardEnvVars") or [])
            and isinstance(reg.get("harnesses") or {}, dict)
            and all(
                isinstance(h, dict | type(None))
                and isinstance((h or {}).get("envVars") or {}, dict)
                and all(isinstance(k, str) and isinstance(v, str) for k, v in ((h or {}).get("envVars") or {}).items())
                for h in (reg.get("harnesses") or {}).values()
            )
        )
        if ok:
            da.detect_agent()  # the shape is right: still, any failure here must not reach a fetch
    except Exception:
        ok = False
    if not ok and hasattr(da, "_registry"):
        log.info("ignoring a malformed agent-harness registry from huggingface_hub")
        da._registry = empty
