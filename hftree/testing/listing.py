"""Listing queries as the Hub parses them: ``expand``, ``sort``, ``limit``, the cursor; and field selection."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import orjson

from hftree.testing.records import EXPAND_FIELDS

__all__ = ["BadRequest", "parse_listing", "select_fields", "sort_value", "with_fields"]

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


def sort_value(r: Mapping[str, Any], key: str) -> tuple:
    v = r.get(key)
    if v is None or isinstance(v, bool) or not isinstance(v, int | float | str):
        return (0, 0)
    return (1, v) if not isinstance(v, str) else (2, v)


def with_fields(expand: list[str]) -> tuple[str, ...]:
    return ("id", "_id", *expand)


def select_fields(r: Mapping[str, Any], fields: tuple[str, ...] | None) -> dict[str, Any]:
    if fields is None:
        return dict(r)
    return {k: v for k, v in r.items() if k in fields}


class BadRequest(Exception):
    """A request the Hub answers with 400 (the message is sent back)."""


def parse_listing(params: list[tuple[str, str]]) -> dict[str, Any]:
    get: dict[str, list[str]] = {}
    for k, v in params:
        get.setdefault(k, []).append(v)

    def one(name: str) -> str | None:
        vals = get.get(name)
        return vals[-1] if vals else None

    expand = get.get("expand", []) + get.get("expand[]", [])
    bad = [e for e in expand if e not in EXPAND_FIELDS]
    if bad:
        raise BadRequest(f"Invalid expand value: {bad[0]!r}")
    truthy = ("1", "true", "True")
    if expand:
        if one("full") in truthy or one("cardData") in truthy or one("config") in truthy:
            raise BadRequest("expand cannot be combined with full, cardData or config")
        fields: tuple[str, ...] | None = with_fields(expand)
    elif one("full") in truthy:
        fields = None
    else:
        extra = ("cardData",) if one("cardData") in truthy else ()
        fields = (*_DEFAULT_LIST_FIELDS, *extra)
    sort = one("sort")
    if sort is not None and sort not in _SORT_KEYS:
        raise BadRequest(f"Invalid sort: {sort!r}")
    direction = one("direction")
    try:
        d = int(direction) if direction is not None else -1
        raw_limit = one("limit")
        limit = int(raw_limit) if raw_limit is not None else None
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    if limit is not None and limit < 1:
        raise BadRequest("limit must be >= 1")
    cursor = None
    raw = one("cursor")
    if raw:
        try:
            cursor = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        except (ValueError, orjson.JSONDecodeError):
            raise BadRequest("Invalid cursor") from None
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
