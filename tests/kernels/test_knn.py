"""kNN data kernels and the DataKernels container."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from hftree._results import Result
from hftree.errors import InputFormatError, ModelNotFoundError, ParameterError
from hftree.kernels import DataKernels, knn_kernel, knn_kernels


def brute_force_knn(y: np.ndarray, k: int, metric: str, symmetrize: str) -> np.ndarray:
    """Reference: full similarity matrix, sort each row."""
    if metric == "cosine":
        y = y / np.linalg.norm(y, axis=1, keepdims=True)
    sims = y @ y.T
    np.fill_diagonal(sims, -np.inf)
    directed = np.zeros(sims.shape)
    for i, row in enumerate(sims):
        directed[i, np.argsort(-row)[:k]] = 1
    both = directed + directed.T
    return (both >= 1 if symmetrize == "union" else both >= 2).astype(float)


@pytest.mark.parametrize("metric", ["cosine", "inner_product"])
@pytest.mark.parametrize("symmetrize", ["union", "mutual"])
def test_knn_matches_brute_force(rng, metric, symmetrize):
    y = rng.normal(size=(80, 7))
    kernel = knn_kernel(y, 6, metric=metric, symmetrize=symmetrize)
    assert isinstance(kernel, sp.csr_array)
    np.testing.assert_array_equal(kernel.toarray(), brute_force_knn(y, 6, metric, symmetrize))


def test_kernel_is_symmetric_binary_hollow_with_min_degree_k(rng):
    kernel = knn_kernel(rng.normal(size=(200, 5)), 10)
    dense = kernel.toarray()
    assert np.array_equal(dense, dense.T)
    assert set(np.unique(dense)) <= {0.0, 1.0}
    assert not dense.diagonal().any()
    assert dense.sum(axis=1).min() >= 10  # union: every item keeps its own k neighbours


def test_chunked_search_equals_one_block(rng, monkeypatch):
    import hftree.kernels.knn as knn

    y = rng.normal(size=(150, 4))
    whole = knn_kernel(y, 5)
    monkeypatch.setattr(knn, "_CHUNK_ENTRIES", 150 * 7)  # 7 rows per block
    assert (knn_kernel(y, 5) != whole).nnz == 0


def test_cosine_ignores_scale_inner_product_does_not(rng):
    y = rng.normal(size=(60, 5))
    scaled = y * rng.uniform(0.1, 10, size=(60, 1))
    assert (knn_kernel(y, 4) != knn_kernel(scaled, 4)).nnz == 0
    assert (knn_kernel(y, 4, metric="inner_product") != knn_kernel(scaled, 4, metric="inner_product")).nnz > 0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 8))
def test_relabelling_items_permutes_the_kernel(seed, k):
    """Invariant: the kernel of permuted items is the permuted kernel."""
    gen = np.random.default_rng(seed)
    y = gen.normal(size=(30, 4))
    perm = gen.permutation(30)
    a = knn_kernel(y, k).toarray()
    b = knn_kernel(y[perm], k).toarray()
    np.testing.assert_array_equal(b, a[np.ix_(perm, perm)])


def test_knn_kernels_keeps_ids_and_allows_different_widths(rng):
    y = rng.normal(size=(40, 9))
    kernels = knn_kernels({"narrow": y[:, :3], "wide": y}, k=4, item_ids=[f"i{j}" for j in range(40)])
    assert kernels.model_ids == ("narrow", "wide")
    assert kernels.item_ids[:2] == ("i0", "i1")
    assert kernels.k == 4 and kernels.metric == "cosine"
    frame = kernels.to_frame()
    assert list(frame.index) == ["narrow", "wide"]
    assert (frame["min_degree"] >= 4).all()
    assert repr(kernels) == "<DataKernels: 2 rows × 6 columns; 2 models x 40 items, k=4, metric=cosine>"
    assert isinstance(kernels, Result) and kernels.summary.equals(frame)
    assert "<table" in kernels._repr_html_()


def test_edge_overlap_identical_and_disjoint():
    a = np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])
    b = np.array([[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]])
    overlap = DataKernels.from_matrices({"a": a, "a2": a, "b": b}).edge_overlap()
    assert overlap.loc["a", "a2"] == 1.0
    assert overlap.loc["a", "b"] == 0.0


def test_subset_and_lookup(rng):
    kernels = knn_kernels({m: rng.normal(size=(20, 3)) for m in "xyz"}, k=3)
    assert kernels.subset(["z", "x"]).model_ids == ("z", "x")
    assert kernels["y"].shape == (20, 20)
    with pytest.raises(ModelNotFoundError, match="model 'w' has no data kernel"):
        kernels["w"]


# --- documented errors -------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "kwargs", "error", "match"),
    [
        (np.zeros(5), {}, InputFormatError, "must be a 2-D array"),
        (np.ones((5, 0)), {}, InputFormatError, "no feature columns"),
        (np.array([[1.0, 2.0], [np.nan, 1.0], [0.5, 0.5]]), {"k": 1}, InputFormatError, r"row 1 \(item 1\) holds NaN"),
        (np.ones((5, 2)), {"k": 5}, ParameterError, r"k: expected a whole number with 1 <= k < n_items = 5, got 5"),
        (np.ones((5, 2)), {"k": 0}, ParameterError, "got 0"),
        (np.ones((5, 2)), {"metric": "euclid"}, ParameterError, "metric: expected one of cosine, inner_product"),
        (np.ones((5, 2)), {"symmetrize": "avg"}, ParameterError, "symmetrize: expected one of union, mutual"),
        (np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]), {"k": 1}, InputFormatError, "row 1 .* all zeros"),
    ],
)
def test_knn_kernel_errors(values, kwargs, error, match):
    kwargs = {"k": 2, **kwargs}
    with pytest.raises(error, match=match):
        knn_kernel(values, **kwargs)


def test_knn_kernels_errors(rng):
    with pytest.raises(InputFormatError, match="at least one model"):
        knn_kernels({})
    with pytest.raises(InputFormatError, match="model 'b' embeds 9 items but model 'a' embeds 10"):
        knn_kernels({"a": rng.normal(size=(10, 2)), "b": rng.normal(size=(9, 2))}, k=2)
    bad = rng.normal(size=(10, 2))
    bad[3, 0] = np.inf
    with pytest.raises(InputFormatError, match=r"model 'b'.*row 3 \(item 'd'\)"):
        knn_kernels({"a": rng.normal(size=(10, 2)), "b": bad}, k=2, item_ids=list("abcdefghij"))


def test_data_kernels_errors():
    sym = np.array([[0, 1], [1, 0]])
    with pytest.raises(InputFormatError, match="at least one model"):
        DataKernels.from_matrices({})
    with pytest.raises(InputFormatError, match="'x' is not symmetric"):
        DataKernels.from_matrices({"x": np.array([[0, 1], [0, 0]])})
    with pytest.raises(InputFormatError, match="'x' must be square"):
        DataKernels.from_matrices({"x": np.ones((2, 3))})
    with pytest.raises(InputFormatError, match="'x' must be a square 2-D matrix"):
        DataKernels.from_matrices({"x": np.ones(3)})
    with pytest.raises(InputFormatError, match="'y' has 3 items but model 'x' has 2"):
        DataKernels.from_matrices({"x": sym, "y": np.zeros((3, 3))})
    with pytest.raises(InputFormatError, match="3 item ids for kernels of 2 items"):
        DataKernels.from_matrices({"x": sym}, item_ids=["a", "b", "c"])
    with pytest.raises(InputFormatError, match="item id 'a' occurs more than once"):
        DataKernels.from_matrices({"x": sym}, item_ids=["a", "a"])
    with pytest.raises(InputFormatError, match="NaN or infinite"):
        DataKernels.from_matrices({"x": np.array([[0, np.nan], [np.nan, 0]])})


def test_data_kernels_is_frozen():
    kernels = DataKernels.from_matrices({"x": np.array([[0, 1], [1, 0]])})
    with pytest.raises(AttributeError):
        kernels.k = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        kernels.matrices["y"] = None  # type: ignore[index]
