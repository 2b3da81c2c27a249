"""Ecosystem tables on the real 2022 Hub listing (../shared/data/hub-2022), checked by hand."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from hftree._results import format_value as _number
from hftree.ecosystem import ecosystem_stats, license_class
from hftree.errors import InputFormatError
from hftree.families import family_stats
from hftree.ingest import import_sources
from hftree.lineage import LineageGraph

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ecosystem.md"


@pytest.fixture(scope="module")
def hub2022(shared):
    d = shared / "hub-2022"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snap = import_sources([d / "models.jsonl.gz", d / "cards.jsonl.gz"])
        G = LineageGraph.from_snapshot(snap)
    return G


@pytest.fixture(scope="module")
def whole(hub2022):
    return ecosystem_stats(hub2022.models, hub2022)


@pytest.fixture(scope="module")
def top300(hub2022):
    return ecosystem_stats(hub2022.models, hub2022, top=300)


def gini_lorenz(x: np.ndarray) -> float:
    """Gini as 1 − 2·(area under the Lorenz curve), by trapezoids: independent of our formula."""
    x = np.sort(x)
    cum = np.concatenate([[0.0], np.cumsum(x) / x.sum()])
    return 1.0 - 2.0 * np.trapezoid(cum, dx=1.0 / len(x))


def test_whole_snapshot(hub2022, whole):
    m = hub2022.models
    assert whole.n_total == whole.n_selected == 29432
    dl = m["downloads"].fillna(0).astype(float)
    # licences: direct counts
    lic = whole.license_shares.set_index("license")
    counts = m["license"].value_counts()
    assert lic.loc["apache-2.0", "models"] == counts["apache-2.0"] == 5532
    assert lic.loc["mit", "downloads"] == dl[m["license"] == "mit"].sum()
    assert lic.loc["(none)", "models"] == m["license"].isna().sum()
    for t in (
        "license_shares",
        "author_shares",
        "task_shares",
        "library_shares",
        "license_class_shares",
    ):
        table = whole.tables[t]
        assert table["models"].sum() == 29432
        assert table["model_share"].sum() == pytest.approx(1) and table[
            "download_share"
        ].sum() == pytest.approx(1)
    perm = m["license"].map(license_class) == "permissive"
    assert whole.value("permissive_model_share") == pytest.approx(perm.mean())
    assert whole.value("permissive_download_share") == pytest.approx(dl[perm].sum() / dl.sum())
    # likes vs downloads against scipy
    ok = m.dropna(subset=["likes", "downloads"])
    x, y = ok["likes"].astype(float), ok["downloads"].astype(float)
    assert whole.value("correlation_n") == len(ok) == 29220
    assert whole.value("pearson_r2") == pytest.approx(stats.pearsonr(x, y)[0] ** 2)
    assert whole.value("log1p_pearson_r2") == pytest.approx(
        stats.pearsonr(np.log1p(x), np.log1p(y))[0] ** 2
    )
    assert whole.value("spearman_rho") == pytest.approx(stats.spearmanr(x, y)[0])
    # concentration against the Lorenz-curve definition and Σ s²
    known = m["downloads"].dropna().astype(float).to_numpy()
    assert whole.value("gini") == pytest.approx(gini_lorenz(known), abs=1e-6)
    assert whole.value("hhi") == pytest.approx(((known / known.sum()) ** 2).sum())
    assert whole.value("top10_share") == pytest.approx(np.sort(known)[-10:].sum() / known.sum())
    # per family: the same downloads as the independent family table of hftree.families
    fam = whole.family_concentration.set_index("root")
    ref = family_stats(hub2022).set_index("root")
    assert len(fam) == len(ref) > 250
    common = fam.index.intersection(ref.index)
    assert len(common) == len(fam)
    np.testing.assert_array_equal(
        fam.loc[common, "family_downloads"], ref.loc[common, "family_downloads"]
    )
    np.testing.assert_allclose(
        fam.loc[common, "top_descendant_share"], ref.loc[common, "top_descendant_share"]
    )
    # the 2022 listing has no creation times
    assert whole.value("models_with_created_at") == 0 and len(whole.created_by_license_class) == 0
    with pytest.raises(InputFormatError, match="no model has a 'created_at' value"):
        ecosystem_stats(hub2022.models, top=300, by="created")


def test_article_setting_top_300(hub2022, top300):
    m = hub2022.models
    top = (
        m.assign(_d=m["downloads"])
        .sort_values(["_d", "id"], ascending=[False, True], na_position="last")
        .head(300)
    )
    assert top300.selection["id"].tolist() == top["id"].tolist()
    dl = top["downloads"].astype(float)
    am = top["license"].isin(["apache-2.0", "mit"])
    assert top300.value("apache_mit_model_share") == pytest.approx(am.mean())
    assert top300.value("apache_mit_download_share") == pytest.approx(dl[am].sum() / dl.sum())
    r = stats.pearsonr(top["likes"].astype(float), dl)[0]
    assert top300.value("pearson_r2") == pytest.approx(r * r)
    assert (
        0 < top300.value("pearson_r2") < 0.5
    )  # likes explain little of downloads, as in the article
    assert (top300.family_concentration["in_selection"] >= 1).all()


def test_docs_show_what_the_code_computes(whole, top300):
    """docs/ecosystem.md pastes the CLI output; its headline figures must be today's numbers."""
    text = DOCS.read_text(encoding="utf-8")
    for res in (whole, top300):
        for stat in (
            "models",
            "downloads",
            "permissive_model_share",
            "permissive_download_share",
            "apache_mit_model_share",
            "apache_mit_download_share",
            "pearson_r2",
            "log1p_pearson_r2",
            "spearman_rho",
            "gini",
            "hhi",
            "top1pct_share",
            "top10_share",
            "root_download_share",
        ):
            line = rf"^\s*{stat}\s+{re.escape(_number(res.value(stat)))}\s"
            assert re.search(line, text, flags=re.M), (
                f"{stat} = {_number(res.value(stat))} not in the docs"
            )
