"""``hftree family``: where a model comes from (its roots, the path to each, its relatives)."""

from __future__ import annotations

import argparse

from hftree.cli._common import add_inferred_args, add_relation_arg, lineage_graph, load, term

__all__ = ["register", "render_text", "run", "term"]


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "family",
        help="which family a model belongs to: its root(s), the path to each, its relatives",
        description="Answers 'where does this model come from?': the root(s) MODEL_ID descends from "
        "(a merge of models from two families has two), the shortest path from each root with the "
        "relation of every step, its generation, parents, siblings and children, and the size of "
        "its family.",
    )
    p.add_argument("snapshot", metavar="SNAPSHOT")
    p.add_argument("model", metavar="MODEL_ID")
    add_relation_arg(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    add_inferred_args(p)
    p.set_defaults(run=run)
    return p


def render_text(f) -> str:
    """The text ``hftree family`` prints for a :class:`hftree.lineage.ModelFamily`."""
    lines = [term(f.model) + ("  (no record in the snapshot: named only as a parent)" if f.external else "")]
    if len(f.roots) == 1 and not f.paths[0]:
        lines.append(f"  a root: its family has {f.root_sizes[0]:,} models")
    else:
        lines.append(
            f"  generation {f.generation}; descends from {len(f.roots)} root{'s' if len(f.roots) > 1 else ''}"
        )
        for r, ext, size, path in zip(f.roots, f.root_external, f.root_sizes, f.paths, strict=True):
            note = " (no record: external parent)" if ext else ""
            lines.append(f"  root {term(r)}{note}: family of {size:,} models, {len(path)} step(s)")
            for parent, child, rel in path:
                lines.append(f"      {term(parent)} -{rel}-> {term(child)}")
    par = ", ".join(f"{term(p)} ({r})" for p, r in f.parents) or "none"
    lines.append(f"  parents: {par}")
    lines.append(f"  siblings: {f.siblings:,}")
    kids = sum(f.children.values())
    detail = ", ".join(f"{k} {v:,}" for k, v in f.children.items())
    lines.append(f"  children: {kids:,}" + (f" ({detail})" if detail else ""))
    lines.append(f"  descendants: {f.descendants:,}")
    together = " (all its roots' families together)" if len(f.roots) > 1 else ""
    lines.append(f"  family size: {f.family_size:,} models{together}")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from hftree.lineage import family_of

    G = lineage_graph(load(args.snapshot), args, warn=False)
    f = family_of(G, args.model, relation=args.relation)
    if args.format == "json":
        sys.stdout.write(json.dumps(f.to_dict(), indent=1) + "\n")  # json escapes control characters
    else:
        sys.stdout.write(render_text(f))
    return 0
