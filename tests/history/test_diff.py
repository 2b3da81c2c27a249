"""Every diff category on hand-made snapshots with known answers (tests/history/conftest.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from hftree.history import CATEGORIES, add_snapshot, diff_snapshots

EXPECTED = {
    "added": ["org/ft3", "org/ft4", "org/oc", "org/other-root", "org/same"],
    "removed": ["org/ft2", "org/same", "org/solo-ft"],
    "renamed": [("org/old-name", "org/new-name")],
    "recreated": [("org/same", "u5", "u9")],
    "changed": [("org/lic", "license", "mit", "apache-2.0"),
                ("org/lic", "pipeline_tag", "text-generation", "text-classification")],
    "edges_added": [("org/base", "org/ft3", "finetune"), ("org/base", "org/ft4", "finetune"),
                    ("org/base", "org/new-name", "adapter"), ("org/other-root", "org/oc", "finetune")],
    "edges_removed": [("org/base", "org/ft2", "finetune"), ("org/base", "org/old-name", "adapter"),
                      ("org/solo", "org/solo-ft", "finetune")],
    "relation_changed": [("org/ft1", "org/q", "quantized", "finetune")],
    "families_grew": [("org/base", 4, 5, 1), ("org/other-root", 0, 1, 1)],
    "families_shrank": [("org/solo", 1, 0, -1)],
}


def _rows(frame: pd.DataFrame, cols: list[str]) -> list:
    return [tuple(r) if len(cols) > 1 else r[0] for r in frame[cols].itertuples(index=False)]


COLS = {
    "added": ["id"], "removed": ["id"], "renamed": ["old_id", "id"], "recreated": ["id", "old_uid", "uid"],
    "changed": ["id", "field", "old", "new"], "edges_added": ["parent", "child", "relation"],
    "edges_removed": ["parent", "child", "relation"], "relation_changed": ["parent", "child", "old", "new"],
    "families_grew": ["root", "old", "new", "change"], "families_shrank": ["root", "old", "new", "change"],
}


def _check(d):
    assert set(d.tables) == set(CATEGORIES)
    for cat, want in EXPECTED.items():
        got = _rows(d.tables[cat], COLS[cat])
        got = [tuple(int(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in g)
               if isinstance(g, tuple) else g for g in got]
        assert got == want, cat
    counts = d.to_frame().set_index("category")["count"]
    assert counts.to_dict() == {c: len(EXPECTED[c]) for c in CATEGORIES}


def test_every_category_in_memory(old_snap, new_snap):
    d = diff_snapshots(old_snap, new_snap)
    _check(d)
    assert d.tables["changed"]["kind"].tolist() == ["changed", "changed"]
    assert "author" in " ".join(d.notes)  # not in these tables: said, not silently skipped


def test_same_answers_from_a_history_and_from_directories(tmp_path, old_snap, new_snap):
    h = add_snapshot(tmp_path / "h", old_snap)
    h = add_snapshot(tmp_path / "h", new_snap)
    _check(diff_snapshots((h, "2025-01-01"), (h, "2025-01-08")))
    old_snap.save(tmp_path / "a")
    new_snap.save(tmp_path / "b")
    _check(diff_snapshots(tmp_path / "a", tmp_path / "b"))


def test_identical_snapshots_have_no_differences(old_snap):
    d = diff_snapshots(old_snap, old_snap)
    assert d.to_frame()["count"].sum() == 0


def test_without_uid_models_are_matched_by_id_and_the_note_says_so(old_snap, new_snap):
    for s in (old_snap, new_snap):
        s.models = s.models.drop(columns="extra")
    d = diff_snapshots(old_snap, new_snap)
    assert d.count("renamed") == 0 and d.count("recreated") == 0
    assert "org/old-name" in d.tables["removed"]["id"].tolist()
    assert "org/new-name" in d.tables["added"]["id"].tolist()
    assert "org/same" not in d.tables["added"]["id"].tolist()  # same id: the same model, by id
    assert any("matched by id" in n for n in d.notes)


def test_a_side_without_lineage_is_not_read_as_every_edge_removed(old_snap, new_snap):
    new_snap.edges = new_snap.edges.iloc[:0]
    d = diff_snapshots(old_snap, new_snap)
    assert d.count("edges_removed") == 0 and d.count("families_shrank") == 0
    assert any("lineage not compared" in n for n in d.notes)


def test_top_keeps_the_largest_family_changes(old_snap, new_snap):
    d = diff_snapshots(old_snap, new_snap, top=1)
    assert d.tables["families_grew"]["root"].tolist() == ["org/base"]


@pytest.mark.parametrize("bad", ["2025-13-01", "yesterday"])
def test_a_bad_history_date_is_refused(tmp_path, old_snap, bad):
    from hftree.errors import ParameterError

    h = add_snapshot(tmp_path / "h", old_snap)
    with pytest.raises(ParameterError, match="date"):
        diff_snapshots((h, bad), (h, "2025-01-01"))
