"""Models created per month against a direct count."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from hftree.ecosystem import created_per_month, license_class
from hftree.errors import InputFormatError, ParameterError


def make_models(n=300, seed=1):
    rng = np.random.default_rng(seed)
    t = pd.to_datetime("2023-01-01", utc=True) + pd.to_timedelta(rng.integers(0, 500, n), unit="D")
    t = pd.Series(t).where(rng.random(n) > 0.1)  # 10 % without a time
    return pd.DataFrame(
        {
            "created_at": t.astype("datetime64[ms, UTC]"),
            "license": rng.choice(
                ["mit", "apache-2.0", "llama2", "gpl-3.0", "cc-by-nc-4.0", "other", None], n
            ),
            "pipeline_tag": rng.choice(
                ["a", "b", "c", "d", "e", None], n, p=[0.3, 0.25, 0.2, 0.1, 0.05, 0.1]
            ),
        }
    )


def test_by_license_class_matches_direct_count():
    models = make_models()
    t = created_per_month(models)
    dated = models.dropna(subset=["created_at"])
    direct = Counter(
        (ts.strftime("%Y-%m"), license_class(lic))
        for ts, lic in zip(dated["created_at"], dated["license"], strict=True)
    )
    assert list(t.columns) == [
        "month",
        "permissive",
        "copyleft",
        "non-commercial",
        "community",
        "other",
        "none",
        "total",
    ]
    months = (
        pd.period_range(
            dated["created_at"].min().strftime("%Y-%m"),
            dated["created_at"].max().strftime("%Y-%m"),
            freq="M",
        )
        .astype(str)
        .tolist()
    )
    assert t["month"].tolist() == months  # every month, none skipped
    for _, row in t.iterrows():
        for cls in t.columns[1:-1]:
            assert row[cls] == direct.get((row["month"], cls), 0)
    assert t["total"].sum() == len(dated) and t.attrs["models_without_time"] == len(models) - len(
        dated
    )


def test_by_task_with_top_values_other_and_none():
    models = make_models()
    t = created_per_month(models, "pipeline_tag", top=2)
    dated = models.dropna(subset=["created_at"])
    counts = dated["pipeline_tag"].value_counts()
    top = counts.sort_index().sort_values(ascending=False, kind="stable").index[:2].tolist()
    assert list(t.columns) == ["month", *top, "(other)", "(none)", "total"]
    assert t[top[0]].sum() == counts[top[0]]
    assert t["(other)"].sum() == counts.drop(top).sum()
    assert t["(none)"].sum() == dated["pipeline_tag"].isna().sum()
    assert (t[[*top, "(other)", "(none)"]].sum(axis=1) == t["total"]).all()


def test_string_times_and_no_times():
    models = pd.DataFrame(
        {
            "created_at": ["2024-05-01T10:00:00Z", "2024-05-31T23:59:59Z", "2024-06-01"],
            "license": ["mit", None, "gemma"],
        }
    )
    t = created_per_month(models)
    assert t[["month", "permissive", "community", "none"]].values.tolist() == [
        ["2024-05", 1, 0, 1],
        ["2024-06", 0, 1, 0],
    ]
    empty = created_per_month(models.assign(created_at=pd.NaT))
    assert len(empty) == 0 and empty.attrs["models_without_time"] == 3
    assert "permissive" in empty.columns


def test_errors():
    with pytest.raises(InputFormatError, match="no 'created_at' column"):
        created_per_month(pd.DataFrame({"license": ["mit"]}))
    with pytest.raises(InputFormatError, match="column 'created_at' must hold dates/times"):
        created_per_month(pd.DataFrame({"license": ["mit"], "created_at": ["yesterday"]}))
    with pytest.raises(ParameterError, match=r"top: expected a whole number >= 0 or None, got 2\.5"):
        created_per_month(make_models(), "pipeline_tag", top=2.5)
