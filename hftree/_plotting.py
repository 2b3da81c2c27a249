"""The plotting helpers every ``plot(ax=None)`` in hftree shares: a new figure's axes, log axes."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

__all__ = ["axes_or_new", "log_axes", "plain_number"]


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


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def plain_number(x: float) -> str:
    """A tick value as people write it: ``1``, ``300``, ``2k``, ``10M``, ``0.01``, ``10⁻⁶``.

    >>> [plain_number(v) for v in (1, 20, 300, 2000, 1e7, 2.5e9, 0.01, 1e-6, 3e-5)]
    ['1', '20', '300', '2k', '10M', '2.5B', '0.01', '10⁻⁶', '3×10⁻⁵']
    """
    if x == 0 or not np.isfinite(x):
        return f"{x:g}"
    a = abs(x)
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= size:
            return f"{x / size:.3g}{suffix}"
    if a >= 1e-3:
        return f"{x:.3g}"
    e = int(np.floor(np.log10(a)))
    m = float(f"{x / 10.0**e:.3g}")
    return ("" if m == 1 else f"{m:g}×") + "10" + str(e).translate(_SUPERSCRIPT)


def log_axes(ax: Any, *, x: bool = True, y: bool = True) -> Any:
    """Put ``ax`` on log scales, its ticks labelled in plain text by :func:`plain_number`.

    matplotlib's default labels (``$10^{3}$``) go through its mathtext parser, about 0.1 s to load in
    every process that draws; which ticks get a label is still matplotlib's choice.

    >>> ax = log_axes(axes_or_new())
    >>> ax.get_xscale(), ax.yaxis.get_major_formatter()(1000.0)
    ('log', '1k')
    """
    plain = _plain_log_formatter()
    for on, axis, set_scale in ((x, ax.xaxis, ax.set_xscale), (y, ax.yaxis, ax.set_yscale)):
        if on:
            set_scale("log")  # first: setting the scale resets the formatters
            axis.set_major_formatter(plain())
            axis.set_minor_formatter(plain(labelOnlyBase=False, minor_thresholds=(1, 0.4)))
    return ax


@functools.cache
def _plain_log_formatter() -> Any:
    """matplotlib's log formatter (it decides which ticks get a label) writing :func:`plain_number`."""
    from matplotlib.ticker import LogFormatter

    class PlainLogFormatter(LogFormatter):
        def __call__(self, value: float, pos: int | None = None) -> str:
            return plain_number(value) if super().__call__(value, pos) else ""

    return PlainLogFormatter
