"""``hftree laws``: which laws family sizes and children per model follow (CSN fits), or the attachment kernel."""

from __future__ import annotations

import argparse

from hftree.cli._common import add_bootstrap_args, add_inferred_args, add_output_args, load, write_frame

_QUANTITIES = ("family_size", "children", "children_finetune", "children_adapter", "children_quantized",
               "children_merge")


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "laws", help="power-law fits of family sizes and children per model (Clauset-Shalizi-Newman)",
        description="Fit family sizes and children per model (all edges and per relation) with the "
        "Clauset-Shalizi-Newman method: x_min by KS distance, MLE exponent and its standard error, bootstrap "
        "goodness-of-fit p-value, and Vuong tests of the power law against the truncated power law, lognormal, "
        "exponential and stretched exponential (R > 0 favours the power law). One row per quantity. "
        "With --kernel: the attachment kernel exponent per relation instead.",
    )
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p.add_argument("--quantity", action="append", choices=_QUANTITIES, metavar="Q",
                   help="fit only these (repeatable; one of %(choices)s); default: all")
    p.add_argument("--kernel", action="store_true",
                   help="estimate the attachment kernel A(k) ~ (k+1)^gamma per relation from creation dates")
    add_bootstrap_args(p, n_boot=100)
    add_inferred_args(p)
    add_output_args(p)
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    import warnings

    from hftree.cli._common import lineage_graph
    from hftree.evolution import hub_laws, kernel_table

    G = lineage_graph(load(args.snapshot), args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if args.kernel:
            df = kernel_table(G, n_boot=args.n_boot, random_state=args.random_state)
        else:
            df = hub_laws(G, quantities=args.quantity, n_boot=args.n_boot, random_state=args.random_state).to_frame()
    write_frame(df, args.format, args.output)
    return 0
