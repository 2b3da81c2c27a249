"""Benchmark of the adoption-curve fitters on the paper's 12 company files.

Fits every series of ``adoption/finetune/*.csv`` (3,151 families) in both
modes and, in the same run, with the paper's own procedure (one
``scipy.optimize.curve_fit`` call per series, exactly as in
``utils/citation_model.py`` of KBhandari11/ForecastHuggingFaceModels), then
prints wall-clock and CPU times, series per second, the speed-up ratio and the
reproduction rate of the stored parameters.

``--backtest`` also runs the forecast comparison of docs/adoption.md
(h = 3, 6, 12) and prints the full tables.

Usage::

    python benchmarks/bench_adoption.py [--data DIR] [--repeat 3] [--backtest]

The data directory defaults to ``$HFTREE_SHARED_DATA`` or ``../shared/data``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hftree.adoption import (  # noqa: E402
    PaperWSBFitter,
    WSBFitter,
    read_finetune_csv,
    read_paper_fits,
)


def _timed(fn, repeat: int):
    """Best wall time and its CPU time over ``repeat`` runs; returns (result, wall, cpu)."""
    best = (None, np.inf, np.inf)
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        w, c = time.perf_counter() - w0, time.process_time() - c0
        if w < best[1]:
            best = (out, w, c)
    return best


def paper_procedure(counts: pd.DataFrame) -> pd.DataFrame:
    """The paper's code: curve_fit per series, m = 1, t = month / 12, p0 = (0.5, 2, 0.5)."""
    from scipy.optimize import curve_fit
    from scipy.special import erf

    def phi(x):
        return 0.5 * (1 + erf(x / np.sqrt(2)))

    def model(t, lam, mu, sigma):
        return 1 * (np.exp(lam * phi((np.log(t) - mu) / sigma)) - 1)

    rows = []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for mid, row in counts.iterrows():
            y = row.dropna().to_numpy()
            t = np.arange(len(y)) / 12
            try:
                p, _ = curve_fit(model, t, y, p0=[0.5, 2.0, 0.5], bounds=(0, np.inf))
                ok = True
            except (RuntimeError, ValueError):
                p, ok = [np.nan] * 3, False
            rows.append((mid, *p, ok))
    return pd.DataFrame(rows, columns=["model", "lam", "mu", "sigma", "converged"]).set_index("model")


def reproduction(fits: pd.DataFrame, stored: pd.DataFrame) -> dict[str, float]:
    s = stored.loc[fits.index]
    ok = (np.abs(fits["lam"] / s["lam"] - 1) < 0.01) & (np.abs(fits["sigma"] / s["sigma"] - 1) < 0.01)
    real = s["real"].to_numpy()
    grew = (fits.get("final", pd.Series(1, index=fits.index)) > 0).to_numpy()
    return {
        "real rows": int(real.sum()),
        "within 1 %": float(ok[real].mean()),
        "within 1 %, families that grew": float(ok[real & grew].mean()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("HFTREE_SHARED_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--repeat", type=int, default=3, help="timing repeats of our fitters (best is kept)")
    ap.add_argument("--skip-scipy", action="store_true", help="do not time the paper's own code")
    ap.add_argument("--backtest", action="store_true", help="also print the forecast backtest tables")
    ap.add_argument("--ablations", action="store_true", help="also backtest variants of the default forecaster")
    args = ap.parse_args(argv)

    files = sorted(Path(args.data, "adoption", "finetune").glob("*.csv"))
    if len(files) != 12:
        print(f"expected 12 company files under {args.data}/adoption/finetune, found {len(files)}")
        return 1
    w0 = time.perf_counter()
    counts = pd.concat([read_finetune_csv(f) for f in files])
    stored = pd.concat([read_paper_fits(f).assign(file=f.name) for f in files])
    t_read = time.perf_counter() - w0
    n = len(counts)
    print(f"# adoption benchmark: {n} series from {len(files)} files (read in {t_read:.2f} s)")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start\n"
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        paper, w_paper, c_paper = _timed(lambda: PaperWSBFitter().fit_many(counts), args.repeat)
        _, w_def, c_def = _timed(lambda: WSBFitter().fit_many(counts), args.repeat)
    rows = [
        ("hftree paper mode (batched TRF)", w_paper, c_paper),
        ("hftree default mode (NB + pooled prior)", w_def, c_def),
        ("hftree both modes", w_paper + w_def, c_paper + c_def),
    ]
    scipy_fits = None
    if not args.skip_scipy:
        w0, c0 = time.perf_counter(), time.process_time()
        scipy_fits = paper_procedure(counts)
        rows.append(
            (
                "paper's code (curve_fit per series)",
                time.perf_counter() - w0,
                time.process_time() - c0,
            )
        )
    print("| fitter | wall s | CPU s | series/s (wall) |")
    print("|---|---:|---:|---:|")
    for name, w, c in rows:
        print(f"| {name} | {w:.2f} | {c:.2f} | {n / w:,.0f} |")
    if scipy_fits is not None:
        w_sc = rows[-1][1]
        print(
            "\nspeed-up of the paper mode over the paper's code, same run: "
            f"{w_sc / w_paper:.1f}x wall, {rows[-1][2] / c_paper:.1f}x CPU; "
            f"both modes together take {w_paper + w_def:.2f} s "
            f"({w_sc / (w_paper + w_def):.1f}x faster than the paper's code for one mode)"
        )

    print("\n## reproduction of the stored parameters (lambda and sigma within 1 %)\n")
    rep = reproduction(paper.table, stored)
    print(
        f"- hftree paper mode: {rep['within 1 %']:.1%} of {rep['real rows']} real rows; "
        f"{rep['within 1 %, families that grew']:.1%} of those that grew"
    )
    if scipy_fits is not None:
        r2 = reproduction(scipy_fits.assign(final=paper.table["final"]), stored)
        print(
            f"- paper's code today (scipy): {r2['within 1 %']:.1%}; "
            f"{r2['within 1 %, families that grew']:.1%} of those that grew"
        )
        both = scipy_fits["converged"].to_numpy()
        agree = np.isclose(paper.table["lam"][both], scipy_fits["lam"][both], rtol=1e-4) & np.isclose(
            paper.table["sigma"][both], scipy_fits["sigma"][both], rtol=1e-4
        )
        print(
            "- paper mode vs scipy, lambda and sigma to 1e-4: "
            f"{agree.mean():.1%} of {both.sum()} fits; same failures: "
            f"{(paper.table['converged'].to_numpy() == both).mean():.1%}"
        )
    per_file = (
        pd.Series(
            (
                (np.abs(paper.table["lam"] / stored.loc[paper.table.index, "lam"] - 1) < 0.01)
                & (np.abs(paper.table["sigma"] / stored.loc[paper.table.index, "sigma"] - 1) < 0.01)
            )[stored.loc[paper.table.index, "real"]].to_numpy(),
            index=stored.loc[paper.table.index][stored.loc[paper.table.index, "real"]]["file"].to_numpy(),
        )
        .groupby(level=0)
        .agg(["size", "mean"])
    )
    print("\n| file | real rows | within 1 % |\n|---|---:|---:|")
    for f, r in per_file.iterrows():
        print(f"| {f} | {int(r['size'])} | {r['mean']:.1%} |")

    if args.backtest:
        from hftree.adoption.forecast import backtest

        print("\n## forecast backtest (median absolute percentage error of the final value)\n")
        for h in (3, 6, 12):
            w0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                res = backtest(counts, h)
            tab = res.to_frame()
            print(f"### h = {h} ({tab['n'].iloc[0]} series, {time.perf_counter() - w0:.0f} s)\n")
            print("| method | median APE | mean APE | p90 | p95 | max |\n|---|---:|---:|---:|---:|---:|")
            for _, r in tab.iterrows():
                print(
                    f"| {r['method']} | {r['median_ape']:.3f} | {r['mean_ape']:.3f} | "
                    f"{r['p90_ape']:.3f} | {r['p95_ape']:.3f} | {r['max_ape']:.3g} |"
                )
            meds = tab.set_index("method")["median_ape"]
            base = meds.drop(["hybrid (default)", "damped trend (phi=0.85)"])
            best = base.idxmin()
            boot = res.paired_bootstrap("hybrid (default)", best)
            ex = res.extra["hybrid (default)"]
            print(
                f"\nhybrid / best required baseline ({best}): {boot['ratio']:.3f} "
                f"(95 % paired bootstrap {boot['lower']:.2f}-{boot['upper']:.2f}); "
                f"WSB weight {ex['weight']}, inner scores "
                f"{ {k: round(v, 3) for k, v in ex['inner_scores'].items()} } "
                f"on {ex['inner_examples']} inner families; pooled drift {ex['drift']:+.4f}/month; "
                "80 % band covered "
                f"{ex['band_coverage_80']:.1%}\n"
            )
    if args.ablations:
        ablations(counts)
    return 0


def ablations(counts: pd.DataFrame) -> None:
    """Median APE of variants of the hybrid forecaster (what was tried)."""
    from hftree.adoption.forecast import HybridForecaster, LinearTrend, backtest

    variants = {
        "hybrid (default)": HybridForecaster(),
        "WSB part only (weight 1)": HybridForecaster(weights=(1.0,)),
        "drifted trend only (weight 0)": HybridForecaster(weights=(0.0,)),
        "fixed weight 0.5": HybridForecaster(weights=(0.5,)),
        "no drift (drift = 0)": HybridForecaster(drift=0.0),
        "WSB only, no prior": HybridForecaster(weights=(1.0,), fitter=WSBFitter(prior=None)),
        "WSB only, Poisson": HybridForecaster(weights=(1.0,), fitter=WSBFitter(dispersion="poisson")),
        "linear trend (last 3)": LinearTrend(),
    }
    print("\n## ablations (median APE / p95 APE; chosen WSB weight)\n")
    print("| variant | h = 3 | h = 6 | h = 12 |\n|---|---|---|---|")
    cells: dict[str, list[str]] = {k: [] for k in variants}
    for h in (3, 6, 12):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = backtest(counts, h, methods=variants)
        tab = res.to_frame().set_index("method")
        for k, m in variants.items():
            w = f"; w={m.calibration_[h].weight}" if isinstance(m, HybridForecaster) else ""
            cells[k].append(f"{tab.loc[k, 'median_ape']:.3f} / {tab.loc[k, 'p95_ape']:.2f}{w}")
    for k, v in cells.items():
        print(f"| {k} | " + " | ".join(v) + " |")


if __name__ == "__main__":
    raise SystemExit(main())
