"""Helpers shared by CLI commands: loading a snapshot, writing tables, progress."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from hftree._atomic import atomic_path, write_atomic
from hftree.schema import RELATIONS

FORMATS = ("table", "csv", "json", "parquet")


def whole_number(lo: int = 1):
    """An argparse ``type`` accepting whole numbers >= ``lo``, with a one-line message otherwise."""
    expected = "a positive whole number" if lo == 1 else f"a whole number >= {lo}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < lo:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


def add_relation_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--relation", action="append", choices=RELATIONS, metavar="REL",
        help=f"follow only these edges (repeatable; one of {', '.join(RELATIONS)}); default: all",
    )


def add_output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="output format (default: table on a terminal, else from -o's extension)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")


def load(path: str):
    from hftree.ingest import load_snapshot

    return load_snapshot(path)


def write_frame(df: pd.DataFrame, fmt: str | None, output: str | None) -> None:
    """Write ``df`` as a table/CSV/JSON/Parquet to ``output`` (temp file + rename) or stdout."""
    if fmt is None:
        ext = Path(output).suffix.lower().lstrip(".") if output else ""
        fmt = {"csv": "csv", "json": "json", "parquet": "parquet"}.get(ext, "table")
    if fmt == "parquet" and not output:
        raise SystemExit("hftree: error: --format parquet needs -o FILE")
    if output is None:
        sys.stdout.write(_render(df, fmt))
        return
    if fmt == "parquet":
        with atomic_path(output) as tmp:
            df.to_parquet(tmp, index=False)
    else:
        write_atomic(output, _render(df, fmt))


def _render(df: pd.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return df.to_csv(index=False)
    if fmt == "json":
        return df.to_json(orient="records", date_format="iso", indent=1) + "\n"
    with pd.option_context("display.max_rows", 200, "display.max_columns", 50, "display.width", 200):
        return df.to_string(index=False) + "\n"
