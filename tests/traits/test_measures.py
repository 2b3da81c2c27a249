"""Similarity measures with known answers; the vectoriser against a direct computation and scikit-learn."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hftree.errors import NotFittedError, ParameterError
from hftree.traits import TextVectorizer, Trait, TraitError, levenshtein_similarity, similarity
from hftree.traits.encode import encode_trait
from hftree.traits.measures import MEASURES, pair_similarity
from hftree.traits.text import _myers


def test_equality_and_jaccard():
    assert similarity("mit", "mit", "equality") == 1.0
    assert similarity("mit", "apache-2.0", "equality") == 0.0
    assert similarity({"en", "fr"}, {"fr", "en"}, "equality") == 1.0
    assert similarity({"en", "fr"}, {"en", "de"}, "jaccard") == pytest.approx(1 / 3)
    assert similarity({"en"}, {"de", "fr"}, "jaccard") == 0.0
    assert similarity(["en", "en", "fr"], ["fr", "en"], "jaccard") == 1.0  # duplicates do not count


def test_ratio():
    assert similarity(7_000_000_000, 3_500_000_000, "ratio") == 0.5
    assert similarity(0, 0, "ratio") == 1.0
    assert similarity(10, 0, "ratio") == 0.0


@pytest.mark.parametrize(("a", "b", "d"), [("kitten", "sitting", 3), ("", "", 0), ("", "abc", 3),
                                           ("flaw", "lawn", 2), ("gumbo", "gambol", 2), ("a" * 70, "b" * 70, 70)])
def test_levenshtein_known(a, b, d):
    assert _myers(a, b) == d
    expected = 1.0 if not a and not b else 1 - d / max(len(a), len(b))
    assert levenshtein_similarity(a, b) == pytest.approx(expected)


def _dp(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcé\n ", max_size=90), st.text(alphabet="abcdé ", max_size=90))
def test_bit_parallel_levenshtein_equals_the_textbook_table(a, b):
    assert _myers(a, b) == _dp(a, b) == _myers(b, a)


CORPUS = ["The cat sat on the mat.", "A dog and a cat", "the the dog dog dog", "Zebra crossing at night",
          "", "cat mat dog zebra night day", "The cat sat on the mat."]


def _direct_tfidf(docs, weighting):
    """TF-IDF from the textbook formulas, no sparse tricks (all terms kept: < 512 here)."""
    tok = [re.findall(r"(?u)\b\w\w+\b", d.lower()) for d in docs]
    feats = [t + [" ".join(t[i:i + 2]) for i in range(len(t) - 1)] for t in tok]
    vocab = sorted({f for fs in feats for f in fs})
    X = np.array([[fs.count(v) for v in vocab] for fs in feats], dtype=float)
    if weighting == "tfidf":
        n = len(docs)
        df = (X > 0).sum(axis=0)
        X = X * (np.log((1 + n) / (1 + df)) + 1)
    norms = np.linalg.norm(X, axis=1)
    norms[norms == 0] = 1
    return X / norms[:, None]


@pytest.mark.parametrize("weighting", ["tfidf", "bow"])
def test_vectoriser_equals_the_formulas(weighting):
    got = TextVectorizer(weighting).fit_transform(CORPUS).toarray()
    np.testing.assert_allclose(got, _direct_tfidf(CORPUS, weighting), atol=1e-12)


@pytest.mark.parametrize("weighting", ["tfidf", "bow"])
def test_vectoriser_matches_scikit_learn(weighting):
    text = pytest.importorskip("sklearn.feature_extraction.text")
    cls = text.TfidfVectorizer if weighting == "tfidf" else text.CountVectorizer
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    docs = [" ".join(rng.choice(words, size=60, p=np.arange(1, 301)[::-1] / 45150)) for _ in range(200)]
    # every feature kept: identical vocabulary, idf and vectors
    ours = TextVectorizer(weighting, max_features=10**9).fit(docs)
    ref = cls(ngram_range=(1, 2), lowercase=True).fit(docs)
    assert ours.vocabulary_ == {k: int(v) for k, v in ref.vocabulary_.items()}
    X = ref.transform(docs).toarray().astype(float)
    X /= np.maximum(np.linalg.norm(X, axis=1), 1e-300)[:, None]
    np.testing.assert_allclose(ours.transform(docs).toarray(), X, atol=1e-12)


def test_the_512_features_kept_are_the_most_frequent():
    text = pytest.importorskip("sklearn.feature_extraction.text")
    # token j occurs 2(600 - j) + 1 times in a row: unigram and bigram counts all distinct
    docs = [" ".join([f"t{j}"] * (2 * (600 - j) + 1)) for j in range(600)]
    ours = TextVectorizer("tfidf").fit(docs)
    ref = text.TfidfVectorizer(max_features=512, ngram_range=(1, 2)).fit(docs)
    assert ours.vocabulary_ == {k: int(v) for k, v in ref.vocabulary_.items()}
    assert len(ours.vocabulary_) == 512 and "t0 t0" in ours.vocabulary_ and "t300" not in ours.vocabulary_


def test_sample_weight_equals_repeating_documents():
    uniq = ["alpha beta", "beta gamma delta", "alpha alpha"]
    w = [3, 1, 2]
    rep = [d for d, k in zip(uniq, w, strict=True) for _ in range(k)]
    a = TextVectorizer("tfidf").fit(uniq, sample_weight=w)
    b = TextVectorizer("tfidf").fit(rep)
    assert a.vocabulary_ == b.vocabulary_
    np.testing.assert_allclose(a.idf_, b.idf_)


def test_cosine_paths_agree():
    """Gram-matrix, dense and sparse evaluation of the cosine give the same numbers."""
    models = pd.DataFrame({"id": [str(i) for i in range(len(CORPUS))], "t": CORPUS})
    enc = encode_trait(models, Trait("t", "text", lambda m: m["t"]))
    a = np.repeat(np.arange(enc.n_values), enc.n_values)
    b = np.tile(np.arange(enc.n_values), enc.n_values)
    V = enc.vectors("tfidf").toarray()
    want = np.clip((V[a] * V[b]).sum(axis=1), 0, 1)
    got = MEASURES["tfidf"].func(enc, a, b)  # len(a) > U: the Gram matrix
    np.testing.assert_allclose(got, want, atol=1e-12)
    got_small = MEASURES["tfidf"].func(enc, a[:3], b[:3])  # dense rows
    np.testing.assert_allclose(got_small, want[:3], atol=1e-6)


def test_pair_similarity_evaluates_each_distinct_pair_once():
    models = pd.DataFrame({"id": list("abcd"), "t": ["x y", "y z", "x y", "q"]})
    enc = encode_trait(models, Trait("t", "text", lambda m: m["t"]))
    calls = []
    m = MEASURES["levenshtein"]
    spy = type(m)(m.name, m.kinds, lambda e, a, b: (calls.append(len(a)), m.func(e, a, b))[1], expensive=True)
    codes = enc.codes
    s = pair_similarity(enc, spy, codes[[0, 2, 1, 0]], codes[[1, 1, 0, 2]])
    assert calls == [2]  # (x y, y z) three times in both orders -> once; (x y, x y) once
    assert s.tolist() == pytest.approx([1 - 2 / 3, 1 - 2 / 3, 1 - 2 / 3, 1.0])


def test_measure_errors():
    with pytest.raises(TraitError, match="measure 'tfidf' does not apply to trait 'value' of kind 'set'"):
        similarity({"a"}, {"b"}, "tfidf")
    with pytest.raises(TraitError, match="unknown similarity measure 'cosine'"):
        similarity("a", "b", "cosine")
    with pytest.raises(TraitError, match="both values must be present"):
        similarity(set(), {"b"}, "jaccard")
    with pytest.raises(ParameterError, match="weighting: expected 'tfidf' or 'bow', got 'word2vec'"):
        TextVectorizer("word2vec")
    with pytest.raises(NotFittedError, match="not fitted"):
        TextVectorizer().transform(["a"])


def test_levenshtein_similarity_is_symmetric_and_bounded():
    for a, b in [("model card", "model cards"), ("x", "yyyy")]:
        s = levenshtein_similarity(a, b)
        assert 0 <= s <= 1 and s == levenshtein_similarity(b, a)
    assert math.isclose(levenshtein_similarity("x", "yyyy"), 0.0)
