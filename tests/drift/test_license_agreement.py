"""Every table that shows licence classes agrees, model by model, on the real Hub crawl.

The classes come from one place (:mod:`hftree.licenses`); before there was one, 43 of the
1,585 models of ``hub-families`` got a different class in the ecosystem shares than in the
licence audit (``other`` + ``license_name: llama4``, ``exaone``, …). Each table is checked
against the classes :func:`hftree.licenses.license_classes` gives every model — all of them,
not only those where two tables happen to agree.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hftree.drift import license_audit, transitions
from hftree.ecosystem import created_per_month, ecosystem_stats, license_class_shares, license_shares
from hftree.ingest import import_sources
from hftree.licenses import LICENSE_CLASSES, license_classes
from hftree.lineage import LineageGraph
from hftree.traits import trait_values


@pytest.fixture(scope="module")
def hub(shared):
    d = shared / "hub-families"
    with warnings.catch_warnings():  # the crawl's data-quality notes are not what is tested here
        warnings.simplefilter("ignore")
        snap = import_sources([d / "models.jsonl.gz"])
    G = LineageGraph.from_snapshot(snap, warn=False)
    m = snap.models
    cls = pd.Series(license_classes(m["license"], m.get("license_name")), index=m["id"].to_numpy(dtype=object))
    return snap, G, cls


def _counts(classes: pd.Series) -> dict[str, int]:
    vc = classes.value_counts()
    return {c: int(vc.get(c, 0)) for c in LICENSE_CLASSES}


def _disagreeing(expected: pd.Series, got: pd.Series) -> list[tuple[str, str, str]]:
    """(model id, expected class, table's class) of every model whose classes differ."""
    got = got.reindex(expected.index)
    bad = (got != expected) | got.isna()
    return [(str(i), str(expected[i]), str(got[i])) for i in expected.index[bad.to_numpy()][:10]]


def test_the_crawl_is_the_one_the_count_of_43_was_made_on(hub):
    _, _, cls = hub
    assert len(cls) == 1585 and cls.index.is_unique
    assert {"permissive", "community", "non-commercial", "other"} <= set(cls)


def test_license_class_trait_agrees_for_every_model(hub):
    snap, _, cls = hub
    trait = trait_values(snap, ["license_class"])["license_class"]
    assert len(trait) == len(cls)
    got = trait.where(trait.notna(), "none")  # the trait is not reported where no licence is declared
    assert _disagreeing(cls, got) == []


def test_audit_classes_agree_for_every_model_on_an_edge(hub):
    snap, G, cls = hub
    edges = license_audit(snap, G, relation=None).edges.drop_duplicates(["parent", "child"])
    assert len(edges) > 1000
    ends = pd.concat([
        pd.Series(edges["parent_class"].to_numpy(), index=edges["parent"].to_numpy(dtype=object)),
        pd.Series(edges["child_class"].to_numpy(), index=edges["child"].to_numpy(dtype=object)),
    ])
    record = ends.index.isin(cls.index)
    assert set(ends[~record]) <= {"none"}  # a parent without a record declares nothing
    ends = ends[record]
    per_model = ends.groupby(level=0).agg(lambda s: s.iloc[0] if s.nunique() == 1 else "several")
    assert len(per_model) > 1000
    assert _disagreeing(cls[per_model.index], per_model) == []


def test_ecosystem_class_shares_count_every_model_in_its_class(hub):
    snap, G, cls = hub
    want = _counts(cls)
    for table in (ecosystem_stats(G).license_class_shares, license_class_shares(snap.models)):
        got = dict(zip(table["license_class"].astype(str), table["models"].astype(int), strict=True))
        assert got == want


def test_license_shares_rows_carry_the_class_of_their_models(hub):
    snap, _, cls = hub
    m = snap.models
    table = license_shares(m, top=None)
    lic = m["license"].astype(object).where(m["license"].notna(), None).to_numpy()
    by_licence = pd.Series(cls.to_numpy(), index=pd.Index(lic, dtype=object)).groupby(level=0, dropna=True)
    want = by_licence.agg(lambda s: s.iloc[0] if s.nunique() == 1 else "mixed")
    rows = table[table["kind"] == "value"].set_index("license")
    assert set(rows.index) == set(want.index)
    bad = [(v, want[v], rows.loc[v, "license_class"]) for v in want.index if rows.loc[v, "license_class"] != want[v]]
    assert bad == []
    assert int(rows["models"].sum()) == int(m["license"].notna().sum())
    none = table[table["license"] == "(none)"].iloc[0]
    assert none["license_class"] == "none" and none["models"] == int(m["license"].isna().sum())


def test_models_created_per_month_total_each_class(hub):
    snap, G, cls = hub
    m = snap.models
    dated = cls[m["created_at"].notna().to_numpy()]
    want = _counts(dated)
    for per_month in (created_per_month(m, by="license_class"), ecosystem_stats(G).created_by_license_class):
        got = {c: int(per_month[c].sum()) for c in LICENSE_CLASSES}
        assert got == want
        assert int(per_month["total"].sum()) == len(dated)


def test_license_class_transitions_count_every_model_in_its_class(hub):
    snap, G, cls = hub
    t = transitions(snap, G, trait="license_class", relation=None)
    want = {c: n for c, n in _counts(cls).items() if n and c != "none"}
    assert {str(k): int(v) for k, v in t.appearances.items()} == want
    assert np.isin(t.counts[["parent_value", "child_value"]].to_numpy(), LICENSE_CLASSES).all()
