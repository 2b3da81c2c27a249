"""Integer codes for trait values: every analysis compares codes, never Python objects.

A trait column becomes ``codes`` (one int64 per model, ``-1`` = not reported) plus
the table of distinct values. Sets are canonicalised (sorted, de-duplicated) with
Arrow kernels, so two models with ``["fr", "en"]`` and ``["en", "fr"]`` get the
same code. Similarities are then computed once per distinct pair of codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from hftree.errors import TraitError
from hftree.traits._util import unique_counts, unique_first
from hftree.traits.registry import Trait

__all__ = ["EncodedTrait", "encode_trait"]


@dataclass
class EncodedTrait:
    """Codes of one trait.

    Attributes
    ----------
    name, kind : str
        The trait.
    codes : numpy.ndarray of int64
        Code of each model (or graph node after :meth:`at_nodes`); -1 = missing.
    values : numpy.ndarray
        The distinct values (object array; sets as tuples of element names; floats for numeric).
    counts : numpy.ndarray of int64
        Number of models of the table with each value.
    set_indptr, set_elems : numpy.ndarray
        For sets: elements (codes into ``elements``) of value ``k`` are
        ``set_elems[set_indptr[k]:set_indptr[k + 1]]``, sorted.
    elements : numpy.ndarray
        For sets: element names.
    """

    name: str
    kind: str
    codes: np.ndarray
    values: np.ndarray
    counts: np.ndarray
    set_indptr: np.ndarray | None = None
    set_elems: np.ndarray | None = None
    elements: np.ndarray | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_values(self) -> int:
        return len(self.values)

    @property
    def valid(self) -> np.ndarray:
        return self.codes >= 0

    def labels(self) -> np.ndarray:
        """A printable label per distinct value (sets: elements joined by ``|``)."""
        if self.kind == "set":
            return np.array(["|".join(v) for v in self.values], dtype=object)
        return np.array([str(v) for v in self.values], dtype=object)

    def decoded(self) -> np.ndarray:
        """Value of each entry (sets as sorted lists, ``None`` where missing)."""
        out = np.full(len(self.codes), None, dtype=object)
        ok = self.codes >= 0
        vals = self.values if self.kind != "set" else np.array([list(v) for v in self.values] + [None],
                                                               dtype=object)[:-1]
        if ok.any():
            out[ok] = vals[self.codes[ok]]
        return out

    def set_matrix(self) -> sparse.csr_matrix:
        """Distinct sets × elements, binary (cached)."""
        if "set_matrix" not in self._cache:
            assert self.set_indptr is not None and self.set_elems is not None and self.elements is not None
            data = np.ones(len(self.set_elems), dtype=np.float64)
            self._cache["set_matrix"] = sparse.csr_matrix(
                (data, self.set_elems, self.set_indptr), shape=(self.n_values, len(self.elements)))
        return self._cache["set_matrix"]

    def set_sizes(self) -> np.ndarray:
        assert self.set_indptr is not None
        return np.diff(self.set_indptr)

    def vectors(self, weighting: str) -> sparse.csr_matrix:
        """L2-normalised TF-IDF or bag-of-words rows of the distinct texts (cached), fitted on
        the model table with each text counted once per model that has it. Both weightings
        share one vocabulary (the 512 most frequent 1–2-grams), counted once."""
        key = "vec:" + weighting
        if key not in self._cache:
            from hftree.traits.text import TextVectorizer

            if "counts" not in self._cache:
                vec = TextVectorizer("tfidf", max_features=512, ngram_max=2)
                X = vec._fit_counts([str(v) for v in self.values], self.counts)
                self._cache["counts"] = (X, vec)
            X, vec = self._cache["counts"]
            if weighting == "bow":
                bow = TextVectorizer("bow", max_features=512, ngram_max=2)
                bow.vocabulary_, bow.idf_ = vec.vocabulary_, np.ones(len(vec.idf_))
                vec = bow
            self._cache[key] = vec._weigh(X)
        return self._cache[key]

    def at_nodes(self, node_of_row: np.ndarray, n_nodes: int) -> EncodedTrait:
        """The same trait with codes indexed by graph node (rows not in the graph are dropped,
        nodes without a row are missing). The value table and caches are shared."""
        codes = np.full(n_nodes, -1, dtype=np.int64)
        ok = node_of_row >= 0
        codes[node_of_row[ok]] = self.codes[ok]
        return replace(self, codes=codes, _cache=self._cache)


def encode_trait(models: pd.DataFrame, trait: Trait) -> EncodedTrait:
    """Compute ``trait`` on ``models`` and encode it (see :class:`EncodedTrait`)."""
    s = trait.values(models)
    try:
        if trait.kind == "set":
            return _encode_set(trait.name, s)
        if trait.kind == "numeric":
            num = pd.to_numeric(s, errors="raise").astype("Float64")
            arr = num.to_numpy(dtype=np.float64, na_value=np.nan)
            codes, uniq = pd.factorize(arr, use_na_sentinel=True)
            values = np.asarray(uniq, dtype=np.float64)
        elif _is_string(s) or isinstance(s.dtype, pd.CategoricalDtype):
            codes, uniq = pd.factorize(s, use_na_sentinel=True)
            values = np.asarray(uniq, dtype=object)
        else:
            obj = s.astype(object)
            obj = obj.where(pd.notna(obj), None)
            if trait.kind == "text":
                bad = obj.map(lambda v: v is not None and not isinstance(v, str))
                if bad.any():
                    i = int(np.flatnonzero(bad.to_numpy())[0])
                    raise TraitError(f"text trait {trait.name!r} returned a {type(obj.iloc[i]).__name__} "
                                     f"for row {i}; expected str or None")
            codes, uniq = pd.factorize(obj, use_na_sentinel=True)
            values = np.asarray(uniq, dtype=object)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, TraitError):
            raise
        raise TraitError(f"trait {trait.name!r} ({trait.kind}): cannot encode its values: {exc}") from exc
    codes = np.asarray(codes, dtype=np.int64)
    counts = np.bincount(codes[codes >= 0], minlength=len(values)).astype(np.int64)
    return EncodedTrait(trait.name, trait.kind, codes, values, counts)


def _is_string(s: pd.Series) -> bool:
    dt = s.dtype
    return isinstance(dt, pd.StringDtype) or (isinstance(dt, pd.ArrowDtype) and pa.types.is_string(dt.pyarrow_dtype))


def _list_array(s: pd.Series, name: str) -> pa.ChunkedArray:
    if isinstance(s.dtype, pd.ArrowDtype) and pa.types.is_list(s.dtype.pyarrow_dtype):
        arr = s.array.__arrow_array__()
        return arr.cast(pa.list_(pa.string())) if s.dtype.pyarrow_dtype.value_type != pa.string() else arr
    rows: list[list[str] | None] = []
    for i, v in enumerate(s.astype(object).tolist()):
        if v is None or (isinstance(v, float) and v != v):
            rows.append(None)
        elif isinstance(v, (list, tuple, set, frozenset, np.ndarray)):
            rows.append([str(x) for x in v if x is not None])
        else:
            raise TraitError(f"set trait {name!r} returned a {type(v).__name__} for row {i}; "
                             "expected a list, tuple or set (or None)")
    return pa.chunked_array([pa.array(rows, pa.list_(pa.string()))])


def _encode_set(name: str, s: pd.Series) -> EncodedTrait:
    """Canonical sets: de-duplicated, sorted element codes; empty sets are missing."""
    n = len(s)
    arr = _list_array(s, name)
    flat = pc.list_flatten(arr)
    flat = flat.combine_chunks() if isinstance(flat, pa.ChunkedArray) else flat
    parent = pc.list_parent_indices(arr)
    parent = (parent.combine_chunks() if isinstance(parent, pa.ChunkedArray) else parent).to_numpy()
    ok = pc.is_valid(flat).to_numpy(zero_copy_only=False)
    enc_flat = pc.dictionary_encode(pc.filter(flat, pa.array(ok)))
    ecode = enc_flat.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    elements = np.asarray(enc_flat.dictionary.to_pylist(), dtype=object)
    parent = parent.astype(np.int64)[ok]
    n_el = max(len(elements), 1)
    key, _ = unique_counts(parent * n_el + ecode.astype(np.int64))
    rows, elems = key // n_el, key % n_el
    codes = np.full(n, -1, dtype=np.int64)
    if len(rows) == 0:
        return EncodedTrait(name, "set", codes, np.empty(0, dtype=object), np.empty(0, dtype=np.int64),
                            np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.int64),
                            np.asarray(elements, dtype=object))
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    offsets = np.r_[starts, len(rows)]
    row_ids = rows[starts]
    # the sorted element codes of a row, joined as text, identify its set (exact, in Arrow)
    la = pa.LargeListArray.from_arrays(pa.array(offsets.astype(np.int64), pa.int64()),
                                       pc.cast(pa.array(elems, pa.int64()), pa.string()))
    keys = pc.binary_join(la, " ")
    set_code = pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    codes[row_ids] = set_code
    n_sets = int(set_code.max()) + 1
    _, first = unique_first(set_code)  # first row block of each set
    sizes = np.diff(offsets)[first]
    set_indptr = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    take = np.repeat(offsets[:-1][first], sizes) + (np.arange(set_indptr[-1]) - np.repeat(set_indptr[:-1], sizes))
    set_elems = elems[take]
    el_names = np.asarray(elements, dtype=object)
    values = np.empty(n_sets, dtype=object)
    values[:] = [tuple(sorted(el_names[set_elems[a:b]])) for a, b in pairwise(set_indptr)]
    counts = np.bincount(set_code, minlength=n_sets).astype(np.int64)
    return EncodedTrait(name, "set", codes, values, counts, set_indptr, set_elems, el_names)
