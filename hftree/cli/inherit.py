"""``hftree inherit``: trait similarity by kinship (parent–child, siblings, …) with CIs and tests."""

from __future__ import annotations

import argparse

from hftree.cli._common import (
    ApiChoices,
    _ListChoices,
    add_bootstrap_args,
    add_inferred_args,
    add_output_args,
    add_relation_arg,
    whole_number,
)


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    kinships = ApiChoices("hftree.traits.kinship", "Kinship")
    p = sub.add_parser(
        "inherit", help="how alike relatives are: trait similarity by kinship",
        description="Mean similarity of trait values between related models (parent-child, siblings, "
        "grandparent, aunt/uncle, cousins, random pairs in a family and across the Hub), with bootstrap "
        "95%% intervals and the tests of Laufer, Oderinwale & Kleinberg (2025). Parent-child and sibling "
        "means are exact; other kinships are sampled with --random-state.",
    )
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p.add_argument("--traits", type=_csv, metavar="T,T",
                   help="traits (default: license,languages,task,library,datasets,architecture; "
                   "also parameters, card_length, card_template, metadata, card, license_class)")
    p.add_argument("--measures", type=_csv, metavar="M,M",
                   help="similarity measures (equality, jaccard, tfidf, bow, levenshtein, ratio); "
                   "default per trait kind")
    p.add_argument("--kinships", action=_ListChoices, item_choices=kinships, metavar="K,K",
                   help="kinships (default all: %(choices)s)")
    add_relation_arg(p, default="every relation but merge")
    add_inferred_args(p)
    p.add_argument("--samples", type=whole_number(1), default=None, metavar="N",
                   help="pairs sampled per kinship (default 10000; 5000 with --protocol paper)")
    p.add_argument("--exact", action=_ListChoices, item_choices=_AllOr(kinships),
                   default=["parent_child", "siblings"], metavar="K,K",
                   help="kinships computed over every pair when affordable, or 'all' "
                   "(default parent_child,siblings)")
    add_bootstrap_args(p, n_boot=1000)
    p.add_argument("--weighting", choices=ApiChoices("hftree.traits.kinship", "Weighting"), metavar="WEIGHTING",
                   default="paper",
                   help="every pair counts once (paper) or every family counts once")
    p.add_argument("--ci", choices=ApiChoices("hftree.traits.resemblance", "CIMethod"), metavar="CI",
                   default="cluster",
                   help="bootstrap resamples anchors (parents, default) or pairs (as the paper)")
    p.add_argument("--protocol", choices=ApiChoices("hftree.traits.protocol", "Protocol"), metavar="PROTOCOL",
                   default="default",
                   help="text preparation and pair budget: hftree's (default) or the paper's (paper: metadata = "
                   "the Hub-listing record as text, cards of >= 512 characters cut to 512, auto-generated cards "
                   "left out, text measures tfidf,bow,levenshtein, the paper's kinships, 5000 pairs each)")
    view = p.add_mutually_exclusive_group()
    view.add_argument("--tests", action="store_true", help="print the tests of the paper's claims instead")
    view.add_argument("--wide", action="store_true", help="print means as a trait x kinship table")
    add_output_args(p)
    p.set_defaults(run=run)
    return p


class _AllOr(ApiChoices):
    """The kinships, and ``all``."""

    def __init__(self, kinships: ApiChoices) -> None:
        super().__init__(kinships.module, kinships.name)

    @property
    def values(self) -> tuple[str, ...]:
        return (*super().values, "all")


def run(args: argparse.Namespace) -> int:
    from hftree.cli._common import lineage_graph, load, output_format, require_lineage, write_frame
    from hftree.traits import inheritance
    from hftree.traits.kinship import DEFAULT_RELATIONS

    output_format(args.format, args.output)  # an unknown -o extension fails before the work
    snap = load(args.snapshot)
    require_lineage(snap, "inherit")
    exact = "all" if "all" in args.exact else args.exact
    res = inheritance(snap, traits=args.traits, measures=args.measures, kinships=args.kinships,
                      relation=args.relation or DEFAULT_RELATIONS, samples=args.samples, exact=exact,
                      weighting=args.weighting, ci=args.ci, n_boot=args.n_boot, random_state=args.random_state,
                      protocol=args.protocol,
                      graph=lineage_graph(snap, args, warn=False) if args.inferred else None)
    if args.tests:
        df = res.comparisons_frame()
    elif args.wide:
        df = res.wide().reset_index()
    else:
        df = res.to_frame()
    write_frame(df, args.format, args.output)
    return 0
