"""What can go wrong on the stand-in Hub (:class:`FaultPlan`), and what it counted (:class:`HubStats`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hftree.errors import ParameterError

__all__ = ["MAX_DELAY", "FaultPlan", "HubStats", "RateLimit"]

MAX_DELAY = 30.0  # cap of any injected delay, seconds
FAULT_KINDS = ("429", "500", "502", "503", "504", "reset", "slow")

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
        bad = sorted(set(self.kinds) - set(FAULT_KINDS))
        if bad:
            raise ParameterError("kinds", f"fault kinds among {', '.join(FAULT_KINDS)}", bad, hint="unknown fault kind")
        if self.every < 0:
            raise ParameterError("every", "a whole number >= 0", self.every)


@dataclass
class RateLimit:
    """A fixed-window rate limit: ``quota`` requests per ``window`` seconds."""

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
