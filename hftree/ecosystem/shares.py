"""Who and what holds the models and the downloads: shares by licence, creator, task and library.

Every share table lists the ``top`` most common values of a column, then
``(other)`` (all remaining values together) and ``(none)`` (models without a
value), so the shares of a table always add up to 1 — by model count, by
downloads and by likes. A model without a download (like) count adds nothing
to the downloads (likes) but still counts as a model.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import pandas as pd

from hftree.ecosystem._data import NONE, OTHER, categories, check_table, nonnegative
from hftree.errors import ParameterError
from hftree.licenses import LICENSE_CLASSES, PERMISSIVE, license_classes

__all__ = [
    "SHARE_COLUMNS",
    "license_class_shares",
    "license_shares",
    "permissive_share",
    "share_table",
]

RankBy = Literal["models", "downloads", "likes"]
_RANK_BY: tuple[str, ...] = get_args(RankBy)

#: Columns of a share table after the value column (named after the model-table column).
SHARE_COLUMNS: dict[str, str] = {
    "kind": "'value' (one of the top values), 'other' (the rest together) or 'none' (no value)",
    "n_values": "distinct values in the row (1 for a listed value)",
    "models": "number of models",
    "model_share": "models / all models",
    "downloads": "downloads summed over the models",
    "download_share": "downloads / all downloads",
    "likes": "likes summed over the models",
    "like_share": "likes / all likes",
}


def _check_rank_by(rank_by: str) -> None:
    if rank_by not in _RANK_BY:
        raise ParameterError("rank_by", f"one of {', '.join(_RANK_BY)}", rank_by)


def _check_top(top: int | None, name: str = "top") -> None:
    """``top`` values listed one by one: a whole number >= 0, or None for all of them."""
    if top is not None and (isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 0):
        raise ParameterError(name, "a whole number >= 0 or None", top)


def _counts(models: pd.DataFrame, name: str) -> np.ndarray:
    """Counts of column ``name``, 0 where missing (a missing count adds nothing to a sum)."""
    return np.nan_to_num(nonnegative(models, name), nan=0.0)


def _shares(num: np.ndarray, total: float) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / total if total > 0 else np.full(len(num), np.nan)


def _share_frame(
    codes: np.ndarray,
    labels: np.ndarray,
    downloads: np.ndarray,
    likes: np.ndarray,
    *,
    name: str,
    top: int | None,
    rank_by: str,
) -> pd.DataFrame:
    """The share table from category codes (−1 = missing) and per-model counts (0 where missing)."""
    k = len(labels)
    valid = codes >= 0
    c = codes[valid]
    dl, lk = downloads, likes
    cnt = np.bincount(c, minlength=k)
    dsum = np.bincount(c, weights=dl[valid], minlength=k)
    lsum = np.bincount(c, weights=lk[valid], minlength=k)
    present = np.flatnonzero(cnt > 0)
    key = {"models": cnt, "downloads": dsum, "likes": lsum}[rank_by][present]
    label_rank = np.argsort(np.argsort(labels[present].astype(str), kind="stable"), kind="stable")
    order = present[np.lexsort((label_rank, -cnt[present], -key))]
    shown = order if top is None else order[:top]
    rest = order[len(shown) :]

    values = [*labels[shown].tolist(), OTHER, NONE]
    kinds = ["value"] * len(shown) + ["other", "none"]
    n_vals = [1] * len(shown) + [len(rest), 0]
    models = np.concatenate([cnt[shown], [cnt[rest].sum(), (~valid).sum()]]).astype(np.int64)
    dls = np.concatenate([dsum[shown], [dsum[rest].sum(), dl[~valid].sum()]])
    lks = np.concatenate([lsum[shown], [lsum[rest].sum(), lk[~valid].sum()]])
    frame = pd.DataFrame(
        {
            name: pd.array(values, dtype="string"),
            "kind": kinds,
            "n_values": np.asarray(n_vals, dtype=np.int64),
            "models": models,
            "model_share": _shares(models.astype(float), float(len(codes))),
            "downloads": np.rint(dls).astype(np.int64),
            "download_share": _shares(dls, float(dl.sum())),
            "likes": np.rint(lks).astype(np.int64),
            "like_share": _shares(lks, float(lk.sum())),
        }
    )
    frame.attrs["column"] = name
    frame.attrs["rank_by"] = rank_by
    return frame


def share_table(
    models: pd.DataFrame,
    column: str,
    *,
    top: int | None = 10,
    rank_by: RankBy = "models",
) -> pd.DataFrame:
    """Share of models, downloads and likes held by each value of ``column``.

    Parameters
    ----------
    models : pandas.DataFrame
        A model table (needs ``column``; ``downloads`` and ``likes`` if present).
    column : str
        A column of single values: ``license``, ``author``, ``pipeline_tag``,
        ``library_name``, ...
    top : int or None
        List this many values one by one (``None``: all of them); the rest are
        summed in the ``(other)`` row.
    rank_by : {"models", "downloads", "likes"}
        Which values are listed: the most common by model count, by downloads
        or by likes (ties: more models, then alphabetical).

    Returns
    -------
    pandas.DataFrame
        The value column, then :data:`SHARE_COLUMNS`; the last two rows are
        ``(other)`` and ``(none)``, and each share column sums to 1.

    Examples
    --------
    >>> import pandas as pd
    >>> models = pd.DataFrame({"id": list("abcde"),
    ...                        "license": ["mit", "mit", "gpl-3.0", None, "cc0-1.0"],
    ...                        "downloads": [10, 30, 50, 10, 0], "likes": [1, 0, 2, 1, 0]})
    >>> t = share_table(models, "license", top=1)
    >>> t[["license", "models", "model_share", "download_share"]]
       license  models  model_share  download_share
    0      mit       2          0.4             0.4
    1  (other)       2          0.4             0.5
    2   (none)       1          0.2             0.1
    """
    check_table(models, column)
    _check_rank_by(rank_by)
    _check_top(top)
    codes, labels = categories(models, column)
    return _share_frame(
        codes,
        labels,
        _counts(models, "downloads"),
        _counts(models, "likes"),
        name=column,
        top=top,
        rank_by=rank_by,
    )


def _with_license_class(frame: pd.DataFrame, row_classes: list[str | None]) -> pd.DataFrame:
    frame.insert(1, "license_class", pd.array(row_classes, dtype="string"))
    return frame


def _classes_of(class_codes: np.ndarray, where: np.ndarray) -> str | None:
    """The one class of the models in ``where``, ``mixed`` if they fall in several, NA if none."""
    found = np.unique(class_codes[where])
    if len(found) == 0:
        return None
    return LICENSE_CLASSES[int(found[0])] if len(found) == 1 else "mixed"


def license_shares(
    models: pd.DataFrame, *, top: int | None = 10, rank_by: RankBy = "models"
) -> pd.DataFrame:
    """:func:`share_table` of the ``license`` column, with the class of each licence.

    The ``license_class`` column (see :func:`hftree.licenses.license_class`) is the class of
    the row's models, ``mixed`` when they fall in several (the ``(other)`` row, or a licence
    ``other`` whose ``license_name`` names licences of different classes).

    Examples
    --------
    >>> import pandas as pd
    >>> models = pd.DataFrame({"id": list("abc"), "license": ["mit", "llama3", None],
    ...                        "downloads": [5, 15, 0]})
    >>> license_shares(models)[["license", "license_class", "models", "download_share"]]
       license license_class  models  download_share
    0   llama3     community       1            0.75
    1      mit    permissive       1            0.25
    2  (other)          <NA>       0            0.00
    3   (none)          none       1            0.00
    """
    check_table(models, "license")
    _check_rank_by(rank_by)
    _check_top(top)
    codes, labels = categories(models, "license")
    frame = _share_frame(
        codes,
        labels,
        _counts(models, "downloads"),
        _counts(models, "likes"),
        name="license",
        top=top,
        rank_by=rank_by,
    )
    return _license_frame(frame, codes, labels, _class_codes(models))


def _license_frame(frame: pd.DataFrame, codes: np.ndarray, labels: np.ndarray,
                   class_codes: np.ndarray) -> pd.DataFrame:
    label_code = {lbl: i for i, lbl in enumerate(labels.tolist())}
    shown = [label_code[v] for v in frame.loc[frame["kind"] == "value", "license"].tolist()]
    row_classes: list[str | None] = [_classes_of(class_codes, codes == c) for c in shown]
    row_classes.append(_classes_of(class_codes, (codes >= 0) & ~np.isin(codes, shown)))
    row_classes.append("none")
    return _with_license_class(frame, row_classes)


def _class_codes(models: pd.DataFrame) -> np.ndarray:
    """Index into :data:`LICENSE_CLASSES` of every model's licence (``license_name`` included)."""
    if "license" not in models:
        return np.full(len(models), LICENSE_CLASSES.index("none"), dtype=np.int64)
    index = {c: i for i, c in enumerate(LICENSE_CLASSES)}
    classes = license_classes(models["license"], models.get("license_name"))
    return np.array([index[c] for c in classes.tolist()], dtype=np.int64)


def _class_frame(
    cc: np.ndarray, codes: np.ndarray, downloads: np.ndarray, likes: np.ndarray
) -> pd.DataFrame:
    """Shares of the licence classes (``cc``: class of each model, ``codes``: its licence id);
    ``downloads``/``likes`` are 0 where missing."""
    k = len(LICENSE_CLASSES)
    dl, lk = downloads, likes
    cnt = np.bincount(cc, minlength=k)
    dsum = np.bincount(cc, weights=dl, minlength=k)
    lsum = np.bincount(cc, weights=lk, minlength=k)
    has = codes >= 0
    pairs = np.unique(np.stack([cc[has], codes[has]]), axis=1) if has.any() else np.empty((2, 0), np.int64)
    n_lic = np.bincount(pairs[0], minlength=k)
    return pd.DataFrame(
        {
            "license_class": pd.array(LICENSE_CLASSES, dtype="string"),
            "n_licenses": n_lic.astype(np.int64),
            "models": cnt.astype(np.int64),
            "model_share": _shares(cnt.astype(float), float(len(codes))),
            "downloads": np.rint(dsum).astype(np.int64),
            "download_share": _shares(dsum, float(dl.sum())),
            "likes": np.rint(lsum).astype(np.int64),
            "like_share": _shares(lsum, float(lk.sum())),
        }
    )


def license_class_shares(models: pd.DataFrame) -> pd.DataFrame:
    """Share of models, downloads and likes in each licence class.

    One row per class of :data:`hftree.licenses.LICENSE_CLASSES`
    (``permissive``, ``copyleft``, ``non-commercial``, ``community``, ``other``,
    ``none``), always all six; ``n_licenses`` counts the distinct licence ids
    seen in the class.

    Examples
    --------
    >>> import pandas as pd
    >>> models = pd.DataFrame({"id": list("abcd"),
    ...                        "license": ["mit", "apache-2.0", "gpl-3.0", None],
    ...                        "downloads": [60, 20, 20, 0]})
    >>> license_class_shares(models)[["license_class", "models", "model_share", "download_share"]]
        license_class  models  model_share  download_share
    0      permissive       2         0.50             0.8
    1        copyleft       1         0.25             0.2
    2  non-commercial       0         0.00             0.0
    3       community       0         0.00             0.0
    4           other       0         0.00             0.0
    5            none       1         0.25             0.0
    """
    check_table(models, "license")
    codes, _ = categories(models, "license")
    return _class_frame(_class_codes(models), codes, _counts(models, "downloads"), _counts(models, "likes"))


def permissive_share(models: pd.DataFrame) -> tuple[float, float]:
    """Share of models and share of downloads under a permissive licence.

    >>> import pandas as pd
    >>> models = pd.DataFrame({"id": ["a", "b"], "license": ["mit", None], "downloads": [3, 1]})
    >>> permissive_share(models)
    (0.5, 0.75)
    """
    row = license_class_shares(models).set_index("license_class").loc[PERMISSIVE]
    return float(row["model_share"]), float(row["download_share"])
