"""Write a synthetic history of S weekly snapshots of about N models each (seeded), for bench_history.py.

    python benchmarks/make_history.py OUT_DIR [--models 1000000] [--snapshots 52] [--seed 0]

Week 0 holds N models; every week after it ``--births`` (default 2 % of N) models are created and
``--deaths`` (1.5 %) deleted at random, 0.1 % renamed (same ``_id``, new id), 0.2 % change licence, 0.1 %
change task, and every model's 30-day downloads drift by a log-normal factor (``downloads_all_time`` adds
them up). 28 % of new models name a parent (adapter 42.6 %, finetune 35.9 %, quantized 19.2 %, merge
2.3 %, the whole-Hub shares of ``../shared/data/README.md``), chosen with a strong preference for old
models so that large, deep families form; a child's edge stays when its parent is deleted (the parent is
then external). Each week goes through :func:`hftree.history.add_tables`, the code path of
``hftree history add`` after a snapshot is loaded. Write it under /tmp, never into the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from hftree.history import add_tables, open_history

_RELS = np.array(["adapter", "finetune", "quantized", "merge"], dtype=object)
_REL_P = np.array([0.426, 0.359, 0.192, 0.023])
_LICENSES = np.array(["apache-2.0", "mit", "other", "llama3.1", "cc-by-nc-4.0", "openrail", "gemma", None],
                     dtype=object)
_LIC_P = np.array([0.16, 0.06, 0.05, 0.03, 0.03, 0.02, 0.02, 0.63])
_TASKS = np.array(["text-generation", "text-classification", "token-classification", "image-classification",
                   "automatic-speech-recognition", "text-to-image", "feature-extraction", None], dtype=object)
_LIBS = np.array(["transformers", "peft", "gguf", "diffusers", "sentence-transformers", None], dtype=object)


class Population:
    """Every model ever created, as arrays indexed by creation order (the uid is the index)."""

    def __init__(self, capacity: int, rng: np.random.Generator) -> None:
        self.rng = rng
        self.n = 0
        self.name = np.empty(capacity, dtype=object)
        self.alive = np.zeros(capacity, bool)
        self.parent = np.full(capacity, -1, np.int64)
        self.rel = np.zeros(capacity, np.int8)
        self.lic = np.zeros(capacity, np.int8)
        self.task = np.zeros(capacity, np.int8)
        self.lib = np.zeros(capacity, np.int8)
        self.created = np.zeros(capacity, "datetime64[ms]")
        self.dl = np.zeros(capacity, np.float64)
        self.dl_all = np.zeros(capacity, np.float64)
        self.likes = np.zeros(capacity, np.int64)
        self.renames = np.zeros(capacity, np.int32)

    def births(self, k: int, start: np.datetime64, span_days: float) -> None:
        rng, i0 = self.rng, self.n
        idx = np.arange(i0, i0 + k)
        self.n += k
        self.name[idx] = [f"user{a}/model-{i}" for a, i in zip(rng.integers(0, 50_000, k), idx, strict=True)]
        self.alive[idx] = True
        has = rng.random(k) < 0.28
        has[idx == 0] = False  # a parent among the models created before, old ones strongly preferred
        self.parent[idx[has]] = np.floor(idx[has] * rng.random(has.sum()) ** 6).astype(np.int64)
        self.rel[idx] = rng.choice(len(_RELS), k, p=_REL_P)
        self.lic[idx] = rng.choice(len(_LICENSES), k, p=_LIC_P)
        self.task[idx] = rng.integers(0, len(_TASKS), k)
        self.lib[idx] = rng.integers(0, len(_LIBS), k)
        offs = np.sort((rng.random(k) * span_days * 86_400_000).astype(np.int64))  # index order = time order
        self.created[idx] = start + offs.astype("timedelta64[ms]")
        self.dl[idx] = np.floor(rng.pareto(1.1, k) * 5)
        self.likes[idx] = np.floor(rng.pareto(1.5, k)).astype(np.int64)

    def week(self, births: int, deaths: int, day: np.datetime64) -> None:
        rng = self.rng
        live = np.flatnonzero(self.alive[: self.n])
        self.alive[rng.choice(live, deaths, replace=False)] = False
        live = np.flatnonzero(self.alive[: self.n])
        ren = rng.choice(live, max(1, len(live) // 1000), replace=False)
        self.renames[ren] += 1
        self.name[ren] = [f"{self.name[i].split('/')[0]}/renamed-{i}-{self.renames[i]}" for i in ren]
        lic = rng.choice(live, max(1, len(live) // 500), replace=False)
        self.lic[lic] = rng.choice(len(_LICENSES), len(lic), p=_LIC_P)
        task = rng.choice(live, max(1, len(live) // 1000), replace=False)
        self.task[task] = rng.integers(0, len(_TASKS), len(task))
        n = self.n
        self.dl[:n] = np.floor(self.dl[:n] * rng.lognormal(0.0, 0.3, n))
        self.likes[live[rng.random(len(live)) < 0.01]] += 1
        self.births(births, day - np.timedelta64(7, "D"), 7.0)

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        live = np.flatnonzero(self.alive[: self.n])
        self.dl_all[: self.n] += self.dl[: self.n] / 4.3  # about a week of the 30-day window
        models = pd.DataFrame(
            {
                "id": self.name[live],
                "uid": np.char.add("u", live.astype(str)).astype(object),
                "author": [s.split("/", 1)[0] for s in self.name[live]],
                "created_at": pd.to_datetime(self.created[live]).tz_localize("UTC"),
                "downloads": self.dl[live].astype(np.int64),
                "downloads_all_time": self.dl_all[live].astype(np.int64),
                "likes": self.likes[live],
                "pipeline_tag": _TASKS[self.task[live]],
                "library_name": _LIBS[self.lib[live]],
                "license": _LICENSES[self.lic[live]],
            }
        )
        kids = live[self.parent[live] >= 0]
        edges = pd.DataFrame(
            {"parent": self.name[self.parent[kids]], "child": self.name[kids], "relation": _RELS[self.rel[kids]]}
        )
        return models, edges


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--models", type=int, default=1_000_000)
    ap.add_argument("--snapshots", type=int, default=52)
    ap.add_argument("--births", type=float, default=0.02, help="share of N created per week")
    ap.add_argument("--deaths", type=float, default=0.015, help="share of N deleted per week")
    ap.add_argument("--start", default="2025-01-01")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    n = args.models
    births, deaths = int(n * args.births), int(n * args.deaths)
    pop = Population(n + births * args.snapshots + 1, rng)
    day0 = np.datetime64(args.start, "D")
    done = set(open_history(args.out, create=True).dates)
    pop.births(n, day0 - np.timedelta64(3 * 365, "D"), 3 * 365.0)  # the Hub before the first week
    for w in range(args.snapshots):
        day = day0 + np.timedelta64(7 * w, "D")
        if w:
            pop.week(births, deaths, day)
        date = str(dt.date.fromisoformat(str(day)))
        models, edges = pop.tables()
        if date in done:  # the generator is deterministic: a re-run skips the weeks already added
            continue
        t0 = time.perf_counter()
        add_tables(args.out, date, models, edges)
        print(f"{date}: {len(models):,} models, {len(edges):,} edges, added in {time.perf_counter() - t0:.1f} s",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
