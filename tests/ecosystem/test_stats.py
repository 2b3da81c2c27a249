"""ecosystem_stats: top-N selection; every table against the single functions and by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hftree._results import Result
from hftree.datasets import toy_graph
from hftree.ecosystem import (
    EcosystemStats,
    concentration,
    created_per_month,
    ecosystem_stats,
    family_concentration,
    license_class_shares,
    license_shares,
    likes_downloads,
    share_table,
    top_models,
)
from hftree.errors import InputFormatError, ParameterError, UsageError
from hftree.lineage import LineageGraph


def hub(n=400, seed=5):
    """A hand-made Hub: models with licences, authors, tasks, libraries, times and a lineage."""
    rng = np.random.default_rng(seed)
    ids = [f"org{i % 17}/model-{i:04d}" for i in range(n)]
    dl = np.floor(rng.pareto(1.1, n) * 100)
    dl[rng.random(n) < 0.03] = np.nan
    created = pd.to_datetime("2022-01-01", utc=True) + pd.to_timedelta(
        rng.integers(0, 900, n), unit="D"
    )
    models = pd.DataFrame(
        {
            "id": ids,
            "author": [i.split("/")[0] for i in ids],
            "created_at": pd.Series(created)
            .where(rng.random(n) > 0.05)
            .astype("datetime64[ms, UTC]"),
            "downloads": pd.array(dl, dtype="Int64"),
            "likes": pd.array(
                np.floor(np.sqrt(np.nan_to_num(dl)) * rng.random(n)).astype(int), dtype="Int64"
            ),
            "pipeline_tag": rng.choice(["text-generation", "fill-mask", "translation", None], n),
            "library_name": rng.choice(["transformers", "diffusers", "peft", None], n),
            "license": rng.choice(
                ["apache-2.0", "mit", "llama3", "gpl-3.0", "cc-by-nc-4.0", "other", None], n
            ),
        }
    )
    child = np.arange(60, n)
    parent = rng.integers(0, 60, len(child))
    edges = pd.DataFrame(
        {
            "parent": [ids[p] for p in parent],
            "child": [ids[c] for c in child],
            "relation": rng.choice(["finetune", "adapter", "quantized"], len(child)),
        }
    )
    return models, LineageGraph.from_tables(models, edges)


MODELS, GRAPH = hub()


def ranked(models, by, top):
    """The top models by sorting the table directly (missing last, ties by id)."""
    key = {"downloads": "downloads", "likes": "likes", "created": "created_at"}[by]
    df = models.assign(_k=models[key]).sort_values(
        ["_k", "id"], ascending=[False, True], na_position="last"
    )
    return df.head(top).drop(columns="_k")


@pytest.mark.parametrize("by", ["downloads", "likes", "created"])
@pytest.mark.parametrize("top", [1, 7, 50, 399, 400, 1000])
def test_top_selection_matches_sorting(by, top):
    got = top_models(MODELS, top, by=by)
    assert got["id"].tolist() == ranked(MODELS, by, top)["id"].tolist()


def test_top_ties_go_to_the_smaller_id():
    models = pd.DataFrame({"id": ["d", "b", "c", "a", "e"], "downloads": [5, 3, 3, 3, None]})
    assert top_models(models, 2)["id"].tolist() == ["d", "a"]
    assert top_models(models, 4)["id"].tolist() == ["d", "a", "b", "c"]
    assert top_models(models, 5)["id"].tolist() == ["d", "a", "b", "c", "e"]  # missing ranks last


@pytest.mark.parametrize(
    ("top", "by"), [(None, "downloads"), (60, "downloads"), (25, "likes"), (40, "created")]
)
def test_every_table_equals_the_single_functions_on_the_selection(top, by):
    res = ecosystem_stats(MODELS, GRAPH, top=top, by=by, top_values=3)
    sel = MODELS if top is None else ranked(MODELS, by, top)
    assert res.n_selected == len(sel) and res.n_total == len(MODELS)
    pd.testing.assert_frame_equal(res.license_shares, license_shares(sel, top=3))
    pd.testing.assert_frame_equal(res.author_shares, share_table(sel, "author", top=3))
    pd.testing.assert_frame_equal(res.task_shares, share_table(sel, "pipeline_tag", top=3))
    pd.testing.assert_frame_equal(res.library_shares, share_table(sel, "library_name", top=3))
    pd.testing.assert_frame_equal(res.license_class_shares, license_class_shares(sel))
    pd.testing.assert_frame_equal(res.correlation, likes_downloads(sel).to_frame())
    pd.testing.assert_frame_equal(res.concentration, concentration(sel))
    pd.testing.assert_frame_equal(res.created_by_license_class, created_per_month(sel))
    pd.testing.assert_frame_equal(
        res.created_by_task, created_per_month(sel, "pipeline_tag", top=3)
    )
    # families: all of them without top, else those with a selected member
    fam_all = family_concentration(GRAPH)
    if top is None:
        pd.testing.assert_frame_equal(res.family_concentration, fam_all)
        assert res.selection is None
    else:
        chosen = set(sel["id"])
        members = {r: {r} for r in fam_all["root"]}
        for p, c in zip(GRAPH.edge_frame()["parent"], GRAPH.edge_frame()["child"], strict=True):
            members[p].add(c)  # depth-1 families: every child of a root is a member
        expect = [r for r in fam_all["root"] if members[r] & chosen]
        assert res.family_concentration["root"].tolist() == expect
        for _, row in res.family_concentration.iterrows():
            assert row["in_selection"] == len(members[row["root"]] & chosen)
        assert res.selection["id"].tolist() == sel["id"].tolist()
        assert res.selection["rank"].tolist() == list(range(1, len(sel) + 1))


def test_summary_against_direct_computation():
    res = ecosystem_stats(MODELS, GRAPH, top=120)
    sel = ranked(MODELS, "downloads", 120)
    v = res.value
    dl = sel["downloads"].fillna(0).astype(float)
    am = sel["license"].isin(["apache-2.0", "mit"])
    lic = sel["license"].notna()
    assert v("models") == 120 and v("models_total") == len(MODELS)
    assert v("downloads") == dl.sum() and v("likes") == sel["likes"].sum()
    assert v("apache_mit_model_share") == pytest.approx(am.mean())
    assert v("apache_mit_download_share") == pytest.approx(dl[am].sum() / dl.sum())
    assert v("apache_mit_share_of_licensed") == pytest.approx(am.sum() / lic.sum())
    assert v("apache_mit_download_share_of_licensed") == pytest.approx(dl[am].sum() / dl[lic].sum())
    assert v("licensed_model_share") == pytest.approx(lic.mean())
    assert v("permissive_model_share") == pytest.approx(am.mean())  # the only permissive ids here
    ok = sel.dropna(subset=["downloads", "likes"])
    r = stats.pearsonr(ok["likes"].astype(float), ok["downloads"].astype(float))[0]
    assert v("pearson_r2") == pytest.approx(r * r)
    assert v("spearman_rho") == pytest.approx(stats.spearmanr(ok["likes"], ok["downloads"])[0])
    x = ok["downloads"].astype(float).to_numpy()
    n = len(x)
    assert v("gini") == pytest.approx(
        np.abs(x[:, None] - x[None, :]).sum() / (2 * n * n * x.mean())
    )
    assert v("hhi") == pytest.approx(((x / x.sum()) ** 2).sum())
    fam = res.family_concentration
    rooted = fam[~fam["root_external"] & (fam["family_downloads"] > 0)]
    assert v("families") == len(fam)
    assert v("root_download_share") == pytest.approx(
        rooted["root_downloads"].sum() / rooted["family_downloads"].sum()
    )
    assert v("models_with_created_at") == sel["created_at"].notna().sum()
    with pytest.raises(ParameterError, match=r"statistic: expected one of models_total, models, .*got 'nope'"):
        v("nope")


def test_models_in_another_order_map_to_graph_nodes_by_id():
    shuffled = MODELS.sample(frac=1.0, random_state=3)
    a = ecosystem_stats(MODELS, GRAPH, top=50)
    b = ecosystem_stats(shuffled, GRAPH, top=50)
    pd.testing.assert_frame_equal(a.family_concentration, b.family_concentration)
    pd.testing.assert_frame_equal(a.summary, b.summary)


def test_result_object_and_graph_argument():
    res = ecosystem_stats(toy_graph())
    assert isinstance(res, EcosystemStats) and res.family_concentration is not None
    assert list(res.tables) == [
        "summary",
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
    ]
    pd.testing.assert_frame_equal(res.to_frame(), res.summary)
    assert repr(res).startswith(
        "<EcosystemStats: 25 rows × 3 columns; 7 of 7 models (all models): permissive 42.9 % of models"
    )
    assert isinstance(res, Result) and res.summary is res.headline
    assert res.to_frame() is not res.summary  # a copy the caller may change
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.top = 3
    no_graph = ecosystem_stats(toy_graph().models)
    assert no_graph.family_concentration is None and "family_concentration" not in no_graph.tables
    assert "families" not in no_graph.summary["statistic"].tolist()
    assert ecosystem_stats(graph=toy_graph()).n_selected == 7
    top = ecosystem_stats(toy_graph(), top=2, by="likes")
    assert "selection" in top.tables and "top 2 by likes" in repr(top)


def test_html_escapes_strings():
    models = pd.DataFrame(
        {"id": ["<b>x</b>"], "downloads": [3], "likes": [1], "license": ["<i>mit</i>"]}
    )
    html = ecosystem_stats(models)._repr_html_()
    assert "<b>x</b>" not in html and "<i>" not in html
    assert "EcosystemStats" in html and "&lt;b&gt;x&lt;/b&gt;" not in html  # ids are not in the summary
    assert "permissive_model_share" in html and "10 tables" in html


def test_missing_optional_columns_count_as_missing():
    res = ecosystem_stats(pd.DataFrame({"id": ["a", "b"], "downloads": [1, 3]}))
    assert res.license_shares["license"].tolist() == ["(other)", "(none)"]
    assert res.correlation["n"].iloc[0] == 0 and res.value("gini") == pytest.approx(0.25)
    assert len(res.created_by_task) == 0


def test_errors():
    with pytest.raises(ParameterError, match="by: expected one of downloads, likes, created, got 'size'"):
        ecosystem_stats(MODELS, by="size")
    with pytest.raises(ParameterError, match="top: expected a whole number >= 1, got 0"):
        ecosystem_stats(MODELS, top=0)
    with pytest.raises(ParameterError, match="top: expected a whole number >= 1, got -3"):
        top_models(MODELS, -3)
    with pytest.raises(
        InputFormatError, match="cannot rank by creation time: no model has a 'created_at'"
    ):
        ecosystem_stats(MODELS.assign(created_at=pd.NaT), top=5, by="created")
    with pytest.raises(InputFormatError, match="no 'likes' column"):
        ecosystem_stats(MODELS.drop(columns="likes"), top=5, by="likes")
    with pytest.raises(UsageError, match="needs a model table or a lineage graph"):
        ecosystem_stats()
    with pytest.raises(InputFormatError, match="no 'downloads' column"):
        ecosystem_stats(MODELS.drop(columns="downloads"))
    with pytest.raises(ParameterError, match="top_values: expected a whole number >= 0 or None, got -2"):
        ecosystem_stats(MODELS, top_values=-2)
    with pytest.raises(ParameterError, match="relation"):
        ecosystem_stats(MODELS, GRAPH, relation="fork")
