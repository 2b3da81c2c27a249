"""All ecosystem tables of a snapshot (or of its top models) in one call."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal, get_args

import numpy as np
import pandas as pd

from hftree._results import Result
from hftree.ecosystem._data import NAT, categories, check_table, nonnegative, times_ms
from hftree.ecosystem.correlation import LikesDownloads, _correlation
from hftree.ecosystem.inequality import _concentration, _family_concentration
from hftree.ecosystem.shares import (
    _check_top,
    _class_codes,
    _class_frame,
    _license_frame,
    _share_frame,
)
from hftree.ecosystem.trends import _months, _per_month
from hftree.errors import InputFormatError, ParameterError, UsageError
from hftree.families.coverage import missing_fields
from hftree.licenses import LICENSE_CLASSES, license_classes
from hftree.lineage.graph import LineageGraph
from hftree.schema import RelationFilter

__all__ = ["BY", "EcosystemStats", "ecosystem_stats", "top_models"]

By = Literal["downloads", "likes", "created"]
#: What ``top`` ranks models by: most downloads, most likes, or most recently created.
BY: tuple[str, ...] = get_args(By)

_SHARE_COLUMNS = {
    "license": "license_shares",
    "author": "author_shares",
    "pipeline_tag": "task_shares",
    "library_name": "library_shares",
}


def _check_by(by: str) -> None:
    if by not in BY:
        raise ParameterError("by", f"one of {', '.join(BY)}", by)


def _rank_key(models: pd.DataFrame, by: str, time_column: str) -> np.ndarray:
    _check_by(by)
    if by == "created":
        check_table(models, time_column)
        t = times_ms(models, time_column)
        if (t == NAT).all() and len(t):
            raise InputFormatError(
                f"cannot rank by creation time: no model has a {time_column!r} value "
                "(2022-era listings have only last_modified); rank by downloads or likes instead",
                field=time_column,
            )
        return np.where(t == NAT, -np.inf, t.astype(np.float64))
    check_table(models, by)
    v = nonnegative(models, by)
    return np.where(np.isnan(v), -np.inf, v)


def _top_positions(models: pd.DataFrame, top: int, by: str, time_column: str) -> np.ndarray:
    """Row positions of the ``top`` first models by ``by`` (descending; ties: smaller id first)."""
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
        raise ParameterError("top", "a whole number >= 1", top)
    check_table(models, "id")
    key = _rank_key(models, by, time_column)
    n = len(key)
    if top < n:
        threshold = np.partition(key, n - top)[n - top]  # the top-th largest value
        above = np.flatnonzero(key > threshold)
        ties = np.flatnonzero(key == threshold)
        need = top - len(above)
        if need < len(ties):
            tie_ids = models["id"].iloc[ties].to_numpy(dtype=object).astype(str)
            ties = ties[np.argsort(tie_ids, kind="stable")[:need]]
        pos = np.concatenate([above, ties])
    else:
        pos = np.arange(n)
    ids = models["id"].iloc[pos].to_numpy(dtype=object).astype(str)
    id_rank = np.argsort(np.argsort(ids, kind="stable"), kind="stable")
    return pos[np.lexsort((id_rank, -key[pos]))]


def top_models(
    models: pd.DataFrame, top: int, *, by: By = "downloads", time_column: str = "created_at"
) -> pd.DataFrame:
    """The ``top`` most downloaded / most liked / most recently created models, in that order.

    Models without the value rank last; ties go to the smaller id.

    >>> import pandas as pd
    >>> models = pd.DataFrame({"id": ["a", "b", "c", "d"], "downloads": [5, 9, 5, None]})
    >>> top_models(models, 2)["id"].tolist()
    ['b', 'a']
    """
    return models.iloc[_top_positions(models, top, by, time_column)]


@dataclass(frozen=True, repr=False, eq=False)
class EcosystemStats(Result):
    """Ecosystem tables of a model table (see :func:`ecosystem_stats`).

    Attributes
    ----------
    summary : pandas.DataFrame
        Headline figures: ``statistic``, ``value``, ``description`` (a copy: :meth:`to_frame`).
    license_shares, author_shares, task_shares, library_shares : pandas.DataFrame
        Share tables (:func:`~hftree.ecosystem.shares.share_table`) of
        ``license`` (with its class), ``author``, ``pipeline_tag``, ``library_name``.
    license_class_shares : pandas.DataFrame
        Shares of the six licence classes.
    correlation : pandas.DataFrame
        One row: likes vs downloads (:class:`~hftree.ecosystem.correlation.LikesDownloads`).
    concentration : pandas.DataFrame
        Gini, HHI, top shares: all models, all authors, per task.
    family_concentration : pandas.DataFrame or None
        Root vs descendants per family (None without a lineage graph).
    created_by_license_class, created_by_task : pandas.DataFrame
        Models created per month.
    selection : pandas.DataFrame or None
        The selected models, ranked (None when every model is analysed).
    top : int or None
    by : str
        How the models were selected.
    n_total, n_selected : int
        Rows of the model table, models analysed.
    """

    headline: pd.DataFrame
    license_shares: pd.DataFrame
    license_class_shares: pd.DataFrame
    author_shares: pd.DataFrame
    task_shares: pd.DataFrame
    library_shares: pd.DataFrame
    correlation: pd.DataFrame
    concentration: pd.DataFrame
    family_concentration: pd.DataFrame | None
    created_by_license_class: pd.DataFrame
    created_by_task: pd.DataFrame
    selection: pd.DataFrame | None
    top: int | None
    by: str
    n_total: int
    n_selected: int

    title: ClassVar[str] = "EcosystemStats"

    @property
    def summary(self) -> pd.DataFrame:
        """Headline figures: ``statistic``, ``value``, ``description``."""
        return self.headline

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (``summary`` first; absent tables left out)."""
        names = [
            "license_shares",
            "license_class_shares",
            "author_shares",
            "task_shares",
            "library_shares",
            "correlation",
            "concentration",
            "family_concentration",
            "created_by_license_class",
            "created_by_task",
            "selection",
        ]
        found = {k: getattr(self, k) for k in names if getattr(self, k) is not None}
        return {"summary": self.headline, **found}

    frame_attribute: ClassVar[str] = "headline"

    def value(self, statistic: str) -> float:
        """One headline figure by name, e.g. ``value("pearson_r2")``."""
        s = self.headline.set_index("statistic")["value"]
        if statistic not in s.index:
            raise ParameterError("statistic", f"one of {', '.join(s.index)}", statistic)
        v = s[statistic]
        return float("nan") if pd.isna(v) else float(v)

    @property
    def missing(self) -> tuple[str, ...]:
        """Fields the analysed models lack (their statistics are ``<NA>``), from ``headline.attrs``."""
        return tuple(self.headline.attrs.get("missing_fields", ()))

    @property
    def selection_label(self) -> str:
        return "all models" if self.top is None else f"top {self.top:,} by {self.by}"

    def _note(self) -> str:
        def pct(x: float) -> str:
            return "n/a" if math.isnan(x) else f"{100 * x:.1f} %"

        def num(x: float) -> str:
            return "n/a" if math.isnan(x) else f"{x:.3f}"

        v = self.value
        return (
            f"{self.n_selected:,} of {self.n_total:,} models ({self.selection_label}): "
            f"permissive {pct(v('permissive_model_share'))} of models, "
            f"{pct(v('permissive_download_share'))} of downloads; "
            f"R² likes~downloads {num(v('pearson_r2'))} (log1p {num(v('log1p_pearson_r2'))}); "
            f"Gini {num(v('gini'))}; {len(self.tables)} tables"
        )


def ecosystem_stats(
    models: pd.DataFrame | LineageGraph | None = None,
    graph: LineageGraph | None = None,
    *,
    top: int | None = None,
    by: By = "downloads",
    top_values: int | None = 10,
    relation: RelationFilter = None,
    time_column: str = "created_at",
) -> EcosystemStats:
    """Licence/creator/task/library shares, likes–downloads correlation, concentration, trends.

    Parameters
    ----------
    models : pandas.DataFrame or LineageGraph
        The model table (needs ``id`` and ``downloads``; ``likes``,
        ``license``, ``author``, ``pipeline_tag``, ``library_name`` and
        ``time_column`` are used when present, absent ones count as missing).
        A :class:`~hftree.lineage.LineageGraph` stands for its model table and
        itself as ``graph``.
    graph : LineageGraph, optional
        The lineage graph, for the per-family table; without it
        ``family_concentration`` is None.
    top : int, optional
        Analyse only the ``top`` first models by ``by`` (the article's setting
        is ``top=300, by="downloads"``); default: every model.
    by : {"downloads", "likes", "created"}
        Rank for ``top``: most downloads, most likes, most recently created
        (models without the value rank last; ties go to the smaller id).
    top_values : int or None
        Values listed one by one in share tables and the monthly task table
        (the rest: ``(other)``; ``None``: all): the ``top`` of
        :func:`~hftree.ecosystem.shares.share_table`, named apart from the ``top`` models.
    relation : str or list of str, optional
        Lineage relations that define families (:data:`hftree.schema.RelationFilter`).
    time_column : str
        Time column of the monthly tables (and of ``by="created"``).

    Returns
    -------
    EcosystemStats

    Notes
    -----
    With ``top``, the families listed are those with at least one selected
    member (``in_selection``), with all their members' downloads. Models
    without a download count count as models but add no downloads; they are
    left out of concentration statistics and correlations.

    Examples
    --------
    >>> from hftree.datasets import toy_graph
    >>> res = ecosystem_stats(toy_graph(), top=3)
    >>> res.n_selected, res.license_shares["license"].tolist()
    (3, ['llama3', 'apache-2.0', '(other)', '(none)'])
    >>> round(res.value("permissive_download_share"), 3)
    0.278
    """
    if isinstance(models, LineageGraph):
        graph = graph if graph is not None else models
        models = models.models
    elif models is None:
        if graph is None:
            raise UsageError("ecosystem_stats needs a model table or a lineage graph")
        models = graph.models
    table = check_table(models, "id", "downloads")
    _check_top(top_values, "top_values")
    _check_by(by)

    n_total = len(table)
    sel = None if top is None else _top_positions(table, top, by, time_column)
    used = [
        c for c in ("id", "downloads", "likes", time_column, "license_name", *_SHARE_COLUMNS)
        if c in table.columns
    ]
    sub = table if sel is None else table[used].iloc[sel]  # a few rows: compute on them only

    dl = nonnegative(sub, "downloads")
    lk = nonnegative(sub, "likes")
    tms = times_ms(sub, time_column)
    cats = {c: categories(sub, c) for c in _SHARE_COLUMNS}
    class_codes = _class_codes(sub)
    n = len(dl)

    dl0 = np.nan_to_num(dl, nan=0.0)
    lk0 = np.nan_to_num(lk, nan=0.0)
    shares = {}
    for col, name in _SHARE_COLUMNS.items():
        codes, labels = cats[col]
        frame = _share_frame(codes, labels, dl0, lk0, name=col, top=top_values, rank_by="models")
        shares[name] = _license_frame(frame, codes, labels, class_codes) if col == "license" else frame
    lic_codes, lic_labels = cats["license"]
    classes = _class_frame(class_codes, lic_codes, dl0, lk0)
    dl_order = np.argsort(dl[~np.isnan(dl)])  # shared by the concentration and rank statistics
    corr = _correlation(lk, dl, dl_order)
    conc = _concentration(dl, cats["author"], {"pipeline_tag": cats["pipeline_tag"]}, dl_order)

    fam = None
    if graph is not None:
        selected = None
        if sel is not None:
            nodes = graph.align(table)[sel]
            selected = np.zeros(graph.n_nodes, dtype=bool)
            selected[nodes[nodes >= 0]] = True
        fam = _family_concentration(graph, graph.members(relation=relation), selected)
        fam.attrs["relation"] = relation

    months = _months(tms)
    by_class = _per_month(
        months,
        class_codes,
        np.asarray(LICENSE_CLASSES, dtype=object),
        top=None,
        fixed=True,
    )
    by_task = _per_month(months, *cats["pipeline_tag"], top=top_values, fixed=False)

    selection = None
    if sel is not None:
        keep = [
            c
            for c in (
                "id",
                "downloads",
                "likes",
                time_column,
                "license",
                "author",
                "pipeline_tag",
                "library_name",
            )
            if c in table.columns
        ]
        selection = sub[keep].reset_index(drop=True)
        selection.insert(0, "rank", np.arange(1, len(sel) + 1))
        if "license" in keep:
            selection.insert(
                keep.index("license") + 2,
                "license_class",
                pd.array(license_classes(sub["license"], sub.get("license_name")), dtype="string"),
            )

    lacks = missing_fields(sub, ["downloads", "likes", "license"])
    for name in ("license_shares", "author_shares", "task_shares", "library_shares"):
        shares[name] = _blank_missing(shares[name], lacks)
    summary = _summary(
        n_total,
        n,
        dl,
        lk,
        lic_codes,
        lic_labels,
        classes,
        corr,
        conc,
        fam,
        tms,
        "all models" if top is None else f"top {top:,} by {by}",
        time_column,
        lacks,
    )
    classes = _blank_missing(classes, lacks)
    if fam is not None and "downloads" in lacks:  # every family figure but the counts is about downloads
        fam = fam.copy()
        for c in ("family_downloads", "root_downloads", "descendant_downloads", "root_share",
                  "top_descendant_share", "gini", "hhi"):
            if c in fam.columns:
                fam[c] = pd.array([None] * len(fam), dtype="Int64" if c.endswith("downloads") else "Float64")
    return EcosystemStats(
        headline=summary,
        license_shares=shares["license_shares"],
        license_class_shares=classes,
        author_shares=shares["author_shares"],
        task_shares=shares["task_shares"],
        library_shares=shares["library_shares"],
        correlation=corr.to_frame(),
        concentration=conc,
        family_concentration=fam,
        created_by_license_class=by_class,
        created_by_task=by_task,
        selection=selection,
        top=top,
        by=by,
        n_total=n_total,
        n_selected=n,
    )


def _summary(
    n_total: int,
    n: int,
    dl: np.ndarray,
    lk: np.ndarray,
    lic_codes: np.ndarray,
    lic_labels: np.ndarray,
    classes: pd.DataFrame,
    corr: LikesDownloads,
    conc: pd.DataFrame,
    fam: pd.DataFrame | None,
    tms: np.ndarray,
    selection: str,
    time_column: str,
    lacks: tuple[str, ...] = (),
) -> pd.DataFrame:
    dl0 = np.nan_to_num(dl, nan=0.0)
    total_dl = float(dl0.sum())
    am = np.isin(lic_labels, ["apache-2.0", "mit"])
    in_am = np.zeros(n, dtype=bool)
    if am.any():
        in_am = np.isin(lic_codes, np.flatnonzero(am))
    cls = classes.set_index("license_class")
    models_row = conc[(conc["group_by"] == "all") & (conc["unit"] == "model")].iloc[0]
    author_row = conc[(conc["group_by"] == "all") & (conc["unit"] == "author")].iloc[0]
    nan = float("nan")

    def share(num: float, den: float) -> float:
        return num / den if den > 0 else nan

    rows: list[tuple[str, float, str]] = [
        ("models_total", n_total, "rows of the model table"),
        ("models", n, f"models analysed ({selection})"),
        ("downloads", total_dl, "downloads of the models analysed"),
        ("likes", float(np.nansum(lk)), "likes of the models analysed"),
        (
            "licensed_model_share",
            share(float((lic_codes >= 0).sum()), n),
            "models declaring a licence",
        ),
        (
            "permissive_model_share",
            float(cls.loc["permissive", "model_share"]),
            "models under a permissive licence (hftree.ecosystem.licenses)",
        ),
        (
            "permissive_download_share",
            float(cls.loc["permissive", "download_share"]),
            "downloads of models under a permissive licence",
        ),
        ("apache_mit_model_share", share(float(in_am.sum()), n), "models under apache-2.0 or mit"),
        (
            "apache_mit_download_share",
            share(float(dl0[in_am].sum()), total_dl),
            "downloads of models under apache-2.0 or mit",
        ),
        (
            "apache_mit_share_of_licensed",
            share(float(in_am.sum()), float((lic_codes >= 0).sum())),
            "apache-2.0 or mit among the models declaring a licence",
        ),
        (
            "apache_mit_download_share_of_licensed",
            share(float(dl0[in_am].sum()), float(dl0[lic_codes >= 0].sum())),
            "downloads of apache-2.0 or mit models / downloads of models declaring a licence",
        ),
        ("correlation_n", corr.n, "models with both likes and downloads"),
        ("pearson_r2", corr.pearson_r2, "Pearson R² of likes vs downloads (raw counts)"),
        (
            "log1p_pearson_r2",
            corr.log1p_pearson_r2,
            "Pearson R² of log(1+likes) vs log(1+downloads)",
        ),
        ("spearman_rho", corr.spearman_rho, "Spearman rank correlation of likes and downloads"),
        ("gini", float(models_row["gini"]), "Gini coefficient of downloads across models"),
        ("hhi", float(models_row["hhi"]), "HHI of download shares across models (0-1)"),
        (
            "top1pct_share",
            float(models_row["top1pct_share"]),
            "downloads held by the top 1 % of models",
        ),
        (
            "top10_share",
            float(models_row["top10_share"]),
            "downloads held by the 10 most downloaded models",
        ),
        ("author_gini", float(author_row["gini"]), "Gini coefficient of downloads across authors"),
        ("author_hhi", float(author_row["hhi"]), "HHI of download shares across authors (0-1)"),
    ]
    if fam is not None:
        rooted = fam[~fam["root_external"] & (fam["family_downloads"] > 0)]
        rows += [
            (
                "families",
                len(fam),
                "families (root with >= 1 descendant) listed in family_concentration",
            ),
            (
                "root_download_share",
                share(
                    float(rooted["root_downloads"].sum()), float(rooted["family_downloads"].sum())
                ),
                "downloads of roots / downloads of their families (roots with a record)",
            ),
            (
                "median_root_share",
                float(rooted["root_share"].median()) if len(rooted) else nan,
                "median over families of the share the root keeps",
            ),
        ]
    rows.append(
        (
            f"models_with_{time_column}",
            float((tms != NAT).sum()),
            f"models with a {time_column} value (monthly tables)",
        )
    )
    values = pd.array([float(r[1]) for r in rows], dtype="Float64")
    names = [r[0] for r in rows]
    for i, name in enumerate(names):  # a field the snapshot lacks has no statistic, not a zero
        if any(f in _NEEDS.get(name, ()) for f in lacks) or np.isnan(float(rows[i][1])):
            values[i] = pd.NA
    out = pd.DataFrame(
        {
            "statistic": pd.array(names, dtype="string"),
            "value": values,
            "description": pd.array([r[2] for r in rows], dtype="string"),
        }
    )
    out.attrs["missing_fields"] = list(lacks)
    return out


#: The fields each headline figure is computed from (NA when the snapshot lacks one of them).
_NEEDS: dict[str, tuple[str, ...]] = {
    "downloads": ("downloads",),
    "likes": ("likes",),
    "licensed_model_share": ("license",),
    "permissive_model_share": ("license",),
    "permissive_download_share": ("license", "downloads"),
    "apache_mit_model_share": ("license",),
    "apache_mit_download_share": ("license", "downloads"),
    "apache_mit_share_of_licensed": ("license",),
    "apache_mit_download_share_of_licensed": ("license", "downloads"),
    "pearson_r2": ("likes", "downloads"),
    "log1p_pearson_r2": ("likes", "downloads"),
    "spearman_rho": ("likes", "downloads"),
    "gini": ("downloads",),
    "hhi": ("downloads",),
    "top1pct_share": ("downloads",),
    "top10_share": ("downloads",),
    "author_gini": ("downloads",),
    "author_hhi": ("downloads",),
    "root_download_share": ("downloads",),
    "median_root_share": ("downloads",),
}


def _blank_missing(frame: pd.DataFrame, lacks: tuple[str, ...]) -> pd.DataFrame:
    """A share table with the columns of the fields in ``lacks`` set to ``<NA>`` (not 0)."""
    cols = {"downloads": ("downloads", "download_share"), "likes": ("likes", "like_share"),
            "license": ("model_share", "models") if "license_class" in frame.columns[:1] else ()}
    blank = [c for f in lacks for c in cols.get(f, ()) if c in frame.columns]
    if not blank:
        return frame
    frame = frame.copy()
    for c in blank:
        dtype = "Int64" if pd.api.types.is_integer_dtype(frame[c].dtype) else "Float64"
        frame[c] = pd.array([None] * len(frame), dtype=dtype)
    return frame
