"""Missing is not zero: the one field-coverage helper and the family table built on it."""

from __future__ import annotations

import pandas as pd
import pytest

from hftree.families import family_stats
from hftree.families.coverage import field_coverage, has_field, missing_fields, missing_note
from hftree.families.overview import snapshot_summary
from hftree.ingest import import_sources
from hftree.lineage import LineageGraph
from tests.conftest import rec, write_jsonl


def _edge_list(tmp_path):
    """An edge list alone, as the textgen graph: ids and lineage, no downloads, likes or licences."""
    p = tmp_path / "edges.csv"
    p.write_text("source,target,edge\norg/base,a/ft,finetuned\norg/base,b/q,quantized\na/ft,c/ft2,finetuned\n")
    n = tmp_path / "nodes.csv"  # records for two of the five ids, as textgen-graph's nodes.csv
    n.write_text("id,type,owner,architecture\na/ft,model,a,llama\nb/q,model,b,llama\n")
    return import_sources([p, n], snapshot_time="2025-01-01")


def test_a_field_is_missing_when_absent_all_null_or_empty():
    m = pd.DataFrame({"id": ["a", "b"], "downloads": pd.array([None, None], dtype="Int64"),
                      "license": ["", None], "likes": [0, 3], "languages": [[], []]})
    assert missing_fields(m, ["downloads", "license", "likes", "languages", "created_at"]) == (
        "downloads", "license", "languages", "created_at")
    assert has_field(m, "likes")  # zero likes are a value
    cov = field_coverage(m, ["likes", "downloads"]).set_index("field")
    assert cov.loc["likes", "models"] == 2 and cov.loc["downloads", "missing"] == 2
    assert cov.loc["downloads", "lacking"] and not cov.loc["likes", "lacking"]
    assert missing_note(()) == ""
    assert missing_note(["likes"]).startswith("This snapshot has no likes:")


def test_family_table_shows_na_not_zero_for_an_edge_list(tmp_path):
    G = LineageGraph.from_snapshot(_edge_list(tmp_path), warn=False)
    fam = family_stats(G).set_index("root")
    row = fam.loc["org/base"]
    assert row["descendants"] == 3
    for col in ("family_downloads", "root_downloads", "descendant_downloads", "root_likes",
                "top_descendant_share", "license_differs_share"):
        assert row[col] is pd.NA, col
    assert str(fam["family_downloads"].dtype) == "Int64"


def test_family_table_keeps_known_numbers(tmp_path):
    recs = [rec("org/base", "license:mit", downloads=100, likes=2),
            rec("a/ft", "base_model:finetune:org/base", "license:apache-2.0", downloads=None, likes=None),
            rec("b/ft", "base_model:finetune:org/base", "license:mit", downloads=5, likes=1)]
    snap = import_sources([write_jsonl(tmp_path / "m.jsonl", recs)])
    fam = family_stats(LineageGraph.from_snapshot(snap, warn=False)).iloc[0]
    assert fam["root_downloads"] == 100 and fam["descendant_downloads"] == 5 and fam["family_downloads"] == 105
    assert fam["license_differs_share"] == pytest.approx(0.5)  # licences known: a real share


def test_children_created_before_their_root_are_flagged(tmp_path):
    recs = [rec("org/base", createdAt="2024-03-01T00:00:00.000Z"),
            rec("a/early", "base_model:finetune:org/base", createdAt="2024-01-01T00:00:00.000Z"),
            rec("b/late", "base_model:finetune:org/base", createdAt="2024-04-01T00:00:00.000Z")]
    snap = import_sources([write_jsonl(tmp_path / "m.jsonl", recs)])
    G = LineageGraph.from_snapshot(snap, warn=False)
    fam = family_stats(G).iloc[0]
    assert fam["days_to_first_child"] == pytest.approx(-60) and fam["descendants_before_root"] == 1
    s = snapshot_summary(snap, G)
    assert (s["children_before_parent"], s["roots_with_earlier_child"]) == (1, 1)
    assert s["earlier_child_examples"] == [{"root": "org/base", "days_to_first_child": -60.0}]


def test_summary_tells_parents_from_children_without_a_record(tmp_path):
    s = snapshot_summary(_edge_list(tmp_path))
    # no record: org/base (named as a parent) and c/ft2 (named only as a child)
    assert (s["external_nodes"], s["external_parents"], s["external_children"]) == (2, 1, 1)
    # models with a parent: a/ft and b/q, not c/ft2 (no record); the same count as lineage coverage's
    assert s["models_with_parent"] == s["lineage_coverage"]["declared"] == 2
    assert {"downloads", "likes", "license"} <= set(s["missing_fields"])
    cov = {r["field"]: r for r in s["field_coverage"]}
    assert cov["downloads"]["models"] == 0


@pytest.mark.parametrize("dtype", ["str", "string", "string[python]", "string[pyarrow]", object])
def test_presence_is_the_per_cell_rule_for_every_string_backing(dtype):
    from hftree.families.coverage import _empty, _present

    cells = ["mit", "", None, "apache-2.0", "", None, "x"]
    col = pd.Series(cells, dtype=dtype)
    rule = [v is not None and not _empty(v) for v in cells]  # the rule, one cell at a time
    assert _present(col).tolist() == rule
    assert _present(col.iloc[:0]).tolist() == []
