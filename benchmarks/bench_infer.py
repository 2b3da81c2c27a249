"""Lineage inference at Hub scale: ``hftree.lineage.infer.infer`` on 3 M synthetic models.

    python benchmarks/bench_infer.py [--models 3000000] [--cache /tmp/bench/infer] [--card-share 0.35]
                                     [--repeat 1] [--json OUT.json]

Builds once (cached in ``--cache``) a snapshot of ``--models`` models from
:func:`hftree.datasets.synthetic.synthetic_hub` (names derived from their parent's stem with the
Hub's suffixes: ``-GGUF``, ``-lora``, ``-sft``, quantizer accounts …; 29 % declare a parent) and
cards for ``--card-share`` of them: Trainer lines, "GGUF quants of [X](…)", mergekit lists,
"based on X" prose and hand-written cards that link datasets and unrelated models. Then, in a
fresh interpreter per repeat (so the peak RSS is the inference's alone, as ``/usr/bin/time -v``
reports it), runs ``infer(snapshot)``: hide the declarations, block candidates on names,
datasets, card mentions and metadata, fit the scoring and calibration on the declared
children, score the others. Prints wall and CPU seconds, peak RSS and the edge counts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

_STEP = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
t0, c0 = time.perf_counter(), time.process_time()
from hftree.ingest import load_snapshot
snap = load_snapshot(sys.argv[1])
t1 = time.perf_counter()
from hftree.lineage.infer import infer
res = infer(snap, progress=False)
t2, c2 = time.perf_counter(), time.process_time()
print(json.dumps({"load_s": t1 - t0, "infer_s": t2 - t1, "cpu_s": c2 - c0, "models": len(snap.models),
                  "cards": 0 if snap.cards is None else len(snap.cards), "targets": res.targets,
                  "candidates": res.candidates, "edges": len(res.edges),
                  "by_relation": res.edges["relation"].value_counts().to_dict(),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _cards(records: list[dict], share: float, seed: int) -> tuple[list[str], list[str]]:
    """Card texts for about ``share`` of ``records`` (front matter included, as on the Hub)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ids, texts = [], []
    pool = [r["id"] for r in records[:: max(1, len(records) // 5000)]]
    for rec, u, v in zip(records, rng.random(len(records)), rng.random(len(records)), strict=True):
        if u >= share:
            continue
        base = rec.get("cardData", {}).get("base_model")
        bases = [base] if isinstance(base, str) else list(base or [])
        name = rec["id"].split("/", 1)[1]
        front = "---\nlicense: apache-2.0\n" + (f"base_model: {bases[0]}\n" if bases else "") + "---\n"
        if bases and v < 0.45:
            body = (f"# {name}\n\nThis model is a fine-tuned version of [{bases[0]}]"
                    f"(https://huggingface.co/{bases[0]}) on an unknown dataset.\n\n## Training procedure\n")
        elif bases and v < 0.6:
            body = (f"# {name}\n\nGGUF quants of [{bases[0]}](https://huggingface.co/{bases[0]}), made with "
                    "llama.cpp. Original model: " + bases[0] + "\n")
        elif len(bases) > 1 and v < 0.8:
            listed = "\n".join(f"* [{b}](https://huggingface.co/{b})" for b in bases)
            body = f"# {name}\n\nThis is a merge of pre-trained language models created using mergekit.\n\n" \
                   f"### Models Merged\n\nThe following models were included in the merge:\n{listed}\n"
        elif bases and v < 0.8:
            body = f"# {name}\n\nA chat model based on {bases[0]}, trained on our own data.\n"
        else:
            other = pool[int(v * len(pool)) % len(pool)]
            body = (f"# {name}\n\nTrained on [alpaca](https://huggingface.co/datasets/tatsu-lab/alpaca). "
                    f"Compare with [{other}](https://huggingface.co/{other}). Usage:\n\n```python\n"
                    f'model = AutoModel.from_pretrained("{rec["id"]}")\n```\n')
        ids.append(rec["id"])
        texts.append(front + body)
    return ids, texts


def build(n: int, cache: Path, share: float, seed: int = 0) -> Path:
    """The cached snapshot directory of ``n`` synthetic models (built when missing)."""
    out = cache / f"snap-{n}-{share:g}"
    if (out / "manifest.json").exists():
        return out
    import pandas as pd

    from hftree.datasets.synthetic import write_synthetic_hub
    from hftree.ingest import import_sources

    cache.mkdir(parents=True, exist_ok=True)
    jsonl = cache / f"hub-{n}.jsonl"
    if not jsonl.exists():
        write_synthetic_hub(jsonl, n, random_state=seed)
    import orjson

    with open(jsonl, "rb") as fh:
        records = [orjson.loads(line) for line in fh]
    ids, texts = _cards(records, share, seed)
    del records
    cards = cache / f"cards-{n}-{share:g}.parquet"
    pd.DataFrame({"id": ids, "card": texts}).to_parquet(cards, index=False)
    snap = import_sources([jsonl], cards=[cards], progress=False)
    snap.save(out, overwrite=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, default=3_000_000)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/bench/infer"))
    ap.add_argument("--card-share", type=float, default=0.35)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    t = time.perf_counter()
    snap = build(args.models, args.cache, args.card_share)
    print(f"snapshot {snap} ready in {time.perf_counter() - t:.0f} s", flush=True)
    runs = []
    for _ in range(args.repeat):
        proc = subprocess.run([sys.executable, "-c", _STEP, str(snap)], capture_output=True, text=True, check=True)
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        r = runs[-1]
        print(f"infer {r['models']:,} models ({r['cards']:,} cards): {r['infer_s']:.1f} s wall, "
              f"{r['cpu_s']:.1f} s CPU (load {r['load_s']:.1f} s), peak RSS {r['peak_rss_mb']:,.0f} MB; "
              f"{r['targets']:,} targets, {r['candidates']:,} candidates, {r['edges']:,} edges {r['by_relation']}",
              flush=True)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
