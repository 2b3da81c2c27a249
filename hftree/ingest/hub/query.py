"""What a fetch asks for: the options of :func:`~hftree.ingest.hub.fetch`, checked, and the query they make.

The *query* is the plain dict saved in ``state.json`` and in the snapshot's
``manifest["fetch"]["query"]``: a resumed fetch must ask for the same one, and an
update repeats the query of the snapshot it refreshes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd

from hftree.errors import FetchArgumentError, ParameterError, SnapshotError
from hftree.ingest.hub.transport import RetryPolicy
from hftree.ingest.snapshot import Snapshot, load_snapshot
from hftree.schema import RELATIONS, RelationFilter, check_relations

__all__ = ["FETCH_EXPAND", "SORT_KEYS", "TAG_RELATIONS", "FetchOptions", "FetchPlan", "SortKey", "plan_fetch"]

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

_LISTING_FILTERS = ("author", "search", "filter", "pipeline_tag", "limit", "sort")


def _whole(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ParameterError(name, f"a whole number >= {low}", value)


@dataclass(frozen=True)
class FetchOptions:
    """Every keyword of :func:`~hftree.ingest.hub.fetch` (documented there), checked on creation.

    Examples
    --------
    >>> FetchOptions(family="org/root", max_depth=2).max_depth
    2
    >>> FetchOptions(limit=0)
    Traceback (most recent call last):
    ...
    hftree.errors.ParameterError: limit: expected a whole number >= 1, got 0
    >>> FetchOptions(resume=True, restart=True)
    Traceback (most recent call last):
    ...
    hftree.errors.FetchArgumentError: resume and restart exclude each other
    """

    author: str | None = None
    search: str | None = None
    filter: str | Sequence[str] | None = None
    pipeline_tag: str | None = None
    limit: int | None = None
    sort: SortKey | None = None
    family: str | Sequence[str] | None = None
    max_depth: int | None = None
    relation: RelationFilter = None
    cards: bool = False
    update: str | os.PathLike[str] | None = None
    resume: bool = False
    restart: bool = False
    work_dir: str | os.PathLike[str] | None = None
    keep_work: bool = False
    endpoint: str | None = None
    token: str | bool | None = None
    retry: RetryPolicy | None = None
    workers: int = 4
    card_workers: int = 8
    cache_dir: str | os.PathLike[str] | None = None
    overwrite: bool = False
    progress: bool | None = None
    checkpoint_every: int = 10_000
    checkpoint_seconds: float = 10.0
    update_margin: float = 3600.0

    def __post_init__(self) -> None:
        _whole("workers", self.workers, 1)
        _whole("card_workers", self.card_workers, 1)
        _whole("checkpoint_every", self.checkpoint_every, 1)
        if self.limit is not None:
            _whole("limit", self.limit, 1)
        if self.max_depth is not None:
            _whole("max_depth", self.max_depth, 1)
        for name in ("checkpoint_seconds", "update_margin"):
            v = getattr(self, name)
            if not v >= 0:
                raise ParameterError(name, "a number of seconds >= 0", v)
        if self.sort is not None and self.sort not in SORT_KEYS:
            raise ParameterError("sort", f"one of {', '.join(SORT_KEYS)}", self.sort)
        if self.resume and self.restart:
            raise FetchArgumentError("resume and restart exclude each other")

    def listing_filters(self) -> dict[str, Any]:
        """The listing filters that were given (``author`` ... ``sort``)."""
        return {k: getattr(self, k) for k in _LISTING_FILTERS if getattr(self, k)}


@dataclass(frozen=True)
class FetchPlan:
    """Where a fetch writes and what it asks for."""

    output: Path
    work_dir: Path
    query: dict[str, Any]
    old: Snapshot | None  # the snapshot an update refreshes
    overwrite: bool


def plan_fetch(output: str | os.PathLike[str] | None, opts: FetchOptions) -> FetchPlan:
    """Resolve the output, the work directory and the query of a fetch (new, or an update)."""
    if opts.update is not None:
        plan = _update_plan(output, opts)
    else:
        plan = _new_plan(output, opts)
    q = plan.query
    if q["mode"] != "family" and (q.get("max_depth") or q.get("relations")):
        raise FetchArgumentError("max_depth and relation need family=")
    return plan


def _work_dir(output: Path, opts: FetchOptions) -> Path:
    return Path(opts.work_dir) if opts.work_dir is not None else output.parent / f".{output.name}.fetch"


def _new_plan(output: str | os.PathLike[str] | None, opts: FetchOptions) -> FetchPlan:
    from huggingface_hub import constants

    if output is None:
        raise FetchArgumentError("give an output directory")
    out = Path(output)
    roots = [opts.family] if isinstance(opts.family, str) else list(opts.family or [])
    relations = check_relations(opts.relation)
    if relations and "unknown" in relations:
        raise ParameterError(
            "relation", f"one of {', '.join(TAG_RELATIONS)}", "unknown",
            hint="relation 'unknown' has no tag on the Hub",
        )
    flt = opts.filter
    query = {
        "mode": "family" if roots else "listing",
        "endpoint": check_endpoint(opts.endpoint or constants.ENDPOINT),
        "author": opts.author,
        "search": opts.search,
        "filter": [flt] if isinstance(flt, str) else list(flt or []),
        "pipeline_tag": opts.pipeline_tag,
        "limit": opts.limit,
        "sort": opts.sort,
        "family": roots,
        "max_depth": opts.max_depth,
        "relations": list(relations or []) or None,
        "cards": bool(opts.cards),
        "expand": list(FETCH_EXPAND),
    }
    if roots and opts.listing_filters():
        raise FetchArgumentError(
            f"family mode takes no listing filters ({', '.join(_LISTING_FILTERS)})"
        )
    return FetchPlan(output=out, work_dir=_work_dir(out, opts), query=query, old=None, overwrite=opts.overwrite)


def _update_plan(output: str | os.PathLike[str] | None, opts: FetchOptions) -> FetchPlan:
    assert opts.update is not None
    old = load_snapshot(opts.update)
    if "fetch" not in old.manifest:
        raise SnapshotError(f"{opts.update} was not written by hftree fetch; --update needs a fetched snapshot")
    query = dict(old.manifest["fetch"]["query"])
    if opts.listing_filters() or opts.family or opts.max_depth or opts.relation:
        raise FetchArgumentError("update repeats the query of the snapshot; do not give filters with it")
    if query.get("limit") is not None:
        raise SnapshotError(
            f"{opts.update} was fetched with a limit (the top {query['limit']}); an update cannot keep "
            "that meaning: fetch it again"
        )
    query["endpoint"] = check_endpoint(opts.endpoint or query["endpoint"])
    out = Path(opts.update) if output is None else Path(output)
    overwrite = opts.overwrite or out.resolve() == Path(opts.update).resolve()
    if query["mode"] == "listing":
        since = pd.Timestamp(old.manifest["fetch"]["started_at"]) - pd.Timedelta(seconds=opts.update_margin)
        query["since"] = since.isoformat()
    query["update_of"] = str(old.manifest["fetch"].get("run_id"))
    return FetchPlan(output=out, work_dir=_work_dir(out, opts), query=query, old=old, overwrite=overwrite)


def check_endpoint(endpoint: str) -> str:
    """The endpoint without a trailing slash; :class:`ParameterError` unless it is an http(s) URL.

    >>> check_endpoint("https://huggingface.co/")
    'https://huggingface.co'
    """
    if not endpoint.startswith(("http://", "https://")):
        raise ParameterError("endpoint", "an http:// or https:// URL", endpoint)
    return endpoint.rstrip("/")


def same_update(saved: dict[str, Any], query: dict[str, Any]) -> bool:
    """Two update queries that differ only in ``since`` (computed anew at each resume)."""
    a = {k: v for k, v in saved.items() if k != "since"}
    b = {k: v for k, v in query.items() if k != "since"}
    return a == b


def describe(q: dict[str, Any]) -> str:
    """A query in a few words, for messages and the manifest's ``sources``.

    >>> describe({"mode": "listing", "author": "org", "limit": 5})
    "listing author='org' limit=5"
    """
    if q.get("mode") == "family":
        return "family " + ", ".join(q.get("family", []))
    parts = [f"{k}={q[k]!r}" for k in _LISTING_FILTERS if q.get(k)]
    return "listing " + (" ".join(parts) or "of all models")
