"""The vectorised TextVectorizer against the plain dict-and-strings algorithm it replaced.

``_Reference`` is the former implementation, kept verbatim in spirit: one string per
feature, a dict lookup per feature, the vocabulary numbered in order of first appearance,
then the ``max_features`` most frequent terms (ties alphabetical) in alphabetical columns.
The new code must give the same vocabulary, bit-identical idf and the same CSR matrices
(same indptr, same column order inside each row, same float64 data).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from hftree.traits import text
from hftree.traits.text import TextVectorizer

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def _features(doc, ngram_max):
    tokens = _TOKEN.findall(doc.lower())
    out = list(tokens)
    for n in range(2, ngram_max + 1):
        out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


class _Reference:
    """The former TextVectorizer (pure Python counting)."""

    def __init__(self, weighting="tfidf", *, max_features=512, ngram_max=2):
        self.weighting, self.max_features, self.ngram_max = weighting, max_features, ngram_max

    def _count_matrix(self, docs, vocab, grow):
        indptr, indices, data = [0], [], []
        for doc in docs:
            row = {}
            for f in _features(doc, self.ngram_max):
                j = vocab.get(f)
                if j is None:
                    if not grow:
                        continue
                    j = vocab[f] = len(vocab)
                row[j] = row.get(j, 0) + 1
            indices.extend(row.keys())
            data.extend(row.values())
            indptr.append(len(indices))
        return sparse.csr_matrix(
            (np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
            shape=(len(docs), len(vocab)))

    def _fit_counts(self, docs, sample_weight):
        w = np.ones(len(docs)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        vocab = {}
        X = self._count_matrix(docs, vocab, grow=True)
        tf = np.asarray(X.T @ w).ravel()
        df = np.asarray((X > 0).astype(np.float64).T @ w).ravel()  # sorts X's rows in place
        terms = np.array(list(vocab), dtype=object)
        keep = np.arange(len(terms))
        if len(terms) > self.max_features:
            keep = np.lexsort((terms.astype(str), -tf))[: self.max_features]
        keep = keep[np.argsort(terms[keep].astype(str))]
        self.vocabulary_ = {str(t): i for i, t in enumerate(terms[keep])}
        n = float(w.sum())
        if self.weighting == "tfidf":
            self.idf_ = np.log((1.0 + n) / (1.0 + df[keep])) + 1.0
        else:
            self.idf_ = np.ones(len(keep))
        return sparse.csr_matrix(X[:, keep])

    def transform(self, docs):
        return self._weigh(self._count_matrix(list(docs), dict(self.vocabulary_), grow=False))

    def _weigh(self, X):
        X = sparse.csr_matrix(X @ sparse.diags(self.idf_))
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ X)

    def fit_transform(self, docs, sample_weight=None):
        return self._weigh(self._fit_counts(list(docs), sample_weight))


def _assert_same_csr(got, want):
    assert got.shape == want.shape
    assert got.indptr.dtype == want.indptr.dtype and got.indices.dtype == want.indices.dtype
    np.testing.assert_array_equal(got.indptr, want.indptr)
    np.testing.assert_array_equal(got.indices, want.indices)  # same order inside each row
    assert got.data.dtype == want.data.dtype
    np.testing.assert_array_equal(got.data, want.data)  # bit-identical weights


def _check(docs, others=(), sample_weight=None, **kw):
    ref, new = _Reference(**kw), TextVectorizer(**kw)
    _assert_same_csr(new._fit_counts(list(docs), sample_weight), ref._fit_counts(list(docs), sample_weight))
    assert list(new.vocabulary_.items()) == list(ref.vocabulary_.items())
    assert new.idf_.dtype == ref.idf_.dtype
    np.testing.assert_array_equal(new.idf_, ref.idf_)
    _assert_same_csr(new.fit_transform(docs, sample_weight), ref.fit_transform(docs, sample_weight))
    for batch in (docs, list(others), list(docs) + list(others)):
        _assert_same_csr(new.transform(batch), ref.transform(batch))
    return new


# letters, digits, underscore, spaces and punctuation, and non-ASCII: accented and
# case-changing letters (İ lower-cases to two code points, the second no word character),
# final sigma, a combining mark (no \w), CJK, superscript digit, emoji, a lone surrogate
_ALPHABET = [*"abcAB01_ .,-'\n\t", "é", "ß", "İ", "Σ", "σ", "\u0301", "中", "²", "😀", "\ud800", "Ⅻ"]
_doc = st.text(alphabet=st.sampled_from(_ALPHABET), max_size=40)
_word_doc = st.lists(st.sampled_from(["ab", "cd", "ab", "éa", "x", "İb", "a_1", "中中", "ab."]),
                     max_size=12).map(" ".join)
_docs = st.lists(st.one_of(_doc, _word_doc), max_size=8)


@settings(max_examples=300, deadline=None)
@given(_docs, _docs, st.sampled_from([1, 2, 3]), st.integers(1, 8), st.sampled_from(["tfidf", "bow"]),
       st.sampled_from(["none", "whole", "fraction"]), st.randoms(use_true_random=False))
def test_equals_the_reference_on_random_docs(docs, others, ngram_max, max_features, weighting, weights, rnd):
    sw = None
    if weights == "whole":
        sw = [rnd.randint(0, 5) for _ in docs]
    elif weights == "fraction":
        sw = [rnd.random() * 3 for _ in docs]
    _check(docs, others, sw, weighting=weighting, max_features=max_features, ngram_max=ngram_max)


@pytest.mark.parametrize("ngram_max", [1, 2, 3])
@pytest.mark.parametrize("docs", [
    [], [""], ["", "", ""], ["a"], ["ab"], ["ab", ""], ["", "ab ab ab"], ["ab ab ab ab", "ab"],
    ["x y z"], ["Ab aB AB"], ["ab cd", "cd ab", "ab cd ab cd"], ["İstanbul ΣΟΦΟΣ straße"],
])
def test_edge_cases_equal_the_reference(docs, ngram_max):
    for k in (1, 2, 512):
        _check(docs, ["ab cd zz", "", "new words only"], ngram_max=ngram_max, max_features=k)


def test_ties_at_the_cut_are_broken_alphabetically():
    # 'b' .. 'k' prefixed tokens once each: many terms tied at count 1 around the cut
    docs = ["zz zz zz yy yy " + " ".join(f"t{c}" for c in "kjihgfedcb"), "tb tc"]
    for k in range(1, 25):
        v = _check(docs, ngram_max=2, max_features=k)
        assert len(v.vocabulary_) == min(k, len(v.vocabulary_))


def test_a_larger_corpus_equals_the_reference():
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(400)] + ["été", "über", "Straße", "ΣΟΦΟΣ", "中文"]
    p = 1.0 / np.arange(1, len(words) + 1)
    docs = [" ".join(rng.choice(words, size=int(rng.integers(0, 120)), p=p / p.sum())) + ". Ok!"
            for _ in range(150)]
    for ngram_max in (1, 2, 3):
        _check(docs, docs[::7], ngram_max=ngram_max)
        _check(docs, sample_weight=rng.integers(1, 9, len(docs)), ngram_max=ngram_max)
        _check(docs, sample_weight=rng.random(len(docs)), ngram_max=ngram_max)


def test_transform_ignores_vocabulary_terms_that_are_no_feature():
    v = TextVectorizer("bow", max_features=10**6).fit(["ab cd ef"])
    v.vocabulary_ = {"ab": 0, "ab  cd": 1, "": 2, "AB": 3, "cd ef": 4, "ab cd ef": 5, "a": 6, "zz": 7}
    v.idf_ = np.ones(8)
    X = v.transform(["ab cd ef ab", "zz"]).toarray()
    ref = _Reference("bow")
    ref.vocabulary_, ref.idf_ = v.vocabulary_, v.idf_
    np.testing.assert_array_equal(X, ref.transform(["ab cd ef ab", "zz"]).toarray())
    assert X[0, 0] > 0 and X[0, 4] > 0 and X[0, [1, 2, 3, 5, 6, 7]].sum() == 0  # 'ab cd ef' > ngram_max


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(_ALPHABET), max_size=30), max_size=6), st.integers(1, 40))
def test_tokeniser_equals_re_findall(docs, batch):
    old = text._BATCH_CHARS
    text._BATCH_CHARS = batch  # documents split over several batches, too
    try:
        codes, tokens, doc = text._tokenise(docs)
    finally:
        text._BATCH_CHARS = old
    want = [(i, t) for i, d in enumerate(docs) for t in _TOKEN.findall(d.lower())]
    assert [(int(d), tokens[c]) for d, c in zip(doc, codes, strict=True)] == want
    assert list(tokens) == list(dict.fromkeys(t for _, t in want))  # numbered by first appearance


def test_codes_are_renumbered_by_first_appearance():
    codes, first = text._by_first_appearance(np.array([2, 0, 2, 1, 0, 3]))
    np.testing.assert_array_equal(codes, [0, 1, 0, 2, 1, 3])
    np.testing.assert_array_equal(first, [True, True, False, True, False, True])
    codes, first = text._by_first_appearance(np.array([0, 0, 1, 0, 2], dtype=np.int32))
    np.testing.assert_array_equal(codes, [0, 0, 1, 0, 2])
    np.testing.assert_array_equal(first, [True, False, True, False, True])


def test_sample_weight_must_match_the_documents():
    with pytest.raises(ValueError, match="sample_weight"):
        TextVectorizer().fit(["ab cd", "ef"], sample_weight=[1.0])


def test_fractional_weights_rank_by_count_times_weight():
    # 6 × 0.1 = 0.6000000000000001 but 0.1 + … + 0.1 (6 times) = 0.6: 'zz', 6 times in one
    # document, outranks 'aa', once in 6 documents, as in the reference (X.T @ w)
    docs = ["zz " * 6] + ["aa"] * 6
    v = _check(docs, sample_weight=[0.1] * 7, max_features=1)
    assert list(v.vocabulary_) == ["zz"]
    assert list(TextVectorizer(max_features=1).fit(docs).vocabulary_) == ["aa"]  # unweighted: a tie
