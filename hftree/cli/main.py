"""Entry point of the ``hftree`` command.

Every sub-command lives in its own module of this package and exposes

``register(subparsers) -> argparse.ArgumentParser``
    add its parser (``subparsers.add_parser(name, ...)``) and
    ``parser.set_defaults(run=<function taking the parsed args, returning an exit code>)``.

Errors derived from :class:`hftree.errors.HftreeError` (and ``OSError``) become a
one-line message on stderr and exit code 1; usage errors exit 2; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

from hftree._version import __version__
from hftree.errors import HftreeError

#: Sub-command modules, in the order ``hftree --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "hftree.cli.demo",
    "hftree.cli.import_",
    "hftree.cli.fetch",
    "hftree.cli.track",
    "hftree.cli.info",
    "hftree.cli.families",
    "hftree.cli.tree",
    "hftree.cli.inherit",
    "hftree.cli.drift",
    "hftree.cli.ecosystem",
    "hftree.cli.adoption",
    "hftree.cli.kernels",
    "hftree.cli.report",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hftree",
        description="Family trees and ecosystem statistics of Hugging Face Hub models.",
    )
    parser.add_argument("--version", action="version", version=f"hftree {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when something fails"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings in the CLI are one line on stderr, without source file and line."""
    print(f"hftree: warning: {_one_line(message) if isinstance(message, BaseException) else message}",
          file=file or sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.debug:
        warnings.showwarning = _warning_line
    if getattr(args, "run", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("hftree: interrupted", file=sys.stderr)
        return 130
    except (HftreeError, OSError) as exc:
        if args.debug:
            raise
        print(f"hftree: error: {_one_line(exc)}", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and str(exc.filename) not in text:
        text = f"{exc.filename}: {text}"
    return " ".join(text.split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
