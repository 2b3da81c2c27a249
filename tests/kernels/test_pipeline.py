"""compare_embeddings: the whole pipeline, labelled outputs."""

from __future__ import annotations

import dataclasses

import pytest

from hftree.errors import InputFormatError, ParameterError
from hftree.kernels import KernelComparison, compare_embeddings
from hftree.kernels.pipeline import test_pairs as expand_pairs


def test_compare_embeddings_end_to_end(synth, rng):
    y = synth.clustered_embeddings(150, rng)
    embeddings = {"base": y, "near": y + 0.05 * rng.normal(size=y.shape), "far": rng.normal(size=(150, 5))}
    ids = [f"doc{i}" for i in range(150)]
    result = compare_embeddings(embeddings, k=8, item_ids=ids, n_boot=10, random_state=0)
    assert isinstance(result, KernelComparison)
    assert [(t.model_a, t.model_b) for t in result.tests] == [("base", "near"), ("base", "far")]
    assert all(t.n_components == result.omnibus.n_components_ for t in result.tests)
    assert result.tests[0].n_moved < result.tests[1].n_moved
    d = result.manifold.distances_
    assert d.loc["base", "near"] < d.loc["base", "far"]
    frame = result.to_frame()
    assert list(frame.index) == ["base", "near", "far"]
    assert {"n_edges", "mds_1", "rms_to_consensus"} <= set(frame.columns)
    long = result.tests_frame()
    assert len(long) == 300 and long["item_id"].iloc[0] == "doc0"
    assert set(result.timings) == {"kernels", "omnibus", "manifold", "tests"}
    assert "3 models x 150 items" in repr(result) and "<table" in result._repr_html_()
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.tests = ()  # type: ignore[misc]


def test_no_tests(rng):
    y = rng.normal(size=(40, 4))
    result = compare_embeddings({"a": y, "b": y[:, ::-1]}, k=4, pairs="none", n_components=2)
    assert result.tests == ()
    assert list(result.tests_frame().columns)[:3] == ["model_a", "model_b", "item_id"]
    assert "not tested" in repr(result)


def test_pair_choices():
    assert expand_pairs(["a", "b", "c"], "all") == [("a", "b"), ("a", "c"), ("b", "c")]
    assert expand_pairs(["a", "b", "c"], "first") == [("a", "b"), ("a", "c")]
    assert expand_pairs(["a", "b"], [("b", "a")]) == [("b", "a")]
    with pytest.raises(ParameterError, match="pairs: expected one of first, all, none or a list"):
        expand_pairs(["a", "b"], "some")
    with pytest.raises(ParameterError, match="pairs: expected pairs of two model ids"):
        expand_pairs(["a", "b"], [("a", "b", "c")])


def test_a_comparison_needs_two_models(rng):
    with pytest.raises(InputFormatError, match=r"at least 2 models; got \['only'\]"):
        compare_embeddings({"only": rng.normal(size=(30, 3))}, k=3)
