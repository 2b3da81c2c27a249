"""The paper's data files: monthly fine-tune counts, stored fits and daily downloads.

Bhandari, Chen & Gao (2025) publish ``adoption/finetune/<Company>.csv`` (monthly
cumulative fine-tunes since release, plus the paper's fitted parameters) and
``adoption/download/<Company>.csv`` (cumulative downloads per calendar date).
Each reader returns a series frame (see :mod:`hftree.adoption.series`).
"""

from __future__ import annotations

import re
from os import PathLike

import numpy as np
import pandas as pd

from hftree.adoption._bins import Bins, _check_bins, _months_between
from hftree.errors import InputFormatError

__all__ = ["read_download_csv", "read_finetune_csv", "read_paper_fits"]

_MONTH_COL = re.compile(r"^(\d+)-month$")
_PAPER_FIT_COLUMNS = ("lambda_i", "mu_i", "sigma_i")


def _read_csv(path: str | PathLike[str]) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise InputFormatError("the file is empty; expected a CSV with a header", path=str(path)) from None
    except pd.errors.ParserError as exc:
        raise InputFormatError(f"not a readable CSV file ({exc})", path=str(path)) from None


def read_finetune_csv(path: str | PathLike[str]) -> pd.DataFrame:
    """Read monthly cumulative counts in the format of Bhandari, Chen & Gao (2025).

    The file has a ``model`` column and columns ``0-month``, ``1-month``, …
    (month 0 is the release; cells after the collection date are blank). Other
    columns (the paper's fitted parameters, ``company``, ``created_at`` …) are
    ignored here; see :func:`read_paper_fits`.

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        A series frame: index ``model``, integer columns named ``"month"``.

    Raises
    ------
    InputFormatError
        If the ``model`` column or every ``N-month`` column is missing, a count
        is not a number, a count is negative or decreases, or a blank is followed
        by a number (blanks may only trail).

    Examples
    --------
    >>> import io
    >>> text = "model,0-month,1-month,2-month\\nacme/base,0,3,\\nacme/other,0,1,4\\n"
    >>> read_finetune_csv(io.StringIO(text))  # doctest: +NORMALIZE_WHITESPACE
    month         0    1    2
    model
    acme/base   0.0  3.0  NaN
    acme/other  0.0  1.0  4.0
    """
    raw = _read_csv(path)
    name = str(getattr(path, "name", path))
    if "model" not in raw.columns:
        raise InputFormatError(f"no 'model' column; found {list(raw.columns)[:5]}", path=name, field="model")
    months = sorted((int(m.group(1)), c) for c in raw.columns if (m := _MONTH_COL.match(str(c))))
    if not months:
        raise InputFormatError("no '<N>-month' columns (expected '0-month', '1-month', …)", path=name, field="0-month")
    idx = [k for k, _ in months]
    if idx != list(range(len(idx))):
        raise InputFormatError(
            f"month columns must run 0, 1, 2, … without gaps; found {idx[:10]}",
            path=name,
            field="month",
        )
    block = raw[[c for _, c in months]]
    values = _numeric_block(block, name)
    frame = pd.DataFrame(
        values,
        index=pd.Index(raw["model"].astype(str).to_numpy(), name="model"),
        columns=pd.RangeIndex(len(idx), name="month"),
    )
    _check_cumulative(frame, name, first_line=2)
    return frame


def _numeric_block(block: pd.DataFrame, name: str) -> np.ndarray:
    out = np.empty(block.shape, dtype=float)
    for j, col in enumerate(block.columns):
        vals = pd.to_numeric(block[col], errors="coerce")
        bad = vals.isna() & block[col].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputFormatError(
                f"expected a number, found {block[col].iloc[i]!r}",
                path=name,
                line=i + 2,
                field=str(col),
            )
        out[:, j] = vals.to_numpy(dtype=float)
    return out


def _check_cumulative(frame: pd.DataFrame, name: str, first_line: int) -> None:
    v = frame.to_numpy()
    obs = ~np.isnan(v)
    # blanks may only trail: once NaN, always NaN
    seen_nan = np.logical_or.accumulate(~obs, axis=1)
    bad = obs & np.roll(seen_nan, 1, axis=1)
    bad[:, 0] = False
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputFormatError(
            f"model {frame.index[i]!r}: a count follows a blank cell (blanks may only trail)",
            path=name,
            line=int(i) + first_line,
            field=f"{frame.columns[j]}-month",
        )
    if np.nanmin(v, initial=0.0) < 0:
        i, j = np.argwhere(v < 0)[0]
        raise InputFormatError(
            f"model {frame.index[i]!r}: negative count {v[i, j]:g}",
            path=name,
            line=int(i) + first_line,
            field=f"{frame.columns[j]}-month",
        )
    with np.errstate(invalid="ignore"):
        dec = np.diff(v, axis=1) < 0
    if dec.any():
        i, j = np.argwhere(dec)[0]
        raise InputFormatError(
            f"model {frame.index[i]!r}: cumulative count decreases from {v[i, j]:g} to {v[i, j + 1]:g}",
            path=name,
            line=int(i) + first_line,
            field=f"{frame.columns[j + 1]}-month",
        )


def read_paper_fits(path: str | PathLike[str]) -> pd.DataFrame:
    """Read the paper's stored fit of every row of a ``finetune/<Company>.csv`` file.

    Returns
    -------
    pandas.DataFrame
        Index ``model``; columns ``lam, mu, sigma`` (the stored ``lambda_i, mu_i,
        sigma_i``), ``label`` (``approx_cond_label``), ``stuck`` (stored
        parameters equal the paper's starting point (0.5, 2.0, 0.5): a fit that
        never moved) and ``real`` (label "Fit the model" and not stuck), plus
        ``company`` and ``created_at`` where present.

    Raises
    ------
    InputFormatError
        If a ``lambda_i``/``mu_i``/``sigma_i`` or ``model`` column is missing.
    """
    raw = _read_csv(path)
    name = str(getattr(path, "name", path))
    for col in ("model", *_PAPER_FIT_COLUMNS):
        if col not in raw.columns:
            raise InputFormatError(f"no {col!r} column (is this a finetune/ file?)", path=name, field=col)
    out = pd.DataFrame(
        {
            "lam": pd.to_numeric(raw["lambda_i"], errors="coerce").to_numpy(),
            "mu": pd.to_numeric(raw["mu_i"], errors="coerce").to_numpy(),
            "sigma": pd.to_numeric(raw["sigma_i"], errors="coerce").to_numpy(),
        },
        index=pd.Index(raw["model"].astype(str).to_numpy(), name="model"),
    )
    out["label"] = raw["approx_cond_label"].astype(str).to_numpy() if "approx_cond_label" in raw else "unknown"
    out["stuck"] = (out["lam"] == 0.5) & (out["mu"] == 2.0) & (out["sigma"] == 0.5)
    out["real"] = (out["label"] == "Fit the model") & ~out["stuck"]
    for extra in ("company", "created_at"):
        if extra in raw:
            out[extra] = raw[extra].to_numpy()
    return out


def read_download_csv(path: str | PathLike[str], *, bins: Bins = "day") -> pd.DataFrame:
    """Read daily cumulative downloads (``adoption/download/<Company>.csv``).

    Each row holds a model's cumulative downloads on calendar dates (one column
    per date) and its ``created_at``. The result is re-indexed by time since
    creation: bin ``k`` is the value on the ``k``-th day (or month, counted as
    calendar-month anniversaries) after the creation date. Dates the file does
    not cover are ``NaN``, and so are the leading zeros after creation: they
    are days before the collector started tracking the model, not days without
    downloads (the paper drops them as well).

    Parameters
    ----------
    path
        The CSV file.
    bins
        ``"day"`` or ``"month"`` (monthly anniversaries of the creation date).

    Returns
    -------
    pandas.DataFrame
        A series frame (index ``model``, columns named ``bins``).

    Raises
    ------
    InputFormatError
        If ``model``/``created_at`` is missing, a column header is not a date,
        a value is not a number or a cumulative count decreases.
    ParameterError
        If ``bins`` is not ``"day"`` or ``"month"``.
    """
    _check_bins(bins)
    raw = _read_csv(path)
    name = str(getattr(path, "name", path))
    for col in ("model", "created_at"):
        if col not in raw.columns:
            raise InputFormatError(f"no {col!r} column", path=name, field=col)
    date_cols = [c for c in raw.columns if c not in ("model", "created_at")]
    try:
        dates = pd.to_datetime(pd.Index(date_cols), utc=True, format="mixed")
    except (ValueError, TypeError):
        bad = next(c for c in date_cols if pd.isna(pd.to_datetime(c, errors="coerce", utc=True)))
        raise InputFormatError(f"column header {bad!r} is not a date", path=name, line=1, field=str(bad)) from None
    values = _numeric_block(raw[date_cols], name)
    created = pd.to_datetime(raw["created_at"], utc=True, errors="coerce")
    if created.isna().any():
        i = int(np.flatnonzero(created.isna().to_numpy())[0])
        raise InputFormatError(
            f"created_at {raw['created_at'].iloc[i]!r} is not a date",
            path=name,
            line=i + 2,
            field="created_at",
        )
    with np.errstate(invalid="ignore"):
        dec = np.diff(values, axis=1) < 0
    if dec.any():
        i, j = np.argwhere(dec)[0]
        raise InputFormatError(
            f"model {raw['model'].iloc[i]!r}: cumulative downloads decrease on {date_cols[j + 1]}",
            path=name,
            line=int(i) + 2,
            field=str(date_cols[j + 1]),
        )
    day0 = dates.normalize()
    rows = []
    for i in range(len(raw)):
        c0 = created.iloc[i].normalize()
        v = values[i]
        keep = (day0 > c0) & ~np.isnan(v)
        # leading zeros after creation = not tracked yet
        nz = np.flatnonzero(keep & (v > 0))
        if nz.size:
            keep &= np.arange(len(v)) >= nz[0]
        else:
            keep[:] = False
        if bins == "day":
            k = ((day0[keep] - c0) / pd.Timedelta(days=1)).astype(int).to_numpy()
        else:
            # the value at the k-th monthly anniversary: last observed day on or before it
            obs_days = day0[keep]
            k_max = _months_between(c0, obs_days.max()) if len(obs_days) else -1
            anniv = pd.DatetimeIndex([c0 + pd.DateOffset(months=m) for m in range(k_max + 1)])
            pos = np.searchsorted(obs_days.as_unit("ms").asi8, anniv.as_unit("ms").asi8, side="right") - 1
            valid = pos >= 0
            # only anniversaries that fall inside the tracked span
            valid &= anniv >= obs_days.min() if len(obs_days) else valid
            k = np.arange(k_max + 1)[valid]
            rows.append((raw["model"].iloc[i], k, v[keep][pos[valid]]))
            continue
        rows.append((raw["model"].iloc[i], k, v[keep]))
    width = max((int(k.max()) + 1 for _, k, _ in rows if len(k)), default=0)
    out = np.full((len(rows), width), np.nan)
    for r, (_, k, vals) in enumerate(rows):
        out[r, k] = vals
    return pd.DataFrame(
        out,
        index=pd.Index([str(m) for m, _, _ in rows], name="model"),
        columns=pd.RangeIndex(width, name=bins),
    )
