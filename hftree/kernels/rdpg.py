"""Sampling random dot product graphs (RDPG) without forming the n x n matrix.

In an RDPG with latent positions ``X`` (and, for the generalised RDPG, signs ``s`` of
the eigenvalues), items ``i < j`` are joined independently with probability
``P_ij = clip(sum_k s_k X_ik X_jk, 0, 1)``. The per-datum test draws its bootstrap
graphs from this model, and the synthetic tests draw ground truth from it.

The sampler is exact (every pair is a Bernoulli(``P_ij``) draw) and sparse: items are
grouped into leaves of nearby positions (a k-d split); for a pair of leaves, interval
arithmetic on their bounding boxes bounds every ``P_ij`` between them by some ``q``,
so the pairs are first proposed with probability ``q`` (a binomial number of distinct
random cells) and each proposal is kept with probability ``P_ij / q``. The work is
proportional to the number of proposals, not to ``n^2``, when the graph is sparse
(:class:`BlockedSampler`). Small graphs (``n <= 1000``) are drawn directly from the
dense probability matrix instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree.errors import InputFormatError

__all__ = ["BlockedSampler", "rdpg_probabilities", "sample_rdpg"]

#: Graphs with at most this many items are drawn from the dense probability matrix.
_DENSE_MAX = 1000
#: Leaf pairs whose bound exceeds this are drawn cell by cell.
_DIRECT_Q = 0.25


def _check_positions(latent_positions: Any, signs: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(latent_positions, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise InputFormatError(
            f"latent positions must be a 2-D array with at least 2 rows; got shape {x.shape}",
            field="latent_positions",
        )
    if not np.isfinite(x).all():
        raise InputFormatError("latent positions hold NaN or infinite values", field="latent_positions")
    s = np.ones(x.shape[1]) if signs is None else np.sign(np.asarray(signs, dtype=float))
    if s.shape != (x.shape[1],) or (s == 0).any():
        raise InputFormatError(
            f"signs must be {x.shape[1]} values of +1 or -1; got {np.asarray(signs).tolist()}",
            field="signs",
        )
    return x, s


def rdpg_probabilities(latent_positions: Any, signs: Any = None) -> np.ndarray:
    """The dense edge-probability matrix ``clip(X diag(s) X^T, 0, 1)`` with zero diagonal.

    Meant for small graphs and for checking :func:`sample_rdpg`.

    Examples
    --------
    >>> rdpg_probabilities([[0.5, 0.5], [1.0, 0.0]]).tolist()
    [[0.0, 0.5], [0.5, 0.0]]
    """
    x, s = _check_positions(latent_positions, signs)
    p = np.clip((x * s) @ x.T, 0.0, 1.0)
    np.fill_diagonal(p, 0.0)
    return p


def sample_rdpg(
    latent_positions: Any,
    signs: Any = None,
    *,
    random_state: RandomState = DEFAULT_RANDOM_STATE,
    method: str = "auto",
) -> sp.csr_array:
    """Draw one undirected, loop-free graph from a (generalised) RDPG.

    Parameters
    ----------
    latent_positions : array-like, shape (n, d)
    signs : array-like of +1/-1, shape (d,), optional
        Signs of the eigenvalues (generalised RDPG); all +1 by default.
    random_state : int, Generator or None
    method : {"auto", "dense", "blocked"}, default "auto"
        ``"dense"`` compares a uniform draw with every ``P_ij``; ``"blocked"`` proposes
        and thins block by block (see the module notes). ``"auto"`` is dense up to
        1000 items. Both are exact.

    Returns
    -------
    scipy.sparse.csr_array, shape (n, n)
        Symmetric 0/1 adjacency matrix with an empty diagonal.

    Raises
    ------
    InputFormatError
        If the positions are not a finite 2-D array or the signs do not fit.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.full((4, 1), 1.0)          # every pair joined with probability 1
    >>> sample_rdpg(x, random_state=0).toarray().astype(int).tolist()
    [[0, 1, 1, 1], [1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]]
    """
    x, s = _check_positions(latent_positions, signs)
    rng = check_random_state(random_state)
    n = x.shape[0]
    if method not in ("auto", "dense", "blocked"):
        raise InputFormatError(f"method must be 'auto', 'dense' or 'blocked'; got {method!r}", field="method")
    if method == "dense" or (method == "auto" and n <= _DENSE_MAX):
        rows, cols = np.nonzero(np.triu(rng.random((n, n)) < rdpg_probabilities(x, s), k=1))
        return _symmetric(rows, cols, n)
    return BlockedSampler(x, s).draw(rng)


class BlockedSampler:
    """Exact sparse RDPG sampler, set up once for many draws from the same positions.

    Items are ordered by a k-d split of their positions into leaves of at most
    ``leaf`` items (default ``max(128, n / 256)``), so that the items of a leaf are close together. For each pair of
    leaves, interval arithmetic on the leaves' bounding boxes gives an upper bound
    ``q`` of every ``P_ij`` between them (near zero for leaves in orthogonal
    directions; never above the Cauchy–Schwarz bound ``max||x_i|| max||x_j||``). A draw
    proposes a binomial number of distinct uniform cells of every leaf pair (each cell
    has probability ``q``; the work is the number of proposals) and keeps each with
    probability ``P_ij / q``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.repeat([[0.9, 0.0], [0.0, 0.9]], 50, axis=0)  # two blocks, no edge between
    >>> g = BlockedSampler(x, np.ones(2), leaf=16).draw(np.random.default_rng(0))
    >>> int(g[:50, 50:].sum()), g.shape
    (0, (100, 100))
    """

    def __init__(self, x: np.ndarray, signs: np.ndarray, *, leaf: int | None = None) -> None:
        self.n = x.shape[0]
        if leaf is None:  # small leaves bound tightly; at most ~256 leaves keep setup cheap
            leaf = max(128, -(-self.n // 256))
        self.order, bounds = _coherent_order(x, leaf)
        xs = x[self.order]
        self.xs = xs
        self.xs_signed = xs * signs
        self.bounds = bounds
        lo = np.array([xs[a:b].min(axis=0) for a, b in bounds])
        hi = np.array([xs[a:b].max(axis=0) for a, b in bounds])
        corners = np.stack(
            [
                lo[:, None] * lo[None],
                lo[:, None] * hi[None],
                hi[:, None] * lo[None],
                hi[:, None] * hi[None],
            ]
        )  # (4, L, L, d)
        upper = (corners * signs).max(axis=0).sum(axis=-1)
        norms = np.array([np.linalg.norm(xs[a:b], axis=1).max() for a, b in bounds])
        upper = np.minimum(upper, norms[:, None] * norms[None, :])  # Cauchy–Schwarz
        sizes = np.array([b - a for a, b in bounds])
        a_idx, b_idx = np.triu_indices(len(bounds))
        q = np.clip(upper[a_idx, b_idx], 0.0, 1.0)
        keep = q > 0
        self.pairs_a = a_idx[keep]
        self.pairs_b = b_idx[keep]
        self.q = q[keep]
        self.sizes = sizes
        self.starts = np.array([a for a, _ in bounds], dtype=np.int64)
        self.cells = sizes[self.pairs_a] * sizes[self.pairs_b]

    def draw(self, rng: np.random.Generator) -> sp.csr_array:
        """One graph (symmetric 0/1 ``csr_array`` with an empty diagonal)."""
        offsets = np.concatenate([[0], np.cumsum(self.cells)[:-1]])
        # Leaf pairs with a high bound: one Bernoulli(q) per cell.
        dense = np.flatnonzero(self.q > _DIRECT_Q)
        parts = []
        if dense.size:
            lengths = self.cells[dense]
            within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            cell = np.repeat(offsets[dense], lengths) + within
            parts.append(cell[rng.random(cell.size) < np.repeat(self.q[dense], lengths)])
        # The others: a binomial number of distinct uniform cells, i.e. the first
        # `wanted` distinct values of an i.i.d. uniform sequence, drawn in batches (each
        # batch fills most of what is missing, as wanted <= about q * cells).
        sparse = np.flatnonzero(self.q <= _DIRECT_Q)
        wanted = rng.binomial(self.cells[sparse], self.q[sparse])
        sparse, wanted = sparse[wanted > 0], wanted[wanted > 0]
        keys = np.empty(0, dtype=np.int64)
        missing = wanted
        while missing.any():
            owner = sparse[np.repeat(np.arange(sparse.size), missing)]
            fresh = offsets[owner] + (rng.random(owner.size) * self.cells[owner]).astype(np.int64)
            keys = np.concatenate([keys, fresh])
            keys.sort()  # (sort-based: numpy's hash-based unique is slow here)
            keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
            have = np.searchsorted(keys, offsets[sparse] + self.cells[sparse]) - np.searchsorted(keys, offsets[sparse])
            missing = wanted - have
        parts.append(keys)
        keys = np.concatenate(parts)
        pair = np.searchsorted(offsets, keys, side="right") - 1
        local = keys - offsets[pair]
        a, b = self.pairs_a[pair], self.pairs_b[pair]
        width = self.sizes[b]
        r, c = np.divmod(local, width)
        keep = (a != b) | (r < c)  # diagonal blocks: one cell per unordered pair
        r = r[keep] + self.starts[a[keep]]
        c = c[keep] + self.starts[b[keep]]
        q = self.q[pair[keep]]
        p = np.clip(np.einsum("ij,ij->i", self.xs_signed[r], self.xs[c]), 0.0, 1.0)
        accept = rng.random(r.size) * q < p
        return _symmetric(self.order[r[accept]], self.order[c[accept]], self.n)


def _coherent_order(x: np.ndarray, leaf: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Order items by recursive median splits (k-d tree) into leaves of <= ``leaf`` items."""
    stack = [np.arange(x.shape[0])]
    leaves: list[np.ndarray] = []
    while stack:
        idx = stack.pop()
        if idx.size <= leaf:
            leaves.append(idx)
            continue
        sub = x[idx]
        axis = int(np.argmax(sub.max(axis=0) - sub.min(axis=0)))
        half = idx.size // 2
        split = np.argpartition(sub[:, axis], half)
        stack.append(idx[split[half:]])
        stack.append(idx[split[:half]])
    order = np.concatenate(leaves)
    ends = np.cumsum([leaf_.size for leaf_ in leaves])
    bounds = list(zip(np.r_[0, ends[:-1]].tolist(), ends.tolist(), strict=True))
    return order, bounds


def _bernoulli_dense(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dense symmetric 0/1 graph with ``P(i ~ j) = probabilities[i, j]`` for ``i < j``."""
    upper = np.triu(rng.random(probabilities.shape) < probabilities, k=1).astype(float)
    return upper + upper.T


def _symmetric(rows: np.ndarray, cols: np.ndarray, n: int) -> sp.csr_array:
    data = np.ones(2 * rows.size)
    graph = sp.csr_array((data, (np.concatenate([rows, cols]), np.concatenate([cols, rows]))), shape=(n, n))
    graph.sort_indices()
    return graph
