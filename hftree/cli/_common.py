"""Helpers shared by CLI commands: loading a snapshot, writing tables, progress."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

from hftree.schema import RELATIONS

FORMATS = ("table", "csv", "json", "parquet")


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
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    try:
        if fmt == "parquet":
            df.to_parquet(tmp, index=False)
        else:
            Path(tmp).write_text(_render(df, fmt), encoding="utf-8")
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _render(df: pd.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return df.to_csv(index=False)
    if fmt == "json":
        return df.to_json(orient="records", date_format="iso", indent=1) + "\n"
    with pd.option_context("display.max_rows", 200, "display.max_columns", 50, "display.width", 200):
        return df.to_string(index=False) + "\n"
