"""``hftree kernels``: compare models by the geometry of their embeddings (data kernels).

    hftree kernels base.npy tuned.npy quant.npy --labels items.txt --k 10 -o out/

Each ``EMB.npy`` holds one model's embeddings of the same ``n`` data items (rows in
the same order; widths may differ). Writes to ``OUTDIR``:

``models.csv``
    one row per model: kernel size and degrees, MDS coordinates, spread;
``model_distances.csv``, ``scree.csv``
    the model-by-model distances and the MDS eigenvalues;
``datum_tests.csv``
    per-datum tests (``model_a, model_b, item_id, statistic, null_mean, pvalue,
    qvalue, moved``), one block per tested pair;
``summary.json``
    parameters, embedding dimension, moved-item counts and timings;
``manifold.png``, ``scree.png``
    figures (when matplotlib is installed);
``positions.csv.gz``
    the joint latent positions, only with ``--positions``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hftree.cli._common import ApiChoices, add_alias, add_random_state_arg, add_top_arg, whole_number
from hftree.errors import InputFormatError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["register", "run"]


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``kernels`` sub-command."""
    parser = subparsers.add_parser(
        "kernels",
        help="compare models by the kNN geometry of their embeddings (data kernels)",
        description=(
            "Build the k-nearest-neighbour data kernel of each model's embeddings, embed "
            "them jointly (omnibus), map the models by classical MDS and test which data "
            "items moved between models (Duderstadt, Helm & Priebe 2023)."
        ),
    )
    parser.add_argument(
        "embeddings",
        nargs="+",
        type=Path,
        metavar="EMB.npy",
        help="one .npy array (n_items x d) per model, rows in the same item order",
    )
    parser.add_argument(
        "--names",
        nargs="+",
        metavar="NAME",
        help="model ids, one per EMB.npy (default: the file names without .npy)",
    )
    parser.add_argument(
        "--labels",
        type=Path,
        metavar="LABELS.txt",
        help="item ids, one per line, in row order (default: 0, 1, 2, ...)",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUTDIR",
        help="directory for the tables and figures (created if missing)",
    )
    parser.add_argument("--k", type=whole_number(1), default=10, help="neighbours per item (10)")
    parser.add_argument(
        "--metric", choices=ApiChoices("hftree.kernels.knn", "Metric"), metavar="METRIC", default="cosine",
        help="similarity for the neighbours: %(choices)s (default cosine)",
    )
    parser.add_argument(
        "--symmetrize",
        choices=ApiChoices("hftree.kernels.knn", "Symmetrize"), metavar="RULE",
        default="union",
        help="edge if either / both items are among the other's neighbours (union)",
    )
    parser.add_argument(
        "--n-components", type=whole_number(1), metavar="D", help="embedding dimension (default: Zhu-Ghodsi elbow)"
    )
    parser.add_argument("--mds-components", type=whole_number(1), default=2, help="dimension of the model manifold (2)")
    parser.add_argument(
        "--pairs",
        choices=ApiChoices("hftree.kernels.pipeline", "PairChoice"), metavar="PAIRS",
        default="first",
        help="per-datum tests: each model vs the first (default), all pairs, none",
    )
    parser.add_argument(
        "--n-boot",
        type=whole_number(1),
        default=20,
        metavar="N",
        help="bootstrap draws per test (20; p-values pool the draws of all items)",
    )
    add_alias(parser, "--bootstraps", dest="n_boot", type=whole_number(1), metavar="N")
    parser.add_argument(
        "--alpha", type=_probability, default=0.05, help="false-discovery rate for 'moved' items (0.05)"
    )
    add_random_state_arg(parser)
    parser.add_argument(
        "--positions", action="store_true", help="also write the joint latent positions (positions.csv.gz)"
    )
    parser.add_argument("--no-plot", action="store_true", help="do not draw figures")
    add_top_arg(parser, "moved items to print per tested pair (10)", default=10, lo=0)
    parser.set_defaults(run=run)
    return parser


def _load_embeddings(paths: list[Path], names: list[str] | None) -> dict[str, np.ndarray]:
    import numpy as np

    if names is not None and len(names) != len(paths):
        raise InputFormatError(f"--names gives {len(names)} model ids for {len(paths)} embedding files", field="names")
    ids = names if names is not None else [p.name.removesuffix(".npy") for p in paths]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputFormatError(f"model id {dup!r} is given twice; use --names to tell the models apart", field="names")
    out = {}
    for model_id, path in zip(ids, paths, strict=True):
        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise InputFormatError(f"not a numpy .npy array ({exc})", path=str(path)) from None
        if not isinstance(array, np.ndarray) or array.ndim != 2:
            shape = getattr(array, "shape", None)
            raise InputFormatError(f"expected a 2-D array (n_items x d), found shape {shape}", path=str(path))
        out[model_id] = array
    return out


def _load_labels(path: Path, n: int) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        label = line.strip()
        if not label:
            raise InputFormatError("empty item id", path=str(path), line=number)
        if label in seen:
            raise InputFormatError(f"item id {label!r} already on line {seen[label]}", path=str(path), line=number)
        seen[label] = number
    if len(lines) != n:
        raise InputFormatError(
            f"{len(lines)} item ids for {n} embedded items (one id per line, in row order)",
            path=str(path),
        )
    return [line.strip() for line in lines]


def run(args: argparse.Namespace) -> int:
    """Run the comparison and write the outputs; returns the exit code."""
    from hftree._atomic import atomic_path, write_atomic
    from hftree.cli._errors import warning_line
    from hftree.kernels import compare_embeddings

    embeddings = _load_embeddings(list(args.embeddings), args.names)
    n = next(iter(embeddings.values())).shape[0]
    item_ids = _load_labels(args.labels, n) if args.labels is not None else None
    result = compare_embeddings(
        embeddings,
        k=args.k,
        metric=args.metric,
        symmetrize=args.symmetrize,
        item_ids=item_ids,
        n_components=args.n_components,
        mds_components=args.mds_components,
        pairs=args.pairs,
        n_boot=args.n_boot,
        alpha=args.alpha,
        random_state=args.random_state,
    )
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def save_csv(frame: Any, name: str, **kwargs: Any) -> None:
        with atomic_path(out / name, suffix="".join(Path(name).suffixes)) as tmp:  # .csv.gz: pandas compresses
            frame.to_csv(tmp, **kwargs)
        written.append(name)

    save_csv(result.to_frame(), "models.csv")
    save_csv(result.manifold.distances_, "model_distances.csv")
    save_csv(result.manifold.scree(), "scree.csv")
    save_csv(result.tests_frame(), "datum_tests.csv", index=False)
    if args.positions:
        save_csv(result.omnibus.positions(), "positions.csv.gz")
    summary = {
        "models": list(result.kernels.model_ids),
        "n_items": result.kernels.n_items,
        "k": args.k,
        "metric": args.metric,
        "symmetrize": args.symmetrize,
        "embedding_dimension": result.omnibus.n_components_,
        "elbows": result.omnibus.elbows_,
        "n_boot": args.n_boot,
        "alpha": args.alpha,
        "random_state": args.random_state,
        "moved": {f"{t.model_a} vs {t.model_b}": t.n_moved for t in result.tests},
        "seconds": {name: round(value, 3) for name, value in result.timings.items()},
    }
    write_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    written.append("summary.json")
    if not args.no_plot:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            warning_line("matplotlib is not installed; figures skipped")
        else:
            for name, draw in (("manifold.png", result.manifold.plot), ("scree.png", result.manifold.plot_scree)):
                ax = draw()
                ax.figure.tight_layout()
                with atomic_path(out / name, suffix=".png") as tmp:
                    ax.figure.savefig(tmp, dpi=100)
                plt.close(ax.figure)
                written.append(name)

    print(
        f"{len(result.kernels)} models x {result.kernels.n_items} items, k={args.k}, "
        f"embedding dimension {result.omnibus.n_components_}"
    )
    print("model manifold:")
    print(result.manifold.embedding_.round(4).to_string())
    for test in result.tests:
        print(
            f"{test.model_a} vs {test.model_b}: {test.n_moved} of {len(test.item_ids)} items "
            f"moved (FDR {test.alpha:g}, B={test.n_boot})"
        )
        frame = test.to_frame()
        top = frame[frame["moved"]].sort_values("statistic", ascending=False).head(args.top)
        for item, row in top.iterrows():
            print(f"  {item}\tT={row['statistic']:.4f}\tq={row['qvalue']:.2g}")
    print(f"wrote {', '.join(written)} to {out}")
    return 0
