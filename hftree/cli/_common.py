"""Helpers shared by CLI commands: argument types, shared options, loading a snapshot, writing tables.

Everything at module level here is argparse-level: ``hftree --help`` and ``--version`` build
every command's parser, so pandas and the analysis modules are imported only inside the
functions that run a command (and the ``choices`` of an option are read from the API's
``Literal`` types only when the option is checked or its help is shown).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hftree.cli._errors import term  # light (no pandas); defined there for the error lines

if TYPE_CHECKING:
    import pandas as pd

    from hftree.ingest import Snapshot

#: Output formats of the table-writing commands (a CLI notion: the API returns DataFrames).
FORMATS: tuple[str, ...] = ("table", "csv", "json", "parquet")


class ApiChoices:
    """The allowed values of an option, read from an API name on first use.

    ``ApiChoices("hftree.ecosystem.stats", "By")`` is what ``typing.get_args(By)`` gives (or
    ``tuple(obj)`` for a tuple / dict of names), imported only when argparse checks a value or
    shows the choices, so registering a command stays free of pandas.

    Examples
    --------
    >>> c = ApiChoices("hftree.schema", "Relation")
    >>> "finetune" in c, "cousin" in c
    (True, False)
    >>> list(ApiChoices("hftree.schema", "Relation", exclude=("unknown",)))
    ['finetune', 'adapter', 'quantized', 'merge']
    """

    def __init__(self, module: str, name: str, *, exclude: tuple[str, ...] = ()) -> None:
        self.module = module
        self.name = name
        self.exclude = exclude
        self._values: tuple[str, ...] | None = None

    @property
    def values(self) -> tuple[str, ...]:
        if self._values is None:
            obj = getattr(importlib.import_module(self.module), self.name)
            values = typing.get_args(obj) if typing.get_origin(obj) is typing.Literal else tuple(obj)
            self._values = tuple(str(v) for v in values if v not in self.exclude)
        return self._values

    def __contains__(self, value: object) -> bool:
        return value in self.values

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def __bool__(self) -> bool:  # truth-testing must not import the API
        return True

    def __repr__(self) -> str:
        return f"ApiChoices({self.module}.{self.name})"


class _ListChoices(argparse.Action):
    """``--option a,b,c``: a comma-separated list whose items are checked against ``choices``."""

    def __init__(self, option_strings: list[str], dest: str, *, item_choices: Any = None, **kwargs: Any) -> None:
        self.item_choices = item_choices
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        items = [t.strip() for t in str(values).split(",") if t.strip()]
        if not items:
            raise argparse.ArgumentError(self, "expected a comma-separated list of names, got ''")
        if self.item_choices is not None:
            bad = [t for t in items if t not in self.item_choices]
            if bad:
                choose = ", ".join(repr(c) for c in self.item_choices)
                raise argparse.ArgumentError(self, f"invalid choice: {bad[0]!r} (choose from {choose})")
        setattr(namespace, self.dest, items)


def whole_number(lo: int = 1):
    """An argparse ``type`` accepting whole numbers ``>= lo``, with a one-line message otherwise.

    Examples
    --------
    >>> whole_number(0)("3")
    3
    >>> whole_number(1)("-3")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a positive whole number, got '-3'
    """
    expected = "a positive whole number" if lo == 1 else f"a whole number >= {lo}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < lo:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    parse.__name__ = "whole_number"
    return parse


def number(lo: float = 0.0, *, strict: bool = False):
    """An argparse ``type`` for seconds and similar: a finite number ``>= lo`` (``> lo`` if ``strict``).

    >>> number(0, strict=True)("0.5")
    0.5
    >>> number(0)("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a number >= 0, got '-1'
    """
    expected = f"a number {'>' if strict else '>='} {lo:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        ok = value < float("inf") and (value > lo if strict else value >= lo)
        if not ok:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    parse.__name__ = "number"
    return parse


def timestamp(text: str) -> str:
    """An argparse ``type`` for a date or date-time (ISO 8601, e.g. ``2025-01-31`` or ``2025-01-31T12:00Z``).

    The text is passed on unchanged; only its form is checked here, so the error is a usage error.

    >>> timestamp("2025-01-31")
    '2025-01-31'
    """
    import pandas as pd

    try:
        parsed = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        parsed = None
    if parsed is None or parsed is pd.NaT:
        raise argparse.ArgumentTypeError(f"expected a date or date-time such as 2025-01-31, got {text!r}")
    return text


def add_alias(p: argparse.ArgumentParser | Any, *flags: str, dest: str, **kwargs: Any) -> None:
    """Old spellings of an option: accepted, not listed in ``--help`` (scripts keep working)."""
    p.add_argument(*flags, dest=dest, help=argparse.SUPPRESS, default=argparse.SUPPRESS, **kwargs)


def add_relation_arg(p: argparse.ArgumentParser | Any, *, default: str = "all",
                     choices: ApiChoices | None = None) -> None:
    """``--relation REL`` (repeatable): the edges to follow; ``default`` says what none means."""
    if choices is None:
        choices = ApiChoices("hftree.schema", "Relation")
    p.add_argument(
        "--relation", action="append", choices=choices, metavar="REL",
        help=f"follow only these edges (repeatable; one of %(choices)s); default: {default}",
    )


def add_top_arg(p: argparse.ArgumentParser | Any, what: str, *, default: int | None = None, lo: int = 1,
                aliases: tuple[str, ...] = ()) -> None:
    """``--top N``: how many rows or values to keep (old spellings in ``aliases``)."""
    p.add_argument("--top", type=whole_number(lo), default=default, metavar="N", help=what)
    if aliases:
        add_alias(p, *aliases, dest="top", type=whole_number(lo), metavar="N")


def add_bootstrap_args(p: argparse.ArgumentParser | Any, *, n_boot: int, what: str = "bootstrap replicates",
                       lo: int = 0, old: tuple[str, ...] = ("--boot",)) -> None:
    """``--n-boot N`` and ``--random-state SEED`` (old spellings ``old`` and ``--seed`` still accepted)."""
    p.add_argument("--n-boot", type=whole_number(lo), default=n_boot, metavar="N",
                   help=f"{what} (default {n_boot})")
    add_alias(p, *old, dest="n_boot", type=whole_number(lo), metavar="N")
    add_random_state_arg(p)


def add_random_state_arg(p: argparse.ArgumentParser | Any) -> None:
    """``--random-state SEED`` (default 0, as in the API); ``--seed`` is the old spelling."""
    p.add_argument("--random-state", type=whole_number(0), default=0, metavar="SEED",
                   help="seed of the random numbers (default 0)")
    add_alias(p, "--seed", dest="random_state", type=whole_number(0), metavar="SEED")


def add_output_args(p: argparse.ArgumentParser | Any) -> None:
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="output format (default: table on a terminal, else from -o's extension)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")


def progress(args: argparse.Namespace) -> bool | None:
    """The API's ``progress``: off with ``--quiet``, else ``None`` (a bar when stderr is a terminal)."""
    return False if getattr(args, "quiet", False) else None


def load(path: str) -> Snapshot:
    from hftree.ingest import load_snapshot

    return load_snapshot(path)


#: What an ``-o FILE`` extension means, when no ``--format`` is given.
EXTENSIONS: dict[str, str] = {"csv": "csv", "json": "json", "parquet": "parquet", "txt": "table"}


def require_lineage(snapshot: Snapshot, command: str) -> None:
    """Refuse, in one line, a command that needs lineage on a snapshot without a single edge."""
    from hftree.errors import InputFormatError

    if len(snapshot.edges) == 0:
        raise InputFormatError(
            f"no lineage edges in this snapshot: `hftree {command}` needs parent -> child links (base_model "
            "tags or cardData, or an edge list given to `hftree import`); `hftree info` shows what it has",
            field="edges",
        )


def note_missing(models: pd.DataFrame, fields: tuple[str, ...] | None = None) -> None:
    """Say once, on stderr, which of ``fields`` the snapshot lacks (shown as missing, not zero)."""
    from hftree.cli._errors import warning_line
    from hftree.families.coverage import missing_fields, missing_note

    note = missing_note(missing_fields(models, fields))
    if note:
        warning_line(note)


def output_format(fmt: str | None, output: str | None) -> str:
    """The format to write: ``fmt``, else from ``output``'s extension, else a table.

    An extension that is none of :data:`EXTENSIONS` is refused (nothing is written into a
    ``.xlsx`` that is not one); ``--format`` says what to write whatever the name.

    >>> output_format(None, "fam.parquet"), output_format(None, None), output_format("csv", "x.txt")
    ('parquet', 'table', 'csv')
    >>> output_format(None, "fam.xlsx")
    Traceback (most recent call last):
    ...
    hftree.errors.UsageError: cannot write fam.xlsx: hftree writes .csv, .json, .parquet or .txt (or give --format)
    """
    from hftree.errors import UsageError

    if fmt is None:
        ext = Path(output).suffix.lower().lstrip(".") if output else ""
        if output and ext not in EXTENSIONS:
            raise UsageError(f"cannot write {term(output)}: hftree writes .csv, .json, .parquet or .txt "
                             "(or give --format)")
        fmt = EXTENSIONS.get(ext, "table")
    if fmt == "parquet" and not output:
        raise UsageError("--format parquet needs -o FILE")
    return fmt


def wrote(path: object, what: str) -> None:
    """Say on stderr what an ``-o`` wrote: ``wrote FILE: what``."""
    print(f"wrote {term(path)}: {what}", file=sys.stderr)


def write_frame(df: pd.DataFrame, fmt: str | None, output: str | None, *, quiet: bool = False) -> None:
    """Write ``df`` as a table/CSV/JSON/Parquet to ``output`` (temp file + rename) or stdout.

    With ``output``, one line on stderr says what was written (unless ``quiet``).
    """
    from hftree._atomic import atomic_path, write_atomic

    fmt = output_format(fmt, output)
    if output is None:
        sys.stdout.write(render(df, fmt))
        return
    if fmt == "parquet":
        with atomic_path(output) as tmp:
            df.to_parquet(tmp, index=False)
    else:
        write_atomic(output, render(df, fmt))
    if not quiet:
        wrote(output, f"{len(df):,} row{'' if len(df) == 1 else 's'} x {df.shape[1]} columns ({fmt})")


def to_json(df: pd.DataFrame, **kwargs: Any) -> str:
    """``df.to_json(...)`` with ``/`` left as it is (pandas writes ``\\/``, legal JSON but unreadable ids).

    >>> import pandas as pd
    >>> to_json(pd.DataFrame({"id": ["org/m"]}), orient="records")
    '[{"id":"org/m"}]'
    """
    # pandas never writes a bare "/", so every "\/" is an escaped slash (an escaped backslash
    # before it is "\\\\", whose last backslash still pairs with the slash's own)
    return df.to_json(**kwargs).replace("\\/", "/")


def render(df: pd.DataFrame, fmt: str) -> str:
    """``df`` as the text of ``fmt`` (``table``, ``csv`` or ``json``).

    A ``table`` is for people: numbers through :func:`hftree._results.format_value` (thousands
    separators, ``—`` for missing), every cell safe for a terminal.
    """
    import pandas as pd

    from hftree._results import format_value

    if fmt == "csv":
        from hftree._atomic import csv_text

        return csv_text(df)  # cells a spreadsheet would run as formulas (=, +, -, @) defused
    if fmt == "json":
        return to_json(df, orient="records", date_format="iso", indent=1) + "\n"
    shown = pd.DataFrame({term(c): [term(format_value(v)) for v in df[c].tolist()] for c in df.columns},
                         index=df.index)
    if df.shape[1] and not len(df):
        return "(no rows)\n"
    with pd.option_context("display.max_rows", 200, "display.max_columns", 50, "display.width", 200):
        return shown.to_string(index=False) + "\n"


# ---------------------------------------------------------------------- inferred lineage (issue 19)
#: The word that, given to ``--inferred``, runs :func:`hftree.lineage.infer.infer` now.
INFER_NOW = "infer"
#: Columns an ``--inferred EDGES`` file must have (what ``hftree infer -o`` writes).
INFERRED_COLUMNS: tuple[str, ...] = ("parent", "child", "relation", "confidence")


def probability(text: str) -> float:
    """An argparse ``type`` for a confidence threshold: a number from 0 to 1.

    >>> probability("0.9")
    0.9
    >>> probability("1.5")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a number between 0 and 1, got '1.5'
    """
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")
    return value


def add_inferred_args(p: argparse.ArgumentParser | Any) -> None:
    """``--inferred EDGES|infer`` and ``--min-confidence P``: add inferred lineage to the graph (default: none)."""
    p.add_argument(
        "--inferred", metavar="EDGES|infer",
        help="also use inferred lineage (source 'inferred'): a file written by `hftree infer -o` (csv, tsv, "
        "json, jsonl, parquet), or the word 'infer' to infer it now; default: declared lineage only",
    )
    p.add_argument("--min-confidence", type=probability, default=0.5, metavar="P",
                   help="with --inferred: keep inferred edges with confidence >= P (0 to 1, default 0.5)")


def read_inferred(path: str) -> pd.DataFrame:
    """The inferred edges in ``path`` (a table written by ``hftree infer -o``), with ``source`` ``inferred``.

    Refused in one line naming the file when it cannot be read or lacks a column of
    :data:`INFERRED_COLUMNS`, or when a confidence is not a number.
    """
    import pandas as pd

    from hftree.errors import InputFormatError

    p = Path(path)
    ext = p.suffix.lower().lstrip(".")
    readers = {"csv": lambda: pd.read_csv(p, dtype={"parent": str, "child": str, "relation": str}),
               "tsv": lambda: pd.read_csv(p, sep="\t", dtype={"parent": str, "child": str, "relation": str}),
               "parquet": lambda: pd.read_parquet(p),
               "json": lambda: pd.read_json(p, orient="records", dtype=False),
               "jsonl": lambda: pd.read_json(p, orient="records", lines=True, dtype=False)}
    if ext not in readers:
        raise InputFormatError(f"--inferred {term(path)}: expected a .csv, .tsv, .json, .jsonl or .parquet file "
                               f"written by `hftree infer -o`, or the word '{INFER_NOW}'", field="inferred")
    if not p.is_file():
        raise InputFormatError(f"--inferred {term(path)}: no such file", field="inferred")
    try:
        df = readers[ext]()
    except (ValueError, OSError) as exc:  # pandas' parse errors are ValueErrors
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputFormatError(f"--inferred {term(path)}: cannot read it as {ext} ({first})",
                               field="inferred") from None
    lacking = [c for c in INFERRED_COLUMNS if c not in df.columns]
    if lacking:
        raise InputFormatError(f"--inferred {term(path)}: no column {', '.join(lacking)} (an edge file of "
                               f"`hftree infer -o` has {', '.join(INFERRED_COLUMNS)})", field="inferred")
    conf = pd.to_numeric(df["confidence"], errors="coerce")
    if conf.isna().any():
        bad = df["confidence"][conf.isna()].iloc[0]
        raise InputFormatError(f"--inferred {term(path)}: confidence {bad!r} is not a number", field="confidence")
    out = df[list(INFERRED_COLUMNS)].copy()
    out["confidence"] = conf.astype(float)
    out["source"] = "inferred"  # whatever the file says: these edges are inferred, never declared
    return out.dropna(subset=["parent", "child"]).reset_index(drop=True)


def inferred_edges(snapshot: Snapshot, args: argparse.Namespace) -> pd.DataFrame | None:
    """The inferred edges ``--inferred`` asks for (read or inferred once per command), or ``None``.

    All rows are returned; ``--min-confidence`` is applied where they are used.
    """
    how = getattr(args, "inferred", None)
    if not how:
        return None
    cache = vars(args).setdefault("_inferred_table", {})
    if how not in cache:
        if how == INFER_NOW:
            from hftree.lineage.infer import infer

            res = infer(snapshot, min_confidence=args.min_confidence, progress=progress(args))
            cache[how] = res.edge_table()
        else:
            cache[how] = read_inferred(how)
    return cache[how]


def lineage_graph(snapshot: Snapshot, args: argparse.Namespace, *, warn: bool = True) -> Any:
    """The :class:`~hftree.lineage.LineageGraph` of a command: declared lineage, plus the inferred
    edges of ``--inferred`` with confidence ``>= --min-confidence`` (then one line on stderr says so).

    Without ``--inferred`` it is ``LineageGraph.from_snapshot(snapshot, warn=warn)``, as before.
    """
    import pandas as pd

    from hftree.lineage import LineageGraph

    extra = inferred_edges(snapshot, args)
    if extra is None:
        return LineageGraph.from_snapshot(snapshot, warn=warn)
    edges = pd.concat([snapshot.edges, extra], ignore_index=True)
    G = LineageGraph.from_tables(snapshot.models, edges, snapshot_time=snapshot.snapshot_time, warn=warn,
                                 min_confidence=args.min_confidence)
    print(lineage_note(G, args), file=sys.stderr)
    return G


def lineage_note(G: Any, args: argparse.Namespace) -> str:
    """``lineage: N declared + M inferred edges (confidence >= P, source 'inferred'; from FILE)``."""
    n_inf = n_inferred(G)
    how = "inferred now" if args.inferred == INFER_NOW else f"from {term(args.inferred)}"
    return (f"lineage: {G.n_edges - n_inf:,} declared + {n_inf:,} inferred edges "
            f"(confidence >= {args.min_confidence:g}, source 'inferred', {how})")


def n_inferred(G: Any) -> int:
    """Edges of the graph ``G`` whose source is ``inferred`` (a pair given twice is one edge)."""
    import numpy as np

    from hftree.schema import EDGE_SOURCES

    return int(np.count_nonzero(G.source == EDGE_SOURCES.index("inferred")))
