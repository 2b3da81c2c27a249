"""Small linear-algebra helpers shared by the data-kernel modules.

Everything here is numpy/scipy only and seeded: the eigensolver's start vector
and the randomized SVD's test matrix come from the caller's generator, so a
given ``random_state`` always gives the same answer.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, Literal, get_args

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree.errors import ConvergenceError, InputFormatError, ParameterError

# RandomState and check_random_state live in hftree._random; re-exported for old imports
__all__ = [
    "RandomState",
    "check_random_state",
    "orthogonal_procrustes",
    "randomized_svd",
    "top_eigenpairs",
]

#: Eigensolvers: ``"dense"`` (LAPACK on the explicit matrix), ``"arpack"``
#: (Lanczos on a sparse matrix or an implicit operator) or ``"auto"``.
Solver = Literal["auto", "dense", "arpack"]
SOLVERS: tuple[str, ...] = get_args(Solver)

#: ``"auto"`` uses the dense solver up to this many rows.
DENSE_MAX = 64


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run BLAS on one thread inside the block, when ``threadpoolctl`` is installed.

    ARPACK calls BLAS on single vectors (level 1-2), where extra threads gain little
    and, on a machine whose cores are busy, cost a lot: on a shared 2-core machine an
    omnibus eigensolve took 4x the CPU time with two OpenBLAS threads than with one.
    Without ``threadpoolctl`` nothing changes.
    """
    controller = _blas_controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=1, user_api="blas"):
        yield


@functools.cache
def _blas_controller() -> Any:
    """threadpoolctl's controller, built once (it scans the loaded libraries)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def _flip_signs(vectors: np.ndarray) -> np.ndarray:
    """Make the largest-magnitude entry of every column positive (deterministic signs)."""
    if vectors.size == 0:
        return vectors
    rows = np.argmax(np.abs(vectors), axis=0)
    signs = np.sign(vectors[rows, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1.0
    return vectors * signs


def top_eigenpairs(
    matrix: np.ndarray | sp.sparray | sp.spmatrix | None,
    k: int,
    *,
    n: int | None = None,
    matmat: Callable[[np.ndarray], np.ndarray] | None = None,
    dense: Callable[[], np.ndarray] | None = None,
    solver: Solver = "auto",
    rng: np.random.Generator | None = None,
    v0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` eigenpairs of a real symmetric matrix that are largest in magnitude.

    This is what a truncated SVD of a symmetric matrix computes (singular values are
    the absolute eigenvalues), so latent positions built from it match graspologic's
    ``U @ diag(sqrt(D))`` up to the signs of the columns.

    Parameters
    ----------
    matrix : ndarray or sparse, shape (n, n), or None
        The matrix. May be None when ``n`` and ``matmat`` (and, for the dense solver,
        ``dense``) describe it implicitly.
    k : int
        Number of eigenpairs, ``1 <= k <= n``.
    n, matmat, dense
        Implicit description: size, ``X -> M @ X`` and a builder of the dense matrix.
    solver : {"auto", "dense", "arpack"}
        ``"auto"`` is dense up to ``DENSE_MAX`` rows or when ``k >= n - 1``.
    rng : numpy Generator
        Draws ARPACK's start vector.
    v0 : ndarray, shape (n,), optional
        ARPACK start vector (a guess of the top eigenspace speeds it up); drawn from
        ``rng`` when not given.

    Returns
    -------
    values : ndarray, shape (k,)
        Signed eigenvalues ordered by decreasing magnitude.
    vectors : ndarray, shape (n, k)
        Unit eigenvectors, the largest-magnitude entry of each column positive.

    Examples
    --------
    >>> import numpy as np
    >>> vals, vecs = top_eigenpairs(np.diag([1.0, -3.0, 2.0]), 2)
    >>> vals.tolist()
    [-3.0, 2.0]
    >>> np.abs(vecs).round(3).tolist()
    [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    """
    if matrix is not None:
        n = matrix.shape[0]
    if n is None:
        raise ParameterError("n", "the size of the matrix when no matrix is given", n)
    if not 1 <= k <= n:
        raise ParameterError("n_components", f"a whole number between 1 and {n}", k)
    if solver not in SOLVERS:
        raise ParameterError("solver", f"one of {', '.join(SOLVERS)}", solver)
    rng = rng if rng is not None else check_random_state(DEFAULT_RANDOM_STATE)
    use_dense = solver == "dense" or (solver == "auto" and n <= DENSE_MAX) or k >= n - 1
    if use_dense:
        if matrix is not None:
            full = np.asarray(matrix.toarray() if sp.issparse(matrix) else matrix, dtype=float)  # type: ignore[union-attr]
        elif dense is not None:
            full = dense()
        else:  # pragma: no cover - internal misuse
            raise InputFormatError("dense solver needs the matrix", field="solver")
        values, vectors = sla.eigh(full)
    else:  # "auto" or "arpack" (checked above)
        if matrix is not None:
            op: spla.LinearOperator | np.ndarray | sp.sparray | sp.spmatrix = matrix
        elif matmat is not None:
            op = spla.LinearOperator(
                (n, n),
                matvec=lambda x: matmat(x.reshape(-1, 1)).ravel(),
                matmat=matmat,
                dtype=float,
            )
        else:  # pragma: no cover - internal misuse
            raise InputFormatError("arpack solver needs the matrix or matmat", field="solver")
        if v0 is None:
            v0 = rng.uniform(-1.0, 1.0, size=n)
        try:
            with single_threaded_blas():
                values, vectors = spla.eigsh(op, k=k, which="LM", v0=v0)
        except spla.ArpackNoConvergence as exc:
            raise ConvergenceError(
                f"ARPACK did not find the top {k} eigenpairs of a {n} x {n} matrix. Things to "
                "try: 1. give n_components explicitly (fewer dimensions converge faster); "
                "2. use solver='dense' if the matrix fits in memory; 3. increase k of the kNN "
                "kernel so the graph is better connected."
            ) from exc
    order = np.argsort(-np.abs(values), kind="stable")[:k]
    return values[order], _flip_signs(vectors[:, order])


def orthogonal_procrustes(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The orthogonal ``W`` minimising ``||source @ W - target||_F``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    >>> rot = np.array([[0.0, -1.0], [1.0, 0.0]])
    >>> np.allclose(x @ orthogonal_procrustes(x, x @ rot), x @ rot)
    True
    """
    u, _, vt = np.linalg.svd(source.T @ target)
    return u @ vt


def randomized_svd(
    matrix: np.ndarray | sp.sparray | sp.spmatrix,
    n_components: int,
    *,
    n_oversamples: int = 10,
    n_iter: int = 6,
    random_state: RandomState = DEFAULT_RANDOM_STATE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Truncated SVD by randomized subspace iteration (Halko, Martinsson & Tropp 2011).

    Parameters
    ----------
    matrix : ndarray or sparse, shape (n, p)
    n_components : int
        Number of singular triplets, ``1 <= n_components <= min(n, p)``.
    n_oversamples, n_iter : int
        Extra test vectors and power iterations (QR-stabilised).
    random_state : int, Generator or None
        Seeds the Gaussian test matrix.

    Returns
    -------
    u : ndarray, shape (n, n_components)
    s : ndarray, shape (n_components,)
        Singular values, decreasing.
    vt : ndarray, shape (n_components, p)

    Examples
    --------
    >>> import numpy as np
    >>> a = np.diag([5.0, 3.0, 1.0])
    >>> u, s, vt = randomized_svd(a, 2, random_state=0)
    >>> s.round(6).tolist()
    [5.0, 3.0]
    """
    n_rows, n_cols = matrix.shape
    if not 1 <= n_components <= min(n_rows, n_cols):
        raise ParameterError("n_components", f"a whole number between 1 and {min(n_rows, n_cols)}", n_components)
    rng = check_random_state(random_state)
    size = min(n_components + n_oversamples, min(n_rows, n_cols))
    basis = np.asarray(matrix @ rng.standard_normal((n_cols, size)))
    basis, _ = np.linalg.qr(basis)
    for _ in range(n_iter):
        back = np.asarray(matrix.T @ basis)
        back, _ = np.linalg.qr(back)
        basis = np.asarray(matrix @ back)
        basis, _ = np.linalg.qr(basis)
    small = np.asarray(matrix.T @ basis).T
    u_small, s, vt = np.linalg.svd(small, full_matrices=False)
    u = basis @ u_small
    u, s, vt = u[:, :n_components], s[:n_components], vt[:n_components]
    signs = np.sign(u[np.argmax(np.abs(u), axis=0), np.arange(u.shape[1])])
    signs[signs == 0] = 1.0
    return u * signs, s, vt * signs[:, None]
