"""Model records as the Hub's API serves them: the tags it derives, and the shared real data.

:func:`hub_record` turns a record of a dump (``../shared/data``, or synthetic) into
what ``/api/models`` would serve for it, so :class:`~hftree.testing.FakeHub`
answers like the Hub and its listings import to the same tables as the dump.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

__all__ = ["EXPAND_FIELDS", "hub_record", "hub_tags", "load_shared_hub", "read_records"]

#: Values the Hub accepts in ``expand[]`` for models (huggingface_hub's ``ExpandModelProperty_T``).
EXPAND_FIELDS: frozenset[str] = frozenset(
    {
        "author",
        "baseModels",
        "cardData",
        "childrenModelCount",
        "config",
        "createdAt",
        "disabled",
        "downloads",
        "downloadsAllTime",
        "evalResults",
        "gated",
        "gguf",
        "inference",
        "inferenceProviderMapping",
        "lastModified",
        "library_name",
        "likes",
        "mask_token",
        "model-index",
        "pipeline_tag",
        "private",
        "resourceGroup",
        "safetensors",
        "sha",
        "siblings",
        "spaces",
        "tags",
        "transformersInfo",
        "trendingScore",
        "usedStorage",
        "widgetData",
    }
)
_RELATIONS = ("finetune", "adapter", "quantized", "merge")
_REL_WORDS = {
    "finetune": "finetune",
    "fine-tune": "finetune",
    "finetuned": "finetune",
    "adapter": "adapter",
    "lora": "adapter",
    "quantized": "quantized",
    "quantization": "quantized",
    "merge": "merge",
    "merged": "merge",
}


def _as_list(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v] if v.strip() else []
    if isinstance(v, list):
        return [x for x in v if isinstance(x, str) and x.strip()]
    return []


def _infer_relation(rec: Mapping[str, Any], n_parents: int) -> str:
    """The relation the Hub infers when a card names a base model without a type."""
    tags = set(rec.get("tags") or ())
    if n_parents >= 2 or "merge" in tags or "mergekit" in tags:
        return "merge"
    if rec.get("gguf") or "gguf" in tags or any(t in tags for t in ("gptq", "awq", "exl2", "4-bit", "8-bit")):
        return "quantized"
    if rec.get("library_name") == "peft" or "peft" in tags or "lora" in tags:
        return "adapter"
    return "finetune"


def hub_tags(rec: Mapping[str, Any], relations: Mapping[tuple[str, str], str] | None = None) -> list[str]:
    """The tags the Hub would serve for a record: its own plus the derived ones.

    The Hub derives tags from the record: the library and pipeline tag,
    ``dataset:`` and language tags from ``cardData``, ``base_model:<id>`` and
    ``base_model:<relation>:<id>`` for every base model (relation from an
    existing typed tag, ``cardData.base_model_relation``, ``relations`` (known
    ``(parent, child) -> relation``), else inferred as the Hub does: two or more
    parents are a merge, GGUF/GPTQ files a quantization, PEFT an adapter,
    otherwise a fine-tune), ``license:`` and ``region:``. Tags already present
    keep their order; missing ones are added.

    Examples
    --------
    >>> hub_tags({"id": "me/ft", "library_name": "transformers",
    ...           "cardData": {"base_model": "org/base", "license": "MIT"}})
    ['transformers', 'base_model:org/base', 'base_model:finetune:org/base', 'license:mit', 'region:us']
    """
    tags = [t for t in (rec.get("tags") or []) if isinstance(t, str)]
    have = set(tags)
    out = list(tags)

    def add(tag: str) -> None:
        if tag not in have:
            have.add(tag)
            out.append(tag)

    raw_card = rec.get("cardData")
    card: Mapping[str, Any] = raw_card if isinstance(raw_card, dict) else {}
    for key in ("library_name", "pipeline_tag"):
        v = rec.get(key)
        if isinstance(v, str) and v:
            add(v)
    for d in _as_list(card.get("datasets")):
        add(f"dataset:{d.strip()}")
    for lang in _as_list(card.get("language")):
        add(lang.strip().lower())
    # base models: from tags and cardData
    typed: dict[str, str] = {}
    parents: list[str] = []
    for t in tags:
        if t.startswith("base_model:"):
            head, sep, tail = t[11:].partition(":")
            if sep and head in _RELATIONS and tail:
                typed.setdefault(tail, head)
                parent = tail
            else:
                parent = t[11:]
            if parent and parent not in parents:
                parents.append(parent)
    for p in _as_list(card.get("base_model")):
        if p.strip() not in parents:
            parents.append(p.strip())
    override = card.get("base_model_relation")
    override = _REL_WORDS.get(override.strip().lower()) if isinstance(override, str) else None
    for p in parents:
        rel = typed.get(p) or override or (relations or {}).get((p, str(rec.get("id"))))
        rel = rel or _infer_relation(rec, len(parents))
        add(f"base_model:{p}")
        add(f"base_model:{rel}:{p}")
    lic = card.get("license")
    if isinstance(lic, list):
        lic = next((x for x in lic if isinstance(x, str)), None)
    if isinstance(lic, str) and lic.strip():
        add(f"license:{lic.strip().lower()}")
    if not any(t.startswith("region:") for t in have):
        add("region:us")
    return out


def hub_record(raw: Mapping[str, Any], relations: Mapping[tuple[str, str], str] | None = None) -> dict[str, Any]:
    """A record as the Hub's API serves it: tags via :func:`hub_tags`, plus the
    fields every Hub record has (``lastModified`` -- the creation time when
    unknown --, ``private``, ``gated``, and a ``sha`` derived from the id when
    missing). Other fields are kept as they are.

    >>> r = hub_record({"id": "a/b", "createdAt": "2024-01-01T00:00:00.000Z", "tags": []})
    >>> r["lastModified"], r["private"], r["tags"], len(r["sha"])
    ('2024-01-01T00:00:00.000Z', False, ['region:us'], 40)
    """
    rec = dict(raw)
    rec["tags"] = hub_tags(rec, relations)
    if not rec.get("lastModified") and rec.get("createdAt"):
        rec["lastModified"] = rec["createdAt"]
    rec.setdefault("private", False)
    if rec.get("gated") is None:
        rec["gated"] = False
    if not rec.get("sha"):
        seed = f"{rec['id']}@{rec.get('lastModified')}".encode()
        rec["sha"] = hashlib.sha1(seed, usedforsecurity=False).hexdigest()
    if "author" not in rec and "/" in rec["id"]:
        rec["author"] = rec["id"].split("/", 1)[0]
    return rec


def read_records(path: Path) -> Iterator[dict]:
    """The records of a JSON Lines file, gzipped (``.gz``) or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)


def load_shared_hub(
    shared: str | Path, parts: Iterable[str] = ("hub-families", "smollm2-tree")
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The real records of ``../shared/data`` as the Hub would serve them, and their cards.

    Parameters
    ----------
    shared : path
        The shared data directory (holding ``hub-families/`` and ``smollm2-tree/``).
    parts : iterable of str
        Sub-directories to read; each holds ``models.jsonl.gz`` and optionally
        ``cards.jsonl.gz`` and ``crawl_edges.csv`` (known relations).

    Returns
    -------
    records : list of dict
        :func:`hub_record` of every record (first occurrence of an id wins).
    cards : dict
        README text by model id.
    """
    import csv

    shared = Path(shared)
    records: dict[str, dict] = {}
    cards: dict[str, str] = {}
    for part in parts:
        d = shared / part
        relations: dict[tuple[str, str], str] = {}
        edges = d / "crawl_edges.csv"
        if edges.exists():
            with open(edges, newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    child = row["child"].removeprefix("https://huggingface.co/")
                    rel = _REL_WORDS.get((row.get("relation") or "").strip().lower())
                    if rel:
                        relations[(row["parent"], child)] = rel
        for raw in read_records(d / "models.jsonl.gz"):
            if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"] not in records:
                records[raw["id"]] = hub_record(raw, relations)
        card_file = d / "cards.jsonl.gz"
        if card_file.exists():
            for c in read_records(card_file):
                if isinstance(c.get("card"), str):
                    cards.setdefault(c["id"], c["card"])
    return list(records.values()), cards
