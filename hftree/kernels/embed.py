"""Spectral embeddings of data kernels: ASE, omnibus, and the Zhu–Ghodsi elbow.

A data kernel is modelled as a random dot product graph (RDPG): items ``i`` and
``j`` are joined with probability ``<z_i, z_j>`` for latent positions ``z``. The
adjacency spectral embedding (ASE) estimates the positions of one graph from its
top eigenpairs; the omnibus embedding (Levin et al. 2017) embeds several graphs on
the same items *jointly*, so that the positions of the same item under different
models are directly comparable (no rotation between them to estimate).

Conventions follow graspologic (which the tests use as an oracle): the diagonal of
each adjacency matrix is replaced by ``degree / (n - 1)`` before embedding
(``diag_aug=True``), the eigenpairs kept are those largest in magnitude, latent
positions are ``U |Λ|^{1/2}``, and without ``n_components`` the dimension is the last of
``n_elbows`` Zhu–Ghodsi elbows of the top ``ceil(log2(N))`` eigenvalue magnitudes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree.errors import DataQualityWarning, InputFormatError, ModelNotFoundError, ParameterError
from hftree.kernels._estimator import Estimator
from hftree.kernels._linalg import Solver, top_eigenpairs
from hftree.kernels.knn import DataKernels, _as_symmetric_csr

__all__ = ["AdjacencySpectralEmbed", "OmnibusEmbed", "profile_likelihood", "select_dimension"]


def profile_likelihood(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Zhu–Ghodsi profile log-likelihood of every split of a decreasing scree.

    Entry ``q - 1`` is the log-likelihood of modelling the first ``q`` values and the
    rest as two normal samples with their own means and a pooled variance.
    A split with zero pooled variance scores ``+inf`` (a perfect split).

    Examples
    --------
    >>> int(profile_likelihood([10.0, 9.0, 1.0, 0.5]).argmax()) + 1
    2
    """
    arr = np.asarray(values, dtype=float)
    n = arr.size
    out = np.empty(n)
    for idx in range(1, n + 1):
        head, tail = arr[:idx], arr[idx:]
        if head.size == 1 and tail.size == 1:
            out[idx - 1] = -np.inf
            continue
        ss = float(np.sum((head - head.mean()) ** 2))
        if tail.size:
            ss += float(np.sum((tail - tail.mean()) ** 2))
        variance = ss / (n - 1 - (idx < n))
        if variance <= 0:
            out[idx - 1] = np.inf
        else:
            out[idx - 1] = -0.5 * n * math.log(2 * math.pi * variance) - ss / (2 * variance)
    return out


def select_dimension(values: Sequence[float] | np.ndarray, n_elbows: int = 2) -> list[int]:
    """Elbows of a scree plot by the profile likelihood of Zhu & Ghodsi (2006).

    The first elbow is the best split of all values; each further elbow is the best
    split of the values after the previous one (graspologic's ``select_dimension``).

    Parameters
    ----------
    values : 1-D array-like
        Eigenvalue or singular-value magnitudes; sorted decreasingly here.
    n_elbows : int, default 2
        How many elbows to find (fewer are returned when the values run out).

    Returns
    -------
    list of int
        Increasing dimensions; an embedding usually keeps the last one.

    Raises
    ------
    InputFormatError
        If fewer than two values are given.
    ParameterError
        If ``n_elbows < 1``.

    Examples
    --------
    >>> select_dimension([9.0, 8.5, 8.0, 3.0, 2.9, 0.3, 0.2, 0.1, 0.1])
    [3, 5]
    """
    arr = np.sort(np.abs(np.asarray(values, dtype=float)))[::-1]
    if arr.ndim != 1 or arr.size < 2:
        raise InputFormatError(f"the scree needs at least 2 values; got {arr.size}", field="values")
    if isinstance(n_elbows, bool) or not isinstance(n_elbows, int) or n_elbows < 1:
        raise ParameterError("n_elbows", "a whole number >= 1", n_elbows)
    elbows: list[int] = []
    idx = 0
    for _ in range(n_elbows):
        rest = arr[idx:]
        if rest.size <= 1:
            break
        idx += int(np.argmax(profile_likelihood(rest))) + 1
        elbows.append(idx)
    return elbows


def _augment(matrix: sp.csr_array, diag_aug: bool, name: str) -> sp.csr_array:
    """Drop self-loops and put ``degree / (n - 1)`` on the diagonal."""
    if not diag_aug:
        return matrix
    if matrix.diagonal().any():
        warnings.warn(
            f"kernel of model {name!r} has self-loops; they were dropped before diagonal augmentation",
            DataQualityWarning,
            stacklevel=3,
        )
        matrix = matrix - sp.diags_array(matrix.diagonal())
        matrix = sp.csr_array(matrix)
        matrix.eliminate_zeros()
    n = matrix.shape[0]
    degree = np.asarray(abs(matrix).sum(axis=1)).ravel()
    return sp.csr_array(matrix + sp.diags_array(degree / max(n - 1, 1)))


def _check_n_components(n_components: int | None, limit: int) -> None:
    if n_components is None:
        return
    if (
        isinstance(n_components, bool)
        or not isinstance(n_components, int | np.integer)
        or not 1 <= n_components <= limit
    ):
        raise ParameterError("n_components", f"None or a whole number between 1 and {limit}", n_components)


def _spectral(
    *,
    n: int,
    n_components: int | None,
    n_elbows: int,
    max_components: int | None,
    solver: Solver,
    rng: np.random.Generator,
    matrix: sp.csr_array | None = None,
    matmat: Any = None,
    dense: Any = None,
    v0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int] | None]:
    """Positions, signed eigenvalues, scree and elbows of one symmetric matrix."""
    _check_n_components(n_components, n)
    if n_components is None:
        scan = max_components if max_components is not None else math.ceil(math.log2(max(n, 2)))
        scan = max(2, min(int(scan), n))
        values, vectors = top_eigenpairs(matrix, scan, n=n, matmat=matmat, dense=dense, solver=solver, rng=rng, v0=v0)
        scree = np.abs(values)
        elbows: list[int] | None = select_dimension(scree, n_elbows)
        d = elbows[-1] if elbows else 1
    else:
        values, vectors = top_eigenpairs(
            matrix, int(n_components), n=n, matmat=matmat, dense=dense, solver=solver, rng=rng, v0=v0
        )
        scree = np.abs(values)
        elbows = None
        d = int(n_components)
    values, vectors = values[:d], vectors[:, :d]
    positions = vectors * np.sqrt(np.abs(values))
    return positions, values, scree, elbows


class AdjacencySpectralEmbed(Estimator):
    """Adjacency spectral embedding of one graph (scikit-learn style estimator).

    Parameters
    ----------
    n_components : int, optional
        Embedding dimension; by default the last of ``n_elbows`` Zhu–Ghodsi elbows.
    n_elbows : int, default 2
        Elbows to find when ``n_components`` is None.
    max_components : int, optional
        Eigenvalues scanned for the elbow (default ``ceil(log2(n))`` as in graspologic).
    diag_aug : bool, default True
        Replace the diagonal by ``degree / (n - 1)`` first.
    solver : {"auto", "dense", "arpack"}, default "auto"
        Eigensolver; ``"auto"`` is dense for small graphs and ARPACK otherwise.
    random_state : int, Generator or None, default 0
        Seeds ARPACK's start vector.

    Attributes
    ----------
    latent_positions_ : ndarray, shape (n, n_components_)
        Estimated latent positions ``U |Λ|^{1/2}``.
    eigenvalues_ : ndarray, shape (n_components_,)
        Signed eigenvalues kept, by decreasing magnitude.
    n_components_ : int
    scree_ : ndarray
        Magnitudes of all eigenvalues computed (the scree the elbow was chosen on).
    elbows_ : list of int or None
        Zhu–Ghodsi elbows (None when ``n_components`` was given).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.linalg import block_diag
    >>> a = block_diag(np.ones((4, 4)), np.ones((3, 3))) - np.eye(7)  # K4 and K3
    >>> ase = AdjacencySpectralEmbed().fit(a)
    >>> ase.scree_.round(3).tolist(), ase.elbows_, ase.n_components_
    ([3.5, 2.333, 0.667], [2], 2)
    >>> np.abs(ase.latent_positions_).round(3)[[0, 6]].tolist()
    [[0.935, 0.0], [0.0, 0.882]]
    """

    def __init__(
        self,
        n_components: int | None = None,
        *,
        n_elbows: int = 2,
        max_components: int | None = None,
        diag_aug: bool = True,
        solver: Solver = "auto",
        random_state: RandomState = DEFAULT_RANDOM_STATE,
    ) -> None:
        self.n_components = n_components
        self.n_elbows = n_elbows
        self.max_components = max_components
        self.diag_aug = diag_aug
        self.solver = solver
        self.random_state = random_state

    @property
    def summary(self) -> pd.DataFrame:
        """One row per kept dimension: signed eigenvalue and its magnitude."""
        values = self.eigenvalues_
        return pd.DataFrame(
            {"eigenvalue": values, "magnitude": np.abs(values)},
            index=pd.RangeIndex(1, values.size + 1, name="dimension"),
        )

    def _fitted_note(self) -> str:
        n, d = self.latent_positions_.shape
        return f"fitted: {n} nodes, {d} dimensions"

    def fit(self, graph: Any) -> AdjacencySpectralEmbed:
        """Embed a symmetric adjacency matrix (dense or sparse); returns ``self``."""
        matrix = _augment(_as_symmetric_csr(graph, "graph"), self.diag_aug, "graph")
        positions, values, scree, elbows = _spectral(
            n=matrix.shape[0],
            n_components=self.n_components,
            n_elbows=self.n_elbows,
            max_components=self.max_components,
            solver=self.solver,
            rng=check_random_state(self.random_state),
            matrix=matrix,
        )
        self.latent_positions_ = positions
        self.eigenvalues_ = values
        self.n_components_ = int(values.size)
        self.scree_ = scree
        self.elbows_ = elbows
        return self

    def fit_transform(self, graph: Any) -> np.ndarray:
        """Fit and return ``latent_positions_``."""
        return self.fit(graph).latent_positions_


def _as_kernels(graphs: Any) -> DataKernels:
    if isinstance(graphs, DataKernels):
        return graphs
    if isinstance(graphs, Mapping):
        return DataKernels.from_matrices(graphs)
    if isinstance(graphs, np.ndarray) and graphs.ndim == 3:
        graphs = list(graphs)
    if isinstance(graphs, Sequence):
        return DataKernels.from_matrices({str(i): g for i, g in enumerate(graphs)})
    raise InputFormatError(
        "graphs must be DataKernels, a mapping model id -> matrix, or a sequence of matrices; "
        f"got {type(graphs).__name__}",
        field="graphs",
    )


#: Omnibus matrices with at most this many stored entries are built explicitly.
_EXPLICIT_OMNIBUS_NNZ = 4_000_000


def omnibus_operator(matrices: Sequence[sp.csr_array]) -> dict[str, Any]:
    """The omnibus matrix of ``matrices`` in the form :func:`_spectral` takes.

    Block ``(l, q)`` of the omnibus matrix is ``(A_l + A_q) / 2``. Small ones are built
    as one sparse matrix. Large ones are never formed: ``(M x)_l = (A_l s + t) / 2``
    with ``s = sum_q x_q`` and ``t = sum_q A_q x_q``, which costs ``2 m`` sparse products
    instead of ``m^2`` blocks of memory.
    """
    m = len(matrices)
    n = matrices[0].shape[0]
    if 2 * m * sum(a.nnz for a in matrices) <= _EXPLICIT_OMNIBUS_NNZ:
        blocks = [[a if i == j else 0.5 * (a + b) for j, b in enumerate(matrices)] for i, a in enumerate(matrices)]
        return {"n": m * n, "matrix": sp.csr_array(sp.block_array(blocks, format="csr"))}

    def matmat(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float).reshape(m, n, -1)
        total = x.sum(axis=0)
        t = matrices[0] @ x[0]
        for q in range(1, m):
            t = t + matrices[q] @ x[q]
        out = np.stack([a @ total for a in matrices]) + t
        return (0.5 * out).reshape(m * n, -1)

    def dense() -> np.ndarray:
        arrays = [a.toarray() for a in matrices]
        return np.block([[a if i == j else 0.5 * (a + b) for j, b in enumerate(arrays)] for i, a in enumerate(arrays)])

    return {"n": m * n, "matmat": matmat, "dense": dense}


class OmnibusEmbed(Estimator):
    """Joint (omnibus) spectral embedding of the data kernels of several models.

    The latent positions of item ``i`` under every model live in one coordinate
    system, so ``||Z[a, i] - Z[b, i]||`` measures how much models ``a`` and ``b`` disagree
    about item ``i``.

    Parameters
    ----------
    n_components, n_elbows, max_components, diag_aug, solver, random_state
        As in :class:`AdjacencySpectralEmbed`; the elbow scan defaults to
        ``ceil(log2(m * n))`` eigenvalues of the ``m n x m n`` omnibus matrix.

    Attributes
    ----------
    latent_positions_ : ndarray, shape (n_models, n_items, n_components_)
    eigenvalues_, n_components_, scree_, elbows_
        As in :class:`AdjacencySpectralEmbed`.
    model_ids_ : tuple of str
    item_ids_ : tuple of str

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.linalg import block_diag
    >>> a = block_diag(np.ones((4, 4)), np.ones((3, 3))) - np.eye(7)  # K4 and K3
    >>> omni = OmnibusEmbed(n_components=2).fit({"x": a, "y": a})
    >>> omni.latent_positions_.shape
    (2, 7, 2)
    >>> float(abs(omni.latent_positions_[0] - omni.latent_positions_[1]).max()) < 1e-12
    True
    >>> omni.positions("x").abs().round(3).loc[["0", "6"]].values.tolist()
    [[0.935, 0.0], [0.0, 0.882]]
    """

    def __init__(
        self,
        n_components: int | None = None,
        *,
        n_elbows: int = 2,
        max_components: int | None = None,
        diag_aug: bool = True,
        solver: Solver = "auto",
        random_state: RandomState = DEFAULT_RANDOM_STATE,
    ) -> None:
        self.n_components = n_components
        self.n_elbows = n_elbows
        self.max_components = max_components
        self.diag_aug = diag_aug
        self.solver = solver
        self.random_state = random_state

    def fit(self, graphs: Any) -> OmnibusEmbed:
        """Embed the kernels jointly; returns ``self``.

        Parameters
        ----------
        graphs : DataKernels, mapping of str to matrix, or sequence of matrices
            Symmetric adjacency matrices on the same items.
        """
        kernels = _as_kernels(graphs)
        mats = [_augment(kernels[m], self.diag_aug, m) for m in kernels.model_ids]
        positions, values, scree, elbows = _spectral(
            n_components=self.n_components,
            n_elbows=self.n_elbows,
            max_components=self.max_components,
            solver=self.solver,
            rng=check_random_state(self.random_state),
            **omnibus_operator(mats),
        )
        self.latent_positions_ = positions.reshape(len(mats), kernels.n_items, -1)
        self.eigenvalues_ = values
        self.n_components_ = int(values.size)
        self.scree_ = scree
        self.elbows_ = elbows
        self.model_ids_ = kernels.model_ids
        self.item_ids_ = kernels.item_ids
        return self

    def fit_transform(self, graphs: Any) -> np.ndarray:
        """Fit and return ``latent_positions_``."""
        return self.fit(graphs).latent_positions_

    def _index(self, model_id: str) -> int:
        try:
            return self.model_ids_.index(model_id)
        except ValueError:
            raise ModelNotFoundError(
                model_id, f"model {model_id!r} was not embedded; known: {list(self.model_ids_)}"
            ) from None

    def positions(self, model_id: str | None = None) -> pd.DataFrame:
        """Latent positions as a DataFrame labelled by item id.

        With ``model_id`` the index is the item id; without it, all models are stacked
        with a ``(model_id, item_id)`` MultiIndex.
        """
        columns = [f"dim_{j + 1}" for j in range(self.n_components_)]
        if model_id is not None:
            return pd.DataFrame(
                self.latent_positions_[self._index(model_id)],
                index=pd.Index(self.item_ids_, name="item_id"),
                columns=columns,
            )
        index = pd.MultiIndex.from_product([self.model_ids_, self.item_ids_], names=["model_id", "item_id"])
        return pd.DataFrame(self.latent_positions_.reshape(-1, self.n_components_), index=index, columns=columns)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per model: mean position norm and RMS distance to the consensus."""
        z = self.latent_positions_
        consensus = z.mean(axis=0)
        return pd.DataFrame(
            {
                "mean_norm": np.linalg.norm(z, axis=2).mean(axis=1),
                "rms_to_consensus": np.sqrt(((z - consensus) ** 2).sum(axis=2).mean(axis=1)),
            },
            index=pd.Index(self.model_ids_, name="model_id"),
        )

    def _fitted_note(self) -> str:
        m, n, d = self.latent_positions_.shape
        return f"fitted: {m} models x {n} items, {d} dimensions"
