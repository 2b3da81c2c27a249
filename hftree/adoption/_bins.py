"""Bins of a series frame: their length in years, their ends in time, and normalising counts.

A *series frame* has one row per family (index ``model``) and one column per bin
since the root was created (``0, 1, 2, …``, the column index named ``"month"`` or
``"day"``); bins after the data were collected are ``NaN``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from hftree.errors import ParameterError

__all__ = ["BIN_UNITS", "Bins", "series_arrays"]

Bins = Literal["month", "day"]

#: Length of one bin in years (the time unit of the fitted parameters).
BIN_UNITS: dict[str, float] = {"month": 1.0 / 12.0, "day": 1.0 / 365.25}


def _padded(rows: list[tuple[str, np.ndarray]], bins: str) -> pd.DataFrame:
    """One row per (model, series), series of different lengths padded with NaN on the right."""
    width = max((len(v) for _, v in rows), default=0)
    mat = np.full((len(rows), width), np.nan)
    for i, (_, v) in enumerate(rows):
        mat[i, : len(v)] = v
    return pd.DataFrame(
        mat, index=pd.Index([m for m, _ in rows], name="model"), columns=pd.RangeIndex(width, name=bins)
    )


def _months_between(t0: pd.Timestamp, t1: pd.Timestamp) -> int:
    """Largest k with t0 + k months <= t1 (-1 if t1 < t0)."""
    if t1 < t0:
        return -1
    k = (t1.year - t0.year) * 12 + (t1.month - t0.month)
    while k > 0 and t0 + pd.DateOffset(months=k) > t1:
        k -= 1
    return k


def _unit_name(unit: float) -> str:
    """The name of a bin of ``unit`` years (``"day"`` or ``"month"``)."""
    return "day" if abs(unit - BIN_UNITS["day"]) < 1e-9 else "month"


def _check_bins(bins: str) -> None:
    if bins not in BIN_UNITS:
        raise ParameterError("bins", "'month' or 'day'", bins)


def _bin_edges(t0_ms: int, snap_ms: int, bins: str) -> np.ndarray:
    """End of bins 0, 1, … (ms since epoch) that lie at or before the snapshot."""
    if snap_ms < t0_ms:
        return np.zeros(0, dtype=np.int64)
    if bins == "day":
        k = (snap_ms - t0_ms) // 86_400_000
        return t0_ms + np.arange(k + 1, dtype=np.int64) * 86_400_000
    span = (snap_ms - t0_ms) // (28 * 86_400_000) + 2  # more months than can fit
    edges = _add_months(t0_ms, np.arange(span, dtype=np.int64))
    return edges[edges <= snap_ms]


def _add_months(t0_ms: int, k: np.ndarray) -> np.ndarray:
    """``t0 + k calendar months`` in ms, as ``pandas.DateOffset(months=k)`` does.

    The day of the month is kept and clipped to the target month's length
    (Jan 31 + 1 month = Feb 28/29); the time of day is kept.
    """
    t0 = np.datetime64(int(t0_ms), "ms")
    month0 = t0.astype("datetime64[M]")
    day0 = t0.astype("datetime64[D]")
    dom = int((day0 - month0.astype("datetime64[D]")) / np.timedelta64(1, "D"))  # 0-based
    tod = int((t0 - day0.astype("datetime64[ms]")) / np.timedelta64(1, "ms"))
    target = month0 + k
    month_len = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    day = target.astype("datetime64[D]") + np.minimum(dom, month_len - 1)
    return day.astype("datetime64[ms]").astype(np.int64) + tod


def series_arrays(counts: Any, *, bins: str | None = None) -> tuple[pd.Index, np.ndarray, float]:
    """Normalise counts into (ids, values (K, n) with NaN = unobserved, bin length in years).

    Accepts a series frame, a pandas Series (one family) or a 1-D/2-D array.
    """
    if isinstance(counts, pd.DataFrame):
        ids = counts.index
        values = counts.to_numpy(dtype=float)
        unit_name = bins or counts.columns.name or "month"
    elif isinstance(counts, pd.Series):
        ids = pd.Index([counts.name if counts.name is not None else 0], name="model")
        values = counts.to_numpy(dtype=float)[None, :]
        unit_name = bins or counts.index.name or "month"
    else:
        values = np.asarray(counts, dtype=float)
        if values.ndim == 1:
            values = values[None, :]
        if values.ndim != 2:
            raise ParameterError("counts", "a 1-D or 2-D array", f"{values.ndim} dimensions")
        ids = pd.RangeIndex(values.shape[0], name="model")
        unit_name = bins or "month"
    if unit_name not in BIN_UNITS:
        unit_name = "month"
    return ids, values, BIN_UNITS[unit_name]
