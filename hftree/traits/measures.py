"""Similarity measures between the trait values of two models.

========== ====================== ==========================================================
measure    applies to             similarity of values ``x``, ``y``
========== ====================== ==========================================================
equality   every kind             1 if ``x == y`` (sets compared as sets) else 0
jaccard    set, categorical       ``|x ∩ y| / |x ∪ y|`` (categorical: same as equality)
tfidf      text                   cosine of TF-IDF vectors (1–2-grams, 512 features)
bow        text                   cosine of bag-of-words count vectors (same features)
levenshtein text, categorical     ``1 - edit distance / max(len x, len y)``
ratio      numeric                ``min(|x|, |y|) / max(|x|, |y|)`` (1 when both are 0)
========== ====================== ==========================================================

Every measure is symmetric and computed once per distinct pair of value codes.
A text whose vector is all zeros (no token of the vocabulary) has cosine 0 with
everything, as in scikit-learn's ``cosine_similarity``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hftree.errors import TraitError
from hftree.traits._util import unique_inverse
from hftree.traits.encode import EncodedTrait

__all__ = ["DEFAULT_MEASURES", "MEASURES", "Measure", "pair_similarity", "similarity"]


@dataclass(frozen=True)
class Measure:
    """A similarity measure on codes of an :class:`~hftree.traits.encode.EncodedTrait`.

    ``distinct_zero``: two different values always have similarity 0 (equality), so
    pairs can be counted per value instead of enumerated. ``expensive``: too slow to
    evaluate on every pair of a large population; always sampled.
    """

    name: str
    kinds: tuple[str, ...]
    func: Callable[[EncodedTrait, np.ndarray, np.ndarray], np.ndarray]
    distinct_zero: bool = False
    expensive: bool = False


def _equality(enc: EncodedTrait, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b).astype(np.float64)


def _jaccard(enc: EncodedTrait, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if enc.kind != "set":
        return _equality(enc, a, b)
    X = enc.set_matrix()
    inter = np.asarray(X[a].multiply(X[b]).sum(axis=1)).ravel()
    sizes = enc.set_sizes()
    union = sizes[a] + sizes[b] - inter
    return np.divide(inter, union, out=np.ones(len(a)), where=union > 0)


def _cosine(weighting: str) -> Callable[[EncodedTrait, np.ndarray, np.ndarray], np.ndarray]:
    def f(enc: EncodedTrait, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        V = enc.vectors(weighting)
        U = V.shape[0]
        if U <= 4000 and len(a) > U:  # all dot products at once
            key = "gram:" + weighting
            if key not in enc._cache:
                D = V.toarray()
                enc._cache[key] = D @ D.T
            out = enc._cache[key][a, b]
        elif U * V.shape[1] <= 50_000_000:  # dense rows, chunked
            D = V.toarray().astype(np.float32)
            out = np.empty(len(a))
            step = max(1, 20_000_000 // max(V.shape[1], 1))
            for i in range(0, len(a), step):
                out[i : i + step] = np.einsum("ij,ij->i", D[a[i : i + step]], D[b[i : i + step]])
        else:
            out = np.empty(len(a))
            step = 200_000
            for i in range(0, len(a), step):
                out[i : i + step] = np.asarray(V[a[i : i + step]].multiply(V[b[i : i + step]]).sum(axis=1)).ravel()
        return np.clip(out, 0.0, 1.0)

    return f


def _levenshtein(enc: EncodedTrait, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from hftree.traits.text import levenshtein_similarity

    vals = enc.values
    return np.array([levenshtein_similarity(str(vals[i]), str(vals[j])) for i, j in zip(a, b, strict=True)],
                    dtype=np.float64)


def _ratio(enc: EncodedTrait, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = np.abs(enc.values[a].astype(np.float64))
    y = np.abs(enc.values[b].astype(np.float64))
    hi = np.maximum(x, y)
    return np.divide(np.minimum(x, y), hi, out=np.ones(len(a)), where=hi > 0)


MEASURES: dict[str, Measure] = {
    "equality": Measure("equality", ("categorical", "set", "numeric", "text"), _equality, distinct_zero=True),
    "jaccard": Measure("jaccard", ("set", "categorical"), _jaccard),
    "tfidf": Measure("tfidf", ("text",), _cosine("tfidf")),
    "bow": Measure("bow", ("text",), _cosine("bow")),
    "levenshtein": Measure("levenshtein", ("text", "categorical"), _levenshtein, expensive=True),
    "ratio": Measure("ratio", ("numeric",), _ratio),
}

#: Measures used for a trait kind when none are named.
DEFAULT_MEASURES: dict[str, tuple[str, ...]] = {
    "categorical": ("equality",),
    "set": ("jaccard",),
    "numeric": ("ratio",),
    "text": ("tfidf", "bow"),
}


def get_measure(name: str, kind: str, trait: str) -> Measure:
    """The measure ``name``, checked against the trait's kind."""
    if name not in MEASURES:
        raise TraitError(f"unknown similarity measure {name!r}; expected one of {', '.join(MEASURES)}")
    m = MEASURES[name]
    if kind not in m.kinds:
        raise TraitError(f"measure {name!r} does not apply to trait {trait!r} of kind {kind!r}; "
                         f"it applies to {', '.join(m.kinds)} traits")
    return m


def pair_similarity(enc: EncodedTrait, measure: Measure, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Similarity of code pairs ``(a[i], b[i])`` (all ≥ 0), computed once per distinct unordered pair."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if len(a) == 0:
        return np.empty(0)
    if measure.distinct_zero:
        return (a == b).astype(np.float64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo * max(enc.n_values, 1) + hi
    uk, inv = unique_inverse(key)
    n = max(enc.n_values, 1)
    return measure.func(enc, uk // n, uk % n)[inv]


def similarity(x: object, y: object, measure: str, *, kind: str | None = None) -> float:
    """Similarity of two single values (a convenience for exploring measures).

    Text measures fit their vocabulary on the two texts only, so values differ from
    those of an analysis, whose vocabulary comes from the whole model table.

    >>> similarity({"en", "fr"}, {"en", "de"}, "jaccard")
    0.3333333333333333
    >>> similarity("kitten", "sitting", "levenshtein")
    0.5714285714285714
    """
    import pandas as pd

    from hftree.traits.encode import encode_trait
    from hftree.traits.registry import Trait

    if kind is None:
        if isinstance(x, (set, frozenset, list, tuple)):
            kind = "set"
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            kind = "numeric"
        else:
            kind = "text" if measure in ("tfidf", "bow", "levenshtein") else "categorical"
    col = pd.Series([list(x) if kind == "set" else x, list(y) if kind == "set" else y], dtype=object)  # type: ignore[call-overload]
    enc = encode_trait(pd.DataFrame({"v": col}), Trait("value", kind, lambda m: m["v"]))  # type: ignore[arg-type]
    if (enc.codes < 0).any():
        raise TraitError("similarity: both values must be present (not None, NaN or an empty set)")
    m = get_measure(measure, kind, "value")
    return float(m.func(enc, enc.codes[:1], enc.codes[1:])[0])
