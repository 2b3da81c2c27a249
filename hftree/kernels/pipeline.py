"""The whole data-kernel comparison in one call (what ``hftree kernels`` runs)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Literal, get_args

import pandas as pd

from hftree._random import DEFAULT_RANDOM_STATE, RandomState, check_random_state
from hftree._results import Result
from hftree.errors import InputFormatError, ParameterError
from hftree.kernels._linalg import Solver
from hftree.kernels.embed import OmnibusEmbed
from hftree.kernels.inference import DatumTestResult, datum_shift_test
from hftree.kernels.knn import DataKernels, Metric, Symmetrize, knn_kernels
from hftree.kernels.manifold import ModelManifold

__all__ = ["KernelComparison", "PairChoice", "compare_embeddings", "compare_kernels", "test_pairs"]

#: Which pairs of models get a per-datum test: each against the first, all pairs, none.
PairChoice = Literal["first", "all", "none"]
PAIR_CHOICES: tuple[str, ...] = get_args(PairChoice)


def test_pairs(model_ids: Sequence[str], pairs: PairChoice | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Expand a pair choice into explicit ``(model_a, model_b)`` pairs.

    Examples
    --------
    >>> test_pairs(["a", "b", "c"], "first")
    [('a', 'b'), ('a', 'c')]
    >>> len(test_pairs(["a", "b", "c"], "all"))
    3
    """
    ids = list(model_ids)
    if isinstance(pairs, str):
        if pairs == "first":
            return [(ids[0], other) for other in ids[1:]]
        if pairs == "all":
            return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]
        if pairs == "none":
            return []
        raise ParameterError("pairs", f"one of {', '.join(PAIR_CHOICES)} or a list of (model_a, model_b)", pairs)
    out = []
    for pair in pairs:
        if len(pair) != 2:
            raise ParameterError("pairs", "pairs of two model ids", pair)
        out.append((str(pair[0]), str(pair[1])))
    return out


test_pairs.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name


@dataclass(frozen=True, repr=False, eq=False)
class KernelComparison(Result):
    """Everything :func:`compare_embeddings` computed (frozen).

    Attributes
    ----------
    kernels : DataKernels
    omnibus : OmnibusEmbed
        Fitted joint embedding of all kernels.
    manifold : ModelManifold
        Fitted classical-MDS map of the models.
    tests : tuple of DatumTestResult
        One per tested pair.
    timings : mapping of str to float
        Seconds spent in each stage (``kernels``, ``omnibus``, ``manifold``, ``tests``).
    """

    kernels: DataKernels
    omnibus: OmnibusEmbed
    manifold: ModelManifold
    tests: tuple[DatumTestResult, ...]
    timings: Mapping[str, float]

    title: ClassVar[str] = "KernelComparison"

    def to_frame(self) -> pd.DataFrame:
        """One row per model: kernel statistics, MDS coordinates and spread."""
        frame = self.kernels.to_frame().join(self.manifold.summary).join(self.omnibus.summary)
        return frame

    def tests_frame(self) -> pd.DataFrame:
        """All per-datum tests in one long table (``model_a``, ``model_b``, ``item_id`` ...)."""
        frames = []
        for result in self.tests:
            frame = result.to_frame().reset_index()
            frame.insert(0, "model_b", result.model_b)
            frame.insert(0, "model_a", result.model_a)
            frames.append(frame)
        if not frames:
            return pd.DataFrame(
                columns=[
                    "model_a",
                    "model_b",
                    "item_id",
                    "statistic",
                    "null_mean",
                    "pvalue",
                    "qvalue",
                    "moved",
                    "testable",
                ]
            )
        return pd.concat(frames, ignore_index=True)

    def _note(self) -> str:
        moved = ", ".join(f"{t.model_a} vs {t.model_b}: {t.n_moved}" for t in self.tests)
        return (
            f"{len(self.kernels)} models x {self.kernels.n_items} items, "
            f"d={self.omnibus.n_components_}; moved items: {moved or 'not tested'}"
        )


def compare_kernels(
    kernels: DataKernels,
    *,
    n_components: int | None = None,
    n_elbows: int = 2,
    mds_components: int = 2,
    pairs: PairChoice | Iterable[tuple[str, str]] = "first",
    n_boot: int = 20,
    alpha: float = 0.05,
    solver: Solver = "auto",
    random_state: RandomState = DEFAULT_RANDOM_STATE,
) -> KernelComparison:
    """Joint embedding, model manifold and per-datum tests of existing data kernels.

    See :func:`compare_embeddings`.
    """
    if len(kernels) < 2:
        raise InputFormatError(
            f"a comparison needs the kernels of at least 2 models; got {list(kernels.model_ids)}",
            field="kernels",
        )
    rng = check_random_state(random_state)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    omni = OmnibusEmbed(n_components=n_components, n_elbows=n_elbows, solver=solver, random_state=rng).fit(kernels)
    timings["omnibus"] = time.perf_counter() - start
    start = time.perf_counter()
    manifold = ModelManifold(n_components=min(mds_components, len(kernels))).fit(omni)
    timings["manifold"] = time.perf_counter() - start
    start = time.perf_counter()
    # one embedding dimension for the whole comparison: the joint one, unless given
    test_dimension = n_components if n_components is not None else omni.n_components_
    results = tuple(
        datum_shift_test(
            kernels,
            a,
            b,
            n_components=test_dimension,
            n_elbows=n_elbows,
            n_boot=n_boot,
            alpha=alpha,
            solver=solver,
            random_state=rng,
        )
        for a, b in test_pairs(kernels.model_ids, pairs)
    )
    timings["tests"] = time.perf_counter() - start
    return KernelComparison(kernels, omni, manifold, results, MappingProxyType(timings))


def compare_embeddings(
    embeddings: Mapping[str, Any],
    *,
    k: int = 10,
    metric: Metric = "cosine",
    symmetrize: Symmetrize = "union",
    item_ids: Iterable[Any] | None = None,
    n_components: int | None = None,
    n_elbows: int = 2,
    mds_components: int = 2,
    pairs: PairChoice | Iterable[tuple[str, str]] = "first",
    n_boot: int = 20,
    alpha: float = 0.05,
    solver: Solver = "auto",
    random_state: RandomState = DEFAULT_RANDOM_STATE,
) -> KernelComparison:
    """kNN data kernels, omnibus embedding, model manifold and per-datum tests.

    Parameters
    ----------
    embeddings : mapping of str to array (n_items, d_i)
        Model id -> embeddings of the same items in the same order.
    k, metric, symmetrize, item_ids
        See :func:`~hftree.kernels.knn_kernels`.
    n_components, n_elbows, solver
        See :class:`~hftree.kernels.OmnibusEmbed`. The per-datum tests use the same
        dimension as the joint embedding of all models.
    mds_components : int, default 2
        Dimension of the model manifold.
    pairs : {"first", "all", "none"} or list of (model_a, model_b), default "first"
        Per-datum tests to run: each model against the first, all pairs, none, or the
        pairs listed.
    n_boot, alpha
        See :func:`~hftree.kernels.datum_shift_test` (pooled p-values; 20 draws by
        default).
    random_state : int, Generator or None, default 0

    Returns
    -------
    KernelComparison

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> y = rng.normal(size=(50, 6))
    >>> result = compare_embeddings({"a": y, "b": y + 0.01 * rng.normal(size=y.shape)},
    ...                             k=5, n_components=2, n_boot=20, random_state=0)
    >>> result.tests[0].n_moved
    0
    >>> sorted(result.timings)
    ['kernels', 'manifold', 'omnibus', 'tests']
    """
    start = time.perf_counter()
    kernels = knn_kernels(embeddings, k, metric=metric, symmetrize=symmetrize, item_ids=item_ids)
    elapsed = time.perf_counter() - start
    result = compare_kernels(
        kernels,
        n_components=n_components,
        n_elbows=n_elbows,
        mds_components=mds_components,
        pairs=pairs,
        n_boot=n_boot,
        alpha=alpha,
        solver=solver,
        random_state=random_state,
    )
    timings = {"kernels": elapsed, **result.timings}
    return KernelComparison(result.kernels, result.omnibus, result.manifold, result.tests, MappingProxyType(timings))
