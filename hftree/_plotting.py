"""The one "axes or new figure" helper of every ``plot(ax=None)`` in hftree."""

from __future__ import annotations

from typing import Any

__all__ = ["axes_or_new"]


def axes_or_new(ax: Any = None, *, figsize: tuple[float, float] = (6, 4)) -> Any:
    """``ax`` itself, or the axes of a new figure of ``figsize`` inches.

    matplotlib is imported here, on first use, so analyses load without it.

    >>> ax = axes_or_new(figsize=(3, 2))
    >>> tuple(ax.figure.get_size_inches()), axes_or_new(ax) is ax
    ((np.float64(3.0), np.float64(2.0)), True)
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # without a display matplotlib falls back to Agg itself

    _, new = plt.subplots(figsize=figsize)
    return new
