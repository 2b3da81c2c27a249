"""Text preparation and pair budget of an :func:`~hftree.traits.inheritance` run: hftree's or the paper's.

``protocol="default"`` is hftree's own reading: the ``metadata`` trait is every column
of the model table as ``key: value`` lines, the ``card`` trait the whole card.

``protocol="paper"`` applies the preparation of Laufer, Oderinwale & Kleinberg (2025,
arXiv 2508.06811) as their public code does it:

* **Metadata text** = ``str()`` of the model's record from the Hub's default
  ``GET /api/models`` listing (their fetch has no ``expand``/``full``; the record went
  through a CSV, so the text is Python's ``repr`` of the dict: single quotes,
  ``True``/``False``). That listing serves the keys :data:`LISTING_KEYS`, in that order;
  ``pipeline_tag`` and ``library_name`` only when the model has one.
  :func:`listing_records` rebuilds the record from the model table (see there for what
  can and cannot be rebuilt).
* **Card text** = cards of at least :data:`PAPER_CARD_CHARS` characters, cut to their
  first :data:`PAPER_CARD_CHARS`; a card whose lower-cased text contains one of
  :data:`AUTO_GENERATED_PHRASES` is excluded (its model reports no card).
* **Measures** of text traits: bag-of-words and TF-IDF cosine (512 features, 1–2-grams,
  no stop-word removal — the same vectoriser as the default protocol) and normalised
  Levenshtein ``1 − d / max_len``, on the prepared text.
* **Kinships**: the paper's configurations hftree has (:data:`PAPER_KINSHIPS`), with
  their pair budget of :data:`PAPER_SAMPLES` pairs per kinship (also for Levenshtein).

Everything else (relations followed, exact parent–child and sibling means, weighting,
bootstrap) is the caller's, as in the default protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

import orjson
import pandas as pd

from hftree.errors import ParameterError
from hftree.traits.registry import Trait, get_trait

__all__ = [
    "AUTO_GENERATED_PHRASES",
    "LISTING_KEYS",
    "PAPER_CARD_CHARS",
    "PAPER_KINSHIPS",
    "PAPER_SAMPLES",
    "PAPER_TEXT_MEASURES",
    "PROTOCOLS",
    "Protocol",
    "ProtocolSettings",
    "check_protocol",
    "listing_records",
    "paper_card_text",
    "paper_metadata_text",
    "protocol_settings",
    "protocol_trait",
]

#: How the text traits are prepared and how many pairs are drawn (see the module docstring).
Protocol = Literal["default", "paper"]
PROTOCOLS: tuple[str, ...] = get_args(Protocol)

#: Keys of a record of the Hub's default ``/api/models`` listing, in the order it serves them.
LISTING_KEYS: tuple[str, ...] = ("_id", "id", "likes", "trendingScore", "private", "downloads", "tags",
                                 "pipeline_tag", "library_name", "createdAt", "modelId")
#: Cards shorter than this are excluded; longer ones are cut to this many characters.
PAPER_CARD_CHARS = 512
#: A card containing one of these (lower-cased) is auto-generated and excluded.
AUTO_GENERATED_PHRASES: tuple[str, ...] = ("automatically generated", "generated automatically")
#: Pairs drawn per kinship in the paper.
PAPER_SAMPLES = 5_000
#: The paper's kinship configurations that hftree has: random pair (``rando``), parent–child
#: (``duo``), siblings (``trio_1``, config 2), grandparent (``trio_2``, config 1) and
#: aunt/uncle–niece/nephew (``quad_2``, config 2).
PAPER_KINSHIPS: tuple[str, ...] = ("parent_child", "siblings", "grandparent", "aunt_uncle", "random_hub")
#: The paper's measures of text traits.
PAPER_TEXT_MEASURES: tuple[str, ...] = ("tfidf", "bow", "levenshtein")


@dataclass(frozen=True)
class ProtocolSettings:
    """What a protocol sets when the caller leaves an argument of :func:`inheritance` at ``None``.

    Attributes
    ----------
    name : str
        ``"default"`` or ``"paper"``.
    samples : int
        Pairs drawn per sampled kinship.
    expensive_samples : int
        Pairs drawn for a measure too slow to evaluate on every pair (Levenshtein).
    kinships : tuple of str or None
        Kinships analysed (``None``: all of them).
    text_measures : tuple of str
        Measures of a text trait.
    """

    name: str
    samples: int
    expensive_samples: int
    kinships: tuple[str, ...] | None
    text_measures: tuple[str, ...]


_SETTINGS = {
    "default": ProtocolSettings("default", 10_000, 1_000, None, ("tfidf", "bow")),
    "paper": ProtocolSettings("paper", PAPER_SAMPLES, PAPER_SAMPLES, PAPER_KINSHIPS, PAPER_TEXT_MEASURES),
}


def check_protocol(protocol: Any) -> str:
    """``protocol`` if it is one of :data:`PROTOCOLS`, else :class:`~hftree.errors.ParameterError`.

    >>> check_protocol("paper")
    'paper'
    >>> check_protocol("laufer")
    Traceback (most recent call last):
    ...
    hftree.errors.ParameterError: protocol: expected 'default' or 'paper', got 'laufer'
    """
    if not isinstance(protocol, str) or protocol not in PROTOCOLS:
        raise ParameterError("protocol", " or ".join(repr(p) for p in PROTOCOLS), protocol)
    return protocol


def protocol_settings(protocol: Protocol) -> ProtocolSettings:
    """The pair budgets, kinships and text measures of ``protocol``.

    >>> protocol_settings("paper").samples
    5000
    """
    return _SETTINGS[check_protocol(protocol)]


# ----------------------------------------------------------------------------- metadata


def _values(models: pd.DataFrame, col: str) -> list[Any]:
    """A column as Python objects (``int``, ``bool``, ``str``, ``list``), ``None`` where missing
    or where the table has no such column."""
    if col not in models.columns:
        return [None] * len(models)
    s = models[col]
    if isinstance(s.dtype, pd.ArrowDtype):
        return list(s.array.__arrow_array__().to_pylist())
    obj = s.astype(object)
    return obj.where(s.notna(), None).tolist()


def _created_at(models: pd.DataFrame) -> list[str | None]:
    """``createdAt`` as the listing serves it (``2024-01-31T20:30:35.000Z``): the served value
    (``created_at_raw``, placeholder date included) where the table keeps it."""
    col = "created_at_raw" if "created_at_raw" in models.columns else "created_at"
    if col not in models.columns:
        return [None] * len(models)
    ts = pd.to_datetime(models[col], utc=True)
    text = ts.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str.slice(0, 23) + "Z"
    return text.astype(object).where(ts.notna(), None).tolist()


def _listing_extras(models: pd.DataFrame) -> list[dict[str, Any]]:
    """The listing keys a table keeps only in ``extra`` (``_id``, ``trendingScore``), per row."""
    out: list[dict[str, Any]] = [{} for _ in range(len(models))]
    if "extra" not in models.columns:
        return out
    extra = models["extra"]
    wanted = ("_id", "trendingScore")
    has = extra.astype("string").str.contains('"(?:_id|trendingScore)"', regex=True).fillna(False)
    for i in has.to_numpy(dtype=bool).nonzero()[0]:
        rec = orjson.loads(extra.iloc[i])
        if isinstance(rec, dict):
            out[i] = {k: rec[k] for k in wanted if k in rec}
    return out


def listing_records(models: pd.DataFrame) -> list[dict[str, Any]]:
    """The record of each model as the Hub's default ``/api/models`` listing serves it.

    Rebuilt from the model table: ``id``, ``likes``, ``private``, ``downloads``, ``tags``,
    ``pipeline_tag``, ``library_name`` from their columns, ``createdAt`` from
    ``created_at_raw`` (the value as served; ``created_at`` when the table has no raw
    column) written as the Hub writes it, with milliseconds; ``_id`` and
    ``trendingScore`` from ``extra`` (where the source records carried them); ``modelId``
    is the id again, as the listing repeats it. Keys come in the listing's order
    (:data:`LISTING_KEYS`); a key whose value the table does not hold is left out, as the
    listing leaves out ``pipeline_tag`` and ``library_name`` of a model without one.

    What cannot be rebuilt: ``_id`` and ``trendingScore`` of sources that lacked them
    (expanded listings, ``ModelInfo`` dumps such as hub-families; the text is then
    shorter than the paper's by those two fields), and the timestamp's sub-millisecond
    digits. Fields only expanded listings serve (``author``, ``sha``, ``lastModified``,
    ``cardData``, ``safetensors``, ``siblings``, …) are not in the paper's record and
    are not added.

    >>> import pandas as pd
    >>> m = pd.DataFrame({"id": ["org/a"], "likes": [2], "private": [False], "downloads": [7],
    ...                   "tags": [["mit"]], "pipeline_tag": [None],
    ...                   "created_at": pd.to_datetime(["2024-05-01T10:00:00Z"])})
    >>> listing_records(m)
    [{'id': 'org/a', 'likes': 2, 'private': False, 'downloads': 7, 'tags': ['mit'], \
'createdAt': '2024-05-01T10:00:00.000Z', 'modelId': 'org/a'}]
    """
    cols = {
        "id": _values(models, "id"),
        "likes": _values(models, "likes"),
        "private": _values(models, "private"),
        "downloads": _values(models, "downloads"),
        "tags": _values(models, "tags"),
        "pipeline_tag": _values(models, "pipeline_tag"),
        "library_name": _values(models, "library_name"),
        "createdAt": _created_at(models),
    }
    cols["modelId"] = cols["id"]
    extras = _listing_extras(models)
    records = []
    for i in range(len(models)):
        rec: dict[str, Any] = {}
        for key in LISTING_KEYS:
            v = extras[i].get(key) if key in ("_id", "trendingScore") else cols[key][i]
            if v is not None:
                rec[key] = list(v) if key == "tags" else v
        records.append(rec)
    return records


def paper_metadata_text(models: pd.DataFrame) -> pd.Series:
    """The paper's metadata text: ``str()`` of each model's listing record (:func:`listing_records`).

    >>> import pandas as pd
    >>> paper_metadata_text(pd.DataFrame({"id": ["org/a"], "likes": [0]})).iloc[0]
    "{'id': 'org/a', 'likes': 0, 'modelId': 'org/a'}"
    """
    return pd.Series([str(r) for r in listing_records(models)], index=models.index, dtype=object)


# ----------------------------------------------------------------------------- cards


def paper_card_text(cards: pd.Series) -> pd.Series:
    """The paper's card text: cards of ≥ 512 characters cut to their first 512; shorter,
    missing and auto-generated cards (containing "automatically generated" or "generated
    automatically", in any case) become ``None``.

    >>> import pandas as pd
    >>> out = paper_card_text(pd.Series(["x" * 600, "y" * 511, "This card was generated automatically. " * 20]))
    >>> [None if v is None else len(v) for v in out]
    [512, None, None]
    """
    text = pd.Series(cards, dtype="string")
    low = text.str.lower()
    auto = pd.Series(False, index=text.index)
    for phrase in AUTO_GENERATED_PHRASES:
        auto |= low.str.contains(phrase, regex=False).fillna(False).astype(bool)
    keep = (text.str.len() >= PAPER_CARD_CHARS).fillna(False).astype(bool) & ~auto
    cut = text.str.slice(0, PAPER_CARD_CHARS).astype(object)
    return cut.where(keep, None).reset_index(drop=True)


def _paper_card(models: pd.DataFrame) -> pd.Series:
    return paper_card_text(models["card"])


_PAPER_TRAITS = {
    "metadata": Trait("metadata", "text", paper_metadata_text,
                      "str() of the model's record of the Hub's default listing (the paper's)"),
    "card": Trait("card", "text", _paper_card,
                  "the card's first 512 characters; shorter and auto-generated cards left out (the paper's)",
                  requires=("card",)),
}


def protocol_trait(trait: Trait, protocol: Protocol) -> Trait:
    """The trait a protocol analyses for ``trait``: under ``"paper"`` the built-in ``metadata``
    and ``card`` traits are replaced by the paper's preparation (same names); every other
    trait, a user's own included, is unchanged.

    >>> protocol_trait(get_trait("card"), "paper").description.startswith("the card's first 512")
    True
    >>> protocol_trait(get_trait("license"), "paper") is get_trait("license")
    True
    """
    if check_protocol(protocol) == "paper" and trait.name in _PAPER_TRAITS and trait is get_trait(trait.name):
        return _PAPER_TRAITS[trait.name]
    return trait
