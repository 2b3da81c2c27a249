"""Data kernels: compare models by the geometry of their embeddings.

An implementation of Duderstadt, Helm & Priebe (2023), "Comparing Foundation Models
using Data Kernels" (arXiv 2305.05126), with numpy and scipy only:

- :func:`knn_kernels` -- the *data kernel* of each model: the sparse, symmetrised
  k-nearest-neighbour graph of its embeddings of the same ``n`` data items;
- :class:`AdjacencySpectralEmbed`, :class:`OmnibusEmbed` -- latent positions of one
  kernel, and of all kernels jointly so that they are comparable across models
  (dimension by the Zhu--Ghodsi elbow, :func:`select_dimension`, unless given);
- :func:`datum_shift_test` -- for two models, which items moved: statistic
  ``||Z_a[i] - Z_b[i]||``, null by parametric bootstrap from the random dot product
  graph of the pooled positions, Benjamini--Hochberg correction;
- :func:`model_distances`, :class:`ModelManifold` -- distances between models and
  their classical-MDS map (coordinates, scree, plot);
- :func:`compare_embeddings` -- the whole pipeline in one call (what
  ``hftree kernels`` runs);
- :mod:`hftree.kernels.embedders` -- optional text embedders (TF-IDF + SVD,
  bag-of-words + SVD, sentence-transformers models available locally).

Examples
--------
>>> import numpy as np
>>> from hftree.kernels import knn_kernels, OmnibusEmbed, ModelManifold
>>> rng = np.random.default_rng(0)
>>> y = rng.normal(size=(60, 8))
>>> embeddings = {"base": y, "noisy": y + rng.normal(scale=0.5, size=y.shape),
...               "other": rng.normal(size=(60, 8))}
>>> kernels = knn_kernels(embeddings, k=5)
>>> omni = OmnibusEmbed(n_components=3, random_state=0).fit(kernels)
>>> d = ModelManifold().fit(omni).distances_
>>> bool(d.loc["base", "noisy"] < d.loc["base", "other"])
True
"""

from hftree.kernels.embed import (
    AdjacencySpectralEmbed,
    OmnibusEmbed,
    profile_likelihood,
    select_dimension,
)
from hftree.kernels.inference import DatumTestResult, benjamini_hochberg, datum_shift_test
from hftree.kernels.knn import DataKernels, knn_kernel, knn_kernels
from hftree.kernels.manifold import ModelManifold, classical_mds, model_distances
from hftree.kernels.pipeline import KernelComparison, compare_embeddings, compare_kernels
from hftree.kernels.rdpg import rdpg_probabilities, sample_rdpg

__all__ = [
    "AdjacencySpectralEmbed",
    "DataKernels",
    "DatumTestResult",
    "KernelComparison",
    "ModelManifold",
    "OmnibusEmbed",
    "benjamini_hochberg",
    "classical_mds",
    "compare_embeddings",
    "compare_kernels",
    "datum_shift_test",
    "knn_kernel",
    "knn_kernels",
    "model_distances",
    "profile_likelihood",
    "rdpg_probabilities",
    "sample_rdpg",
    "select_dimension",
]
