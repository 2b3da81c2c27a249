"""The CLI's error contract: one table from exception class to exit code and message.

As in huggingface_hub's ``cli/_errors.py``, the table is read top to bottom and the first
class that matches decides. Every message is ONE line on stderr, ``hftree: error: ...``:

========================  =========  ==============================================
exception                 exit code  message
========================  =========  ==============================================
KeyboardInterrupt         130        ``interrupted``
ParameterError            2          the option (``--min-size``), what it expects, what it got
UsageError                2          the message, and which ``--help`` to read
argparse's own errors     2          as UsageError (:class:`ArgumentParser` raises one)
other HftreeError         1          the message (it names the file, line, model, ...)
OSError                   1          the message, with the file name
========================  =========  ==============================================

Anything else is a bug and keeps its traceback; ``hftree --debug`` shows the traceback of
every error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NoReturn

from hftree.errors import HftreeError, ParameterError, UsageError

__all__ = [
    "ERRORS",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "ArgumentParser",
    "ErrorRule",
    "error_line",
    "handle",
    "option_names",
    "term",
    "warning_line",
]

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

#: API parameter names whose CLI option has another name (the option is looked up by its ``dest``).
PARAMETER_DEST: dict[str, str] = {
    "min_descendants": "min_size",
    "n_bootstraps": "n_boot",
    "n_samples": "n_boot",
    "top_k": "top",
    "n_values": "top_values",
    "relations": "relation",
    "seed": "random_state",
    "h": "backtest",
}


def _text(exc: BaseException, options: Mapping[str, str]) -> str:
    return str(exc) or type(exc).__name__


def _usage(exc: BaseException, options: Mapping[str, str]) -> str:
    text = _text(exc, options)
    command = options.get("")
    return f"{text} (see '{command} --help')" if command and "--help" not in text else text


def _parameter(exc: BaseException, options: Mapping[str, str]) -> str:
    assert isinstance(exc, ParameterError)
    dest = exc.parameter if exc.parameter and exc.parameter in options else PARAMETER_DEST.get(exc.parameter)
    option = options.get(dest) if dest else None
    if option is None:  # an argument the command line does not set: the API's own words
        return _usage(exc, options)
    hint = str(exc).partition(f"got {exc.got!r}")[2]  # "; hint", as ParameterError appends it
    return _usage(UsageError(f"argument {option}: expected {exc.expected}, got {exc.got!r}{hint}"), options)


def _os_error(exc: BaseException, options: Mapping[str, str]) -> str:
    assert isinstance(exc, OSError)
    text = exc.strerror or _text(exc, options)
    if exc.filename and str(exc.filename) not in text:
        text = f"{exc.filename}: {text}"
    return text


@dataclass(frozen=True)
class ErrorRule:
    """One row of :data:`ERRORS`: exceptions of class ``error`` exit with ``exit_code``."""

    error: type[BaseException]
    exit_code: int
    message: Callable[[BaseException, Mapping[str, str]], str]


#: Read top to bottom; the first row whose class matches decides (so subclasses come first).
ERRORS: tuple[ErrorRule, ...] = (
    ErrorRule(KeyboardInterrupt, EXIT_INTERRUPTED, lambda exc, options: "interrupted"),
    ErrorRule(ParameterError, EXIT_USAGE, _parameter),
    ErrorRule(UsageError, EXIT_USAGE, _usage),
    ErrorRule(HftreeError, EXIT_FAILURE, _text),
    ErrorRule(OSError, EXIT_FAILURE, _os_error),
)


def handle(exc: BaseException, options: Mapping[str, str] | None = None) -> tuple[int, str] | None:
    """The exit code and one-line message for ``exc``, or ``None`` if it is not in :data:`ERRORS`.

    Parameters
    ----------
    exc
        The exception a command raised.
    options
        API parameter (an argparse ``dest``) -> the option that sets it, e.g. ``{"min_size": "--min-size"}``,
        and ``""`` -> the command (``"hftree families"``); from :func:`option_names`.

    Examples
    --------
    >>> from hftree.errors import ParameterError, SnapshotError
    >>> handle(ParameterError("min_size", "a whole number >= 1", -5), {"min_size": "--min-size"})
    (2, 'argument --min-size: expected a whole number >= 1, got -5')
    >>> handle(SnapshotError("snap is not a snapshot directory"))
    (1, 'snap is not a snapshot directory')
    >>> handle(ValueError("a bug")) is None
    True
    """
    for rule in ERRORS:
        if isinstance(exc, rule.error):
            return rule.exit_code, " ".join(rule.message(exc, options or {}).split())
    return None


def option_names(parser: argparse.ArgumentParser) -> dict[str, str]:
    """``dest`` -> the option listed in ``--help`` for it (``--min-size``, or ``SNAPSHOT``), and ``""`` -> prog."""
    out: dict[str, str] = {"": parser.prog}
    for action in parser._actions:  # argparse keeps no public list of a parser's arguments
        if action.dest in out and action.help == argparse.SUPPRESS:
            continue  # a hidden old spelling never names the option
        if action.option_strings:
            long = [s for s in action.option_strings if s.startswith("--")]
            out[action.dest] = (long or action.option_strings)[0]
        elif action.dest != argparse.SUPPRESS:
            out[action.dest] = str(action.metavar or action.dest.upper())
    return out


def term(text: object) -> str:
    """``text`` safe for a terminal: control characters (escape sequences, newlines) shown escaped.

    >>> term("org/m\\x1b[31mred\\n")
    'org/m\\\\x1b[31mred\\\\n'
    """
    s = str(text)
    if s.isprintable():
        return s
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in s)


def error_line(message: str) -> None:
    """Print ``hftree: error: MESSAGE`` on stderr: the one form of every CLI error (control
    characters of model ids or file names escaped, so a hostile id cannot drive the terminal)."""
    print(f"hftree: error: {term(message)}", file=sys.stderr)


def warning_line(message: object) -> None:
    """Print ``hftree: warning: MESSAGE`` on stderr (one line, control characters escaped)."""
    print(f"hftree: warning: {term(' '.join(str(message).split()))}", file=sys.stderr)


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with its errors raised as :class:`~hftree.errors.UsageError` for :data:`ERRORS` to print.

    argparse would print its usage block and ``PROG: error: ...`` and exit itself; raising instead
    gives its errors the same one-line form and exit code 2 as every other usage error.
    """

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")
