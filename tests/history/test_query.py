"""Series of a model and of a family, births, deaths, churn and observed growth, with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hftree.errors import ModelNotFoundError, ParameterError
from hftree.history import (
    add_snapshot,
    family_series,
    hub_churn,
    model_series,
    observed_downloads,
    observed_growth,
)
from tests.history.conftest import NEW_EDGES, NEW_ROWS, make_snapshot

DATES = ["2025-01-01", "2025-01-08", "2025-01-15"]


@pytest.fixture
def hist(tmp_path, old_snap, new_snap):
    third = make_snapshot("2025-01-15", [r for r in NEW_ROWS if r[0] != "org/ft3"],
                          [e for e in NEW_EDGES if e[1] != "org/ft3"])
    for s in (old_snap, new_snap, third):
        h = add_snapshot(tmp_path / "h", s)
    return h


def test_model_series_follows_a_rename(hist):
    t = model_series(hist, "org/new-name").table
    assert t.index.tolist() == DATES
    assert t["id"].tolist() == ["org/old-name", "org/new-name", "org/new-name"]
    assert t["downloads"].tolist() == [3, 5, 5] and t["present"].all()
    gone = model_series(hist, "org/ft2").table
    assert gone["present"].tolist() == [True, False, False] and gone["downloads"].isna().tolist() == [False, True, True]
    lic = model_series(hist, "org/lic").table
    assert lic["license"].tolist() == ["mit", "apache-2.0", "apache-2.0"]
    with pytest.raises(ModelNotFoundError, match="org/nope"):
        model_series(hist, "org/nope")


def test_family_series(hist):
    t = family_series(hist, "org/base").table
    assert t["descendants"].tolist() == [4, 5, 4]
    assert t["new"].tolist()[1:] == [3, 0] and t["deleted"].tolist()[1:] == [2, 1] and t["new"].isna().iloc[0]
    assert t["root_downloads"].tolist() == [100, 150, 150]
    assert t["family_downloads"].tolist() == [100 + 10 + 7 + 3 + 4, 150 + 12 + 5 + 4 + 1 + 1, 150 + 12 + 5 + 4 + 1]
    only = family_series(hist, "org/base", dates=DATES[1:]).table
    assert only.index.tolist() == DATES[1:] and only["descendants"].tolist() == [5, 4]
    solo = family_series(hist, "org/solo").table
    assert solo["descendants"].tolist() == [1, 0, 0] and solo["present"].all()


def test_births_deaths_and_churn(hist):
    c = hub_churn(hist, weeks=1)
    p = c.periods
    assert p["models"].tolist() == [9, 11, 10]
    assert p["births"].tolist()[1:] == [5, 0] and p["deaths"].tolist()[1:] == [3, 1]  # a rename is neither
    assert c.cohorts.index.tolist() == ["2025-01-08"]
    assert c.cohorts.loc["2025-01-08"].tolist() == [5, 1, 0.2] and c.churn == pytest.approx(0.2)
    assert hub_churn(hist, weeks=2).cohorts.empty  # no cohort followed two weeks yet
    with pytest.raises(ParameterError, match="weeks"):
        hub_churn(hist, weeks=0)


def test_observed_growth_counts_deleted_descendants(hist):
    g = observed_growth(hist, "org/base", bins="day")
    s = g.sizes
    assert s["present"].tolist() == [4, 5, 4]
    assert s["ever_seen"].tolist() == [4, 6, 6]  # the renamed model once, the deleted ones kept
    assert s["reconstructed"].tolist() == [3, 4, 4]  # from the last snapshot's creation dates
    row = g.series.loc["org/base"]
    first = (pd.Timestamp("2025-01-01") - pd.Timestamp("2024-11-01")).days
    assert row[: first].isna().all() and row[first] == 4 and row[first + 7] == 6 and row[first + 14] == 6
    assert len(row.dropna()) == 15
    assert g.summary.set_index("root").loc["org/base", "missed_by_reconstruction"] == pytest.approx(1 / 3)
    with pytest.raises(ModelNotFoundError):
        observed_growth(hist, "org/ft1")  # a model, but the root of no family
    every = observed_growth(hist, min_size=2)
    assert every.series.index.tolist() == ["org/base", "org/other-root"]


def test_observed_downloads(hist):
    d = observed_downloads(hist, ["org/base", "org/ft2"], all_time=False)
    assert d.loc["org/base"].tolist() == [100, 150, 150]
    assert d.loc["org/ft2"].tolist()[0] == 7 and np.isnan(d.loc["org/ft2"].tolist()[1])
