"""``hftree laws`` and ``hftree shape`` in-process, on a small synthetic snapshot."""

from __future__ import annotations

import json

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    from hftree.datasets import write_synthetic_hub
    from hftree.ingest import import_sources

    d = tmp_path_factory.mktemp("evo")
    src = write_synthetic_hub(d / "hub.jsonl.gz", 6000, random_state=0)
    import_sources([src]).save(d / "snap")
    return d / "snap"


def test_laws_table_json_and_parquet(snap, cli, tmp_path):
    r = cli("laws", snap, "--n-boot", "5", "--quantity", "family_size", "--quantity", "children", "--format", "json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert [x["quantity"] for x in rows] == ["family_size", "children"]
    assert all(x["alpha"] > 1 and 0 <= x["p_gof"] <= 1 for x in rows)
    out = tmp_path / "laws.parquet"
    assert cli("laws", snap, "--n-boot", "0", "-o", out).code == 0
    assert len(pd.read_parquet(out)) >= 3


def test_laws_kernel(snap, cli):
    r = cli("laws", snap, "--kernel", "--n-boot", "10", "--format", "csv")
    assert r.code == 0, r.err
    assert r.out.splitlines()[0].startswith("relation,gamma,gamma_low,gamma_high")


def test_shape_outputs(snap, cli, tmp_path):
    r = cli("shape", snap, "--top", "5", "--null-min", "20", "--n-null", "5")
    assert r.code == 0, r.err
    assert "z_uniform_root_share" in r.out and len(r.out.splitlines()) == 6
    out = tmp_path / "shape.csv"
    assert cli("shape", snap, "--no-null", "-o", out).code == 0
    df = pd.read_csv(out)
    assert {"sackin", "colless_norm", "wiener"} <= set(df.columns) and not any(c.startswith("z_") for c in df)
    r = cli("shape", snap, "--hub", "--format", "csv")
    assert r.code == 0 and r.out.startswith("relation,children,leaves,leaf_share")


def test_bad_options_are_usage_errors(snap, cli):
    assert cli("shape", snap, "--null", "yule").code == 2
    assert cli("laws", snap, "--quantity", "nope").code == 2
    assert cli("laws", snap, "--format", "parquet").code == 2  # parquet needs -o
