"""What the data-kernel estimators share: ``NotFittedError`` before ``fit``, one ``repr``, one HTML view.

An estimator is configured in ``__init__``, learns in ``fit`` (which returns ``self``) and keeps
what it learned in attributes ending in ``_``; ``summary`` is a DataFrame of what it learned.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from hftree._results import frame_html
from hftree.errors import NotFittedError

__all__ = ["Estimator"]


class Estimator:
    """Base of :class:`~hftree.kernels.AdjacencySpectralEmbed`, :class:`~hftree.kernels.OmnibusEmbed`
    and :class:`~hftree.kernels.ModelManifold`.

    >>> from hftree.kernels import OmnibusEmbed
    >>> OmnibusEmbed(n_components=2)
    OmnibusEmbed(n_components=2)
    >>> OmnibusEmbed().latent_positions_
    Traceback (most recent call last):
    ...
    hftree.errors.NotFittedError: OmnibusEmbed.latent_positions_ is learned by fit(); call fit() first
    """

    n_components: Any

    @property
    def fitted(self) -> bool:
        """Whether :meth:`fit` has run."""
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    def __getattr__(self, name: str) -> Any:
        # only reached when normal lookup failed: a learned attribute, or a property that read one
        learned = name.endswith("_") or isinstance(getattr(type(self), name, None), property)
        if learned and not name.startswith("__") and not self.fitted:
            raise NotFittedError(f"{type(self).__name__}.{name} is learned by fit(); call fit() first")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def summary(self) -> pd.DataFrame:
        """What was learned, as a table (each estimator defines it)."""
        raise NotImplementedError

    def _fitted_note(self) -> str:
        return "fitted"

    def __repr__(self) -> str:
        if not self.fitted:
            return f"{type(self).__name__}(n_components={self.n_components!r})"
        return f"{type(self).__name__}({self._fitted_note()})"

    def _repr_html_(self) -> str:
        if not self.fitted:
            return f"<p>{html.escape(repr(self))}</p>"
        return frame_html(self.summary.reset_index(), title=type(self).__name__, note=self._fitted_note())
