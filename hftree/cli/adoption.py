"""``hftree adoption``: fit, diagnose and backtest adoption curves.

``hftree adoption SNAPSHOT`` builds the cumulative number of descendants of
each root since its creation (fine-tunes only by default, as in Bhandari, Chen
& Gao 2025) and prints one row per root: the WSB parameters, diagnostics,
identifiability flags and outliers. ``--counts FILE.csv …`` reads series in the
paper's format instead (``adoption/finetune/*.csv``: ``0-month … N-month``; or
``adoption/download/*.csv``: one column per date). ``--downloads STORE
[SNAPSHOT]`` fits the cumulative all-time downloads recorded by ``hftree track``,
placed in time by the creation dates of the snapshot's model table.
``--backtest H`` prints the forecast comparison table instead, ``--plot DIR``
writes figures.
"""

from __future__ import annotations

import argparse
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from hftree.cli._common import (
    ApiChoices,
    add_alias,
    add_inferred_args,
    add_output_args,
    add_relation_arg,
    load,
    output_format,
    whole_number,
    write_frame,
)
from hftree.errors import DataQualityWarning, InputFormatError, ModelNotFoundError, UsageError

if TYPE_CHECKING:
    import pandas as pd

    from hftree.adoption.series import Bins

_SCREEN = [
    "model",
    "lam",
    "mu",
    "sigma",
    "r2",
    "c_inf",
    "impact_time",
    "n_obs",
    "final",
    "flags",
    "outlier",
]


def _descendants_as_size(text: str) -> int:
    """``--min-descendants N`` (the old spelling) is ``--min-size N+1``: the family counts its root."""
    return whole_number(0)(text) + 1


_descendants_as_size.__name__ = "whole_number"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "adoption",
        help="fit, diagnose and forecast how families grow (WSB adoption curves)",
        description="Fit c(t) = m(exp(lam*Phi((ln t - mu)/sigma)) - 1) to the cumulative number of "
        "descendants of each root (from a snapshot), to series in the format of Bhandari, Chen & "
        "Gao 2025 (--counts) or to the all-time downloads recorded by `hftree track` (--downloads "
        "STORE, with a SNAPSHOT for the models' creation dates). Prints parameters, R2/RMSE/AIC, "
        "identifiability flags and outliers; --backtest H compares forecasts instead.",
    )
    p.add_argument(
        "snapshot",
        metavar="SNAPSHOT",
        nargs="?",
        help="snapshot directory (with --downloads: where the creation dates come from)",
    )
    p.add_argument(
        "--counts",
        nargs="+",
        metavar="FILE.csv",
        help="read series from CSV files in the paper's format instead of a snapshot",
    )
    p.add_argument(
        "--downloads",
        metavar="STORE",
        help="fit the cumulative all-time downloads recorded by `hftree track` in STORE; the creation "
        "dates come from SNAPSHOT",
    )
    p.add_argument(
        "--root",
        action="append",
        metavar="ID",
        help="fit this root (with --downloads: this model) only (repeatable; default: every root with "
        "a large enough family, every tracked model)",
    )
    p.add_argument(
        "--min-size",
        type=whole_number(1),
        default=11,
        metavar="N",
        help="with no --root: fit families of at least N models, the root included (default 11: "
        "ten descendants)",
    )
    add_alias(p, "--min-descendants", dest="min_size", type=_descendants_as_size, metavar="N")
    add_relation_arg(p, default="finetune, as in the paper")
    add_inferred_args(p)
    p.add_argument(
        "--scope",
        choices=ApiChoices("hftree.adoption.series", "Scope"), metavar="SCOPE",
        default="all",
        help="count all descendants or direct children only (default all)",
    )
    p.add_argument(
        "--mode",
        choices=ApiChoices("hftree.adoption.model", "Mode"), metavar="MODE",
        default="default",
        help="default: NB likelihood of increments with a pooled prior; paper: the "
        "paper's least squares (default: default)",
    )
    p.add_argument(
        "--bins",
        choices=ApiChoices("hftree.adoption.series", "Bins"), metavar="BINS",
        default="month",
        help="time bins since creation: %(choices)s (default month)",
    )
    p.add_argument(
        "--backtest",
        type=whole_number(1),
        metavar="H",
        help="hide the last H bins, forecast them with every method, print the error table",
    )
    p.add_argument("--history", metavar="HISTORY", help="fit the family sizes observed across the snapshots of "
                   "this history (every relation; deleted descendants stay counted); see docs/history.md")
    p.add_argument("--plot", metavar="DIR", help="write figures (collapse plot, largest fits) to DIR")
    add_output_args(p)
    p.set_defaults(run=run)
    return p


def _read_counts(paths: list[str], bins: str) -> pd.DataFrame:
    import pandas as pd

    from hftree.adoption import read_download_csv, read_finetune_csv

    frames = []
    seen: dict[str, str] = {}
    for path in paths:
        if not Path(path).is_file():
            raise FileNotFoundError(2, "no such file", path)
        with Path(path).open(encoding="utf-8") as fh:
            header = fh.readline()
        if re.search(r"(^|,)0-month(,|$)", header.strip()):
            if bins != "month":
                raise InputFormatError(
                    "monthly counts (N-month columns) cannot be read with --bins day",
                    path=path,
                    field="--bins",
                )
            frame = read_finetune_csv(path)
        elif "created_at" in header:
            frame = read_download_csv(path, bins="day" if bins == "day" else "month")
        else:
            raise InputFormatError(
                "not a counts file: expected '0-month, 1-month, …' columns (fine-tunes) or date "
                "columns with 'created_at' (downloads)",
                path=path,
                line=1,
            )
        for mid in frame.index:
            if mid in seen:
                raise InputFormatError(f"model {mid!r} appears in {seen[mid]} and again here", path=path, field="model")
            seen[mid] = path
        frames.append(frame)
    out = pd.concat(frames) if len(frames) > 1 else frames[0]
    out.columns = pd.RangeIndex(out.shape[1], name=bins)
    return out


def _read_downloads(store: str, snapshot: str | None, roots: list[str] | None, bins: Bins) -> pd.DataFrame:
    """Series of cumulative all-time downloads from a track store, dated by a snapshot's ``created_at``.

    Parameters
    ----------
    store
        The ``hftree track`` store directory.
    snapshot
        The snapshot whose model table gives each tracked model's creation time; ``None`` is an error
        (the store does not record creation times).
    roots
        Keep only these models (each must be tracked and dated); ``None``: every tracked model.
    bins
        ``"month"`` or ``"day"``, as for :func:`hftree.adoption.download_series`.

    Returns
    -------
    pandas.DataFrame
        A series frame (index ``model``, columns named ``bins``).

    Raises
    ------
    SnapshotError
        If ``store`` (or ``snapshot``) is missing, not a store (snapshot) or damaged.
    InputFormatError
        If the store holds no all-time download counts, no ``snapshot`` is given, or no tracked model
        (or a requested one) has a creation date in it.
    ModelNotFoundError
        If a requested model has no all-time download counts in the store.

    Warns
    -----
    DataQualityWarning
        Naming the tracked models left out because the snapshot gives them no creation date (and, from
        :func:`hftree.adoption.download_series`, counters that decrease).
    """
    import pandas as pd

    from hftree.adoption import download_series
    from hftree.ingest.track import load_downloads

    value = "downloads_all_time"
    records = load_downloads(store)
    records = records[(records["status"] == "ok") & records[value].notna()]
    tracked = pd.Index(records["id"].astype(str).unique()).sort_values()
    if tracked.empty:
        raise InputFormatError(
            "no all-time download counts recorded (column downloads_all_time); run `hftree track` on it "
            "(at least twice, some days apart) first",
            path=store,
            field=value,
        )
    if roots:
        roots = list(dict.fromkeys(roots))
        for r in roots:
            if r not in tracked:
                raise ModelNotFoundError(r, f"model {r!r} has no all-time download counts in {store}")
        records = records[records["id"].isin(roots)]
        tracked = pd.Index(roots)
    if not snapshot:
        raise InputFormatError(
            f"--downloads needs the creation date of each of the {len(tracked):,} tracked models, which the "
            "store does not record: also give a SNAPSHOT that holds them (from `hftree fetch` or `hftree import`)",
            path=store,
            field="created_at",
        )
    models = load(snapshot).models
    created = pd.Series(pd.to_datetime(models["created_at"], utc=True).to_numpy(), index=models["id"].astype(str))
    undated = tracked.difference(created.index[created.notna()])
    if len(undated) == len(tracked) or (roots and len(undated)):
        what = f"model {undated[0]!r}" if roots else f"any of the {len(tracked):,} tracked models"
        raise InputFormatError(
            f"no created_at for {what} in {snapshot}; a SNAPSHOT holding the tracked models is needed "
            "to place their downloads in time",
            field="created_at",
        )
    if len(undated):
        more = f" and {len(undated) - 5:,} more" if len(undated) > 5 else ""
        warnings.warn(
            f"{len(undated):,} of {len(tracked):,} tracked model(s) have no created_at in {snapshot} and were "
            f"left out: {', '.join(undated[:5])}{more}",
            DataQualityWarning,
            stacklevel=2,
        )
        records = records[~records["id"].isin(undated)]
    return download_series(records, created, value=value, bins=bins)


def _series(args: argparse.Namespace) -> pd.DataFrame:
    from hftree.adoption import growth_series
    from hftree.cli._common import lineage_graph

    if args.history:
        from hftree.cli.history import observed_series

        return observed_series(args)
    if args.counts:
        return _read_counts(args.counts, args.bins)
    if args.downloads:
        return _read_downloads(args.downloads, args.snapshot, args.root, args.bins)
    graph = lineage_graph(load(args.snapshot), args)
    return growth_series(
        graph,
        args.root,
        min_size=args.min_size,
        relation=args.relation or "finetune",
        scope=args.scope,
        bins=args.bins,
    )


def run(args: argparse.Namespace) -> int:
    from hftree.adoption import fit_families, outliers

    if args.inferred and (args.counts or args.downloads or args.history):
        raise UsageError("--inferred adds edges to a SNAPSHOT's lineage; it does not apply to "
                         "--counts, --downloads or --history")
    if args.counts and args.downloads:
        raise UsageError("give --counts FILE.csv or --downloads STORE (not both)")
    if args.history and (args.snapshot or args.counts or args.downloads or args.relation):
        raise UsageError("--history HISTORY replaces SNAPSHOT/--counts/--downloads; its families count every relation")
    if not args.downloads and not args.history and bool(args.snapshot) == bool(args.counts):
        raise UsageError("give a SNAPSHOT or --counts FILE.csv (not both), or --downloads STORE [SNAPSHOT]")
    if args.counts and (args.root or args.relation):
        raise UsageError("--root/--relation apply to a SNAPSHOT, not to --counts")
    if args.downloads and args.relation:
        raise UsageError("--relation applies to a SNAPSHOT's lineage, not to --downloads")
    output_format(args.format, args.output)  # an unknown -o extension fails before the work
    counts = _series(args)
    if counts.empty and args.downloads:
        raise InputFormatError(
            "no series to fit: every tracked download count was recorded before its model's created_at",
            path=args.downloads,
            field="created_at",
        )
    if counts.empty:
        rel = ", ".join(args.relation or ["finetune"])
        raise InputFormatError(
            f"no family to fit: no dated root has {args.min_size - 1:,} or more dated descendants by {rel} "
            "edges; lower --min-size, pass --relation or --root",
            field="--min-size",
        )
    if args.backtest is not None:
        res = _backtest(counts, args.backtest)
        table = res.to_frame()
        if args.plot:
            _save_backtest_plot(res, Path(args.plot))
        write_frame(table, args.format, args.output)
        return 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fits = fit_families(counts, args.mode)
    table = fits.to_frame().reset_index()
    out = outliers(fits)
    kinds = out.groupby("model")["kind"].agg(",".join).to_dict() if len(out) else {}
    table["outlier"] = [kinds.get(m, "") for m in table["model"]]  # map().fillna("") warns when kinds is empty
    if args.plot:
        _save_fit_plots(fits, counts, args.mode, Path(args.plot))
    if args.output is None and args.format in (None, "table"):
        table = table[_SCREEN]
    write_frame(table, args.format, args.output)
    return 0


def _backtest(counts: pd.DataFrame, h: int):
    """:func:`hftree.adoption.forecast.backtest`, one method at a time behind a progress bar.

    Every method of the backtest is fitted and scored on its own (the pooled ones on every
    family), so running them one by one gives the same table.
    """
    import pandas as pd

    from hftree._progress import progress_bar
    from hftree.adoption.backtesting import BacktestResult, default_methods
    from hftree.adoption.forecast import backtest

    methods = default_methods()
    errors, extra = [], {}
    with progress_bar(None, desc=f"backtest h={h}", total=len(methods), unit="method") as bar:
        for name, method in methods.items():
            bar.set_postfix_str(name)
            part = backtest(counts, h, methods={name: method})
            errors.append(part.errors)
            extra.update(part.extra)
            bar.update(1)
    return BacktestResult(h=h, errors=pd.concat(errors, ignore_index=True), extra=extra)


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputFormatError("--plot needs matplotlib: pip install matplotlib", field="--plot") from None
    return plt


def _save(ax, path: Path) -> None:
    plt = _pyplot()
    fig = ax.get_figure()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:120]


def _save_fit_plots(fits, counts: pd.DataFrame, mode: str, out: Path, top: int = 12) -> None:
    from hftree.adoption import PaperWSBFitter, WSBFitter

    _pyplot()  # matplotlib present, Agg backend
    out.mkdir(parents=True, exist_ok=True)
    ax = fits.plot_collapse()
    _save(ax, out / "collapse.png")
    largest = fits.table.sort_values("final", ascending=False).index[:top]
    prior = fits.extra.get("prior")
    for mid in largest:
        fitter = PaperWSBFitter() if mode == "paper" else WSBFitter(prior=prior)
        try:
            fitter.fit(counts.loc[mid].rename(mid))
        except Exception:  # a family that cannot be fitted alone gets no figure
            continue
        ax = fitter.plot(forecast=6)
        ax.set_title(str(mid))
        _save(ax, out / f"fit_{_safe(str(mid))}.png")


def _save_backtest_plot(res, out: Path) -> None:
    from hftree.adoption.plot import plot_backtest

    _pyplot()  # matplotlib present, Agg backend
    out.mkdir(parents=True, exist_ok=True)
    ax = plot_backtest(res)
    _save(ax, out / f"backtest_h{res.h}.png")
