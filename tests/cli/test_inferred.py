"""``--inferred EDGES|infer`` and ``--min-confidence`` in every command that builds a lineage graph;
lineage coverage in ``hftree info`` and the family table (issue 19)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import rec, write_jsonl

N_BASES = 15


def _records() -> tuple[list[dict], list[dict]]:
    """Bases with declared GGUF and fine-tuned children, and undeclared AWQ copies and prose fine-tunes."""
    models, cards = [], []
    for i in range(N_BASES):
        base = f"org{i}/base{i}-7b"
        models.append(rec(base, "license:mit", createdAt="2023-01-01T00:00:00.000Z"))
        models.append(rec(f"tb{i}/base{i}-7b-GGUF", f"base_model:quantized:{base}",
                          createdAt="2023-03-01T00:00:00.000Z"))
        models.append(rec(f"ft{i}/tuned{i}", f"base_model:finetune:{base}", createdAt="2023-04-01T00:00:00.000Z"))
        cards.append({"id": f"ft{i}/tuned{i}", "card": f"---\nbase_model: {base}\n---\nThis model is a fine-tuned "
                      f"version of [{base}](https://huggingface.co/{base}) on imdb."})
        # undeclared: a quantization named after its base, and a fine-tune only the card prose names
        models.append(rec(f"aq{i}/base{i}-7b-AWQ", createdAt="2024-06-01T00:00:00.000Z"))
        models.append(rec(f"un{i}/mystery{i}", createdAt="2024-07-01T00:00:00.000Z"))
        cards.append({"id": f"un{i}/mystery{i}", "card": f"We trained this on top of "
                      f"https://huggingface.co/{base} for squad."})
    models.append(rec("lone/model", createdAt="2024-01-01T00:00:00.000Z"))
    return models, cards


@pytest.fixture(scope="module")
def snap_dir(tmp_path_factory):
    from hftree.cli.main import main

    d = tmp_path_factory.mktemp("inferred")
    models, cards = _records()
    m = write_jsonl(d / "models.jsonl", models)
    c = write_jsonl(d / "cards.jsonl", cards)
    assert main(["import", str(m), "--cards", str(c), "-o", str(d / "snap"), "-q"]) == 0
    return d / "snap"


@pytest.fixture(scope="module")
def hand_edges(tmp_path_factory) -> pd.DataFrame:
    """Inferred edges written by hand: two sure AWQ edges, one doubtful fine-tune edge."""
    return pd.DataFrame({
        "parent": ["org0/base0-7b", "org1/base1-7b", "org2/base2-7b"],
        "child": ["aq0/base0-7b-AWQ", "aq1/base1-7b-AWQ", "un2/mystery2"],
        "relation": ["quantized", "quantized", "finetune"],
        "confidence": [0.95, 0.92, 0.6],
        "evidence": ["name", "name", "card"],
    })


@pytest.fixture
def edges_csv(tmp_path, hand_edges):
    p = tmp_path / "edges.csv"
    hand_edges.to_csv(p, index=False)
    return p


DECLARED = 2 * N_BASES  # the GGUF and fine-tune tags


def _note(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("lineage:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("threshold, included", [("0.9", 2), ("0.5", 3), ("0.99", 0)])
def test_families_counts_inferred_above_threshold_and_says_so(snap_dir, edges_csv, cli, threshold, included):
    r = cli("families", snap_dir, "--inferred", edges_csv, "--min-confidence", threshold, "--format", "csv")
    assert r.code == 0, r.err
    assert _note(r.err).startswith(f"lineage: {DECLARED:,} declared + {included} inferred edges "
                                   f"(confidence >= {float(threshold):g}, source 'inferred'")
    df = pd.read_csv(pd.io.common.StringIO(r.out)).set_index("root")
    # every base has its GGUF and fine-tune child; the included inferred edges add one each
    extra = {"org0/base0-7b": 1, "org1/base1-7b": 1, "org2/base2-7b": 1}
    kept = sorted(extra)[:included] if included < 3 else sorted(extra)
    for i in range(N_BASES):
        root = f"org{i}/base{i}-7b"
        assert df.loc[root, "descendants"] == 2 + (root in kept)
        assert df.loc[root, "lineage_declared"] == 2
        assert df.loc[root, "lineage_inferred"] == (root in kept)
        assert df.loc[root, "lineage_none"] == 1  # the root itself
        assert df.loc[root, "lineage_inferred_share"] == pytest.approx((root in kept) / (3 + (root in kept)))


@pytest.mark.parametrize("relation", [None, "finetune", "quantized"])
def test_family_coverage_counts_the_families_of_the_table(snap_dir, edges_csv, cli, relation):
    # the coverage columns describe the table's own families: with --relation, those of that relation
    rel = ["--relation", relation] if relation else []
    r = cli("families", snap_dir, "--inferred", edges_csv, "--min-confidence", "0.5", *rel, "--format", "csv")
    assert r.code == 0, r.err
    df = pd.read_csv(pd.io.common.StringIO(r.out))
    assert len(df)
    total = df["lineage_declared"] + df["lineage_inferred"] + df["lineage_none"]
    assert (total == df["descendants"] + 1).all(), df[["root", "descendants", "lineage_declared", "lineage_none"]]
    assert (df["lineage_none"] == 1).all()  # the root only


def test_default_is_declared_only_and_unchanged(snap_dir, cli):
    r = cli("families", snap_dir, "--format", "csv")
    assert r.code == 0 and "lineage:" not in r.err
    df = pd.read_csv(pd.io.common.StringIO(r.out))
    assert not [c for c in df.columns if c.startswith("lineage_")]
    assert set(df["descendants"]) == {2}
    r = cli("families", snap_dir, "--columns", "root,lineage_inferred")
    assert r.code == 2 and "needs --inferred" in r.err


def test_family_lineage_columns_na_where_not_computed(snap_dir, tmp_path, cli):
    # a family whose root is only named by an inferred edge file: lineage_coverage has no row -> NA
    from hftree.families.lineage import with_lineage_coverage
    from hftree.ingest import load_snapshot
    from hftree.lineage import LineageGraph

    snap = load_snapshot(snap_dir)
    table = pd.DataFrame({"root": ["org0/base0-7b", "nowhere/x"]})
    inf = pd.DataFrame({"parent": ["org0/base0-7b"], "child": ["aq0/base0-7b-AWQ"], "confidence": [0.9],
                        "source": "inferred", "relation": "unknown"})
    G = LineageGraph.from_tables(snap.models, pd.concat([snap.edges, inf], ignore_index=True), min_confidence=0.5)
    out = with_lineage_coverage(table, G)
    assert out["lineage_inferred"].tolist()[0] == 1
    assert out.iloc[1][["lineage_declared", "lineage_inferred", "lineage_none", "lineage_none_share"]].isna().all()


def test_infer_now_matches_the_file_of_hftree_infer(snap_dir, tmp_path, cli):
    out = tmp_path / "inf.parquet"
    r = cli("infer", snap_dir, "--min-confidence", "0.5", "-o", out)
    assert r.code == 0, r.err
    written = pd.read_parquet(out)
    assert len(written) > 0
    a = cli("families", snap_dir, "--inferred", out, "--format", "csv")
    b = cli("families", snap_dir, "--inferred", "infer", "--format", "csv")
    assert a.code == b.code == 0
    assert a.out == b.out
    n = int((written["confidence"] >= 0.5).sum())
    assert f"+ {n} inferred edges" in _note(a.err) and "inferred now" in _note(b.err)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl", "parquet"])
def test_every_edge_file_format_reads_the_same(snap_dir, tmp_path, hand_edges, cli, fmt):
    p = tmp_path / f"e.{fmt}"
    {"csv": lambda: hand_edges.to_csv(p, index=False), "tsv": lambda: hand_edges.to_csv(p, sep="\t", index=False),
     "json": lambda: hand_edges.to_json(p, orient="records"),
     "jsonl": lambda: hand_edges.to_json(p, orient="records", lines=True),
     "parquet": lambda: hand_edges.to_parquet(p)}[fmt]()
    r = cli("families", snap_dir, "--inferred", p, "--min-confidence", "0.9", "--format", "csv")
    assert r.code == 0, r.err
    assert "+ 2 inferred edges" in _note(r.err)


@pytest.mark.parametrize("case, message", [
    ("nocol", "no column confidence"), ("ext", "expected a .csv"), ("missing", "no such file"),
    ("badconf", "is not a number"),
])
def test_bad_edge_file_is_one_line_naming_it(snap_dir, tmp_path, hand_edges, cli, case, message):
    p = tmp_path / ("e.xlsx" if case == "ext" else "e.csv")
    if case == "nocol":
        hand_edges.drop(columns="confidence").to_csv(p, index=False)
    elif case == "badconf":
        hand_edges.assign(confidence=["high", "0.5", "0.2"]).to_csv(p, index=False)
    elif case == "ext":
        p.write_text("x")
    r = cli("families", snap_dir, "--inferred", p)
    assert r.code == 1
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and str(p.name) in lines[0], r.err


@pytest.mark.parametrize("bad", ["1.5", "-0.1", "nan", "x"])
def test_min_confidence_is_range_checked(snap_dir, edges_csv, cli, bad):
    r = cli("families", snap_dir, "--inferred", edges_csv, "--min-confidence", bad)
    assert r.code == 2 and "between 0 and 1" in r.err


def test_family_and_shape_and_laws_see_the_inferred_edges(snap_dir, edges_csv, cli):
    r = cli("family", snap_dir, "aq0/base0-7b-AWQ", "--format", "json")
    assert r.code == 0 and [x["id"] for x in json.loads(r.out)["roots"]] == ["aq0/base0-7b-AWQ"]
    r = cli("family", snap_dir, "aq0/base0-7b-AWQ", "--format", "json", "--inferred", edges_csv)
    assert r.code == 0, r.err
    assert [x["id"] for x in json.loads(r.out)["roots"]] == ["org0/base0-7b"] and "+ 3 inferred" in _note(r.err)
    for argv in (("shape", "--no-null", "--format", "csv"), ("laws", "--n-boot", "0", "--format", "csv")):
        plain = cli(argv[0], snap_dir, *argv[1:])
        more = cli(argv[0], snap_dir, *argv[1:], "--inferred", edges_csv)
        assert plain.code == more.code == 0, more.err
        assert "lineage:" not in plain.err and "+ 3 inferred" in _note(more.err)
        assert plain.out != more.out  # the three extra edges change the figures


def test_subtree_and_tree_include_them_and_the_page_says_so(snap_dir, edges_csv, tmp_path, cli):
    r = cli("subtree", snap_dir, "org0/base0-7b", "-o", tmp_path / "sub.csv", "--inferred", edges_csv)
    assert r.code == 0, r.err
    assert "4 models, 3 edges" in r.out
    page = tmp_path / "t.html"
    r = cli("tree", snap_dir, "org0/base0-7b", "-o", page, "--inferred", edges_csv, "--min-confidence", "0.9")
    assert r.code == 0, r.err
    assert "4 nodes, 3 edges" in r.out and "+ 2 inferred" in _note(r.err)
    assert "with 2 inferred edges, confidence &gt;= 0.9" in page.read_text()
    r = cli("tree", snap_dir, "org0/base0-7b", "-o", page)
    assert r.code == 0 and "inferred" not in page.read_text().split("<body")[0]


def test_ecosystem_and_adoption_refuse_what_does_not_apply(snap_dir, edges_csv, cli, tmp_path):
    r = cli("ecosystem", snap_dir, "--no-families", "--inferred", edges_csv)
    assert r.code == 2 and "--no-families" in r.err
    counts = tmp_path / "c.csv"
    counts.write_text("root,t,count\n")
    r = cli("adoption", "--counts", counts, "--inferred", edges_csv)
    assert r.code == 2 and "--inferred" in r.err
    r = cli("ecosystem", snap_dir, "--inferred", edges_csv, "--table", "family_concentration", "--format", "csv")
    assert r.code == 0, r.err
    assert "+ 3 inferred" in _note(r.err)


def test_info_coverage_declared_none_always_inferred_on_request(snap_dir, edges_csv, cli):
    r = cli("info", snap_dir)
    assert r.code == 0, r.err
    n = 5 * N_BASES + 1
    assert "lineage coverage (models)" in r.out
    declared = next(ln for ln in r.out.splitlines() if ln.strip().startswith("declared "))
    assert f"{DECLARED:,}" in declared and f"{DECLARED / n:.1%}" in declared
    assert "not computed: `hftree info SNAPSHOT --inferred infer`" in r.out
    s = json.loads(cli("info", snap_dir, "--json").out)["lineage_coverage"]
    assert s["inferred"] is None and s["declared"] == DECLARED and s["none"] == n - DECLARED
    s = json.loads(cli("info", snap_dir, "--json", "--inferred", edges_csv, "--min-confidence", "0.9").out)
    cov = s["lineage_coverage"]
    assert (cov["declared"], cov["inferred"], cov["none"]) == (DECLARED, 2, n - DECLARED - 2)
    assert cov["inferred_share"] == pytest.approx(2 / n) and cov["min_confidence"] == 0.9
    r = cli("info", snap_dir, "--inferred", edges_csv)
    inferred = next(ln for ln in r.out.splitlines() if ln.strip().startswith("inferred "))
    assert " 3 " in inferred and "confidence >= 0.5" in inferred


def test_report_with_a_file_or_infer_now_says_so_in_the_page(snap_dir, edges_csv, tmp_path, cli):
    out = tmp_path / "rep"
    r = cli("report", snap_dir, "-o", out, "--no-analyses", "--top-trees", "1", "--inferred", edges_csv)
    assert r.code == 0, r.err
    assert "+ 3 inferred" in _note(r.err)
    assert "declared edges and 3 inferred edges at confidence ≥ 0.5" in (out / "index.html").read_text()
    out2 = tmp_path / "rep2"
    r = cli("report", snap_dir, "-o", out2, "--no-analyses", "--top-trees", "0", "--inferred", "infer",
            "--min-confidence", "0.8")
    assert r.code == 0, r.err
    assert "inferred now by the report" in _note(r.err)
    assert "inferred edges at confidence ≥ 0.8" in (out2 / "index.html").read_text()


def test_inherit_and_drift_take_the_inferred_edges(snap_dir, edges_csv, cli):
    base = ("inherit", snap_dir, "--n-boot", "0", "--samples", "50", "--traits", "license", "--format", "csv")
    plain, more = cli(*base), cli(*base, "--inferred", edges_csv)
    assert plain.code == more.code == 0, more.err
    assert "lineage:" not in plain.err and "+ 3 inferred" in _note(more.err)
    base = ("drift", snap_dir, "--trait", "license", "--format", "csv")
    plain, more = cli(*base), cli(*base, "--inferred", edges_csv)
    assert plain.code == more.code == 0, more.err
    assert "lineage:" not in plain.err and "+ 3 inferred" in _note(more.err)
