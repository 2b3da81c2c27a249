"""``hftree adoption --downloads STORE SNAPSHOT``: download curves recorded by ``hftree track``, fitted.

The store is written by the real :func:`hftree.ingest.track.track` against the loopback Hub stand-in
(:class:`hftree.testing.FakeHub`), one run per (simulated) day: the run time is the only thing replaced,
by a stand-in for the ``datetime`` module that ``track`` reads the clock from. The snapshot that gives the
creation dates is imported from a JSON Lines file with :func:`hftree.ingest.import_sources`. Every
expected result is computed here through the Python API (``load_downloads`` -> ``download_series`` ->
``fit_families`` / ``backtest``) and compared with what the command writes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import shutil
import types
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hftree.adoption import backtest, download_series, fit_families, outliers
from hftree.cli.main import main
from hftree.errors import DataQualityWarning
from hftree.ingest import import_sources, load_snapshot
from hftree.ingest import track as track_mod
from hftree.ingest.hub import RetryPolicy
from hftree.ingest.track import load_downloads
from hftree.testing import FakeHub, hub_record
from tests.conftest import rec, write_jsonl

#: Tracked models with a creation date: (created_at, lam, mu, sigma, m) of the curve their downloads follow.
CURVES = {
    "org/a": ("2025-01-01T06:00:00.000Z", 8.0, math.log(12 / 365.25), 0.9, 10.0),
    "org/b": ("2024-12-20T15:30:00.000Z", 7.0, math.log(25 / 365.25), 1.1, 10.0),
    "org/c": ("2025-01-03T22:10:00.000Z", 9.0, math.log(8 / 365.25), 0.7, 10.0),
}
#: Tracked too, but without a creation date in the snapshot: no created_at, and not in the snapshot at all.
UNDATED = ("org/nodate", "org/unlisted")
FIRST_RUN = dt.datetime(2025, 1, 5, 9, 0, tzinfo=dt.UTC)
SKIPPED_DAYS = {6, 7, 19}  # days without a run (cron did not run): bins without a record stay NaN
N_DAYS = 40


def _curve(mid: str, when: dt.datetime) -> float:
    created, lam, mu, sigma, m = CURVES[mid]
    years = (when - dt.datetime.fromisoformat(created)).total_seconds() / (365.25 * 86400)
    phi = 0.5 * (1 + math.erf((math.log(years) - mu) / (sigma * math.sqrt(2))))
    return m * (math.exp(lam * phi) - 1)


def _run_times() -> list[dt.datetime]:
    times = [FIRST_RUN + dt.timedelta(days=k) for k in range(N_DAYS) if k not in SKIPPED_DAYS]
    times.append(FIRST_RUN + dt.timedelta(days=25, hours=8))  # a second run on one day: the later one counts
    return sorted(times)


def _record_store(store: Path) -> None:
    """One ``track`` run per simulated day, the Hub's all-time counts following ``CURVES`` (with noise)."""
    records = [
        hub_record({"id": mid, "createdAt": CURVES[mid][0], "downloads": 0, "downloadsAllTime": 0, "tags": []})
        for mid in CURVES
    ]
    records += [hub_record({"id": mid, "downloads": 0, "downloadsAllTime": 7, "tags": []}) for mid in UNDATED]
    rng = np.random.default_rng(0)
    last = dict.fromkeys(CURVES, 0)
    clock: dict[str, dt.datetime] = {}

    class _Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # the run time ``track`` records
            return clock["now"]

    retry = RetryPolicy(max_retries=2, backoff=0.01, max_backoff=0.05, timeout=5.0, random_state=0)
    with FakeHub(records) as hub, pytest.MonkeyPatch.context() as mp:
        import huggingface_hub.utils._detect_agent as agents

        mp.setattr(agents, "_registry", {"standardEnvVars": [], "harnesses": {}})  # no request to huggingface.co
        mp.delenv("HF_TOKEN", raising=False)
        mp.setattr(track_mod, "dt", types.SimpleNamespace(datetime=_Frozen, UTC=dt.UTC))
        for i, when in enumerate(_run_times()):
            clock["now"] = when
            for mid in CURVES:
                last[mid] = max(last[mid], round(_curve(mid, when) * (1 + 0.03 * rng.standard_normal())))
                hub.update(mid, downloadsAllTime=last[mid])
            if i == 12:  # a counter that goes down once (it happens on the Hub): held at its running maximum
                hub.update("org/c", downloadsAllTime=last["org/c"] // 2)
            hub.update("org/nodate", downloadsAllTime=7 + i)
            track_mod.track(["author:org"], store, endpoint=hub.endpoint, token=False, retry=retry)


@pytest.fixture(scope="module")
def tracked(tmp_path_factory) -> tuple[Path, Path]:
    """(track store, snapshot directory) shared by the tests of this module (neither is modified)."""
    base = tmp_path_factory.mktemp("adoption-downloads")
    store = base / "downloads"
    _record_store(store)
    nodate = rec("org/nodate")
    del nodate["createdAt"]
    jsonl = write_jsonl(
        base / "models.jsonl",
        [*(rec(mid, createdAt=CURVES[mid][0]) for mid in CURVES), nodate, rec("other/untracked")],
    )
    snapshot = base / "snap"
    import_sources([jsonl]).save(snapshot)
    return store, snapshot


def _adoption(store: Path, snapshot: Path | None, *options: str) -> int:
    """``hftree adoption --downloads STORE [SNAPSHOT] OPTIONS…`` through the real entry point."""
    return main(["adoption", "--downloads", str(store), *([str(snapshot)] if snapshot else []), *options])


def _api_series(store: Path, snapshot: Path, bins: str) -> pd.DataFrame:
    """The Python route of docs/adoption.md: the store's records, dated by the snapshot's model table."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return download_series(load_downloads(store), load_snapshot(snapshot).models, bins=bins)


def _api_table(series: pd.DataFrame) -> pd.DataFrame:
    fits = fit_families(series, "default")
    table = fits.to_frame().reset_index()
    found = outliers(fits)
    kinds = found.groupby("model")["kind"].agg(",".join).to_dict() if len(found) else {}
    table["outlier"] = [kinds.get(m, "") for m in table["model"]]
    return table


def test_the_store_holds_what_the_series_need(tracked):
    store, snapshot = tracked
    records = load_downloads(store)
    assert records["run_id"].nunique() == len(_run_times())
    assert set(records["id"]) == {*CURVES, *UNDATED}
    series = _api_series(store, snapshot, "day")
    assert list(series.index) == sorted(CURVES) and series.columns.name == "day"
    # org/b was created 15.7 days before the first run: its first bins are NaN, not 0
    assert series.loc["org/b"].first_valid_index() == 16
    # one bin per day with a run, except the last run's: its bin has not ended yet
    assert series.notna().sum(axis=1).tolist() == [N_DAYS - len(SKIPPED_DAYS) - 1] * len(CURVES)


@pytest.mark.parametrize("bins", ["day", "month"])
def test_cli_output_equals_the_python_api(tracked, tmp_path, capsys, bins):
    store, snapshot = tracked
    out = tmp_path / "fits.parquet"
    assert _adoption(store, snapshot, "--bins", bins, "-o", str(out)) == 0
    got = pd.read_parquet(out)
    want = _api_table(_api_series(store, snapshot, bins))
    pd.testing.assert_frame_equal(got, want)
    assert sorted(got["model"]) == sorted(CURVES)
    if bins == "day":  # the daily series are the curves they were drawn from: the fits are good
        assert (got["r2"] > 0.95).all() and (got["n_obs"] == N_DAYS - len(SKIPPED_DAYS) - 1).all()
    # the models without a creation date are named on stderr, one line; so is the decreasing counter
    err = capsys.readouterr().err.splitlines()
    left_out = f"2 of 5 tracked model(s) have no created_at in {snapshot} and were left out: org/nodate, org/unlisted"
    decreasing = "1 model(s) have a decreasing 'downloads_all_time' counter; held at its running maximum"
    wrote = f"wrote {out}: 3 rows x 19 columns (parquet)"  # every -o says what it wrote
    assert err == [f"hftree: warning: {left_out}", f"hftree: warning: {decreasing}", wrote]


def test_screen_table_and_root_filter(tracked, capsys):
    store, snapshot = tracked
    assert _adoption(store, snapshot, "--bins", "day", "--root", "org/b") == 0
    lines = capsys.readouterr().out.splitlines()
    screen = ["model", "lam", "mu", "sigma", "r2", "c_inf", "impact_time", "n_obs", "final", "flags", "outlier"]
    assert lines[0].split() == screen
    assert len(lines) == 2 and lines[1].split()[0] == "org/b"
    # the root is fitted alone (its own pooled prior), exactly as the API fits that one series
    want = _api_table(_api_series(store, snapshot, "day").loc[["org/b"]])
    assert _adoption(store, snapshot, "--bins", "day", "--root", "org/b", "--format", "csv") == 0
    got = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert got["model"].tolist() == ["org/b"]
    for col in ("lam", "mu", "sigma", "r2", "final", "n_obs"):
        assert got[col].iloc[0] == pytest.approx(float(want[col].iloc[0]), rel=1e-12), col


def test_backtest_and_plots(tracked, tmp_path):
    store, snapshot = tracked
    out = tmp_path / "bt.parquet"
    assert _adoption(store, snapshot, "--bins", "day", "--backtest", "5", "-o", str(out)) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = backtest(_api_series(store, snapshot, "day"), 5).to_frame()
    got = pd.read_parquet(out)
    pd.testing.assert_frame_equal(got, want)
    assert got["n"].tolist() == [3] * len(got) and got["method"].iloc[0] == "hybrid (default)"
    pytest.importorskip("matplotlib")
    figs = tmp_path / "figs"
    assert _adoption(store, snapshot, "--bins", "day", "--plot", str(figs), "-o", str(tmp_path / "f.csv")) == 0
    pngs = sorted(p.name for p in figs.glob("*.png"))
    assert pngs == ["collapse.png", "fit_org_a.png", "fit_org_b.png", "fit_org_c.png"]
    code = _adoption(store, snapshot, "--bins", "day", "--backtest", "5", "--plot", str(figs), "-o", str(out))
    assert code == 0 and (figs / "backtest_h5.png").stat().st_size > 1000


def _one_line_error(capsys, code: int, argv: list[str], expected: str, *, after_warnings: bool = False) -> str:
    """Run ``hftree ARGV``: exit ``code``, nothing on stdout, stderr one error line (after warning lines, if
    ``after_warnings``), no traceback."""
    assert main(argv) == code
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert "Traceback" not in captured.err and lines, captured.err
    assert len(lines) == 1 or after_warnings, captured.err
    assert all(line.startswith("hftree: warning: ") for line in lines[:-1]), captured.err
    assert expected in lines[-1], lines[-1]
    assert captured.out == ""
    return lines[-1]


def test_without_a_snapshot_the_missing_creation_dates_are_named(tracked, capsys):
    store, _ = tracked
    line = _one_line_error(capsys, 1, ["adoption", "--downloads", str(store)], "needs the creation date")
    assert line.startswith(f"hftree: error: {store}: --downloads needs the creation date of each of the 5 tracked")
    assert "give a SNAPSHOT" in line


def test_a_snapshot_without_the_tracked_models(tracked, tmp_path, capsys):
    store, _ = tracked
    other = tmp_path / "other"
    import_sources([write_jsonl(tmp_path / "o.jsonl", [rec("x/y"), rec("x/z")])]).save(other)
    _one_line_error(
        capsys,
        1,
        ["adoption", "--downloads", str(store), str(other)],
        f"hftree: error: no created_at for any of the 5 tracked models in {other}",
    )


def test_root_errors(tracked, capsys):
    store, snapshot = tracked
    base = ["adoption", "--downloads", str(store), str(snapshot)]
    _one_line_error(
        capsys, 1, [*base, "--root", "org/zzz"], "hftree: error: model 'org/zzz' has no all-time download counts in"
    )
    _one_line_error(capsys, 1, [*base, "--root", "org/nodate"], "no created_at for model 'org/nodate' in")
    _one_line_error(
        capsys,
        1,
        [*base, "--backtest", "40", "--bins", "day"],
        "no family has >= 49 observed bins",
        after_warnings=True,
    )


def test_counts_and_downloads_together_is_a_usage_error(tracked, capsys):
    store, snapshot = tracked
    _one_line_error(
        capsys, 2, ["adoption", "--downloads", str(store), "--counts", "x.csv"], "--downloads STORE (not both)"
    )
    _one_line_error(
        capsys,
        2,
        ["adoption", "--downloads", str(store), str(snapshot), "--relation", "adapter"],
        "--relation applies to a SNAPSHOT's lineage, not to --downloads",
    )


def test_not_a_store_or_a_damaged_one(tracked, tmp_path, capsys):
    store, snapshot = tracked
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "notes.txt").write_text("not a store\n")
    for path in (plain, tmp_path / "missing"):
        _one_line_error(
            capsys,
            1,
            ["adoption", "--downloads", str(path), str(snapshot)],
            f"hftree: error: {path} is not an hftree track store",
        )
    damaged = tmp_path / "damaged"
    shutil.copytree(store, damaged)
    next((damaged / "runs").glob("run-*.parquet")).unlink()
    _one_line_error(capsys, 1, ["adoption", "--downloads", str(damaged), str(snapshot)], "the store is damaged")
    # a SNAPSHOT that is not one is reported by the snapshot loader
    _one_line_error(
        capsys, 1, ["adoption", "--downloads", str(store), str(plain)], f"hftree: error: {plain} has no manifest.json"
    )
