"""Build the bundled demo snapshot: ``python -m hftree.datasets.demo data/demo``.

The demo is a seeded synthetic Hub (:mod:`hftree.datasets.synthetic`) of
12,000 models with README texts, imported through the same code path as real
dumps. Re-running this module reproduces it exactly (only the manifest's
``created_at``/``written_at`` times differ).
"""

from __future__ import annotations

import gzip
import sys
import tempfile
from pathlib import Path

import orjson

from hftree.datasets.synthetic import synthetic_cards, synthetic_hub

N_MODELS = 12_000
SEED = 20250701


def build_demo(path: str | Path, *, n_models: int = N_MODELS, random_state: int = SEED) -> Path:
    """Generate the synthetic Hub, import it, and save the snapshot at ``path`` (replacing it)."""
    from hftree.ingest import import_sources

    recs = list(synthetic_hub(n_models, random_state=random_state))
    cards = list(synthetic_cards(recs, random_state=random_state))
    with tempfile.TemporaryDirectory() as tmp:
        mpath = Path(tmp) / "synthetic-hub.jsonl.gz"
        cpath = Path(tmp) / "synthetic-cards.jsonl.gz"
        with gzip.open(mpath, "wb") as fh:
            fh.write(b"\n".join(orjson.dumps(r) for r in recs) + b"\n")
        with gzip.open(cpath, "wb") as fh:
            fh.write(b"\n".join(orjson.dumps(c) for c in cards) + b"\n")
        snap = import_sources([mpath, cpath], snapshot_time="2025-07-01T00:00:00Z")
    snap.manifest["sources"] = [
        {"path": f"hftree.datasets.synthetic_hub(n_models={n_models}, random_state={random_state})",
         "kind": "models"},
        {"path": f"hftree.datasets.synthetic_cards(random_state={random_state})", "kind": "cards"},
    ]
    snap.manifest["synthetic"] = True
    return snap.save(path, overwrite=True)


if __name__ == "__main__":
    out = build_demo(sys.argv[1] if len(sys.argv) > 1 else "data/demo")
    print(f"wrote {out}")
