"""How concentrated are downloads: Gini, HHI and top shares, for a snapshot, per task, per family.

Definitions (``x`` = downloads of the ``n`` units, ``T = Σ x``):

* **Gini** — ``Σ_i Σ_j |x_i − x_j| / (2 n² mean(x))``, computed from the values
  sorted ascending as ``2 Σ_i i·x_(i) / (n T) − (n + 1) / n``. 0 when every unit
  has the same downloads, ``1 − 1/n`` when one unit has them all.
* **HHI** (Herfindahl–Hirschman index) — ``Σ_i (x_i / T)²``, on the 0–1 scale
  (multiply by 10,000 for the antitrust convention). ``1/HHI`` is the
  *effective number* of units.
* **top-1 % share** — share of ``T`` held by the ``ceil(n / 100)`` most
  downloaded units (at least one); **top-10 share** — by the 10 most
  downloaded (all of them when ``n < 10``).

Units without a download count are left out; every statistic is NaN when no
unit is left or ``T = 0``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hftree.ecosystem._data import NONE, categories, check_table, nonnegative
from hftree.errors import InputFormatError, ParameterError
from hftree.lineage.graph import LineageGraph
from hftree.lineage.membership import Membership
from hftree.schema import RelationFilter

__all__ = [
    "CONCENTRATION_COLUMNS",
    "FAMILY_CONCENTRATION_COLUMNS",
    "concentration",
    "family_concentration",
    "gini",
    "hhi",
    "top_share",
]

#: Columns of :func:`concentration`.
CONCENTRATION_COLUMNS: dict[str, str] = {
    "group_by": "'all' for the whole table, else the column the rows are grouped by",
    "group": "the group ('(all)' for the whole table, '(none)' for models without a value)",
    "unit": "what shares downloads: 'model', or 'author' (downloads summed per author)",
    "units": "number of units with a download count",
    "downloads": "downloads of the group",
    "download_share": "downloads of the group / downloads of the whole table",
    "gini": "Gini coefficient of downloads across units",
    "hhi": "Herfindahl–Hirschman index of download shares (0–1)",
    "effective_units": "1 / HHI",
    "top1pct_share": "share of the group's downloads held by its top 1 % of units",
    "top10_share": "share held by its 10 most downloaded units",
}

#: Columns of :func:`family_concentration`.
FAMILY_CONCENTRATION_COLUMNS: dict[str, str] = {
    "root": "model id of the family's root",
    "root_external": "the root has no record in the snapshot (its downloads are unknown)",
    "descendants": "models that descend from the root",
    "members": "root + descendants with a download count",
    "family_downloads": "downloads of the root and its descendants",
    "root_downloads": "downloads of the root",
    "descendant_downloads": "downloads summed over the descendants",
    "root_share": "root_downloads / family_downloads: what the root keeps",
    "top_descendant": "the most downloaded descendant",
    "top_descendant_share": "its share of family_downloads",
    "gini": "Gini coefficient of downloads across the members",
    "hhi": "HHI of downloads across the members",
    "in_selection": "members (root included) among the selected models",
}


def _clean(values: np.ndarray | pd.Series | list[float]) -> np.ndarray:
    x = pd.Series(values).to_numpy(dtype="float64", na_value=np.nan)
    x = x[~np.isnan(x)]
    if (x < 0).any():
        raise InputFormatError(f"values must be >= 0; found {x[x < 0][0]:g}", field="values")
    return x


def gini(values: np.ndarray | pd.Series | list[float]) -> float:
    """Gini coefficient of non-negative values (NaN values are left out).

    >>> gini([1, 1, 1, 1]), gini([0, 0, 0, 4]), round(gini([1, 2, 3, 4]), 4)
    (0.0, 0.75, 0.25)
    """
    x = _clean(values)
    return float(_grouped(np.zeros(len(x), dtype=np.int64), x, 1)["gini"][0])


def hhi(values: np.ndarray | pd.Series | list[float]) -> float:
    """Herfindahl–Hirschman index ``Σ (x_i / Σx)²`` of non-negative values, on the 0–1 scale.

    >>> hhi([1, 1, 1, 1]), hhi([0, 0, 0, 4]), hhi([1, 3])
    (0.25, 1.0, 0.625)
    """
    x = _clean(values)
    return float(_grouped(np.zeros(len(x), dtype=np.int64), x, 1)["hhi"][0])


def top_share(values: np.ndarray | pd.Series | list[float], k: int) -> float:
    """Share of the total held by the ``k`` largest values.

    >>> top_share([5, 1, 3, 1], 2)
    0.8
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ParameterError("k", "a whole number >= 1", k)
    x = _clean(values)
    total = x.sum()
    if total <= 0:
        return float("nan")
    return float(np.sort(x)[::-1][:k].sum() / total)


def _grouped(
    group: np.ndarray, x: np.ndarray, k: int, order: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Concentration statistics of ``x`` (no NaN, ≥ 0) within each of ``k`` groups, vectorised.

    ``order`` (optional) is ``np.argsort(x)``, when the caller already has it.
    """
    n = np.bincount(group, minlength=k)
    if order is None:
        order = np.argsort(x)
    if k == 1:
        xs = x[order]
        gs = np.zeros(len(x), dtype=np.int64)
    else:
        # a stable sort of the group codes keeps the values ascending within each group
        small = np.int16 if k < np.iinfo(np.int16).max else np.int64
        idx = order[np.argsort(group[order].astype(small), kind="stable")]
        xs = x[idx]
        gs = group[idx]
    start = np.cumsum(n) - n
    pos = np.arange(len(xs)) - start[gs]  # 0-based ascending rank within the group
    total = np.bincount(gs, weights=xs, minlength=k)
    weighted = np.bincount(gs, weights=(pos + 1) * xs, minlength=k)
    sq = np.bincount(gs, weights=xs * xs, minlength=k)
    desc = n[gs] - 1 - pos  # 0-based descending rank
    k1 = np.maximum(1, np.ceil(n / 100.0)).astype(np.int64)
    top1 = np.bincount(gs, weights=np.where(desc < k1[gs], xs, 0.0), minlength=k)
    top10 = np.bincount(gs, weights=np.where(desc < 10, xs, 0.0), minlength=k)
    ok = total > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        nf = n.astype(float)
        g = np.where(ok, 2.0 * weighted / (nf * total) - (nf + 1.0) / nf, np.nan)
        h = np.where(ok, sq / (total * total), np.nan)
        return {
            "units": n,
            "downloads": total,
            "gini": np.where(ok, np.clip(g, 0.0, 1.0), np.nan),
            "hhi": h,
            "effective_units": np.where(ok, 1.0 / h, np.nan),
            "top1pct_share": np.where(ok, top1 / total, np.nan),
            "top10_share": np.where(ok, top10 / total, np.nan),
        }


def _rows(
    group_by: str, labels: list[str], unit: str, res: dict[str, np.ndarray], grand_total: float
) -> pd.DataFrame:
    frame = pd.DataFrame({"group_by": group_by, "group": labels, "unit": unit, **res})
    with np.errstate(invalid="ignore", divide="ignore"):
        share = frame["downloads"] / grand_total if grand_total > 0 else np.nan
    frame.insert(5, "download_share", share)
    return frame


def _concentration(
    downloads: np.ndarray,
    authors: tuple[np.ndarray, np.ndarray] | None,
    groups: dict[str, tuple[np.ndarray, np.ndarray]],
    order: np.ndarray | None = None,
) -> pd.DataFrame:
    """``order``: ``np.argsort(downloads[~isnan(downloads)])``, when the caller has it."""
    known = ~np.isnan(downloads)
    x = downloads[known]
    if order is None:
        order = np.argsort(x)
    grand = float(x.sum())
    parts = [
        _rows(
            "all",
            ["(all)"],
            "model",
            _grouped(np.zeros(len(x), dtype=np.int64), x, 1, order),
            grand,
        )
    ]
    if authors is not None:
        codes, labels = authors
        ok = known & (codes >= 0)
        per_author = np.bincount(codes[ok], weights=downloads[ok], minlength=len(labels))
        has = np.bincount(codes[ok], minlength=len(labels)) > 0
        pa_ = per_author[has]
        parts.append(
            _rows(
                "all",
                ["(all)"],
                "author",
                _grouped(np.zeros(len(pa_), dtype=np.int64), pa_, 1),
                grand,
            )
        )
    for name, (codes, labels) in groups.items():
        k = len(labels)
        g = np.where(codes >= 0, codes, k)[known]  # missing value -> group k
        res = _grouped(g, x, k + 1, order)
        present = np.flatnonzero(res["units"] > 0)
        lab = np.append(labels, NONE).astype(object)
        is_none = present == k  # "(none)" last
        order = present[np.lexsort((lab[present].astype(str), -res["downloads"][present], is_none))]
        parts.append(
            _rows(name, lab[order].tolist(), "model", {c: v[order] for c, v in res.items()}, grand)
        )
    out = pd.concat(parts, ignore_index=True)
    out["units"] = out["units"].astype(np.int64)
    out["downloads"] = np.rint(out["downloads"]).astype(np.int64)
    out["group"] = out["group"].astype("string")
    return out


def concentration(
    models: pd.DataFrame,
    *,
    by: str | list[str] | None = "pipeline_tag",
    authors: bool = True,
) -> pd.DataFrame:
    """Gini, HHI and top shares of downloads: across all models, across authors, and per group.

    Parameters
    ----------
    models : pandas.DataFrame
        A model table with ``downloads`` (and ``author`` when ``authors``).
    by : str or list of str, optional
        Also one row per value of these columns (default: per task,
        ``pipeline_tag``), ``(none)`` collecting models without a value;
        rows sorted by downloads.
    authors : bool
        Add a row where the units are authors (downloads summed per author;
        models without an author left out).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`CONCENTRATION_COLUMNS`.

    Examples
    --------
    >>> import pandas as pd
    >>> models = pd.DataFrame({"author": ["a", "a", "b", "c"],
    ...                        "pipeline_tag": ["x", "x", "y", None],
    ...                        "downloads": [70, 10, 10, 10]})
    >>> concentration(models)[["group_by", "group", "unit", "units", "gini", "hhi"]].round(3)
           group_by   group    unit  units   gini    hhi
    0           all   (all)   model      4  0.450  0.520
    1           all   (all)  author      3  0.467  0.660
    2  pipeline_tag       x   model      2  0.375  0.781
    3  pipeline_tag       y   model      1  0.000  1.000
    4  pipeline_tag  (none)   model      1  0.000  1.000
    """
    check_table(models, "downloads")
    cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    check_table(models, *cols, *(["author"] if authors else []))
    downloads = nonnegative(models, "downloads")
    return _concentration(
        downloads,
        categories(models, "author") if authors else None,
        {c: categories(models, c) for c in cols},
    )


def _family_concentration(G: LineageGraph, members: Membership, selected: np.ndarray | None) -> pd.DataFrame:
    n = G.n_nodes
    n_models = len(G.models)
    dl = np.full(n, np.nan)
    if "downloads" in G.models.columns:
        dl[:n_models] = nonnegative(G.models, "downloads")
    roots = members.roots
    k = len(roots)
    fam_of = np.full(n, -1, dtype=np.int64)
    fam_of[roots] = np.arange(k)
    f_pair = fam_of[members.root]
    group = np.concatenate([np.arange(k, dtype=np.int64), f_pair])
    node = np.concatenate([roots, members.node]).astype(np.int64)
    x = dl[node]
    known = ~np.isnan(x)
    res = _grouped(group[known], x[known], k)
    root_dl = dl[roots]
    desc_known = ~np.isnan(dl[members.node])
    desc_dl = np.bincount(f_pair[desc_known], weights=dl[members.node][desc_known], minlength=k)
    # most downloaded descendant: first pair per family, sorted by (family, -downloads, node)
    top_id = np.full(k, None, dtype=object)
    top_dl = np.full(k, np.nan)
    if len(f_pair):
        xd = np.where(desc_known, dl[members.node], -1.0)
        order = np.lexsort((members.node, -xd, f_pair))
        first = np.ones(len(order), dtype=bool)
        first[1:] = f_pair[order][1:] != f_pair[order][:-1]
        sel = order[first]
        fam = f_pair[sel]
        good = xd[sel] >= 0
        top_id[fam[good]] = G.id_of(members.node[sel][good])
        top_dl[fam[good]] = xd[sel][good]
    total = res["downloads"]
    with np.errstate(invalid="ignore", divide="ignore"):
        root_share = np.where(total > 0, root_dl / total, np.nan)
        top_share_ = np.where(total > 0, top_dl / total, np.nan)
    if selected is not None:
        in_sel = np.bincount(group, weights=selected[node], minlength=k).astype(np.int64)
    else:
        in_sel = np.bincount(group, weights=node < n_models, minlength=k).astype(np.int64)
    frame = pd.DataFrame(
        {
            "root": pd.array(G.id_of(roots), dtype="string"),
            "root_external": G.external[roots],
            "descendants": np.bincount(f_pair, minlength=k).astype(np.int64),
            "members": res["units"].astype(np.int64),
            "family_downloads": np.rint(total).astype(np.int64),
            "root_downloads": pd.array(
                np.where(np.isnan(root_dl), np.nan, np.rint(root_dl)), dtype="Int64"
            ),
            "descendant_downloads": np.rint(desc_dl).astype(np.int64),
            "root_share": root_share,
            "top_descendant": pd.array(top_id, dtype="string"),
            "top_descendant_share": top_share_,
            "gini": res["gini"],
            "hhi": res["hhi"],
            "in_selection": in_sel,
        }
    )
    if selected is not None:
        frame = frame[frame["in_selection"] > 0]
    frame = frame.sort_values(["family_downloads", "root"], ascending=[False, True], kind="stable")
    return frame.reset_index(drop=True)


def family_concentration(G: LineageGraph, *, relation: RelationFilter = None) -> pd.DataFrame:
    """How a family's downloads split between its root and its descendants.

    A family is a root and everything that descends from it
    (:meth:`LineageGraph.members <hftree.lineage.LineageGraph.members>`); a model reachable from several
    roots counts in each of its families. Only families with at least one
    descendant are listed, most downloaded first.

    Parameters
    ----------
    G : LineageGraph
        The lineage graph; downloads come from ``G.models``.
    relation : str or list of str, optional
        Follow only edges of these relations (:data:`hftree.schema.RelationFilter`).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`FAMILY_CONCENTRATION_COLUMNS`.

    Examples
    --------
    >>> from hftree.datasets import toy_graph
    >>> fc = family_concentration(toy_graph())
    >>> fc[["root", "members", "family_downloads", "root_share", "top_descendant"]].round(3)
              root  members  family_downloads  root_share top_descendant
    0     org/base        6              1880       0.532  org/base-GGUF
    1  other/base2        2                90       0.889      org/merge
    """
    return _family_concentration(G, G.members(relation=relation), None)
