"""Text features for trait similarity: bag-of-words / TF-IDF vectors and normalised Levenshtein.

The vectoriser reproduces the settings of Laufer, Oderinwale & Kleinberg (2025):
scikit-learn's ``CountVectorizer`` / ``TfidfVectorizer`` with ``max_features=512``,
``ngram_range=(1, 2)`` and ``lowercase=True`` (everything else default: token
pattern ``(?u)\\b\\w\\w+\\b``, smoothed idf ``ln((1 + n) / (1 + df)) + 1``, rows
L2-normalised). It is written here with :mod:`scipy.sparse` so that hftree does
not depend on scikit-learn; the test suite checks it against scikit-learn where
that is installed. One documented difference: when several terms tie at the
512th place of the frequency ranking, scikit-learn's choice depends on its sort
implementation, hftree keeps the alphabetically first ones.

Documents can be given once with a *multiplicity* (``sample_weight``): fitting
on unique texts with their counts is identical to fitting on the repeated corpus,
which is how a model table with many identical cards is vectorised cheaply.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

from hftree._checks import whole_number
from hftree.errors import NotFittedError, ParameterError

__all__ = ["TextVectorizer", "levenshtein_distance", "levenshtein_similarity"]

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def _features(doc: str, ngram_max: int) -> list[str]:
    tokens = _TOKEN.findall(doc.lower())
    if ngram_max == 1:
        return tokens
    out = list(tokens)
    for n in range(2, ngram_max + 1):
        out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


class TextVectorizer:
    """Bag-of-words counts or TF-IDF weights of unigrams and bigrams, rows L2-normalised.

    Parameters
    ----------
    weighting : {"tfidf", "bow"}
        ``"tfidf"``: term count × smoothed idf; ``"bow"``: raw term counts.
    max_features : int
        Keep the most frequent terms (total count over the corpus).
    ngram_max : int
        Longest word n-gram (1-grams up to ``ngram_max``-grams).

    Attributes
    ----------
    vocabulary_ : dict
        Term → column.
    idf_ : numpy.ndarray
        Inverse document frequency of each column (ones for ``"bow"``).

    Examples
    --------
    >>> v = TextVectorizer("bow", max_features=3).fit(["a cat sat", "the cat", "the cat sat"])
    >>> sorted(v.vocabulary_)  # 'cat' 3 times; 'cat sat', 'sat', 'the', 'the cat' twice: first 2 kept
    ['cat', 'cat sat', 'sat']
    >>> v.transform(["cat cat sat"]).toarray().round(3)
    array([[0.816, 0.408, 0.408]])
    """

    def __init__(self, weighting: str = "tfidf", *, max_features: int = 512, ngram_max: int = 2) -> None:
        if weighting not in ("tfidf", "bow"):
            raise ParameterError("weighting", "'tfidf' or 'bow'", weighting)
        self.weighting = weighting
        self.max_features = whole_number("max_features", max_features, 1)
        self.ngram_max = whole_number("ngram_max", ngram_max, 1)

    def fit(self, docs: Iterable[str], sample_weight: Sequence[float] | np.ndarray | None = None) -> TextVectorizer:
        """Learn the vocabulary (and idf) from ``docs``, each counted ``sample_weight`` times."""
        self._fit_counts(list(docs), sample_weight)
        return self

    def _fit_counts(self, docs: list[str], sample_weight: Sequence[float] | np.ndarray | None) -> sparse.csr_matrix:
        w = np.ones(len(docs)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        vocab: dict[str, int] = {}
        X = self._count_matrix(docs, vocab, grow=True)
        tf = np.asarray(X.T @ w).ravel()
        df = np.asarray((X > 0).astype(np.float64).T @ w).ravel()
        terms = np.array(list(vocab), dtype=object)
        keep = np.arange(len(terms))
        if len(terms) > self.max_features:
            order = np.lexsort((terms.astype(str), -tf))  # most frequent, then alphabetical
            keep = order[: self.max_features]
        keep = keep[np.argsort(terms[keep].astype(str))]  # columns in alphabetical order
        self.vocabulary_ = {str(t): i for i, t in enumerate(terms[keep])}
        n = float(w.sum())
        if self.weighting == "tfidf":
            self.idf_ = np.log((1.0 + n) / (1.0 + df[keep])) + 1.0
        else:
            self.idf_ = np.ones(len(keep))
        return sparse.csr_matrix(X[:, keep])

    def _count_matrix(self, docs: Sequence[str], vocab: dict[str, int], grow: bool) -> sparse.csr_matrix:
        indptr = [0]
        indices: list[int] = []
        data: list[int] = []
        for doc in docs:
            row: dict[int, int] = {}
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
            shape=(len(docs), len(vocab)),
        )

    def transform(self, docs: Iterable[str]) -> sparse.csr_matrix:
        """Rows of weights, L2-normalised (an all-zero row stays zero)."""
        if not hasattr(self, "vocabulary_"):
            raise NotFittedError("TextVectorizer is not fitted; call fit(docs) first")
        return self._weigh(self._count_matrix(list(docs), dict(self.vocabulary_), grow=False))

    def _weigh(self, X: sparse.csr_matrix) -> sparse.csr_matrix:
        X = sparse.csr_matrix(X @ sparse.diags(self.idf_))
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ X)

    def fit_transform(self, docs: Iterable[str], sample_weight: Sequence[float] | np.ndarray | None = None
                      ) -> sparse.csr_matrix:
        """:meth:`fit` then :meth:`transform` of the same documents, counting them once."""
        return self._weigh(self._fit_counts(list(docs), sample_weight))


def levenshtein_distance(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions) between two strings.

    Uses ``rapidfuzz`` when it is installed, otherwise the bit-parallel algorithm of
    Myers (1999) in Hyyrö's (2001) formulation on Python integers: time
    O(len(a) · len(b) / word size), no quadratic table.

    >>> levenshtein_distance("kitten", "sitting")
    3
    >>> levenshtein_distance("", "abc")
    3
    """
    try:  # optional C++ implementation, same result
        from rapidfuzz.distance import Levenshtein as _rf  # type: ignore[import-not-found]
    except ImportError:
        return _myers(a, b)
    return int(_rf.distance(a, b))


def _myers(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    m = len(b)  # pattern: the shorter string
    if m == 0:
        return len(a)
    peq: dict[str, int] = {}
    for i, ch in enumerate(b):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    mask = (1 << m) - 1
    high = 1 << (m - 1)
    pv, mv, score = mask, 0, m
    for ch in a:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & mask
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = (mh | ~(xv | ph)) & mask
        mv = ph & xv
    return score


def levenshtein_similarity(a: str, b: str) -> float:
    """``1 - distance / max(len(a), len(b))``; 1 for two empty strings (as in the paper).

    >>> round(levenshtein_similarity("kitten", "sitting"), 4)
    0.5714
    """
    if not a and not b:
        return 1.0
    return 1.0 - levenshtein_distance(a, b) / max(len(a), len(b))
