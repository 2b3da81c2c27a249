"""Whole-Hub Parquet dumps: the shared real records rewritten into each dump schema import to the
same lineage graph as the JSON Lines originals; provenance, disagreements, placeholder dates."""

from __future__ import annotations

import gzip
import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hftree.ingest import import_sources, load_snapshot
from hftree.ingest.dumps import parquet_kind, read_parquet_dump
from hftree.lineage import LineageGraph
from hftree.schema import PLACEHOLDER_CREATED_AT

_TS = pa.timestamp("ms", tz="UTC")
_REL = ("finetune", "adapter", "quantized", "merge")


def _records(shared: Path, name: str) -> list[dict]:
    return [orjson.loads(x) for x in gzip.open(shared / name / "models.jsonl.gz").read().splitlines() if x]


def _cards(shared: Path, name: str) -> dict[str, str]:
    path = shared / name / "cards.jsonl.gz"
    if not path.exists():
        return {}
    return {r["id"]: r["card"] for r in map(orjson.loads, gzip.open(path).read().splitlines()) if r.get("card")}


def _oid(mid: str) -> str:
    return hashlib.sha1(mid.encode(), usedforsecurity=False).hexdigest()[:24]


def _lineage(snap) -> tuple[set[str], set[tuple[str, str, str]]]:
    G = LineageGraph.from_snapshot(snap, warn=False)
    ef = G.edge_frame().astype(str)
    return set(G.ids[~G.external].tolist()), set(ef.itertuples(index=False, name=None))


def _ts(values) -> pa.Array:
    return pa.array(pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601"), _TS)


def _hub_stats(recs: list[dict], *, era: str = "2025") -> pa.Table:
    """The records as hub-stats serves them: ``_id``, timestamps, ``cardData`` as JSON text,
    ``baseModels`` (the relation the Hub infers, one per child: here the child's typed tags, where they
    agree), ``safetensors`` and ``gguf`` structs. ``era="2024"``: before ``baseModels`` and
    ``downloadsAllTime`` existed, dates as ISO strings (as some consumers see them)."""
    rows = []
    for r in recs:
        typed = [(t.split(":")[1], t.split(":", 2)[2]) for t in r.get("tags") or []
                 if t.startswith("base_model:") and t.count(":") >= 2 and t.split(":")[1] in _REL]
        rels = {rel for rel, _ in typed}
        bm = None
        if typed and len(rels) == 1:
            parents = list(dict.fromkeys(p for _, p in typed))
            bm = {"relation": rels.pop(), "models": [{"_id": _oid(p), "id": p} for p in parents]}
        rows.append({
            "_id": _oid(r["id"]), "id": r["id"], "author": r.get("author"), "createdAt": r.get("createdAt"),
            "lastModified": r.get("lastModified"), "downloads": r.get("downloads"),
            "downloadsAllTime": None if r.get("downloads") is None else 10 * r["downloads"],
            "likes": r.get("likes"), "trendingScore": 0.5, "tags": r.get("tags") or [],
            "pipeline_tag": r.get("pipeline_tag"), "library_name": r.get("library_name"),
            "cardData": None if r.get("cardData") is None else json.dumps(r["cardData"]),
            "baseModels": bm, "safetensors": r.get("safetensors"), "gguf": r.get("gguf"),
        })
    t = pa.Table.from_pylist(rows)
    created, modified = _ts(t.column("createdAt").to_pylist()), _ts(t.column("lastModified").to_pylist())
    if era == "2024":
        t = t.drop_columns(["baseModels", "downloadsAllTime", "trendingScore"])
        return t
    t = t.set_column(t.schema.get_field_index("createdAt"), "createdAt", created)
    return t.set_column(t.schema.get_field_index("lastModified"), "lastModified", modified)


def _front_matter(card_data: dict | None) -> str:
    import yaml

    if not card_data:
        return ""
    return "---\n" + yaml.safe_dump(card_data, sort_keys=False) + "---\n"


def _librarian(recs: list[dict], cards: dict[str, str]) -> pa.Table:
    rows = [{"modelId": r["id"], "author": r.get("author"), "last_modified": r.get("lastModified"),
             "downloads": r.get("downloads"), "likes": r.get("likes"), "library_name": r.get("library_name"),
             "tags": r.get("tags") or [], "pipeline_tag": r.get("pipeline_tag"), "createdAt": r.get("createdAt"),
             "card": _front_matter(r.get("cardData")) + cards.get(r["id"], "")}
            for r in recs]
    return pa.Table.from_pylist(rows)


def _modelbiome(recs: list[dict], edges: pd.DataFrame) -> pa.Table:
    """modelbiome's columns: lineage split into ``*_parent`` lists by relation (from the Hub's)."""
    groups = edges.groupby(["child", "relation"], sort=False)
    by = {(c, rel): list(dict.fromkeys(g["parent"])) for (c, rel), g in groups}
    col = {"unknown": "parent_model", "finetune": "finetune_parent", "quantized": "quantized_parent",
           "adapter": "adapter_parent", "merge": "merge_parent"}
    rows = []
    for r in recs:
        row = {"model_id": r["id"], "likes": r.get("likes"), "trendingScore": 1.0, "private": False,
               "downloads": r.get("downloads"), "tags": r.get("tags") or [], "pipeline_tag": r.get("pipeline_tag"),
               "library_name": r.get("library_name"), "createdAt": r.get("createdAt"),
               "licenses": [], "languages": []}
        for rel, name in col.items():
            row[name] = by.get((r["id"], rel), [])
        rows.append(row)
    return pa.Table.from_pylist(rows)


@pytest.fixture(scope="module", params=["hub-families", "smollm2-tree"])
def original(request, shared, tmp_path_factory):
    name = request.param
    recs = _records(shared, name)
    tmp = tmp_path_factory.mktemp(name)
    inputs = [shared / name / "models.jsonl.gz"]
    return name, recs, tmp, import_sources(inputs)


def test_hub_stats_dump_has_the_jsonl_lineage(original):
    _name, recs, tmp, orig = original
    path = tmp / "models.parquet"
    pq.write_table(_hub_stats(recs), path)
    assert parquet_kind(pq.read_schema(path).names) == "hub-stats"
    snap = import_sources([path])
    assert _lineage(snap) == _lineage(orig)
    # the Hub's own lineage is read, and kept apart from the tags it agrees with
    assert snap.manifest["edges_by_source"]["baseModels"] > 0
    assert snap.data_quality["relation_disagreements"] == 0
    # unmodelled columns are kept (as JSON in extra), the modelled ones are typed
    row = snap.models.set_index("id").loc[recs[0]["id"]]
    assert json.loads(row["extra"])["_id"] == _oid(recs[0]["id"])
    assert snap.models["downloads_all_time"].notna().any()
    with_st = [r for r in recs if r.get("safetensors")]
    if with_st:
        got = snap.models.set_index("id").loc[with_st[0]["id"], "parameters"]
        assert got == with_st[0]["safetensors"]["total"]


def test_weekly_snapshot_of_an_older_schema_era(original):
    _name, recs, tmp, orig = original
    path = tmp / "models" / "2024-07-24" / "models.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(_hub_stats(recs, era="2024"), path)
    snap = import_sources([path])
    assert _lineage(snap) == _lineage(orig)
    assert snap.models["downloads_all_time"].isna().all()  # absent column: missing, not an error
    assert (snap.models["created_at"].dropna().dt.tz is not None)


def test_librarian_bots_shards_alone_are_a_model_table(original, shared):
    name, recs, tmp, _orig = original
    cards = _cards(shared, name)
    t = _librarian(recs, cards)
    half = t.num_rows // 2
    shards = [tmp / "train-00000-of-00002.parquet", tmp / "train-00001-of-00002.parquet"]
    pq.write_table(t.slice(0, half), shards[0])
    pq.write_table(t.slice(half), shards[1])
    assert parquet_kind(pq.read_schema(shards[0]).names) == "librarian-bots"
    snap = import_sources(shards)
    # tags give lineage, the front matter's base_model too (what cardData holds); the card text's
    # Trainer line only adds lineage to models that declare none, as with JSONL + cards
    orig_cards = import_sources([shared / name / "models.jsonl.gz", *(
        [shared / name / "cards.jsonl.gz"] if cards else [])])
    assert _lineage(snap) == _lineage(orig_cards)
    assert snap.cards is not None and len(snap.cards) == len(recs)
    assert snap.models["card_length"].notna().all()


def test_librarian_bots_next_to_a_model_table_are_its_cards(original, shared):
    name, recs, tmp, _orig = original
    cards = _cards(shared, name)
    hub = tmp / "hub.parquet"
    pq.write_table(_hub_stats(recs), hub)
    lib = tmp / "train-00000-of-00001.parquet"
    pq.write_table(_librarian(recs, cards), lib)
    snap = import_sources([hub, lib])
    assert len(snap.models) == len(recs)  # not read twice
    assert [s["kind"] for s in snap.manifest["sources"]] == ["models", "cards"]
    assert len(snap.cards) == len(recs)


def test_modelbiome_parent_columns_are_typed_table_edges(original):
    _name, recs, tmp, orig = original
    path = tmp / "ai_ecosystem.parquet"
    pq.write_table(_modelbiome(recs, orig.edges), path)
    assert parquet_kind(pq.read_schema(path).names) == "modelbiome"
    snap = import_sources([path])
    assert _lineage(snap) == _lineage(orig)
    assert snap.manifest["edges_by_source"]["table"] == len(orig.edges.drop_duplicates(["parent", "child"]))
    tag_only = LineageGraph.from_snapshot(snap, warn=False, sources="table")
    assert set(tag_only.edge_frame().astype(str).itertuples(index=False, name=None)) <= _lineage(orig)[1]


def _write(tmp: Path, rows: list[dict], name: str = "m.parquet", schema: pa.Schema | None = None) -> Path:
    path = tmp / name
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return path


def test_issue_reproduction_struct_columns_never_a_traceback(tmp_path):
    # the shape that ended in "TypeError: Type is not JSON serializable: numpy.ndarray"
    rows = [{"_id": "1", "id": "a/base", "tags": ["x"], "cardData": None, "baseModels": None,
             "safetensors": {"parameters": {"BF16": 7}, "total": 7}, "siblings": [{"rfilename": "a.bin"}],
             "config": {"architectures": ["X"], "nested": {"deep": [[1, 2], [3]]}}},
            {"_id": "2", "id": "b/ft", "tags": ["base_model:finetune:a/base"], "cardData": '{"license": "mit"}',
             "baseModels": {"relation": "finetune", "models": [{"_id": "1", "id": "a/base"}]},
             "safetensors": None, "siblings": [], "config": None}]
    snap = import_sources([_write(tmp_path, rows)])
    assert snap.models["parameters"].tolist()[0] == 7 and snap.models["license"].tolist()[1] == "mit"
    extra = json.loads(snap.models["extra"][0])
    assert extra["config"]["nested"]["deep"] == [[1, 2], [3]] and extra["siblings"] == [{"rfilename": "a.bin"}]
    assert sorted(set(snap.edges["source"])) == ["baseModels", "tag"]


def test_generic_parquet_of_any_depth_goes_through_the_python_reader(tmp_path):
    # tags as a list of structs, counts as strings: not a Hub dump, read anyway, findings reported
    rows = [{"modelId": "o/m", "tags": [{"name": "x"}], "downloads": "12", "meta": {"a": [{"b": {"c": 1}}]}}]
    snap = import_sources([_write(tmp_path, rows)])
    assert snap.models["id"].tolist() == ["o/m"]
    assert json.loads(snap.models["extra"][0])["meta"] == {"a": [{"b": {"c": 1}}]}
    assert any("tags" in x for x in snap.data_quality["ignored_value_examples"])


def test_odd_rows_are_put_back_in_place(tmp_path):
    rows = [{"_id": str(i), "id": f"o/m{i}", "tags": [f"base_model:o/m{i - 1}"] if i else [],
             "cardData": json.dumps({"license": "mit"})} for i in range(50)]
    rows[7]["cardData"] = json.dumps({"language": [1, 2], "license": "apache-2.0"})  # numbers: ignored
    rows[9]["cardData"] = "not json at all: {"  # not an object: reported
    rows[11]["cardData"] = json.dumps({"base_model": "o/m3", "license": "MIT"})
    snap = import_sources([_write(tmp_path, rows)])
    assert snap.models["id"].tolist() == [f"o/m{i}" for i in range(50)]
    assert snap.models["license"][7] == "apache-2.0" and snap.models["license"][11] == "mit"
    ignored = " ".join(snap.data_quality["ignored_value_examples"])
    assert "o/m7: cardData.language" in ignored
    e = snap.edges
    assert set(e.loc[e["child"] == "o/m11", "parent"]) == {"o/m10", "o/m3"}
    assert len(e[e["source"] == "tag"]) == 49


def test_progress_bar_counts_the_models_and_does_not_change_the_result(tmp_path, monkeypatch, capsys):
    from hftree.ingest import dumps

    monkeypatch.setattr(dumps, "_BATCH", 16)  # several batches, each counted once
    rows = [{"_id": str(i), "id": f"o/m{i}", "tags": [f"base_model:o/m{i - 1}"] if i else [],
             "cardData": json.dumps({"license": "mit"})} for i in range(100)]
    path = _write(tmp_path, rows, name="hub.parquet")
    bars, real = [], dumps.progress_bar

    def keep(*args, **kw):
        bars.append(real(*args, **kw))
        return bars[-1]

    monkeypatch.setattr(dumps, "progress_bar", keep)
    quiet = read_parquet_dump(path, progress=False)
    assert capsys.readouterr().err == "" and not bars
    shown = read_parquet_dump(path, progress=True)
    assert "reading hub.parquet" in capsys.readouterr().err
    assert [(b.n, b.total) for b in bars] == [(100, 100)]  # every batch counted once, then closed
    assert shown.models.equals(quiet.models) and shown.edges.equals(quiet.edges)


def test_provenance_and_disagreements_on_hand_made_cases(tmp_path):
    rows = [
        {"_id": "1", "id": "q/gguf", "tags": ["base_model:finetune:b/base"],  # stale tag
         "cardData": json.dumps({"base_model": "b/base"}),
         "baseModels": {"relation": "quantized", "models": [{"_id": "0", "id": "b/base"}]}},
        {"_id": "2", "id": "a/lora", "tags": ["base_model:adapter:b/base"],
         "cardData": json.dumps({"base_model": "b/base"}),
         "baseModels": {"relation": "adapter", "models": [{"_id": "0", "id": "b/base"}]}},
        {"_id": "3", "id": "m/merge", "tags": [], "cardData": json.dumps({"base_model": ["b/base", "a/lora"]}),
         "baseModels": {"relation": "merge", "models": [{"_id": "0", "id": "b/base"}, {"_id": "2", "id": "a/lora"}]}},
        {"_id": "4", "id": "b/base", "tags": [], "cardData": None, "baseModels": None},
    ]
    snap = import_sources([_write(tmp_path, rows)])
    e = snap.edges
    q = e[e["child"] == "q/gguf"].set_index("source")["relation"].to_dict()
    assert q == {"baseModels": "quantized", "tag": "finetune", "cardData": "finetune"}  # every source kept
    assert len(e[e["child"] == "a/lora"]) == 3 and len(e[e["child"] == "m/merge"]) == 4
    dq = snap.data_quality
    assert dq["relation_disagreements"] == 1
    assert dq["relation_disagreement_kinds"] == {"baseModels:quantized / cardData:finetune / tag:finetune": 1}
    assert dq["relation_disagreement_examples"][0]["chosen"] == "quantized"
    G = LineageGraph.from_snapshot(snap, warn=False)
    ef = G.edge_frame(source=True).astype(str).set_index("child")
    assert ef.loc["q/gguf", "relation"] == "quantized" and ef.loc["q/gguf", "source"] == "baseModels"
    declared = LineageGraph.from_snapshot(snap, warn=False, sources=["tag", "cardData"])
    assert declared.edge_frame().astype(str).set_index("child").loc["q/gguf", "relation"] == "finetune"
    only_tags = LineageGraph.from_snapshot(snap, warn=False, sources="tag")
    assert only_tags.n_edges == 2  # m/merge declares its parents only in cardData and baseModels


def test_placeholder_created_at_is_unknown_but_kept(tmp_path):
    ph = pd.Timestamp("2022-03-02T23:29:04Z")
    rows = [{"_id": "1", "id": "old/model", "createdAt": ph.to_pydatetime(), "tags": []},
            {"_id": "2", "id": "new/model", "createdAt": pd.Timestamp("2024-05-01", tz="UTC").to_pydatetime(),
             "tags": []}]
    snap = import_sources([_write(tmp_path, rows)])
    m = snap.models.set_index("id")
    assert pd.isna(m.loc["old/model", "created_at"]) and m.loc["old/model", "created_at_raw"] == ph
    assert m.loc["new/model", "created_at"] == m.loc["new/model", "created_at_raw"]
    assert snap.data_quality["placeholder_created_at"] == 1
    assert ph == PLACEHOLDER_CREATED_AT


def test_placeholder_from_json_lines_too(tmp_path):
    from tests.conftest import rec, write_jsonl

    path = write_jsonl(tmp_path / "m.jsonl", [rec("a/b", createdAt="2022-03-02T23:29:04.000Z"), rec("a/c")])
    snap = import_sources([path])
    assert snap.models["created_at"].isna().tolist() == [True, False]
    assert snap.data_quality["placeholder_created_at"] == 1


def test_base_models_in_json_lines_records(tmp_path):
    from tests.conftest import rec, write_jsonl

    recs = [rec("a/q", "base_model:finetune:a/b", baseModels={"relation": "quantized", "models": [{"id": "a/b"}]}),
            rec("a/r", baseModels={"relation": "Merged", "models": [{"id": "a/b"}, {"id": "a/q"}]}),
            rec("a/s", baseModels={"relation": "weird", "models": [{"x": 1}]})]
    snap = import_sources([write_jsonl(tmp_path / "m.jsonl", recs)])
    e = snap.edges
    assert set(map(tuple, e[["parent", "child", "relation", "source"]].values.tolist())) == {
        ("a/b", "a/q", "finetune", "tag"), ("a/b", "a/q", "quantized", "baseModels"),
        ("a/b", "a/r", "merge", "baseModels"), ("a/q", "a/r", "merge", "baseModels")}
    ignored = " ".join(snap.data_quality["ignored_value_examples"])
    assert "baseModels.relation: unknown value 'weird'" in ignored and "without a model id" in ignored


def test_version_1_snapshot_loads_with_new_names(tmp_path):
    from tests.conftest import rec, write_jsonl

    path = write_jsonl(tmp_path / "m.jsonl", [rec("a/b", createdAt="2022-03-02T23:29:04Z"),
                                              rec("a/c", cardData={"base_model": "a/b"})])
    out = import_sources([path]).save(tmp_path / "snap")
    # rewrite it as hftree 1 wrote it: old source names, raw createdAt in created_at, version 1
    man = json.loads((out / "manifest.json").read_text())
    man["schema_version"] = 1
    (out / "manifest.json").write_text(json.dumps(man))
    e = pq.read_table(out / "edges.parquet").to_pandas()
    e["source"] = e["source"].replace({"cardData": "card_data"})
    pq.write_table(pa.Table.from_pandas(e, preserve_index=False), out / "edges.parquet")
    m = pq.read_table(out / "models.parquet").to_pandas()
    m["created_at"] = m["created_at_raw"]
    pq.write_table(pa.Table.from_pandas(m.drop(columns=["created_at_raw"]), preserve_index=False),
                   out / "models.parquet")
    snap = load_snapshot(out)
    assert snap.edges["source"].tolist() == ["cardData"]
    assert snap.models["created_at"].isna().tolist() == [True, False]
    assert snap.data_quality["placeholder_created_at"] == 1
    G = LineageGraph.from_snapshot(snap, warn=False, sources="cardData")
    assert G.n_edges == 1


def test_too_many_odd_rows_hand_the_file_to_the_python_reader(tmp_path):
    rows = [{"_id": str(i), "id": f"o/m{i}", "tags": ["x"], "cardData": json.dumps({"language": [i]})}
            for i in range(300)]
    dump = read_parquet_dump(_write(tmp_path, rows))
    assert dump.models.num_rows == 300 and len(dump.issues.bad_fields) == 300
    assert np.all(np.asarray(dump.models.column("id").to_pylist()) == np.array([f"o/m{i}" for i in range(300)]))


def test_disagreement_report_is_the_count_on_the_final_edges(tmp_path):
    """The import counts disagreements on a second thread, on the edges as read (children told apart by
    their model row); the report is the count on the snapshot's own edges: with an odd row put back,
    a duplicated id dropped, an edge list without rows, and cards adding lineage from their text."""
    from hftree.ingest.provenance import disagreements

    def row(i: int, rel: str, tag_rel: str) -> dict:
        return {"_id": str(i), "id": f"c/m{i}", "tags": [f"base_model:{tag_rel}:b/base"],
                "lastModified": pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=i),
                "cardData": json.dumps({"base_model": "b/base"}),
                "baseModels": {"relation": rel, "models": [{"_id": "0", "id": "b/base"}]}}

    rows = [row(i, ["quantized", "adapter", "finetune"][i % 3], ["finetune", "adapter"][i % 2]) for i in range(12)]
    rows[4]["cardData"] = "not json at all: {"  # odd: read by the Python reader, put back
    again = row(5, "adapter", "adapter")  # c/m5 again, newer: the first one is dropped
    again["lastModified"] = pd.Timestamp("2025-01-01", tz="UTC")
    for dup, extra in ((0, []), (0, ["edges"]), (0, ["cards"]), (1, []), (1, ["edges"]), (1, ["cards"])):
        inputs: list[Path] = [_write(tmp_path, rows + [again] * dup, name=f"m{dup}.parquet")]
        if "edges" in extra:
            inputs.append(tmp_path / "e.csv")
            pd.DataFrame({"parent": ["b/base", "x/y"], "child": ["c/m1", "c/m2"],
                          "relation": ["merge", "finetune"]}).to_csv(inputs[-1], index=False)
        if "cards" in extra:
            inputs.append(tmp_path / "cards.jsonl")
            inputs[-1].write_text("\n".join(json.dumps({"id": f"c/m{i}", "card": f"This model is a fine-tuned "
                                                         f"version of [p/q{i}](https://huggingface.co/p/q{i})"})
                                            for i in (1, 99)) + "\n")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            snap = import_sources(inputs)
        dq = snap.data_quality
        assert dq["duplicate_ids_dropped"] == dup
        assert snap.manifest["counts"]["cards"] == (2 if "cards" in extra else 0)
        edges = pa.Table.from_pandas(snap.edges, preserve_index=False)
        want = disagreements(edges)
        assert want["relation_disagreements"] > 0
        got = {k: dq[k] for k in want}
        assert got == want, extra
