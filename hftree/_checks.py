"""Checks of count and fraction arguments, one ``ParameterError`` wording each, for every package."""

from __future__ import annotations

from typing import Any

import numpy as np

from hftree.errors import ParameterError

__all__ = ["fraction", "whole_number"]


def whole_number(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an ``int`` if it is a whole number >= ``minimum``, else a :class:`ParameterError`.

    >>> whole_number("h", 3)
    3
    >>> whole_number("h", 2.5)
    Traceback (most recent call last):
    ...
    hftree.errors.ParameterError: h: expected a whole number >= 1, got 2.5
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ParameterError(name, f"a whole number >= {minimum}", value)
    return int(value)


def fraction(name: str, value: Any) -> float:
    """``value`` as a ``float`` if it is a number strictly between 0 and 1, else a :class:`ParameterError`."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) or not 0 < value < 1:
        raise ParameterError(name, "a number in (0, 1)", value)
    return float(value)
