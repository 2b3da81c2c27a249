"""Data kernels: the sparse k-nearest-neighbour graph of a model's embeddings.

Duderstadt, Helm & Priebe (2023) call ``A = TOP_k(Y Y^T)`` the *data kernel* of a
model whose embeddings of ``n`` data items are the rows of ``Y``: item ``i`` is joined
to the ``k`` items most similar to it. Here the graph is symmetrised (an edge when
either item is among the other's ``k`` nearest, or, with ``symmetrize="mutual"``, when
both are), binary, without self-loops, and stored as a ``scipy.sparse.csr_array``.

Because the kernel of every model is a graph on the *same* ``n`` items, kernels of
models with different embedding dimensions can be compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd
import scipy.sparse as sp

from hftree._results import Result
from hftree.errors import InputFormatError, ModelNotFoundError, ParameterError

__all__ = ["DataKernels", "Metric", "Symmetrize", "knn_kernel", "knn_kernels"]

#: Similarity used to rank neighbours: cosine of the angle or raw inner product.
Metric = Literal["cosine", "inner_product"]
#: How the directed kNN relation is made symmetric.
Symmetrize = Literal["union", "mutual"]

_METRICS: tuple[str, ...] = get_args(Metric)
_SYMMETRIZE: tuple[str, ...] = get_args(Symmetrize)

#: Upper bound on the number of similarity entries held at once while searching.
_CHUNK_ENTRIES = 4_000_000


def _check_embedding(values: Any, *, name: str | None, item_ids: Sequence[str] | None) -> np.ndarray:
    where = f"embeddings of model {name!r}" if name is not None else "embeddings"
    array = np.asarray(values, dtype=float)
    if array.ndim != 2:
        raise InputFormatError(
            f"{where} must be a 2-D array (n_items, n_features); got shape {array.shape}",
            field=name,
        )
    if array.shape[1] == 0:
        raise InputFormatError(f"{where} have no feature columns", field=name)
    finite = np.isfinite(array).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        label = item_ids[row] if item_ids is not None else row
        raise InputFormatError(
            f"{where}: row {row} (item {label!r}) holds NaN or infinite values; drop or re-embed that item",
            field=name,
        )
    return array


def _check_k(k: int, n: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k < n:
        raise ParameterError("k", f"a whole number with 1 <= k < n_items = {n}", k)
    return int(k)


def knn_kernel(
    embeddings: Any,
    k: int = 10,
    *,
    metric: Metric = "cosine",
    symmetrize: Symmetrize = "union",
    name: str | None = None,
    item_ids: Sequence[str] | None = None,
) -> sp.csr_array:
    """The symmetrised k-nearest-neighbour graph of one model's embeddings.

    Neighbours are found by exact (brute-force) search in row blocks, so memory stays
    bounded (about 32 MB of similarities at a time) and the result does not depend on
    an approximate index.

    Parameters
    ----------
    embeddings : array-like, shape (n_items, n_features)
        One row per data item.
    k : int, default 10
        Number of neighbours of each item, ``1 <= k < n_items``.
    metric : {"cosine", "inner_product"}, default "cosine"
        ``"inner_product"`` is the paper's ``TOP_k(Y Y^T)``; ``"cosine"`` first
        scales every row to unit length.
    symmetrize : {"union", "mutual"}, default "union"
        Edge ``i - j`` when ``j`` is among ``i``'s neighbours *or* (``"mutual"``: *and*)
        ``i`` is among ``j``'s.
    name, item_ids : optional
        Model id and item ids, used only in error messages.

    Returns
    -------
    scipy.sparse.csr_array, shape (n_items, n_items)
        Symmetric 0/1 adjacency matrix with an empty diagonal.

    Raises
    ------
    InputFormatError
        If the array is not 2-D, holds NaN/inf, or (cosine) a row has zero length.
    ParameterError
        If ``k`` is out of range or ``metric`` / ``symmetrize`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    >>> knn_kernel(y, k=1).toarray().astype(int).tolist()
    [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]
    """
    if metric not in _METRICS:
        raise ParameterError("metric", f"one of {', '.join(_METRICS)}", metric)
    if symmetrize not in _SYMMETRIZE:
        raise ParameterError("symmetrize", f"one of {', '.join(_SYMMETRIZE)}", symmetrize)
    y = _check_embedding(embeddings, name=name, item_ids=item_ids)
    n = y.shape[0]
    k = _check_k(k, n)
    if metric == "cosine":
        norms = np.linalg.norm(y, axis=1)
        if (norms == 0).any():
            row = int(np.flatnonzero(norms == 0)[0])
            label = item_ids[row] if item_ids is not None else row
            model = f" of model {name!r}" if name is not None else ""
            raise InputFormatError(
                f"embedding{model} of row {row} (item {label!r}) is all zeros, so its cosine "
                "similarity is undefined; drop the item or use metric='inner_product'",
                field=name,
            )
        y = y / norms[:, None]
    # Similarities in float32: half the memory traffic of float64; near-ties (within
    # ~1e-7) may be ordered differently than in float64, which changes no kernel that
    # is not already arbitrary.
    y32 = np.ascontiguousarray(y, dtype=np.float32)
    chunk = max(1, _CHUNK_ENTRIES // n)
    neighbours = np.empty((n, k), dtype=np.int64)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        sims = y32[start:stop] @ y32.T
        sims[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        neighbours[start:stop] = np.argpartition(sims, n - k, axis=1)[:, n - k :]
    rows = np.repeat(np.arange(n), k)
    directed = sp.csr_array((np.ones(n * k), (rows, neighbours.ravel())), shape=(n, n), dtype=float)
    directed.data[:] = 1.0  # duplicates cannot occur, but keep the kernel binary
    kernel = directed.maximum(directed.T) if symmetrize == "union" else directed.minimum(directed.T)
    kernel = sp.csr_array(kernel)
    kernel.eliminate_zeros()
    kernel.sort_indices()
    return kernel


def _as_symmetric_csr(matrix: Any, name: str) -> sp.csr_array:
    if sp.issparse(matrix):
        csr = sp.csr_array(matrix, dtype=float)
    else:
        array = np.asarray(matrix, dtype=float)
        if array.ndim != 2:
            raise InputFormatError(
                f"kernel of model {name!r} must be a square 2-D matrix; got shape {array.shape}",
                field=name,
            )
        csr = sp.csr_array(array)
    if csr.shape[0] != csr.shape[1]:
        raise InputFormatError(f"kernel of model {name!r} must be square; got shape {csr.shape}", field=name)
    if csr.nnz and not np.isfinite(csr.data).all():
        raise InputFormatError(f"kernel of model {name!r} holds NaN or infinite values", field=name)
    asym = abs(csr - csr.T)
    if asym.nnz and asym.max() > 1e-10 * max(1.0, float(abs(csr).max())):
        raise InputFormatError(
            f"kernel of model {name!r} is not symmetric; data kernels are undirected graphs "
            "(symmetrise it, e.g. A.maximum(A.T))",
            field=name,
        )
    csr.eliminate_zeros()
    csr.sort_indices()
    return csr


@dataclass(frozen=True, repr=False, eq=False)
class DataKernels(Result):
    """The data kernels of several models on the same data items.

    Build it with :func:`knn_kernels` from embeddings or with
    :meth:`from_matrices` from adjacency matrices you already have.

    Attributes
    ----------
    matrices : mapping of str to scipy.sparse.csr_array
        Model id -> symmetric ``(n_items, n_items)`` adjacency matrix (read-only mapping).
    item_ids : tuple of str
        Id of each row/column, in order.
    k, metric, symmetrize : optional
        How the kernels were built (None when given as matrices).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    >>> kernels = knn_kernels({"m1": y, "m2": y[:, ::-1]}, k=1, item_ids=list("abcd"))
    >>> kernels.model_ids, kernels.n_items
    (('m1', 'm2'), 4)
    >>> kernels.to_frame()["n_edges"].tolist()
    [2, 2]
    """

    matrices: Mapping[str, sp.csr_array]
    item_ids: tuple[str, ...]
    k: int | None = None
    metric: str | None = None
    symmetrize: str | None = None

    title: ClassVar[str] = "DataKernels"

    def __post_init__(self) -> None:
        if not self.matrices:
            raise InputFormatError("need the kernel of at least one model", field="matrices")
        checked = {str(name): _as_symmetric_csr(m, str(name)) for name, m in self.matrices.items()}
        shapes = {name: m.shape[0] for name, m in checked.items()}
        first = next(iter(checked))
        for name, size in shapes.items():
            if size != shapes[first]:
                raise InputFormatError(
                    f"kernel of model {name!r} has {size} items but model {first!r} has "
                    f"{shapes[first]}; all kernels must be on the same data items",
                    field=name,
                )
        items = tuple(str(i) for i in self.item_ids)
        if len(items) != shapes[first]:
            raise InputFormatError(f"{len(items)} item ids for kernels of {shapes[first]} items", field="item_ids")
        if len(set(items)) != len(items):
            dup = pd.Index(items)[pd.Index(items).duplicated()][0]
            raise InputFormatError(f"item id {dup!r} occurs more than once", field="item_ids")
        object.__setattr__(self, "matrices", MappingProxyType(checked))
        object.__setattr__(self, "item_ids", items)

    @classmethod
    def from_matrices(cls, matrices: Mapping[str, Any], item_ids: Iterable[Any] | None = None) -> DataKernels:
        """Wrap existing symmetric adjacency matrices (dense or sparse) as data kernels.

        Examples
        --------
        >>> import numpy as np
        >>> a = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
        >>> DataKernels.from_matrices({"x": a}).item_ids
        ('0', '1', '2')
        """
        if not matrices:
            raise InputFormatError("need the kernel of at least one model", field="matrices")
        n = next(iter(matrices.values())).shape[0]
        ids = tuple(str(i) for i in (item_ids if item_ids is not None else range(n)))
        return cls(matrices=dict(matrices), item_ids=ids)

    @property
    def model_ids(self) -> tuple[str, ...]:
        """Model ids in the order given."""
        return tuple(self.matrices)

    @property
    def n_items(self) -> int:
        """Number of data items (rows of each kernel)."""
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.matrices)

    def __getitem__(self, model_id: str) -> sp.csr_array:
        try:
            return self.matrices[model_id]
        except KeyError:
            raise ModelNotFoundError(
                model_id,
                f"model {model_id!r} has no data kernel; known models: {list(self.matrices)}",
            ) from None

    def subset(self, model_ids: Sequence[str]) -> DataKernels:
        """The kernels of some of the models, in the order given."""
        return DataKernels({m: self[m] for m in model_ids}, self.item_ids, self.k, self.metric, self.symmetrize)

    def to_frame(self) -> pd.DataFrame:
        """One row per model: edges, degree range and isolated items."""
        rows = []
        for name, m in self.matrices.items():
            degree = np.asarray((m != 0).sum(axis=1)).ravel()
            rows.append(
                {
                    "model_id": name,
                    "n_items": m.shape[0],
                    "n_edges": int(m.nnz - (m.diagonal() != 0).sum()) // 2,
                    "mean_degree": float(degree.mean()),
                    "min_degree": int(degree.min()),
                    "max_degree": int(degree.max()),
                    "n_isolated": int((degree == 0).sum()),
                }
            )
        return pd.DataFrame(rows).set_index("model_id")

    def edge_overlap(self) -> pd.DataFrame:
        """Jaccard overlap of the edge sets of every pair of models (1 on the diagonal).

        Examples
        --------
        >>> import numpy as np
        >>> a = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]])
        >>> b = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
        >>> DataKernels.from_matrices({"a": a, "b": b}).edge_overlap().round(3).values.tolist()
        [[1.0, 0.333], [0.333, 1.0]]
        """
        names = self.model_ids
        binary = {m: (self.matrices[m] != 0).astype(float) for m in names}
        out = np.eye(len(names))
        for i, a in enumerate(names):
            for j in range(i + 1, len(names)):
                b = names[j]
                inter = binary[a].multiply(binary[b]).sum()
                union = binary[a].sum() + binary[b].sum() - inter
                out[i, j] = out[j, i] = float(inter / union) if union else 1.0
        return pd.DataFrame(out, index=pd.Index(names, name="model_id"), columns=list(names))

    def _note(self) -> str:
        how = f", k={self.k}, metric={self.metric}" if self.k is not None else ""
        return f"{len(self)} models x {self.n_items} items{how}"


def knn_kernels(
    embeddings: Mapping[str, Any],
    k: int = 10,
    *,
    metric: Metric = "cosine",
    symmetrize: Symmetrize = "union",
    item_ids: Iterable[Any] | None = None,
) -> DataKernels:
    """Data kernels of several models' embeddings of the same items.

    Parameters
    ----------
    embeddings : mapping of str to array-like of shape (n_items, d_i)
        Model id -> embeddings; the row order must be the same for every model,
        the widths ``d_i`` may differ.
    k, metric, symmetrize
        See :func:`knn_kernel`.
    item_ids : iterable, optional
        Id of each row (default ``"0"``, ``"1"``, ...).

    Returns
    -------
    DataKernels

    Raises
    ------
    InputFormatError
        If no model is given, the models embed different numbers of items, or one
        model's array is malformed (the message names the model).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(size=(20, 5))
    >>> kernels = knn_kernels({"small": y[:, :2], "big": y}, k=3)
    >>> kernels.to_frame()["min_degree"].tolist()
    [3, 3]
    """
    if not embeddings:
        raise InputFormatError("need the embeddings of at least one model", field="embeddings")
    ids = None if item_ids is None else tuple(str(i) for i in item_ids)
    arrays = {str(name): _check_embedding(values, name=str(name), item_ids=ids) for name, values in embeddings.items()}
    first = next(iter(arrays))
    n = arrays[first].shape[0]
    for name, array in arrays.items():
        if array.shape[0] != n:
            raise InputFormatError(
                f"model {name!r} embeds {array.shape[0]} items but model {first!r} embeds {n}; "
                "every model must embed the same items in the same order",
                field=name,
            )
    if ids is None:
        ids = tuple(str(i) for i in range(n))
    matrices = {
        name: knn_kernel(array, k, metric=metric, symmetrize=symmetrize, name=name, item_ids=ids)
        for name, array in arrays.items()
    }
    return DataKernels(matrices, ids, k=int(k), metric=metric, symmetrize=symmetrize)
