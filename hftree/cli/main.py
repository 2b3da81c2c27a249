"""Entry point of the ``hftree`` command.

Every sub-command lives in its own module of this package and exposes

``register(subparsers) -> argparse.ArgumentParser``
    add its parser (``subparsers.add_parser(name, ...)``) and
    ``parser.set_defaults(run=<function taking the parsed args, returning an exit code>)``.
    ``register`` imports only argparse-level things, so ``hftree --help`` and
    ``--version`` start quickly; ``run`` imports the analysis it needs.

Errors become one line on stderr and an exit code through the one table of
:mod:`hftree.cli._errors` (usage errors 2, failures 1, Ctrl-C 130); ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

from hftree._version import __version__
from hftree.cli._errors import ArgumentParser, error_line, handle, option_names, warning_line
from hftree.errors import UsageError

#: Sub-command modules, in the order ``hftree --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "hftree.cli.demo",
    "hftree.cli.import_",
    "hftree.cli.fetch",
    "hftree.cli.track",
    "hftree.cli.info", "hftree.cli.infer",
    "hftree.cli.history", "hftree.cli.diff",
    "hftree.cli.families",
    "hftree.cli.tree",
    "hftree.cli.family", "hftree.cli.subtree",
    "hftree.cli.inherit",
    "hftree.cli.drift",
    "hftree.cli.ecosystem",
    "hftree.cli.adoption",
    "hftree.cli.kernels",
    "hftree.cli.laws", "hftree.cli.shape",
    "hftree.cli.report",
)


def build_parser() -> argparse.ArgumentParser:
    """The ``hftree`` parser with every command of :data:`COMMAND_MODULES` registered."""
    parser = ArgumentParser(
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


def _command_names(parser: argparse.ArgumentParser) -> list[str]:
    return [name for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for name in action.choices]


def _command_parser(parser: argparse.ArgumentParser, name: str | None) -> argparse.ArgumentParser:
    for action in parser._actions:  # argparse has no public accessor for its sub-parsers
        if isinstance(action, argparse._SubParsersAction) and name in action.choices:
            return action.choices[name]
    return parser


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings in the CLI are one line on stderr, without source file and line."""
    warning_line(message)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hftree ARGV`` and return its exit code (0 ok, 1 failure, 2 usage error, 130 interrupted).

    Parameters
    ----------
    argv
        The arguments after ``hftree``; default ``sys.argv[1:]``.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version
        return done.code if isinstance(done.code, int) else 0
    except Exception as exc:
        return _report(exc, option_names(parser))
    if getattr(args, "run", None) is None:
        commands = ", ".join(_command_names(parser))
        return _report(UsageError(f"give a COMMAND, one of {commands} (see 'hftree --help')"), {})
    options = option_names(_command_parser(parser, args.command))
    shown = warnings.showwarning
    if not args.debug:
        warnings.showwarning = _warning_line
    try:
        return int(args.run(args) or 0)
    except (Exception, KeyboardInterrupt) as exc:
        if args.debug:
            raise
        return _report(exc, options)
    finally:
        warnings.showwarning = shown


def _report(exc: BaseException, options: dict[str, str]) -> int:
    """Print ``exc`` as one line through the table of :mod:`hftree.cli._errors`; a bug keeps its traceback."""
    handled = handle(exc, options)
    if handled is None:
        raise exc
    code, message = handled
    error_line(message)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
