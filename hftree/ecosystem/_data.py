"""Column access for the ecosystem statistics: numbers, times and categories as NumPy arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hftree.errors import InputFormatError, ParameterError

NAT = np.iinfo(np.int64).min

#: Labels of the two buckets every share table ends with.
OTHER = "(other)"
NONE = "(none)"


def check_table(models: Any, *required: str) -> pd.DataFrame:
    """``models`` must be a DataFrame holding ``required`` columns."""
    if not isinstance(models, pd.DataFrame):
        raise ParameterError("models", "a model table (pandas DataFrame)", type(models).__name__,
                             hint="pass snapshot.models or graph.models")
    missing = [c for c in required if c not in models.columns]
    if missing:
        raise InputFormatError(
            f"model table has no {missing[0]!r} column "
            f"(columns: {', '.join(map(str, models.columns))}); "
            "import the data through hftree.ingest to get the canonical columns",
            field=missing[0],
        )
    return models


def numeric(models: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` as float64, NaN where missing; all NaN when the column is absent."""
    if name not in models.columns:
        return np.full(len(models), np.nan)
    col = models[name]
    try:
        return col.to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InputFormatError(
            f"column {name!r} must hold numbers; found dtype {col.dtype}", field=name
        ) from exc


def nonnegative(models: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` as floats (NaN = missing), refusing negative counts."""
    v = numeric(models, name)
    bad = np.flatnonzero(v < 0)
    if len(bad):
        mid = models["id"].iloc[bad[0]] if "id" in models.columns else f"row {bad[0]}"
        raise InputFormatError(
            f"{name} must be counts >= 0; model {mid!r} has {v[bad[0]]:g} "
            f"({len(bad)} negative values)",
            field=name,
        )
    return v


def times_ms(models: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` as int64 milliseconds since the epoch (UTC), :data:`NAT` where missing."""
    if name not in models.columns:
        return np.full(len(models), NAT, dtype=np.int64)
    col = models[name]
    if not isinstance(col.dtype, pd.DatetimeTZDtype) and not pd.api.types.is_datetime64_dtype(
        col.dtype
    ):
        try:
            col = pd.to_datetime(col, utc=True, errors="raise", format="ISO8601")
        except (TypeError, ValueError) as exc:
            raise InputFormatError(
                f"column {name!r} must hold dates/times; found dtype {col.dtype}", field=name
            ) from exc
    # never .to_numpy() a tz-aware column: that builds one Timestamp object per row
    ms = col.dt.as_unit("ms").array.asi8
    return np.asarray(ms, dtype=np.int64)


def categories(models: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (−1 = missing) and the distinct labels of column ``name``."""
    if name not in models.columns:
        return np.full(len(models), -1, dtype=np.int64), np.empty(0, dtype=object)
    col = models[name]
    if isinstance(col.dtype, pd.ArrowDtype) and not pd.api.types.is_string_dtype(col.dtype):
        raise InputFormatError(
            f"column {name!r} must hold single values; found {col.dtype}", field=name
        )
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    labels = np.asarray(uniques, dtype=object)
    # an empty string is no value either
    empty = np.flatnonzero(labels == "")
    if len(empty):
        codes = np.where(np.isin(codes, empty), -1, codes)
    return codes.astype(np.int64, copy=False), labels
