"""Plot functions draw on the given axes and return them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hftree.ecosystem import (
    ecosystem_stats,
    plot_concentration,
    plot_created_per_month,
    plot_likes_downloads,
    plot_shares,
)
from hftree.errors import InputFormatError

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _models(n=200, seed=2):
    rng = np.random.default_rng(seed)
    dl = np.floor(rng.pareto(1.1, n) * 100)
    return pd.DataFrame(
        {
            "id": [f"m{i}" for i in range(n)],
            "downloads": dl.astype(int),
            "likes": np.floor(np.sqrt(dl) * rng.random(n)).astype(int),
            "license": rng.choice(["apache-2.0", "mit", "llama3", "gpl-3.0", None], n),
            "created_at": (
                pd.to_datetime("2023-01-01", utc=True)
                + pd.to_timedelta(rng.integers(0, 400, n), unit="D")
            ),
        }
    )


MODELS = _models()


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def test_plot_shares(ax):
    res = ecosystem_stats(MODELS, top_values=3)
    assert plot_shares(res.license_shares, ax=ax) is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == res.license_shares["license"].tolist()
    assert len(ax.patches) == 2 * len(res.license_shares)
    with pytest.raises(InputFormatError, match="share table has no 'share' column"):
        plot_shares(res.license_shares, measures=("share",), ax=ax)


def test_plot_likes_downloads_samples_and_uses_log_axes(ax):
    out = plot_likes_downloads(MODELS, ax=ax, max_points=50, random_state=1)
    assert out is ax and ax.get_xscale() == "log" and ax.get_yscale() == "log"
    offsets = ax.collections[0].get_offsets()
    assert len(offsets) == 50 and (np.asarray(offsets) >= 1).all()
    assert "R²" in ax.get_title()


def test_plot_created_per_month(ax):
    res = ecosystem_stats(MODELS)
    table = res.created_by_license_class
    assert plot_created_per_month(table, ax=ax) is ax
    heights = np.zeros(len(table))
    for p in ax.patches:  # one stacked step patch per category, one step per month
        values, edges, baseline = p.get_data()
        np.testing.assert_allclose(edges, np.arange(len(table) + 1) - 0.5)
        heights += np.asarray(values) - np.asarray(baseline)
    np.testing.assert_allclose(heights, table["total"])
    with pytest.raises(InputFormatError, match="expected a monthly table"):
        plot_created_per_month(pd.DataFrame({"x": [1]}), ax=ax)


def test_plot_concentration(ax):
    assert plot_concentration(MODELS, ax=ax) is ax
    line = ax.get_lines()[0]
    y = line.get_ydata()
    assert y[0] == 0 and y[-1] == pytest.approx(1) and (np.diff(y) >= 0).all()
    assert plot_concentration(np.arange(5000.0), ax=ax) is ax


def test_new_figure_when_no_axes():
    out = plot_concentration([1, 2, 3])
    assert out.figure is not None
    plt.close(out.figure)
