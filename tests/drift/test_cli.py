"""``hftree drift``: every trait and table, and bad input."""

from __future__ import annotations

import json

import pytest

from tests.conftest import rec, write_jsonl


@pytest.fixture
def snapshot(tmp_path, cli):
    recs = [rec("meta/llama", "license:llama3", "en", "fr", "de", pipeline_tag="text-generation",
                library_name="transformers")]
    for i in range(4):
        lic = ["apache-2.0", "llama3", "mit", "llama3.1"][i]
        recs.append(rec(f"me/ft{i}", f"license:{lic}", "base_model:finetune:meta/llama", "en",
                        pipeline_tag="text-generation" if i else "text-classification",
                        library_name="transformers"))
    path = write_jsonl(tmp_path / "m.jsonl", recs)
    cards = write_jsonl(tmp_path / "c.jsonl", [
        {"id": "meta/llama", "card": "# Llama\n" + "long hand-written card. " * 100},
        *({"id": f"me/ft{i}", "card": "This model card has been automatically generated."} for i in range(4)),
    ])
    out = tmp_path / "snap"
    assert cli("import", path, cards, "-o", out, "-q").code == 0
    return out


def run_json(cli, *argv):
    r = cli("drift", *argv, "--format", "json", "--n-boot", "20")
    assert r.code == 0, r.err
    return json.loads(r.out)


def test_licence_tables(cli, snapshot):
    s = str(snapshot)
    fam = run_json(cli, s, "--trait", "licence")
    assert fam[0]["root"] == "meta/llama" and fam[0]["violations"] == 2 and fam[0]["ok"] == 2
    vio = run_json(cli, s, "--trait", "license", "--table", "violations")
    assert sorted(v["child_license"] for v in vio) == ["apache-2.0", "mit"]
    rules = run_json(cli, s, "--trait", "licence", "--table", "rules")
    assert any(r["family"] == "llama3" for r in rules)
    classes = run_json(cli, s, "--trait", "licence", "--table", "class-ordering")
    assert classes[0]["value"] == "community" and classes[0]["exact"]
    mut = run_json(cli, s, "--trait", "licence", "--table", "mutation")
    assert mut[0]["relation"] == "all" and mut[0]["mutation_rate"] == pytest.approx(0.75)


def test_language_task_card(cli, snapshot):
    s = str(snapshot)
    order = run_json(cli, s, "--trait", "language", "--top", "3")
    assert order[-1]["value"] == "en" and order[0]["share_pairs_agree"] == 1.0
    flow = run_json(cli, s, "--trait", "task", "--table", "flow")
    assert flow == [{"a": "text-generation", "b": "text-classification", "a_to_b": 1, "b_to_a": 0, "net": 1,
                     "total": 1}]
    card = run_json(cli, s, "--trait", "card")
    rows = {(r["quantity"], r["relation"]): r for r in card}
    assert rows[("templated", "all")]["child"] == 1.0 and rows[("templated", "all")]["parent"] == 0.0
    assert rows[("card_length", "all")]["change"] < 0


def test_wrong_table_is_a_usage_error(cli, snapshot):
    r = cli("drift", snapshot, "--trait", "card", "--table", "flow")
    assert r.code == 2 and r.err.count("\n") == 1
    assert r.err.startswith("hftree: error: --table flow does not apply to --trait card; choose one of summary")


def test_missing_snapshot_is_one_line(cli, tmp_path):
    r = cli("drift", tmp_path / "nope", "--trait", "task")
    assert r.code == 1 and r.err.startswith("hftree: error:") and r.err.count("\n") == 1
