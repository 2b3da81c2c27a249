"""Small helpers of traits and drift: sort-based uniques.

``numpy.unique`` of recent NumPy versions takes a hash-based path for plain calls
that is several times slower than sorting on millions of integers; these helpers
always sort (stable), and return the pieces callers need.
"""

from __future__ import annotations

import numpy as np


def unique_inverse(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values of ``a`` and the index of each element among them.

    >>> u, inv = unique_inverse(np.array([5, 3, 5, 9]))
    >>> u.tolist(), inv.tolist()
    ([3, 5, 9], [1, 0, 1, 2])
    """
    a = np.asarray(a)
    if len(a) == 0:
        return a.copy(), np.empty(0, dtype=np.int64)
    order = np.argsort(a, kind="stable")
    s = a[order]
    new = np.empty(len(s), dtype=bool)
    new[0] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    inv = np.empty(len(a), dtype=np.int64)
    inv[order] = np.cumsum(new) - 1
    return s[new], inv


def unique_counts(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and how often each occurs."""
    a = np.asarray(a)
    if len(a) == 0:
        return a.copy(), np.empty(0, dtype=np.int64)
    s = np.sort(a, kind="stable")
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    return s[starts], np.diff(np.r_[starts, len(s)])


def unique_first(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and the index of the first occurrence of each."""
    a = np.asarray(a)
    if len(a) == 0:
        return a.copy(), np.empty(0, dtype=np.int64)
    order = np.argsort(a, kind="stable")
    s = a[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    return s[starts], order[starts]


def unique_rows_inverse(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a 2-column float array and the index of each row among them."""
    if len(X) == 0:
        return X.copy(), np.empty(0, dtype=np.int64)
    order = np.lexsort((X[:, 1], X[:, 0]))
    s = X[order]
    new = np.r_[True, (s[1:] != s[:-1]).any(axis=1)]
    inv = np.empty(len(X), dtype=np.int64)
    inv[order] = np.cumsum(new) - 1
    return s[new], inv
