"""Population level: distances between models and the classical-MDS model manifold.

Once the kernels of ``m`` models are embedded jointly (:class:`OmnibusEmbed`), the
positions of every model are in one coordinate system, and the distance between
models ``f`` and ``g`` is the root-mean-square displacement of the items,

    ``D(f, g) = ||Z_f - Z_g||_F / sqrt(n)``.

Classical (Torgerson) multidimensional scaling of ``D`` places the models as points
-- the *model manifold* of Duderstadt, Helm & Priebe (2023) -- with a scree of the
eigenvalues of the doubly centred squared distances telling how many axes matter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from hftree._plotting import axes_or_new
from hftree.errors import InputFormatError, NotFittedError, ParameterError
from hftree.kernels._estimator import Estimator
from hftree.kernels.embed import OmnibusEmbed

__all__ = ["ModelManifold", "classical_mds", "model_distances"]


def model_distances(embedding: OmnibusEmbed | Mapping[str, Any]) -> pd.DataFrame:
    """RMS distance between the aligned latent positions of every pair of models.

    Parameters
    ----------
    embedding : fitted OmnibusEmbed, or mapping of str to array (n_items, d)
        Positions that are already in one coordinate system.

    Returns
    -------
    pandas.DataFrame
        Symmetric, zero diagonal, indexed and labelled by model id.

    Examples
    --------
    >>> import numpy as np
    >>> z = {"a": np.zeros((4, 2)), "b": np.ones((4, 2)), "c": np.zeros((4, 2))}
    >>> model_distances(z).round(3).values.tolist()
    [[0.0, 1.414, 0.0], [1.414, 0.0, 1.414], [0.0, 1.414, 0.0]]
    """
    if isinstance(embedding, OmnibusEmbed):
        if not embedding.fitted:
            raise NotFittedError("fit the OmnibusEmbed before asking for distances")
        names = list(embedding.model_ids_)
        z = embedding.latent_positions_
    elif isinstance(embedding, Mapping) and embedding:
        names = [str(m) for m in embedding]
        arrays = [np.asarray(v, dtype=float) for v in embedding.values()]
        if any(a.ndim != 2 or a.shape != arrays[0].shape for a in arrays):
            raise InputFormatError(
                "positions of all models must be 2-D arrays of one shape; got "
                + ", ".join(f"{m}: {a.shape}" for m, a in zip(names, arrays, strict=True)),
                field="embedding",
            )
        z = np.stack(arrays)
    else:
        raise InputFormatError(
            "embedding must be a fitted OmnibusEmbed or a non-empty mapping model id -> positions",
            field="embedding",
        )
    m, n, _ = z.shape
    flat = z.reshape(m, -1)
    sq = (flat**2).sum(axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * flat @ flat.T, 0.0)
    dist = np.sqrt(d2 / n)
    np.fill_diagonal(dist, 0.0)
    return pd.DataFrame(dist, index=pd.Index(names, name="model_id"), columns=names)


def _check_distances(distances: Any) -> tuple[np.ndarray, list[str]]:
    if isinstance(distances, pd.DataFrame):
        names = [str(c) for c in distances.columns]
        if [str(i) for i in distances.index] != names:
            raise InputFormatError(
                "distance table must have the same model ids, in the same order, as index and columns",
                field="distances",
            )
        d = distances.to_numpy(dtype=float)
    else:
        d = np.asarray(distances, dtype=float)
        names = [str(i) for i in range(d.shape[0])] if d.ndim == 2 else []
    if d.ndim != 2 or d.shape[0] != d.shape[1] or d.shape[0] < 2:
        raise InputFormatError(
            f"distances must be a square matrix of at least 2 models; got shape {d.shape}",
            field="distances",
        )
    if not np.isfinite(d).all() or (d < 0).any():
        raise InputFormatError("distances must be finite and non-negative", field="distances")
    if not np.allclose(d, d.T, atol=1e-10 * max(1.0, float(d.max()))):
        raise InputFormatError("distance matrix is not symmetric", field="distances")
    return d, names


def classical_mds(distances: Any, n_components: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Classical (Torgerson) multidimensional scaling.

    Parameters
    ----------
    distances : array-like or DataFrame, shape (m, m)
    n_components : int, default 2
        Axes kept, at most ``m``; axes with a non-positive eigenvalue are all zeros.

    Returns
    -------
    coordinates : ndarray, shape (m, n_components)
        The largest-magnitude entry of each axis is positive.
    eigenvalues : ndarray, shape (m,)
        All eigenvalues of ``-J D^2 J / 2``, decreasing (the scree).

    Examples
    --------
    >>> import numpy as np
    >>> points = np.array([0.0, 1.0, 3.0])
    >>> coords, eig = classical_mds(np.abs(points[:, None] - points), n_components=1)
    >>> coords.ravel().round(3).tolist(), eig.round(3).tolist()
    ([-1.333, -0.333, 1.667], [4.667, 0.0, -0.0])
    """
    d, _ = _check_distances(distances)
    m = d.shape[0]
    if isinstance(n_components, bool) or not isinstance(n_components, int) or not 1 <= n_components <= m:
        raise ParameterError("n_components", f"a whole number between 1 and {m}", n_components)
    j = np.eye(m) - 1.0 / m
    b = -0.5 * j @ (d**2) @ j
    b = 0.5 * (b + b.T)
    values, vectors = np.linalg.eigh(b)
    order = np.argsort(-values, kind="stable")
    values, vectors = values[order], vectors[:, order]
    coords = vectors[:, :n_components] * np.sqrt(np.clip(values[:n_components], 0.0, None))
    rows = np.argmax(np.abs(coords), axis=0)
    signs = np.sign(coords[rows, np.arange(n_components)])
    signs[signs == 0] = 1.0
    return coords * signs, values


class ModelManifold(Estimator):
    """Classical-MDS map of models from their pairwise distances.

    Parameters
    ----------
    n_components : int, default 2
        Dimension of the map.

    Attributes
    ----------
    distances_ : pandas.DataFrame
        The model-by-model distances that were scaled.
    embedding_ : pandas.DataFrame
        Coordinates, index model id, columns ``mds_1`` ...
    eigenvalues_ : ndarray
        Scree: all eigenvalues of the doubly centred squared distances, decreasing.
    explained_ : ndarray
        Share of the positive eigenvalue mass on each kept axis.
    model_ids_ : tuple of str

    Examples
    --------
    >>> import numpy as np
    >>> z = {f"m{t}": np.full((5, 2), float(t)) for t in range(4)}
    >>> manifold = ModelManifold(n_components=1).fit(model_distances(z))
    >>> manifold.embedding_["mds_1"].round(3).tolist()
    [-2.121, -0.707, 0.707, 2.121]
    """

    def __init__(self, n_components: int = 2) -> None:
        self.n_components = n_components

    def fit(self, distances: pd.DataFrame | OmnibusEmbed | Any) -> ModelManifold:
        """Scale a distance table (or the distances of a fitted omnibus embedding)."""
        if isinstance(distances, OmnibusEmbed):
            distances = model_distances(distances)
        d, names = _check_distances(distances)
        k = min(self.n_components, d.shape[0]) if isinstance(self.n_components, int) else self.n_components
        coords, values = classical_mds(d, k)
        positive = np.clip(values, 0.0, None).sum()
        self.distances_ = pd.DataFrame(d, index=pd.Index(names, name="model_id"), columns=names)
        self.embedding_ = pd.DataFrame(
            coords,
            index=pd.Index(names, name="model_id"),
            columns=[f"mds_{j + 1}" for j in range(coords.shape[1])],
        )
        self.eigenvalues_ = values
        self.explained_ = (
            np.clip(values[: coords.shape[1]], 0.0, None) / positive if positive > 0 else np.zeros(coords.shape[1])
        )
        self.model_ids_ = tuple(names)
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """Coordinates plus each model's mean distance to the others."""
        out = self.embedding_.copy()
        m = len(self.model_ids_)
        out["mean_distance"] = self.distances_.to_numpy().sum(axis=1) / max(m - 1, 1)
        return out

    def scree(self) -> pd.DataFrame:
        """Eigenvalues and their share of the positive mass, one row per axis."""
        values = self.eigenvalues_
        positive = np.clip(values, 0.0, None)
        total = positive.sum()
        return pd.DataFrame(
            {
                "eigenvalue": values,
                "explained": positive / total if total > 0 else positive,
            },
            index=pd.RangeIndex(1, values.size + 1, name="axis"),
        )

    def plot(self, ax: Any = None, *, annotate: bool = True) -> Any:
        """Scatter the models on the first two axes (or one axis) and label them.

        Returns the matplotlib ``Axes``.
        """
        ax = axes_or_new(ax, figsize=(5, 4))
        coords = self.embedding_.to_numpy()
        xs = coords[:, 0]
        ys = coords[:, 1] if coords.shape[1] > 1 else np.zeros_like(xs)
        ax.scatter(xs, ys, s=36, color="tab:blue", zorder=3)
        if annotate:
            for name, x, y in zip(self.model_ids_, xs, ys, strict=True):
                ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        share = self.explained_
        ax.set_xlabel(f"MDS 1 ({share[0]:.0%})")
        ax.set_ylabel(f"MDS 2 ({share[1]:.0%})" if share.size > 1 else "")
        ax.set_title("Model manifold")
        ax.margins(0.2)
        return ax

    def plot_scree(self, ax: Any = None) -> Any:
        """Bar chart of the MDS eigenvalues; returns the matplotlib ``Axes``."""
        ax = axes_or_new(ax, figsize=(4, 3))
        values = self.eigenvalues_
        ax.bar(np.arange(1, values.size + 1), values, color="tab:gray")
        ax.set_xlabel("axis")
        ax.set_ylabel("eigenvalue")
        ax.set_title("MDS scree")
        return ax

    def _fitted_note(self) -> str:
        return f"fitted: {len(self.model_ids_)} models in {self.embedding_.shape[1]} dimensions"
