"""Series frames: the paper's CSV formats and growth series from a lineage graph."""

from __future__ import annotations

import io
import string
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hftree.adoption import download_series, growth_series, read_download_csv, read_finetune_csv, read_paper_fits
from hftree.errors import DataQualityWarning, InputFormatError, ModelNotFoundError, ParameterError


def T(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


# --------------------------------------------------------------------------- paper CSVs


def test_finetune_files_read_as_series_frames(finetune_files):
    total = 0
    for f in finetune_files:
        frame = read_finetune_csv(f)
        total += len(frame)
        assert frame.columns.name == "month"
        assert list(frame.columns) == list(range(35))
        v = frame.to_numpy()
        assert np.all(v[:, 0] == 0)  # month 0 = release
        obs = ~np.isnan(v)
        # blanks only trail, counts never fall
        assert np.all(obs[:, :-1] | ~obs[:, 1:])
        assert np.all(np.nan_to_num(np.diff(v, axis=1), nan=0) >= 0)
    assert total == 3151


def test_paper_fits_flag_stuck_and_real_rows(finetune_files):
    fits = read_paper_fits(finetune_files[5])  # Google
    assert {"lam", "mu", "sigma", "label", "stuck", "real"} <= set(fits.columns)
    stuck = fits[fits["stuck"]]
    assert (stuck[["lam", "mu", "sigma"]] == [0.5, 2.0, 0.5]).all().all()
    assert not (fits["real"] & fits["stuck"]).any()
    assert fits.loc["google/gemma-2b", "lam"] == pytest.approx(20.7798, rel=1e-4)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("name,0-month\nx,0\n", "no 'model' column"),
        ("model,a,b\nx,0,1\n", r"no '<N>-month' columns"),
        ("model,0-month,2-month\nx,0,1\n", "without gaps"),
        ("model,0-month,1-month\nx,0,many\n", "expected a number, found 'many'"),
        ("model,0-month,1-month,2-month\nx,0,,4\n", "a count follows a blank cell"),
        ("model,0-month,1-month\nx,0,-3\n", "negative count -3"),
        ("model,0-month,1-month,2-month\nx,0,5,2\n", "decreases from 5 to 2"),
        ("", "the file is empty"),
    ],
)
def test_finetune_csv_errors(text, match):
    with pytest.raises(InputFormatError, match=match):
        read_finetune_csv(io.StringIO(text))


def test_finetune_csv_error_names_file_and_line(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("model,0-month,1-month\nok,0,1\nx,0,oops\n")
    with pytest.raises(InputFormatError, match=r"bad\.csv:3: expected a number") as info:
        read_finetune_csv(p)
    assert info.value.line == 3 and info.value.field == "1-month"


def test_paper_fits_need_parameter_columns():
    with pytest.raises(InputFormatError, match="no 'lambda_i' column"):
        read_paper_fits(io.StringIO("model,0-month\nx,0\n"))


def test_download_csv_day_and_month_bins(download_dir):
    day = read_download_csv(download_dir / "Google.csv")
    month = read_download_csv(download_dir / "Google.csv", bins="month")
    raw = pd.read_csv(download_dir / "Google.csv").set_index("model")
    assert day.columns.name == "day" and month.columns.name == "month"
    row = day.loc["google/gemma-2-2b-it"]
    first = row.first_valid_index()
    # day k = value k days after the creation date; leading zeros are not observations
    created = pd.Timestamp(raw.loc["google/gemma-2-2b-it", "created_at"]).normalize()
    col = (created + pd.Timedelta(days=int(first))).strftime("%Y-%m-%d 00:00:00")
    assert row[first] == raw.loc["google/gemma-2-2b-it", col] > 0
    assert row.iloc[:first].isna().all()
    assert np.all(np.diff(row.dropna().to_numpy()) >= 0)
    # monthly anniversaries pick the daily value of that day
    m = month.loc["google/gemma-2-2b-it"].dropna()
    k = int(m.index[0])
    day_k = (created + pd.DateOffset(months=k) - created).days
    assert m.iloc[0] == row[day_k]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("model,2024-07-02\nx,1\n", "no 'created_at' column"),
        ("model,yesterday,created_at\nx,1,2024-07-01\n", "column header 'yesterday' is not a date"),
        ("model,2024-07-02,2024-07-03,created_at\nx,5,3,2024-07-01\n", "downloads decrease"),
        ("model,2024-07-02,created_at\nx,1,someday\n", "created_at 'someday' is not a date"),
        ("name,2024-07-02,created_at\nx,1,2024-07-01\n", "no 'model' column"),
        ("model,2024-07-02,created_at\nx,lots,2024-07-01\n", "expected a number, found 'lots'"),
    ],
)
def test_download_csv_errors(text, match):
    with pytest.raises(InputFormatError, match=match):
        read_download_csv(io.StringIO(text))


def test_download_csv_rejects_unknown_bins():
    with pytest.raises(ParameterError, match="bins: expected 'month' or 'day', got 'week'"):
        read_download_csv(io.StringIO("model,created_at\n"), bins="week")


# --------------------------------------------------------------------------- graphs


def _family(graph_of, snapshot="2024-06-15"):
    models = pd.DataFrame(
        {
            "id": ["root", "a", "b", "a1", "q", "other", "o1", "undated"],
            "created_at": [
                T("2024-01-10"),
                T("2024-01-20"),
                T("2024-03-01"),
                T("2024-04-05"),
                T("2024-02-01"),
                T("2024-03-01"),
                T("2024-05-01"),
                pd.NaT,
            ],
        }
    )
    edges = pd.DataFrame(
        {
            "parent": ["root", "root", "a", "root", "other", "root", "ext/base"],
            "child": ["a", "b", "a1", "q", "o1", "undated", "root"],
            "relation": [
                "finetune",
                "finetune",
                "finetune",
                "quantized",
                "finetune",
                "finetune",
                "finetune",
            ],
        }
    )
    return graph_of(models, edges, snapshot)


def test_growth_series_counts_descendants_per_month(graph_of):
    g = _family(graph_of)
    with pytest.warns(DataQualityWarning, match="1 descendant.* no created_at"):
        s = growth_series(g, ["root"])
    # months end 02-10, 03-10, 04-10, 05-10, 06-10; snapshot 06-15 -> bins 0..5
    # a (01-20) in bin 1, b (03-01) in bin 2, a1 (04-05, grandchild) in bin 3
    assert s.loc["root"].tolist() == [0.0, 1.0, 2.0, 3.0, 3.0, 3.0]
    with pytest.warns(DataQualityWarning):
        kids = growth_series(g, ["root"], scope="children")
    assert kids.loc["root"].tolist() == [0.0, 1.0, 2.0, 2.0, 2.0, 2.0]
    with pytest.warns(DataQualityWarning):
        everything = growth_series(g, ["root"], relation=None)
    # + q (quantized, 02-01); "undated" cannot be placed in time
    assert everything.loc["root"].tolist() == [0.0, 2.0, 3.0, 4.0, 4.0, 4.0]


def test_growth_series_is_nan_after_the_snapshot(graph_of):
    g = _family(graph_of)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        s = growth_series(g, ["root", "other"])
    assert s.loc["root"].notna().sum() == 6
    # "other" is 3.5 months old: bins 0..3, NaN after (no fake zeros)
    assert s.loc["other"].tolist()[:4] == [0.0, 0.0, 0.0, 1.0]  # o1 at the very end of bin 2
    assert s.loc["other"].iloc[4:].isna().all()


def test_growth_series_selects_roots(graph_of):
    g = _family(graph_of)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        # the lineage definition of a root: "root" has a parent (ext/base, external, no
        # created_at), so it is not a root and its family has no series unless asked for
        assert list(growth_series(g).index) == ["other"]
        assert growth_series(g, min_size=3).empty  # "other" + o1 is a family of 2
        assert list(growth_series(g, ["root"]).index) == ["root"]
        # without the external parent the two definitions agree: both are roots
        models, edges = g.models, g.edge_frame()
        no_ext = graph_of(models, edges[edges["parent"] != "ext/base"], g.snapshot_time)
        assert list(growth_series(no_ext).index) == ["other", "root"]
        assert list(growth_series(no_ext, min_size=4).index) == ["root"]  # root + a, b, a1 (dated)
        assert growth_series(no_ext, min_size=5).empty  # "undated" is not counted
        assert list(growth_series(no_ext, min_size=3, scope="children").index) == ["root"]
        # min_size=1 keeps roots without a descendant too: "q" has a parent only by a
        # quantized edge, so it is a (childless) root of the fine-tune graph, not of all edges
        assert list(growth_series(no_ext, min_size=1).index) == ["other", "q", "root"]
        assert "q" not in growth_series(no_ext, min_size=1, relation=None).index


def test_growth_series_matches_a_reference_on_the_demo_graph():
    """Every root of the demo snapshot, against a plain-Python breadth-first search."""
    from hftree.datasets import load_demo
    from hftree.lineage import LineageGraph

    G = LineageGraph.from_snapshot(load_demo(), warn=False)
    edges = G.edge_frame()
    created = dict(zip(G.models["id"], G.models["created_at"], strict=True))
    for relation in ("finetune", None):
        e = edges if relation is None else edges[edges["relation"] == relation]
        children: dict[str, list[str]] = {}
        for p, c in zip(e["parent"], e["child"], strict=True):
            children.setdefault(p, []).append(c)
        has_parent = set(e["child"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            got = growth_series(G, relation=relation)
        want = {}
        for r in G.models["id"]:
            if r in has_parent or r not in children or pd.isna(created[r]):
                continue
            seen, todo = set(), [r]
            while todo:
                for c in children.get(todo.pop(), []):
                    if c not in seen:
                        seen.add(c)
                        todo.append(c)
            times = sorted(created[c] for c in seen if c in created and pd.notna(created[c]))
            if times:
                want[r] = times
        assert sorted(want) == list(got.index)
        for r, times in want.items():
            row = got.loc[r].dropna()
            ends = [created[r] + pd.DateOffset(months=k) for k in range(len(row))]
            expect = [0] + [sum(max(t, created[r]) < end for t in times) for end in ends[1:]]
            assert row.tolist() == expect, r


def test_growth_series_day_bins(graph_of):
    g = _family(graph_of)
    with pytest.warns(DataQualityWarning):
        s = growth_series(g, ["root"], bins="day")
    assert s.columns.name == "day"
    row = s.loc["root"]
    assert row.iloc[10] == 0 and row.iloc[11] == 1  # "a" came 10 days after the root
    assert row.notna().sum() == (T("2024-06-15") - T("2024-01-10")).days + 1


def test_descendants_created_before_their_root_are_counted_from_bin_1(graph_of):
    models = pd.DataFrame({"id": ["r", "c"], "created_at": [T("2024-02-01"), T("2024-01-01")]})
    edges = pd.DataFrame({"parent": ["r"], "child": ["c"], "relation": ["finetune"]})
    with pytest.warns(DataQualityWarning, match="created before their root"):
        s = growth_series(graph_of(models, edges, "2024-04-01"), ["r"])
    assert s.loc["r"].tolist() == [0.0, 1.0, 1.0]


def test_growth_series_errors(graph_of):
    g = _family(graph_of)
    with pytest.raises(ModelNotFoundError, match="root 'nope' is not in the graph's model table"):
        growth_series(g, ["nope"])
    with pytest.raises(ModelNotFoundError, match="ext/base"):
        growth_series(g, ["ext/base"])  # external: not in the model table
    with pytest.raises(InputFormatError, match="root 'undated' has no created_at"):
        growth_series(g, ["undated"])
    with pytest.raises(ParameterError, match="bins: expected 'month' or 'day', got 'year'"):
        growth_series(g, bins="year")
    with pytest.raises(ParameterError, match="scope: expected 'all' or 'children'"):
        growth_series(g, scope="grandchildren")
    with pytest.raises(ParameterError, match=r"relation.*'fork'"):
        growth_series(g, relation=("fork",))
    for bad_size in (-5, 0, 2.5, True, "2"):
        with pytest.raises(ParameterError, match="min_size: expected a whole number >= 1") as info:
            growth_series(g, min_size=bad_size)
        assert info.value.parameter == "min_size" and info.value.got == bad_size
    bad = graph_of(
        pd.DataFrame({"id": ["r"]}),
        pd.DataFrame(columns=["parent", "child", "relation"]),
        "2024-01-01",
    )
    with pytest.raises(InputFormatError, match="no 'created_at' column"):
        growth_series(bad)


ids = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=6)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 12),
    days=st.lists(st.integers(0, 400), min_size=12, max_size=12),
    parents=st.lists(st.integers(0, 11), min_size=12, max_size=12),
    names=st.lists(ids, min_size=12, max_size=12, unique=True),
)
def test_growth_series_invariants(graph_of, n, days, parents, names):
    """Monotone, bounded by the descendant count, unchanged by relabelling."""
    start = T("2023-01-01")
    created = [start] + [start + pd.Timedelta(days=d) for d in sorted(days)[: n - 1]]
    # a random tree: node i's parent is an earlier node
    par = [min(parents[i], i - 1) for i in range(1, n)]

    def build(label):
        models = pd.DataFrame({"id": [label(i) for i in range(n)], "created_at": created})
        edges = pd.DataFrame(
            {
                "parent": [label(p) for p in par],
                "child": [label(i) for i in range(1, n)],
                "relation": "finetune",
            }
        )
        return graph_of(models, edges, "2024-03-01")

    s1 = growth_series(build(lambda i: f"m{i}"), ["m0"])
    s2 = growth_series(build(lambda i: names[i]), [names[0]])
    v = s1.iloc[0].dropna().to_numpy()
    assert np.all(np.diff(v) >= 0)
    assert v[0] == 0 and v[-1] == n - 1
    np.testing.assert_array_equal(s1.to_numpy(), s2.to_numpy())


@settings(max_examples=200, deadline=None)
@given(ms=st.integers(1_500_000_000_000, 1_800_000_000_000))
def test_month_bins_are_calendar_anniversaries(ms):
    """Bin ends are exactly ``created_at + pandas.DateOffset(months=k)``."""
    from hftree.adoption._bins import _add_months

    t0 = pd.Timestamp(ms, unit="ms", tz="UTC")
    got = _add_months(ms, np.arange(26))
    want = [(t0 + pd.DateOffset(months=k)).value // 1_000_000 for k in range(26)]
    assert got.tolist() == want


def _records():
    times = pd.to_datetime(
        ["2025-01-03", "2025-01-04", "2025-01-06", "2025-01-02", "2025-01-09", "2025-01-05"], utc=True
    )
    return pd.DataFrame(
        {
            "run_id": ["r1", "r2", "r3", "r1", "r4", "r3"],
            "time": times,
            "id": ["a", "a", "a", "b", "b", "ghost"],
            "downloads_all_time": [5, 9, 20, 100, 90, 1],
            "status": ["ok", "ok", "ok", "ok", "ok", "ok"],
        }
    )


def test_download_series_from_tracked_records():
    created = pd.DataFrame({"id": ["a", "b"], "created_at": pd.to_datetime(["2025-01-01", "2024-12-31"], utc=True)})
    with pytest.warns(DataQualityWarning) as rec:
        s = download_series(_records(), created)
    messages = " | ".join(str(w.message) for w in rec)
    assert "1 tracked model(s) have no created_at" in messages
    assert "1 model(s) have a decreasing 'downloads_all_time' counter" in messages
    assert s.columns.name == "day" and list(s.index) == ["a", "b"]
    np.testing.assert_array_equal(s.loc["a"].to_numpy()[:6], [np.nan, np.nan, 5, 9, np.nan, 20])
    # b: 100 on day 2, then a (bogus) 90 on day 9 is held at 100
    b = s.loc["b"].dropna()
    assert b.to_dict() == {2: 100.0, 9: 100.0}
    # the result is a series frame the fitters accept (gaps and all)
    from hftree.adoption import fit_families

    assert len(fit_families(s, "default").table) == 2


def test_download_series_errors():
    created = pd.Series(pd.to_datetime(["2025-01-01"], utc=True), index=["a"])
    with pytest.raises(InputFormatError, match="the records have no 'time' column"):
        download_series(_records().drop(columns="time"), created)
    with pytest.raises(InputFormatError, match="the model table has no 'created_at' column"):
        download_series(_records(), pd.DataFrame({"id": ["a"]}))
    with pytest.raises(ParameterError, match="bins: expected 'month' or 'day'"):
        download_series(_records(), created, bins="hour")
