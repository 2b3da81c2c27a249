"""Models created per month, split by licence class, task or any other column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hftree.ecosystem._data import NAT, NONE, OTHER, categories, check_table, times_ms
from hftree.ecosystem.shares import _check_top, _class_codes
from hftree.licenses import LICENSE_CLASSES

__all__ = ["created_per_month"]


def _months(tms: np.ndarray) -> np.ndarray:
    """Month number (months since 1970-01, UTC) of int64 ms times; :data:`NAT` stays missing."""
    out = np.full(len(tms), NAT, dtype=np.int64)
    has = tms != NAT
    out[has] = tms[has].view("datetime64[ms]").astype("datetime64[M]").astype(np.int64)
    return out


def _per_month(
    months: np.ndarray,
    codes: np.ndarray,
    labels: np.ndarray,
    *,
    top: int | None,
    fixed: bool,
) -> pd.DataFrame:
    """Wide month × category counts from :func:`_months` values.

    ``fixed``: ``labels`` are the columns, in order, without ``(other)``/``(none)``.
    """
    has_t = months != NAT
    month = months[has_t]
    c = codes[has_t]
    if fixed:
        cols = [str(x) for x in labels]
        cat = c
    else:
        k = len(labels)
        cnt = np.bincount(c[c >= 0], minlength=k)
        present = np.flatnonzero(cnt > 0)
        order = present[np.lexsort((labels[present].astype(str), -cnt[present]))]
        shown = order if top is None else order[:top]
        slot = np.full(k + 1, len(shown), dtype=np.int64)  # the rest -> "(other)"
        slot[shown] = np.arange(len(shown))
        slot[k] = len(shown) + 1  # missing -> "(none)"
        cat = slot[np.where(c >= 0, c, k)]
        cols = [*(str(x) for x in labels[shown]), OTHER, NONE]
    ncat = len(cols)
    if len(month) == 0:
        frame = pd.DataFrame(
            {
                "month": pd.array([], dtype="string"),
                **{col: np.empty(0, dtype=np.int64) for col in cols},
                "total": np.empty(0, dtype=np.int64),
            }
        )
    else:
        m0 = int(month.min())
        nm = int(month.max()) - m0 + 1
        counts = np.bincount((month - m0) * ncat + cat, minlength=nm * ncat).reshape(nm, ncat)
        labels_m = np.arange(m0, m0 + nm).astype("datetime64[M]").astype(str)
        frame = pd.DataFrame(counts.astype(np.int64), columns=cols)
        frame.insert(0, "month", pd.array(labels_m, dtype="string"))
        frame["total"] = counts.sum(axis=1).astype(np.int64)
    frame.attrs["models_without_time"] = int((~has_t).sum())
    return frame


def created_per_month(
    models: pd.DataFrame,
    by: str = "license_class",
    *,
    time_column: str = "created_at",
    top: int | None = 8,
) -> pd.DataFrame:
    """Number of models created each month, one column per licence class / task / value.

    Parameters
    ----------
    models : pandas.DataFrame
        A model table with ``time_column`` and the column to split by.
    by : str
        ``"license_class"`` (from ``license``: the six classes of
        :data:`~hftree.licenses.LICENSE_CLASSES`, always all of them)
        or any column of single values (``pipeline_tag``, ``library_name``,
        ``license``, ...): its ``top`` most common values, then
        ``(other)`` and ``(none)``.
    time_column : str
        When a model appeared (default ``created_at``; snapshots without it,
        such as 2022 listings, only have ``last_modified``).
    top : int or None
        Values listed one by one when ``by`` is a column (``None``: all).

    Returns
    -------
    pandas.DataFrame
        ``month`` (``YYYY-MM``, every month from the first to the last, UTC),
        one count column per category, ``total``. Models without a time are
        left out; ``frame.attrs["models_without_time"]`` says how many.

    Examples
    --------
    >>> import pandas as pd
    >>> models = pd.DataFrame({
    ...     "created_at": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-03-02", None],
    ...                                  utc=True),
    ...     "license": ["mit", "llama3", "gpl-3.0", "mit"]})
    >>> created_per_month(models)
         month  permissive  copyleft  non-commercial  community  other  none  total
    0  2024-01           1         0               0          1      0     0      2
    1  2024-02           0         0               0          0      0     0      0
    2  2024-03           0         1               0          0      0     0      1
    """
    _check_top(top)
    source = "license" if by == "license_class" else by
    check_table(models, time_column, source)
    codes, labels = categories(models, source)
    months = _months(times_ms(models, time_column))
    if by == "license_class":
        return _per_month(
            months,
            _class_codes(models),
            np.asarray(LICENSE_CLASSES, dtype=object),
            top=None,
            fixed=True,
        )
    return _per_month(months, codes, labels, top=top, fixed=False)
