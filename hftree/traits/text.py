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

Implementation: no Python string is made per token or n-gram. The word runs are found
on the code points with NumPy, tokens are numbered by Arrow's hashing, n-grams by
factorising integer pairs, and counts are assembled with :mod:`scipy.sparse`; strings
are built only for the terms kept. The result equals, bit for bit, that of the plain
algorithm (a dict lookup per feature) that ``tests/traits/test_text.py`` keeps as
the reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from hftree._checks import whole_number
from hftree.errors import NotFittedError, ParameterError

__all__ = ["TextVectorizer", "levenshtein_distance", "levenshtein_similarity"]

_WORD = re.compile(r"\w")
# ``re``'s \w for each ASCII code point; index 128 stands for all the others (decided one by one)
_ASCII_WORD = np.array([_WORD.match(chr(i)) is not None for i in range(128)] + [False])
_BATCH_CHARS = 1 << 24  # characters tokenised at a time: bounds the temporary arrays


def _by_first_appearance(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``codes`` (dense: 0 … k - 1, non-empty) renumbered in order of first appearance, and
    the mask of the first appearances. Arrow's dictionary encoding numbers that way already;
    then each new code is one above all the codes before it, which is checked."""
    codes = codes.astype(np.int64)
    first = np.ones(len(codes), dtype=bool)
    np.greater(codes[1:], np.maximum.accumulate(codes)[:-1], out=first[1:])
    if codes[0] != 0 or codes[first][-1] != first.sum() - 1:  # new codes are not 0, 1, 2, …
        codes = pd.factorize(codes)[0].astype(np.int64)
        np.greater(codes[1:], np.maximum.accumulate(codes)[:-1], out=first[1:])
    return codes, first


def _tokenise(docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The tokens of the lower-cased documents, ``re.findall(r"(?u)\b\w\w+\b", doc.lower())``,
    without a Python string per token.

    Those tokens are the maximal runs of two or more ``\w`` characters (``\b`` is the edge
    of a run). The runs are found on the code points with NumPy — each code point
    classified as ``re``'s ``\w`` classifies it — and the tokens are numbered by hashing
    their code points in Arrow (a declared dependency). Returns ``(codes, tokens, doc)``:
    each token's code in reading order, codes numbered by first appearance; the distinct
    token strings (object array); each token's document.
    """
    chars, lens, docs_of = [], [], []
    lo = 0
    while lo < len(docs):
        hi, size = lo, 0
        while hi < len(docs) and (hi == lo or size + len(docs[hi]) < _BATCH_CHARS):
            size += len(docs[hi]) + 1
            hi += 1
        low = [d.lower() for d in docs[lo:hi]]
        # "\n" is no word character: no token runs across two documents
        cp = np.frombuffer("\n".join(low).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        word = np.zeros(len(cp) + 2, dtype=bool)
        w = word[1:-1]
        np.take(_ASCII_WORD, cp, mode="clip", out=w)  # code points ≥ 128 read entry 128 (False)
        other = np.flatnonzero(cp >= 128)
        if len(other):
            distinct, which = np.unique(cp[other], return_inverse=True)
            is_word = np.fromiter((_WORD.match(chr(c)) is not None for c in distinct.tolist()),
                                  dtype=bool, count=len(distinct))
            w[other] = is_word[which]
        edges = np.flatnonzero(word[1:] != word[:-1])  # runs of word characters: [start, end)
        start, run = edges[0::2], edges[1::2] - edges[0::2]
        w[start[run == 1]] = False  # one-character runs are no tokens
        chars.append(cp[w])
        lens.append(run[run > 1])
        ends = np.cumsum(np.fromiter(map(len, low), dtype=np.int64, count=len(low)) + 1)
        n_in = np.diff(np.searchsorted(start[run > 1], ends), prepend=0)  # tokens per document
        docs_of.append(np.repeat(np.arange(lo, hi, dtype=np.int64), n_in))
        lo = hi
    if not chars or not sum(map(len, lens)):
        z = np.zeros(0, dtype=np.int64)
        return z, np.zeros(0, dtype=object), z
    allchars, length, doc = np.concatenate(chars), np.concatenate(lens), np.concatenate(docs_of)
    end = np.cumsum(length)  # token i: allchars[end[i] - length[i] : end[i]]
    offsets = np.zeros(len(length) + 1, dtype=np.int64)
    offsets[1:] = end * 4
    binary = pa.Array.from_buffers(pa.large_binary(), len(length),
                                   [None, pa.py_buffer(offsets), pa.py_buffer(allchars)])
    codes, first = _by_first_appearance(np.asarray(pc.dictionary_encode(binary).indices))
    # the distinct strings: decode the code points of each first occurrence at once, then slice
    f = np.flatnonzero(first)
    flen = length[f]
    fend = np.cumsum(flen)
    idx = np.arange(int(fend[-1]), dtype=np.int64) + np.repeat(end[f] - flen - (fend - flen), flen)
    text = allchars[idx].tobytes().decode("utf-32-le", "surrogatepass")
    tokens = np.empty(len(f), dtype=object)
    tokens[:] = [text[b - n : b] for b, n in zip(fend.tolist(), flen.tolist(), strict=True)]
    return codes, tokens, doc


class _Grams:
    """The word n-grams of a corpus as integer codes; no string is built per occurrence.

    Tokens are numbered in order of first appearance (``tokens``). The ``n``-grams
    (``n ≥ 2``) are numbered, in order of first appearance, by factorising the pair (code
    of the ``(n - 1)``-gram starting at the same token, code of its ``n``-th token):
    ``pairs[n][g] = prev * len(tokens) + last`` describes the ``n``-gram ``g``, and
    ``gram[n]`` / ``doc[n]`` give the code and document of each occurrence in reading
    order. Its term id is ``offset[n] + g`` (unigrams: the token code), so the ids of one
    length are contiguous and each id stands for one string (tokens contain no space, so
    the joined strings of distinct code tuples differ).
    """

    def __init__(self, docs: Sequence[str], ngram_max: int, words: Sequence[str] | None = None) -> None:
        """``words``: number only the n-grams (n ≥ 2) made of these tokens (all if None)."""
        self.n_docs = len(docs)
        codes, self.tokens, doc_of_tok = _tokenise(docs)
        n_tok = len(codes)
        lens = np.bincount(doc_of_tok, minlength=self.n_docs)
        u = len(self.tokens)
        self.gram: dict[int, np.ndarray] = {1: codes}  # code of the n-gram at each position
        self.doc: dict[int, np.ndarray] = {1: doc_of_tok}  # its document
        self.pairs: dict[int, np.ndarray] = {}
        self.offset: dict[int, int] = {1: 0}
        self.n_terms = u
        if ngram_max > 1 and n_tok:
            pos = np.arange(n_tok, dtype=np.int64)
            remaining = np.cumsum(lens)[doc_of_tok] - pos  # tokens from here to the end of the document
            prev = codes
            known = None
            if words is not None:
                known = np.zeros(u, dtype=bool)
                found = pd.Index(self.tokens, dtype=object).get_indexer(list(words))
                known[found[found >= 0]] = True
                ok = known[codes]
                pos, prev = pos[ok], prev[ok]
            for n in range(2, ngram_max + 1):
                ok = remaining[pos] >= n
                if known is not None:
                    ok &= known[codes[np.minimum(pos + (n - 1), n_tok - 1)]]
                pos, prev = pos[ok], prev[ok]
                if not len(pos):
                    break
                g, uq = pd.factorize(prev * u + codes[pos + (n - 1)])
                prev = g.astype(np.int64, copy=False)
                self.gram[n], self.doc[n] = prev, doc_of_tok[pos]
                self.pairs[n] = np.asarray(uq, dtype=np.int64)
                self.offset[n] = self.n_terms
                self.n_terms += len(uq)

    def occurrences(self, col: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(document, term id)`` of every feature: all unigrams in reading order, then all
        bigrams, … With ``col``, term id ``t`` is replaced by ``col[t]`` and dropped if < 0."""
        docs, terms = [], []
        for n in sorted(self.gram):
            t, d = self.gram[n] + self.offset[n], self.doc[n]
            if col is not None:
                t = col[t]
                ok = t >= 0
                t, d = t[ok], d[ok]
            docs.append(d)
            terms.append(t)
        return np.concatenate(docs), np.concatenate(terms)

    def _split(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[int]]:
        ns = sorted(self.offset)
        starts = np.array([self.offset[n] for n in ns], dtype=np.int64)
        level = np.searchsorted(starts, ids, side="right") - 1
        return level, ids - starts[level], ns

    def terms(self, ids: np.ndarray) -> list[str]:
        """The strings of the term ids ``ids`` (built for these only)."""
        ids = np.asarray(ids, dtype=np.int64)
        level, code, ns = self._split(ids)
        u = len(self.tokens)
        out = []
        for n, g in zip([ns[i] for i in level.tolist()], code.tolist(), strict=True):
            parts = []
            while n > 1:
                g, last = divmod(int(self.pairs[n][g]), u)
                parts.append(self.tokens[last])
                n -= 1
            parts.append(self.tokens[g])
            out.append(" ".join(reversed(parts)))
        return out

    def first_seen(self, ids: np.ndarray) -> np.ndarray:
        """Rank of each term id of ``ids`` by first appearance in the corpus read document by
        document, each as its unigrams, then its bigrams, … (the number a dict filled
        feature by feature would give the term, relative to the others of ``ids``)."""
        ids = np.asarray(ids, dtype=np.int64)
        level, code, ns = self._split(ids)
        doc = np.zeros(len(ids), dtype=np.int64)
        for i, n in enumerate(ns):
            here = level == i
            if here.any():
                codes = self.gram[n]  # numbered in order of first appearance: a code is new
                new = np.ones(len(codes), dtype=bool)  # where it exceeds all before it
                np.greater(codes[1:], np.maximum.accumulate(codes)[:-1], out=new[1:])
                doc[here] = self.doc[n][np.flatnonzero(new)[code[here]]]
        # the codes of one length follow reading order: rank by (document, length, code)
        rank = np.empty(len(ids), dtype=np.int64)
        rank[np.lexsort((code, level, doc))] = np.arange(len(ids))
        return rank

    def ids(self, terms: Sequence[str], ngram_max: int) -> np.ndarray:
        """The term id of each string of ``terms``, -1 for strings that are no feature of the
        corpus (a term is a feature iff its space-separated parts are tokens forming an
        n-gram there, ``n ≤ ngram_max``)."""
        out = np.full(len(terms), -1, dtype=np.int64)
        if not len(terms) or not len(self.tokens):
            return out
        parts = [t.split(" ") for t in terms]
        width = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        tokens = pd.Index(self.tokens, dtype=object)
        u = len(self.tokens)
        for n in range(1, ngram_max + 1):
            which = np.flatnonzero(width == n)
            if not len(which) or n not in self.offset:
                continue
            words = np.empty(len(which) * n, dtype=object)
            words[:] = [w for i in which.tolist() for w in parts[i]]
            tok = tokens.get_indexer(words).reshape(len(which), n)
            code = tok[:, 0].astype(np.int64)
            for m in range(2, n + 1):
                found = (code >= 0) & (tok[:, m - 1] >= 0)
                nxt = pd.Index(self.pairs[m]).get_indexer(np.where(found, code * u + tok[:, m - 1], -1))
                code = np.where(found, nxt, -1)
            ok = code >= 0
            out[which[ok]] = code[ok] + self.offset[n]
        return out


def _pairs(doc: np.ndarray, col: np.ndarray, n_cols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct ``(document, column)`` pairs, in order of first appearance, and their counts."""
    if not len(doc):
        return doc, col, np.zeros(0, dtype=np.int64)
    width = max(n_cols, 1)
    codes, keys = pd.factorize(doc * width + col)
    pair_doc, pair_col = np.divmod(np.asarray(keys, dtype=np.int64), width)
    return pair_doc, pair_col, np.bincount(codes, minlength=len(pair_doc))


def _exact_sums(w: np.ndarray, n: int) -> bool:
    """Whether sums of up to ``n`` weights ``w`` are exact in float64 (whole numbers
    whose total stays below 2**53): then summing per occurrence or count × weight agree."""
    if not len(w):
        return True
    with np.errstate(invalid="ignore"):
        return bool(np.isfinite(w).all() and (w == np.trunc(w)).all()
                    and float(np.abs(w).max()) * max(n, 1) < 2.0**53)


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
        if w.shape != (len(docs),):
            raise ParameterError("sample_weight", f"one weight per document ({len(docs)})", w.shape)
        grams = _Grams(docs, self.ngram_max)
        doc, term = grams.occurrences()
        n_terms = grams.n_terms
        if sample_weight is None:
            tf: np.ndarray = np.bincount(term, minlength=n_terms).astype(np.float64)
        elif _exact_sums(w, len(term)):
            tf = np.bincount(term, weights=w[doc], minlength=n_terms)
        else:  # count × weight summed in document order, as X.T @ w does
            pair_doc, pair_term, cnt = _pairs(doc, term, n_terms)
            tf = np.bincount(pair_term, weights=cnt * w[pair_doc], minlength=n_terms)
        keep = self._most_frequent(grams, tf)
        names = grams.terms(keep)
        alpha = sorted(range(len(keep)), key=names.__getitem__)  # columns in alphabetical order
        keep = keep[np.asarray(alpha, dtype=np.int64)]
        self.vocabulary_ = {names[i]: j for j, i in enumerate(alpha)}
        # Count matrix of the kept terms with the columns numbered by first appearance in the
        # corpus (the order of the former dict-built matrix, whose sorted rows then kept it
        # when the columns were selected): canonical CSR puts each row in that order.
        k = len(keep)
        rank = grams.first_seen(keep)
        rank_of_term = np.full(n_terms, -1, dtype=np.int64)
        rank_of_term[keep] = rank
        r = rank_of_term[term]
        ok = r >= 0
        X = sparse.coo_matrix((np.ones(int(ok.sum())), (doc[ok], r[ok])), shape=(len(docs), k)).tocsr()
        X.sum_duplicates()
        rows = np.repeat(np.arange(len(docs)), np.diff(X.indptr))
        df = np.bincount(X.indices, weights=w[rows], minlength=k)[rank]  # in document order
        n = float(w.sum())
        if self.weighting == "tfidf":
            self.idf_ = np.log((1.0 + n) / (1.0 + df)) + 1.0
        else:
            self.idf_ = np.ones(k)
        col_of_rank = np.empty(k, dtype=X.indices.dtype)
        col_of_rank[rank] = np.arange(k)
        return sparse.csr_matrix((X.data, col_of_rank[X.indices], X.indptr), shape=(len(docs), k))

    def _most_frequent(self, grams: _Grams, tf: np.ndarray) -> np.ndarray:
        """Ids of the ``max_features`` terms of largest ``tf``, ties broken alphabetically."""
        n_terms, k = len(tf), self.max_features
        if n_terms <= k:
            return np.arange(n_terms)
        if not np.isfinite(tf).all():  # NaN or infinite weights: the plain lexicographic sort
            names = np.array(grams.terms(np.arange(n_terms)), dtype=object)
            return np.lexsort((names.astype(str), -tf))[:k]
        kth = np.partition(tf, n_terms - k)[n_terms - k]  # the k-th largest count
        above = np.flatnonzero(tf > kth)  # fewer than k terms
        tied = np.flatnonzero(tf == kth)
        tied_names = grams.terms(tied)  # strings only for the terms tied at the cut
        first = sorted(range(len(tied)), key=tied_names.__getitem__)[: k - len(above)]
        return np.concatenate([above, tied[np.asarray(first, dtype=np.int64)]])

    def transform(self, docs: Iterable[str]) -> sparse.csr_matrix:
        """Rows of weights, L2-normalised (an all-zero row stays zero)."""
        if not hasattr(self, "vocabulary_"):
            raise NotFittedError("TextVectorizer is not fitted; call fit(docs) first")
        docs = list(docs)
        words = {w for term in self.vocabulary_ for w in term.split(" ")}
        grams = _Grams(docs, self.ngram_max, sorted(words))
        n_cols = len(self.vocabulary_)
        ids = grams.ids(list(self.vocabulary_), self.ngram_max)
        found = ids >= 0
        col = np.full(grams.n_terms, -1, dtype=np.int64)
        col[ids[found]] = np.fromiter(self.vocabulary_.values(), dtype=np.int64, count=n_cols)[found]
        # each row in the order its terms first appear in the document (unigrams, bigrams, …)
        pair_doc, pair_col, cnt = _pairs(*grams.occurrences(col), n_cols)
        order = np.argsort(pair_doc, kind="stable")
        indptr = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum(np.bincount(pair_doc, minlength=len(docs)), out=indptr[1:])
        X = sparse.csr_matrix((cnt[order].astype(np.float64), pair_col[order], indptr), shape=(len(docs), n_cols))
        return self._weigh(X)

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
