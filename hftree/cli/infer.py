"""``hftree infer``: parents of the models that declare none, with a confidence and the evidence."""

from __future__ import annotations

import argparse

from hftree.cli._common import add_output_args, add_relation_arg, probability, progress, whole_number


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "infer",
        help="infer lineage the snapshot does not declare (card prose, names, metadata)",
        description="One row per inferred edge: parent, child, relation, confidence (calibrated on the "
        "snapshot's own declared edges, declarations hidden), evidence (the rules that fired and the "
        "card words). Edges have the source 'inferred'; no other command uses them unless asked. "
        "With --evaluate, prints the held-out precision, recall and calibration instead.",
    )
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p.add_argument("--min-confidence", type=probability, default=0.5, metavar="P",
                   help="report edges with confidence >= P (default 0.5)")
    add_relation_arg(p, choices=None)
    p.add_argument("--top", type=whole_number(1), default=1, metavar="N",
                   help="parents per child, best first (default 1; a merge keeps all its parents)")
    p.add_argument("--train", metavar="SNAPSHOT",
                   help="learn the weights and calibration from this snapshot's declared edges "
                   "(default: from SNAPSHOT's own)")
    p.add_argument("--evaluate", action="store_true",
                   help="hide the declared lineage, infer it back and print the held-out scores")
    p.add_argument("--random-state", type=whole_number(0), default=0, metavar="SEED",
                   help="seed of the evaluation's folds (default 0)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_output_args(p)
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    import sys

    from hftree.cli._common import load, render, write_frame
    from hftree.lineage.infer import evaluate_inference, fit_model, infer

    snap = load(args.snapshot)
    if args.evaluate:
        ev = evaluate_inference(snap, min_confidence=args.min_confidence, random_state=args.random_state)
        cols = ["method", "relation", "children", "declared_edges", "predicted_edges", "correct_edges",
                "precision", "recall", "child_recall", "top1_accuracy", "relation_accuracy"]
        write_frame(ev.metrics[cols].round(3), args.format, args.output)
        if args.output is None:
            sys.stdout.write("\ncalibration (held out: each child's best candidate)\n")
            sys.stdout.write(render(ev.reliability.round(3), "table"))
        return 0
    model = fit_model(load(args.train)) if args.train else None
    res = infer(snap, min_confidence=args.min_confidence, relation=args.relation, top=args.top, model=model,
                progress=progress(args))
    out = res.edges.drop(columns=["source"])
    write_frame(out, args.format, args.output)
    print(f"inferred {len(out):,} edges for {out['child'].nunique():,} of {res.targets:,} models without a "
          f"declared parent (confidence >= {args.min_confidence:g}; source 'inferred', not declared)",
          file=sys.stderr)
    return 0
