"""Static figures: the numbers behind them, the Axes they return, their errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from hftree.datasets import toy_graph
from hftree.errors import ParameterError, UsageError
from hftree.families import family_stats
from hftree.viz.figures import (
    family_size_ccdf,
    plot_adoption_collapse,
    plot_family_sizes,
    plot_relation_mix,
    plot_result,
    relation_mix,
)


def _ax():
    return Figure().add_subplot()


def test_ccdf_by_hand():
    c = family_size_ccdf([3, 1, 1, 0, 10, 3])
    assert c["size"].tolist() == [1, 3, 10]
    assert c["families"].tolist() == [2, 2, 1]
    assert np.allclose(c["ccdf"], [1.0, 0.6, 0.2])  # the empty family is not a family


def test_ccdf_same_from_graph_and_table():
    G = toy_graph()
    a = family_size_ccdf(G)
    b = family_size_ccdf(family_stats(G))
    pd.testing.assert_frame_equal(a, b)
    assert family_size_ccdf(G, relation="merge")["size"].tolist() == [1]


def test_ccdf_errors():
    with pytest.raises(UsageError, match="needs a LineageGraph"):
        family_size_ccdf([1, 2], relation="finetune")
    with pytest.raises(ParameterError, match="'descendants' column"):
        family_size_ccdf(pd.DataFrame({"x": [1]}))
    with pytest.raises(ParameterError, match="without missing values, got '0 missing, 1 negative'"):
        family_size_ccdf([1, -2])


def test_plot_family_sizes():
    ax = plot_family_sizes(toy_graph(), ax=_ax(), by_relation=True)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "all relations (2 families)" and any(
        lb.startswith("merge") for lb in labels
    )
    with pytest.raises(UsageError, match="by_relation=True needs a LineageGraph"):
        plot_family_sizes([1, 2], ax=_ax(), by_relation=True)


def test_plot_family_sizes_new_figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = plot_family_sizes([1, 2, 2, 40])
    assert len(ax.lines) == 1
    plt.close(ax.figure)


def test_relation_mix_shares():
    fam = family_stats(toy_graph())
    mix = relation_mix(fam, top=1)
    assert mix.index.tolist() == ["(all families)", "org/base"]
    rel = ["finetune", "adapter", "quantized", "merge", "unknown"]
    assert np.allclose(mix[rel].sum(axis=1), 1.0)
    assert mix.loc["org/base", "adapter"] == pytest.approx(0.2)
    with pytest.raises(ParameterError, match="missing columns"):
        relation_mix(fam.drop(columns="n_merge"))
    with pytest.raises(ParameterError, match="top: expected a whole number >= 1, got 0"):
        relation_mix(fam, top=0)


def test_plot_relation_mix():
    ax = plot_relation_mix(family_stats(toy_graph()), ax=_ax())
    assert len(ax.patches) == 3 * 5  # 3 bars x 5 relations
    assert ax.get_yticklabels()[0].get_text().startswith("(all families)")


def test_plot_result_delegates():
    class Result:
        def plot(self, ax=None, color="k"):
            ax.plot([0, 1], [1, 0], color=color)
            return ax

        def plot_collapse(self, ax=None):
            ax.set_title("collapse")
            return ax

    ax = plot_result(Result(), ax=_ax(), color="r")
    assert len(ax.lines) == 1
    assert plot_adoption_collapse(Result(), ax=_ax()).get_title() == "collapse"
    with pytest.raises(TypeError, match="Result has no plot_drift\\(\\) method"):
        plot_result(Result(), ax=_ax(), kind="drift")


def test_empty_distribution():
    assert family_size_ccdf([]).empty and family_size_ccdf([0, 0]).empty
    ax = plot_family_sizes([0], ax=_ax())
    assert not ax.lines and ax.get_legend() is None


def test_plot_mutation_rates():
    from hftree.viz.figures import plot_mutation_rates

    wide = pd.DataFrame({"all": [0.1, 0.5], "finetune": [0.0, 0.4], "merge": [1.0, 0.2]},
                        index=pd.Index(["license", "task"], name="trait"))
    ax = plot_mutation_rates(wide, ax=_ax())
    assert len(ax.patches) == 6 and [t.get_text() for t in ax.get_xticklabels()] == ["license", "task"]
    assert [p.get_height() for p in ax.patches[:2]] == [0.1, 0.5]
    with pytest.raises(TypeError, match="expected MutationRates or a trait x relation DataFrame"):
        plot_mutation_rates([1, 2], ax=_ax())
