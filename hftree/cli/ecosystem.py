"""``hftree ecosystem``: who holds models and downloads, likes vs downloads, concentration."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hftree.cli._common import (
    EXTENSIONS,
    FORMATS,
    ApiChoices,
    add_alias,
    add_inferred_args,
    add_relation_arg,
    load,
    render,
    to_json,
    whole_number,
    write_frame,
    wrote,
)

if TYPE_CHECKING:
    import pandas as pd

#: Every table the command can write, in order (see hftree.ecosystem.EcosystemStats).
TABLES: tuple[str, ...] = (
    "summary",
    "license_shares",
    "license_class_shares",
    "author_shares",
    "task_shares",
    "library_shares",
    "correlation",
    "concentration",
    "family_concentration",
    "created_by_license_class",
    "created_by_task",
    "selection",
)
_EXT = {"table": "txt", "csv": "csv", "json": "json", "parquet": "parquet"}
_FMT_OF_EXT = EXTENSIONS  # one table of extensions for every command
_SCREEN_ROWS = 25
#: Columns of the wide family table shown on screen (files get every column).
_SCREEN_COLUMNS = {
    "family_concentration": [
        "root",
        "descendants",
        "family_downloads",
        "root_share",
        "top_descendant",
        "top_descendant_share",
        "gini",
        "in_selection",
    ],
}


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "ecosystem",
        help="licence/creator/task/library shares, likes vs downloads, concentration, trends",
        description="Ecosystem statistics of a snapshot or of its top models: shares of models and "
        "downloads by licence (and licence class), creator, task and library; Pearson R² (raw and "
        "log1p) and Spearman ρ of likes vs downloads; Gini, HHI and top-1 %%/top-10 shares of "
        "downloads overall, per task and per family (root vs descendants); models created per "
        "month. --top 300 reproduces the setting of the 'download patterns' analysis of the Hub's "
        "top models.",
    )
    p.add_argument("snapshot", metavar="SNAPSHOT", help="snapshot directory (hftree import)")
    p.add_argument(
        "--top",
        type=whole_number(1),
        metavar="N",
        help="analyse only the N first models by --by (default: every model)",
    )
    p.add_argument(
        "--by",
        choices=ApiChoices("hftree.ecosystem.stats", "By"), metavar="RANK",
        default="downloads",
        help="rank for --top: most downloads, most likes, most recently created "
        "(default downloads)",
    )
    p.add_argument(
        "--top-values",
        type=whole_number(0),
        default=10,
        metavar="K",
        help="values listed one by one in share tables; the rest is '(other)' (default 10)",
    )
    add_alias(p, "--n-values", dest="top_values", type=whole_number(0), metavar="K")
    p.add_argument(
        "--time-column",
        default="created_at",
        metavar="COLUMN",
        help="time of the monthly tables and of --by created (default created_at; "
        "2022-era listings only have last_modified)",
    )
    add_relation_arg(p)
    add_inferred_args(p)
    p.add_argument(
        "--no-families",
        action="store_true",
        help="skip the lineage graph and the family_concentration table",
    )
    p.add_argument(
        "--table",
        action="append",
        choices=TABLES,
        metavar="NAME",
        help=f"output only this table (repeatable): {', '.join(TABLES)}",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="table, csv, json or parquet (default: table on screen, csv in a directory, "
        "else from -o's extension)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="DIR-or-FILE",
        help="a directory (existing, or a path without extension): one file per table; "
        "a FILE.json/.txt: every table in one file; a FILE.csv/.parquet: one --table",
    )
    p.set_defaults(run=run)
    return p


def _as_text(tables: dict[str, pd.DataFrame], fmt: str, *, screen: bool) -> str:
    if fmt == "json":
        body = ",\n".join(
            f'"{name}": {to_json(df, orient="records", date_format="iso")}'
            for name, df in tables.items()
        )
        return "{\n" + body + "\n}\n"
    parts = []
    for name, df in tables.items():
        head = f"# {name}"
        if fmt == "table":
            head += f" ({len(df):,} row{'' if len(df) == 1 else 's'})"
            if screen and name in _SCREEN_COLUMNS:
                df = df[_SCREEN_COLUMNS[name]]
            if screen and len(df) > _SCREEN_ROWS:
                head += f", first {_SCREEN_ROWS} shown; write all with -o DIR"
                df = df.head(_SCREEN_ROWS)
        parts.append(head + "\n" + render(df, fmt))
    return "\n".join(parts)


def run(args: argparse.Namespace) -> int:
    from hftree._atomic import write_atomic
    from hftree.cli._common import lineage_graph
    from hftree.cli._errors import warning_line
    from hftree.ecosystem import ecosystem_stats
    from hftree.errors import UsageError
    from hftree.families.coverage import missing_fields, missing_note

    out = Path(args.output) if args.output else None
    to_dir = out is not None and (out.is_dir() or out.suffix == "")
    fmt = args.format
    if out is not None and not to_dir and fmt is None:
        fmt = _FMT_OF_EXT.get(out.suffix.lower().lstrip("."))
        if fmt is None:
            raise UsageError(f"cannot tell the format of {out}: use .csv, .json, .txt or .parquet, or --format")
    fmt = fmt or ("csv" if to_dir else "table")
    if fmt == "parquet" and out is None:
        raise UsageError("--format parquet needs -o DIR or -o FILE.parquet")
    if out is not None and not to_dir and fmt in ("csv", "parquet") and len(args.table or []) != 1:
        raise UsageError(f"a single {fmt} file holds one table: add --table NAME, or give -o a directory")

    if args.inferred and args.no_families:
        raise UsageError("--inferred adds edges to the families; it cannot go with --no-families")
    snap = load(args.snapshot)
    graph = None
    if not args.no_families:  # the graph's data-quality report belongs to `hftree info`, not to these tables
        graph = lineage_graph(snap, args, warn=False)
    models = graph.models if graph is not None else snap.models
    res = ecosystem_stats(
        models,
        graph,
        top=args.top,
        by=args.by,
        top_values=args.top_values,
        relation=args.relation,
        time_column=args.time_column,
    )
    tables = res.tables
    note = missing_note(missing_fields(models))
    if note:
        warning_line(note)
    if args.table:
        absent = [t for t in args.table if t not in tables]
        if absent:
            why = "without --top" if absent[0] == "selection" else "with --no-families"
            raise UsageError(f"table {absent[0]!r} is not computed {why}")
        tables = {t: tables[t] for t in args.table}

    if out is None:
        sys.stdout.write(_as_text(tables, fmt, screen=True))
    elif to_dir:
        out.mkdir(parents=True, exist_ok=True)
        for name, df in tables.items():
            write_frame(df, fmt, str(out / f"{name}.{_EXT[fmt]}"), quiet=True)
        wrote(f"{out}/", f"{len(tables)} tables ({fmt}): {', '.join(tables)}")
    elif fmt in ("csv", "parquet"):
        ((name, df),) = tables.items()
        write_frame(df, fmt, str(out))
    else:
        write_atomic(out, _as_text(tables, fmt, screen=False))
        wrote(out, f"{len(tables)} tables ({fmt}): {', '.join(tables)}")
    return 0
