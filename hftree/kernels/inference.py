"""Per-datum test: which data items does one model place differently from another?

For models ``a`` and ``b`` with data kernels ``A_a`` and ``A_b`` on the same ``n`` items
(Duderstadt, Helm & Priebe 2023, section 3):

1. embed the two kernels jointly (omnibus, ``d`` dimensions, Zhu–Ghodsi unless given);
2. the statistic of item ``i`` is ``T_i = ||Z_a[i] - Z_b[i]||``;
3. under ``H0_i: z_a[i] = z_b[i]`` both kernels are independent draws from one RDPG;
   estimate it by the pooled positions ``Zbar = (Z_a + Z_b) / 2`` (with the signs of
   the eigenvalues), draw ``B`` independent pairs of graphs from ``RDPG(Zbar)``, embed
   each pair the same way and record ``T*_i,b`` (parametric bootstrap);
4. turn the bootstrap statistics into p-values, correct them for testing all ``n``
   items by Benjamini–Hochberg; items with adjusted p-value ``<= alpha`` *moved*.

Two ways to do step 4 (``pvalues=``):

``"per_datum"``
    the textbook Monte-Carlo p-value ``(1 + #{b : T*_i,b >= T_i}) / (B + 1)``. Exact
    but coarse: it is never below ``1 / (B + 1)``, so with Benjamini–Hochberg nothing
    can be declared moved unless ``1 / (B + 1) <= alpha * n_moved / n`` -- hundreds or
    thousands of draws when few of many items move.
``"pooled"`` (default)
    scale every item's statistics by its own bootstrap root-mean-square ``s_i`` and
    compare ``T_i / s_i`` with the scaled draws of *all* items (``n B`` of them). Each
    draw is scaled by the RMS of the item's *other* ``B - 1`` draws, so a draw and the
    observed statistic are scaled alike (both independent of the draws they are
    divided by). This assumes that the null distributions of the items differ mainly
    in scale -- true to first order, where ``Z_a[i] - Z_b[i]`` is approximately
    Gaussian (Levin et al. 2017) -- and gives p-values down to ``1 / (n B + 1)`` from a
    few dozen draws.

Items that the fitted RDPG leaves isolated in most null graphs (pooled position about
0) have no usable null distribution; they are reported as not ``testable`` with
p-value 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

import numpy as np
import pandas as pd
import scipy.stats

from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree._results import Result
from hftree.errors import InputFormatError, ParameterError
from hftree.kernels._linalg import Solver, top_eigenpairs
from hftree.kernels.embed import _as_kernels, _augment, _spectral, omnibus_operator
from hftree.kernels.knn import DataKernels
from hftree.kernels.rdpg import BlockedSampler, _bernoulli_dense, rdpg_probabilities, sample_rdpg

__all__ = ["DatumTestResult", "PValueMethod", "benjamini_hochberg", "datum_shift_test"]

#: How bootstrap statistics become p-values (see :func:`datum_shift_test`).
PValueMethod = Literal["pooled", "per_datum"]
_PVALUE_METHODS: tuple[str, ...] = get_args(PValueMethod)


def benjamini_hochberg(pvalues: Any) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), in the input order.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.5]).round(3).tolist()
    [0.04, 0.053, 0.053, 0.5]
    """
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1 or ((p < 0) | (p > 1) | ~np.isfinite(p)).any():
        raise InputFormatError("p-values must be a 1-D array of numbers in [0, 1]", field="pvalues")
    if p.size == 0:
        return p.copy()
    return np.asarray(scipy.stats.false_discovery_control(p, method="bh"))


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, repr=False, eq=False)
class DatumTestResult(Result):
    """Outcome of :func:`datum_shift_test` (frozen; arrays are read-only).

    Attributes
    ----------
    model_a, model_b : str
        The two models compared.
    item_ids : tuple of str
    statistic : ndarray
        ``||Z_a[i] - Z_b[i]||`` per item.
    pvalue : ndarray
        Parametric-bootstrap p-value per item.
    qvalue : ndarray
        Benjamini–Hochberg adjusted p-value per item.
    alpha : float
        False-discovery rate at which items are declared moved.
    n_boot, n_components : int
        Bootstrap draws and embedding dimension used.
    null_mean : ndarray
        Mean of the bootstrap statistics per item (what ``T_i`` would be under H0).
    testable : ndarray of bool
        False for items whose null statistic is 0 in more than half of the bootstrap
        draws (the fitted RDPG leaves them isolated: their pooled position is about 0,
        so the null says nothing about them); they get p-value 1.
    pvalue_method : {"pooled", "per_datum"}
        How the p-values were computed.
    """

    model_a: str
    model_b: str
    item_ids: tuple[str, ...]
    statistic: np.ndarray
    pvalue: np.ndarray
    qvalue: np.ndarray
    alpha: float
    n_boot: int
    n_components: int
    null_mean: np.ndarray
    testable: np.ndarray
    pvalue_method: str = "pooled"

    title: ClassVar[str] = "DatumTestResult"

    @property
    def moved(self) -> np.ndarray:
        """Boolean mask of items whose adjusted p-value is at most ``alpha``."""
        return self.qvalue <= self.alpha

    @property
    def n_moved(self) -> int:
        """Number of items declared moved."""
        return int(self.moved.sum())

    @property
    def moved_items(self) -> list[str]:
        """Ids of the moved items, largest statistic first."""
        idx = np.flatnonzero(self.moved)
        idx = idx[np.argsort(-self.statistic[idx], kind="stable")]
        return [self.item_ids[i] for i in idx]

    def to_frame(self) -> pd.DataFrame:
        """One row per item (input order): statistic, null mean, p, q, ``moved``, ``testable``."""
        return pd.DataFrame(
            {
                "statistic": self.statistic,
                "null_mean": self.null_mean,
                "pvalue": self.pvalue,
                "qvalue": self.qvalue,
                "moved": self.moved,
                "testable": self.testable,
            },
            index=pd.Index(self.item_ids, name="item_id"),
        )

    @property
    def summary(self) -> pd.DataFrame:
        """The per-item table, largest statistic first (``item_id`` a column)."""
        return self.to_frame().sort_values("statistic", ascending=False, kind="stable").reset_index()

    def _note(self) -> str:
        return (
            f"{self.model_a} vs {self.model_b}: {self.n_moved} of {len(self.item_ids)} items moved "
            f"at FDR {self.alpha:g}; d={self.n_components}, B={self.n_boot}"
        )


def _pvalues(statistic: np.ndarray, null: np.ndarray, method: str) -> np.ndarray:
    """p-values of the observed statistics from the ``(B, n)`` bootstrap statistics."""
    draws = null.shape[0]
    if method == "per_datum":
        return (1.0 + (null >= statistic).sum(axis=0)) / (draws + 1.0)
    # "pooled": scale each item by its bootstrap RMS, pool the scaled draws of all items.
    # A draw is scaled by the RMS of the *other* draws of its item, so that it and the
    # observed statistic (scaled by all B draws, which it is independent of) are alike.
    total = (null**2).sum(axis=0)
    scale = np.sqrt(total / draws)
    loo = np.sqrt(np.maximum(total - null**2, 0.0) / (draws - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        reference = np.where(loo > 0, null / loo, np.where(null > 0, np.inf, 0.0)).ravel()
        observed = np.where(scale > 0, statistic / scale, np.where(statistic > 0, np.inf, 0.0))
    reference.sort()
    exceed = reference.size - np.searchsorted(reference, observed, side="left")
    return (1.0 + exceed) / (reference.size + 1.0)


def _pair_positions(
    a: Any,
    b: Any,
    d: int | None,
    n_elbows: int,
    solver: Solver,
    rng: np.random.Generator,
    v0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    positions, values, _, _ = _spectral(
        n_components=d,
        n_elbows=n_elbows,
        max_components=None,
        solver=solver,
        rng=rng,
        v0=v0,
        **omnibus_operator([a, b]),
    )
    n = a.shape[0]
    return positions[:n], positions[n:], values


def _null_sampler(
    pooled: np.ndarray,
    signs: np.ndarray,
    d: int,
    diag_aug: bool,
    solver: Solver,
    rng: np.random.Generator,
) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    """A function drawing two graphs from ``RDPG(pooled)`` and returning their joint positions.

    Small dense null models (at most 1000 items, mean edge probability above 5 %) are
    handled as dense arrays, everything else as sparse matrices; the answer is the same.
    """
    n = pooled.shape[0]
    stacked = np.vstack([pooled, pooled])

    def start() -> np.ndarray:
        # start the eigensolver inside the null model's top eigenspace (faster, same answer)
        return stacked @ rng.standard_normal(d) + 1e-3 * rng.standard_normal(2 * n)

    probabilities = rdpg_probabilities(pooled, signs) if n <= 1000 else None
    if probabilities is not None and probabilities.mean() > 0.05:

        def augment(graph: np.ndarray) -> np.ndarray:
            if diag_aug:
                graph[np.diag_indices(n)] = graph.sum(axis=1) / max(n - 1, 1)
            return graph

        def draw_dense() -> tuple[np.ndarray, np.ndarray]:
            ga = augment(_bernoulli_dense(probabilities, rng))
            gb = augment(_bernoulli_dense(probabilities, rng))
            mean = 0.5 * (ga + gb)
            omnibus = np.block([[ga, mean], [mean, gb]])
            values, vectors = top_eigenpairs(omnibus, d, solver=solver, rng=rng, v0=start())
            positions = vectors * np.sqrt(np.abs(values))
            return positions[:n], positions[n:]

        return draw_dense

    sampler = BlockedSampler(pooled, signs) if n > 1000 else None

    def draw_graph() -> Any:
        if sampler is None:
            return sample_rdpg(pooled, signs, random_state=rng)
        return sampler.draw(rng)

    def draw_sparse() -> tuple[np.ndarray, np.ndarray]:
        ga = _augment(draw_graph(), diag_aug, "bootstrap")
        gb = _augment(draw_graph(), diag_aug, "bootstrap")
        wa, wb, _ = _pair_positions(ga, gb, d, 2, solver, rng, start())
        return wa, wb

    return draw_sparse


def datum_shift_test(
    kernels: DataKernels,
    model_a: str,
    model_b: str,
    *,
    n_components: int | None = None,
    n_elbows: int = 2,
    n_boot: int = 100,
    alpha: float = 0.05,
    pvalues: PValueMethod = "pooled",
    diag_aug: bool = True,
    solver: Solver = "auto",
    random_state: RandomState = DEFAULT_RANDOM_STATE,
) -> DatumTestResult:
    """Test, item by item, whether two models place an item differently.

    Parameters
    ----------
    kernels : DataKernels or mapping of str to matrix
        Data kernels holding (at least) ``model_a`` and ``model_b``; they should be 0/1
        graphs (the null model draws 0/1 graphs).
    model_a, model_b : str
        The models to compare.
    n_components : int, optional
        Dimension of the joint embedding; by default the last of ``n_elbows``
        Zhu–Ghodsi elbows of the two-graph omnibus matrix. The bootstrap uses the same
        dimension.
    n_boot : int, default 100
        Pairs of graphs drawn from the null RDPG.
    alpha : float, default 0.05
        False-discovery rate for declaring items moved (Benjamini–Hochberg).
    pvalues : {"pooled", "per_datum"}, default "pooled"
        How bootstrap statistics become p-values (see the module notes): scaled and
        pooled over items (smallest ``1 / (n B + 1)``), or per item
        (smallest ``1 / (B + 1)``).
    diag_aug, solver
        As in :class:`~hftree.kernels.OmnibusEmbed`.
    random_state : int, Generator or None, default 0
        Seeds the bootstrap and the eigensolver.

    Returns
    -------
    DatumTestResult

    Raises
    ------
    ModelNotFoundError
        If a model id is not among the kernels.
    ParameterError
        If the two ids are equal, ``n_boot < 1`` (``< 2`` for pooled p-values),
        ``pvalues`` is unknown or ``alpha`` is not in (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from hftree.kernels import DataKernels, sample_rdpg
    >>> x = np.full((40, 1), 0.7)
    >>> graphs = {m: sample_rdpg(x, random_state=s) for m, s in [("a", 1), ("b", 2)]}
    >>> result = datum_shift_test(DataKernels.from_matrices(graphs), "a", "b",
    ...                           n_components=1, n_boot=50, random_state=0)
    >>> result.n_moved
    0
    """
    if model_a == model_b:
        raise ParameterError("model_b", f"a model other than model_a = {model_a!r}", model_b)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise ParameterError("n_boot", "a whole number >= 1", n_boot)
    if pvalues not in _PVALUE_METHODS:
        raise ParameterError("pvalues", f"one of {', '.join(_PVALUE_METHODS)}", pvalues)
    if pvalues == "pooled" and n_boot < 2:
        raise ParameterError("n_boot", "a whole number >= 2 for pooled p-values (each draw is scaled by the others)",
                             n_boot)
    if not isinstance(alpha, int | float | np.floating) or not 0.0 < float(alpha) < 1.0:
        raise ParameterError("alpha", "a number in (0, 1)", alpha)
    kernels = _as_kernels(kernels)
    rng = check_random_state(random_state)
    a = _augment(kernels[model_a], diag_aug, model_a)
    b = _augment(kernels[model_b], diag_aug, model_b)
    za, zb, values = _pair_positions(a, b, n_components, n_elbows, solver, rng)
    d = int(values.size)
    # differences at the level of floating-point noise are no difference
    tolerance = 1e-9 * max(float(np.abs(za).max(initial=0.0)), float(np.abs(zb).max(initial=0.0)), 1e-300)
    statistic = np.linalg.norm(za - zb, axis=1)
    statistic[statistic <= tolerance] = 0.0
    pooled = 0.5 * (za + zb)
    signs = np.where(values < 0, -1.0, 1.0)
    null = np.empty((int(n_boot), statistic.size))
    draw_pair = _null_sampler(pooled, signs, d, diag_aug, solver, rng)
    for draw in range(int(n_boot)):
        wa, wb = draw_pair()
        null[draw] = np.linalg.norm(wa - wb, axis=1)
    null[null <= tolerance] = 0.0
    # An item that is isolated in most null graphs (its pooled position is ~0: the
    # d-dimensional RDPG gives it almost no edges) has no usable null distribution.
    testable = (null > 0).mean(axis=0) >= 0.5
    pvalue = np.ones(statistic.size)
    if testable.any():
        pvalue[testable] = _pvalues(statistic[testable], null[:, testable], pvalues)
    return DatumTestResult(
        model_a=model_a,
        model_b=model_b,
        item_ids=kernels.item_ids,
        statistic=_readonly(statistic),
        pvalue=_readonly(pvalue),
        qvalue=_readonly(benjamini_hochberg(pvalue)),
        alpha=float(alpha),
        n_boot=int(n_boot),
        n_components=d,
        null_mean=_readonly(null.mean(axis=0)),
        testable=_readonly(testable),
        pvalue_method=pvalues,
    )
