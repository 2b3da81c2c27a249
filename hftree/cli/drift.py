"""``hftree drift``: how traits change from parent to child (transitions, orderings, audits)."""

from __future__ import annotations

import argparse
import sys

from hftree.cli._common import (
    ApiChoices,
    add_bootstrap_args,
    add_inferred_args,
    add_output_args,
    add_relation_arg,
    add_top_arg,
)

TRAITS = ("licence", "license", "language", "languages", "task", "library", "card")
_TRAIT_NAME = {"licence": "license", "license": "license", "language": "languages", "languages": "languages",
               "task": "task", "library": "library"}
TABLES = {
    "license": ("families", "violations", "rules", "transitions", "flow", "ordering", "classes",
                "class-ordering", "mutation"),
    "languages": ("ordering", "transitions", "flow", "mutation"),
    "task": ("ordering", "transitions", "flow", "mutation"),
    "library": ("ordering", "transitions", "flow", "mutation"),
    "card": ("summary",),
}


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "drift", help="trait drift along edges: transitions, orderings, card drift, licence audit",
        description="How a trait changes from parent to child. Tables: licence -> families (audit per "
        "family, default), violations, rules, transitions, flow, ordering, classes, class-ordering, mutation; "
        "language/task/library -> ordering (default), transitions, flow, mutation; card -> summary. "
        "Edges: every relation but merge, unless --relation; the mutation table covers every relation "
        "(merges as their own rows) unless --relation.",
    )
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p.add_argument("--trait", required=True, choices=TRAITS)
    p.add_argument("--table", help="which table to print (default: the first listed for the trait)")
    add_relation_arg(p, default="every relation but merge")
    add_inferred_args(p)
    add_top_arg(p, "values in the ordering (default 10; exact up to 20)", default=10, lo=2, aliases=("--top-k",))
    p.add_argument("--objective", choices=ApiChoices("hftree.drift.ordering", "Objective"), metavar="OBJECTIVE",
                   default="pairs",
                   help="ordering maximises agreeing oriented pairs (default) or their net flow")
    add_bootstrap_args(p, n_boot=1000)
    add_output_args(p)
    p.set_defaults(run=run)
    return p


def _ordering_frame(o) -> object:
    df = o.to_frame()
    for k, v in (("method", o.method), ("exact", o.exact), ("agreeing_pairs", o.agreeing_pairs),
                 ("oriented_pairs", o.oriented_pairs), ("share_pairs_agree", o.share_pairs_agree),
                 ("share_transitions", o.share_transitions)):
        df[k] = v
    return df


def run(args: argparse.Namespace) -> int:
    from hftree.cli._common import lineage_graph, load, output_format, require_lineage, write_frame
    from hftree.drift import card_drift, license_audit, mutation_rates, transitions
    from hftree.errors import UsageError
    from hftree.traits.kinship import DEFAULT_RELATIONS

    name = "card" if args.trait == "card" else _TRAIT_NAME[args.trait]
    table = args.table or TABLES[name][0]
    if table not in TABLES[name]:
        raise UsageError(f"--table {table} does not apply to --trait {args.trait}; "
                         f"choose one of {', '.join(TABLES[name])}")
    output_format(args.format, args.output)  # an unknown -o extension fails before the work
    snap = load(args.snapshot)
    require_lineage(snap, "drift")
    G = lineage_graph(snap, args, warn=False)
    rel = args.relation or DEFAULT_RELATIONS
    if name == "card":
        df = card_drift(snap, G, relation=rel, n_boot=args.n_boot, random_state=args.random_state).to_frame()
    elif table in ("families", "violations", "rules"):
        audit = license_audit(snap, G, relation=rel)
        df = {"families": audit.families, "violations": audit.violations, "rules": audit.rules}[table]
        if table == "families" and sys.stderr.isatty():
            print(repr(audit).splitlines()[0], file=sys.stderr)
    elif table == "mutation":
        df = mutation_rates(snap, G, traits=[name], relation=args.relation, n_boot=args.n_boot,
                            random_state=args.random_state).to_frame()
    else:
        tname = "license_class" if table in ("classes", "class-ordering") else name
        t = transitions(snap, G, trait=tname, relation=rel)
        if table in ("transitions", "classes"):
            df = t.to_frame()
        elif table == "flow":
            df = t.net_flow()
        else:
            df = _ordering_frame(t.ordering(args.top, objective=args.objective))
    write_frame(df, args.format, args.output)
    return 0
