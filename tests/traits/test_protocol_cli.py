"""``hftree inherit --protocol {default,paper}``: the same numbers as the API, the paper's budget, bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hftree.cli.main import main
from hftree.ingest import load_snapshot
from hftree.traits import inheritance
from hftree.traits.protocol import PAPER_SAMPLES
from tests.conftest import rec, write_jsonl


def run(capsys, *argv: object) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def snapshot(tmp_path, capsys):
    """``org/base`` with 119 fine-tunes; cards of 700, 511 (too short) and 600 characters (auto-generated)."""
    recs = [rec("org/base", "license:mit")]
    recs += [rec(f"me/ft{i}", "base_model:finetune:org/base", f"license:{'mit' if i % 3 else 'gpl-3.0'}")
             for i in range(119)]
    cards = [{"id": "org/base", "card": "base model card " * 44},
             {"id": "me/ft0", "card": "base model card " * 40 + "fine-tuned on cats " * 10},
             {"id": "me/ft1", "card": "s" * 511},
             {"id": "me/ft2", "card": "This model card has been generated automatically. " * 12}]
    m = write_jsonl(tmp_path / "m.jsonl", recs)
    c = write_jsonl(tmp_path / "cards.jsonl", cards)
    out = tmp_path / "snap"
    assert run(capsys, "import", m, c, "-o", out, "-q")[0] == 0
    return out


def test_paper_protocol_gives_the_api_numbers(capsys, snapshot):
    argv = ["--traits", "card,metadata", "--measures", "tfidf,levenshtein", "--kinships", "parent_child,siblings",
            "--n-boot", "30"]
    code, out, _ = run(capsys, "inherit", snapshot, *argv, "--protocol", "paper", "--format", "json")
    assert code == 0
    got = pd.DataFrame(json.loads(out))
    api = inheritance(load_snapshot(snapshot), traits=["card", "metadata"], measures=["tfidf", "levenshtein"],
                      kinships=["parent_child", "siblings"], n_boot=30, protocol="paper").table
    pd.testing.assert_frame_equal(got[api.columns], api, check_dtype=False)
    card_pc = got[(got.trait == "card") & (got.kinship == "parent_child")]
    assert card_pc["n_pairs"].tolist() == [1.0, 1.0]  # base → ft0 only: ft1 too short, ft2 auto-generated
    code, out, _ = run(capsys, "inherit", snapshot, *argv, "--format", "json")
    default = pd.DataFrame(json.loads(out))
    assert default[(default.trait == "card") & (default.kinship == "parent_child")]["n_pairs"].tolist() == [3.0, 3.0]


def test_paper_budget_and_explicit_samples(capsys, snapshot):
    argv = ["inherit", snapshot, "--traits", "license", "--kinships", "random_hub", "--n-boot", "0", "--format", "json"]
    default = json.loads(run(capsys, *argv)[1])[0]
    assert default["exact"] and default["n_pairs"] == 120 * 119 / 2  # 7,140 pairs: under 10,000, enumerated
    paper = json.loads(run(capsys, *argv, "--protocol", "paper")[1])[0]
    assert not paper["exact"] and paper["n_pairs"] == PAPER_SAMPLES
    mine = json.loads(run(capsys, *argv, "--protocol", "paper", "--samples", "40")[1])[0]
    assert mine["n_pairs"] == 40
    code, out, _ = run(capsys, "inherit", snapshot, "--traits", "license", "--protocol", "paper", "--n-boot", "0",
                       "--format", "csv")
    assert code == 0 and "cousins" not in out and "random_family" not in out and "aunt_uncle" in out


def test_bad_protocol_is_one_line(capsys, snapshot):
    code, _, err = run(capsys, "inherit", snapshot, "--protocol", "laufer")
    assert code == 2 and err.startswith("hftree: error: argument --protocol: invalid choice: 'laufer'")
    assert err.count("\n") == 1 and "default" in err and "paper" in err
