"""Exceptions and warnings raised by hftree.

Every exception derives from :class:`HftreeError` *and* from the builtin it
resembles, so ``except ValueError`` keeps working for callers who do not know
about hftree. Messages name the input (file and line, field, model id), what was
expected, what was found and what to do about it.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConvergenceError",
    "DataQualityWarning",
    "FetchArgumentError",
    "HftreeError",
    "HubError",
    "InputFormatError",
    "KinshipError",
    "ModelNotFoundError",
    "NotFittedError",
    "OrderingError",
    "ParameterError",
    "SnapshotError",
    "TrackStoreError",
    "TraitError",
    "UsageError",
]


class HftreeError(Exception):
    """Base class of every error hftree raises on purpose."""


class InputFormatError(HftreeError, ValueError):
    """An input file or record is malformed.

    Attributes
    ----------
    path : str or None
        The file that holds the bad input.
    line : int or None
        1-based line number (JSON Lines, CSV) where known.
    field : str or None
        The offending field, where known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line
        self.field = field


class SnapshotError(HftreeError, ValueError):
    """A snapshot directory is missing, incomplete or of an unknown schema version."""


class TrackStoreError(SnapshotError):
    """A download-tracking store is damaged, in use by another run, or not a track store."""


class ModelNotFoundError(HftreeError, LookupError):
    """A model id is not in the table or graph.

    Attributes
    ----------
    model_id : str
        The id that was asked for.
    """

    def __init__(self, model_id: str, message: str | None = None) -> None:
        self.model_id = model_id
        super().__init__(message or f"model {model_id!r} is not in the lineage graph")

    def __str__(self) -> str:  # LookupError would otherwise repr() the message
        return str(self.args[0])


class ConvergenceError(HftreeError, RuntimeError):
    """A fit did not converge; the message lists things to try."""


class HubError(HftreeError, ConnectionError):
    """The Hub could not be reached, kept failing, or refused a request.

    Attributes
    ----------
    url : str or None
        The request that failed (never carries a token).
    status : int or None
        The last HTTP status, when there was one.
    """

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status

    def __str__(self) -> str:
        return str(self.args[0])


class ParameterError(HftreeError, ValueError):
    """A function argument is out of range or of the wrong kind.

    Attributes
    ----------
    parameter : str
        The argument's name (the CLI shows the matching ``--option``).
    expected : str
        What would have been accepted.
    got : object
        What was passed.

    Examples
    --------
    >>> raise ParameterError("min_size", "a whole number >= 1", -5)
    Traceback (most recent call last):
    ...
    hftree.errors.ParameterError: min_size: expected a whole number >= 1, got -5
    """

    def __init__(self, parameter: str, expected: str, got: Any, *, hint: str = "") -> None:
        self.parameter = parameter
        self.expected = expected
        self.got = got
        message = f"{parameter}: expected {expected}, got {got!r}"
        super().__init__(message + (f"; {hint}" if hint else ""))


class UsageError(HftreeError, ValueError):
    """Arguments that contradict each other or are missing (the CLI exits with 2, as argparse does)."""


class FetchArgumentError(UsageError):
    """Options of a fetch that contradict each other or are out of range (CLI: exit 2)."""


class NotFittedError(HftreeError, AttributeError):
    """An estimator was used before :meth:`fit` (``predict``, ``summary``, ``plot``, learned attributes)."""


class TraitError(HftreeError, ValueError):
    """A trait is unknown, cannot be computed from the given table, or returned bad values."""


class KinshipError(HftreeError, ValueError):
    """An unknown kinship, or an enumeration of pairs larger than allowed."""


class OrderingError(HftreeError, ValueError):
    """Input the ordering solver cannot order (not a square matrix, brute force on too many values)."""


class DataQualityWarning(UserWarning):
    """Input data was usable but questionable (dropped self-loops, broken cycles, ...)."""
