"""``huggingface_hub``'s ``ModelInfo`` back in the Hub API's camelCase record shape.

Fetched records go through the same importer as files
(:func:`~hftree.ingest.import_sources`), which reads the API's shape.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

__all__ = ["model_record"]

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
