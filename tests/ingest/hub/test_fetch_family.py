"""Family mode: breadth-first crawls over ``base_model:`` tag filters against the stand-in."""

from __future__ import annotations

import gzip
import json

import pytest

from hftree.errors import ModelNotFoundError
from hftree.ingest.hub import fetch
from hftree.lineage import LineageGraph, descendants, roots
from hftree.testing import FaultPlan
from tests.ingest.hub.conftest import served_snapshot

SMOL = "HuggingFaceTB/SmolLM2-1.7B"


def typed_edges_of_the_data(shared) -> set[tuple[str, str, str]]:
    """(parent, child, relation) as written in smollm2-tree/models.jsonl.gz -- not via hftree."""
    out = set()
    with gzip.open(shared / "smollm2-tree" / "models.jsonl.gz", "rt") as fh:
        for line in fh:
            r = json.loads(line)
            for t in r["tags"]:
                parts = t.split(":", 2)
                if len(parts) == 3 and parts[0] == "base_model":
                    out.add((parts[2], r["id"], parts[1]))
    return out


def test_smollm2_family_is_exactly_the_1041_descendants(real_hub, tmp_path, fast, shared):
    snap = fetch(
        tmp_path / "smol", family=SMOL, endpoint=real_hub.endpoint, token=False, retry=fast, progress=False, workers=4
    )
    G = LineageGraph.from_snapshot(snap)
    found = descendants(G, SMOL)
    assert len(found) == 1041
    assert set(snap.models["id"]) == found | {SMOL}
    data = typed_edges_of_the_data(shared)
    assert len(data) == 1041
    got = set(snap.edges[["parent", "child", "relation"]].itertuples(index=False, name=None))
    assert got == data
    assert snap.edges["relation"].value_counts().to_dict() == {"adapter": 522, "finetune": 282, "quantized": 237}
    f = snap.manifest["fetch"]
    assert f["query"]["mode"] == "family" and f["query"]["family"] == [SMOL]
    assert f["counts"]["family_queries"] == 1042 and f["counts"]["model_info_requests"] == 1


def test_each_hub_families_root_returns_its_served_descendants(real_hub, tmp_path, fast, shared):
    served = served_snapshot(real_hub, tmp_path)
    G = LineageGraph.from_snapshot(served)
    with gzip.open(shared / "hub-families" / "models.jsonl.gz") as fh:
        fam_ids = {json.loads(x)["id"] for x in fh}
    family_roots = [r for r in roots(G) if r in fam_ids and r != SMOL]
    assert len(family_roots) >= 20
    checked = 0
    for i, root in enumerate(family_roots):
        want = descendants(G, root)
        snap = fetch(
            tmp_path / f"f{i}",
            family=root,
            endpoint=real_hub.endpoint,
            token=False,
            retry=fast,
            progress=False,
            workers=4,
        )
        assert set(snap.models["id"]) == want | {root}, root
        checked += len(want)
    assert checked >= 1400  # the 1,585 hub-families records are (nearly all) in these families


def test_max_depth_and_relation_filters(real_hub, tmp_path, fast):
    served = served_snapshot(real_hub, tmp_path)
    G = LineageGraph.from_snapshot(served)
    kw = dict(endpoint=real_hub.endpoint, token=False, retry=fast, progress=False)
    snap = fetch(tmp_path / "d1", family=SMOL, max_depth=1, **kw)
    assert set(snap.models["id"]) == set(
        G.models["id"][G.models["id"].isin(served.edges.loc[served.edges["parent"] == SMOL, "child"])]
    ) | {SMOL}
    assert len(snap.models) == 1 + 74  # depth 1 of the SmolLM2 tree
    snap = fetch(tmp_path / "ft", family=SMOL, relation="finetune", **kw)
    want = descendants(G, SMOL, relation="finetune")
    assert set(snap.models["id"]) == want | {SMOL}
    assert snap.manifest["fetch"]["query"]["relations"] == ["finetune"]


def test_family_crawl_survives_faults_and_missing_roots(real_hub, tmp_path, fast):
    real_hub.faults = FaultPlan(every=7, kinds=("500", "reset", "429", "502"))
    root = "meta-llama/Llama-2-7b-chat-hf"
    snap = fetch(tmp_path / "a", family=root, endpoint=real_hub.endpoint, token=False, retry=fast, progress=False)
    real_hub.faults = FaultPlan()
    G = LineageGraph.from_snapshot(served_snapshot(real_hub, tmp_path))
    assert set(snap.models["id"]) == descendants(G, root) | {root}
    with pytest.raises(ModelNotFoundError, match="family root 'nobody/nothing' is not on the Hub") as err:
        fetch(
            tmp_path / "b", family="nobody/nothing", endpoint=real_hub.endpoint, token=False, retry=fast, progress=False
        )
    assert err.value.model_id == "nobody/nothing"
