"""Atomic writes: write to a temporary sibling, then rename into place.

A reader never sees a half-written file or directory, and an interrupted write
leaves the previous one (if any) untouched. Directories (:func:`replace_dir`) are
exchanged in one rename where the file system allows it, and only ever replace a
directory of the same kind of hftree output.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "check_replaceable", "check_replaceable_file", "csv_text", "has_marker",
           "is_hftree_dir", "recover_dir", "replace_dir", "write_atomic"]


@contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it is renamed to ``path``.

    The file gets ordinary permissions (0666 less the umask; ``mkstemp`` would
    leave 0600). On any exception the temporary file is removed.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "x.txt") as tmp:
    ...     _ = tmp.write_text("hi")
    >>> (d / "x.txt").read_text(), sorted(p.name for p in d.iterdir())
    ('hi', ['x.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically; returns the path."""
    with atomic_path(path) as tmp:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
    return Path(path)


# ---------------------------------------------------------------------------- directories
_LITTER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)(?:-[^/]*)?$")
_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); ``False`` if unsupported."""
    if sys.platform != "linux":
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    at_fdcwd = -100
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # a file system without exchange: the two-rename fallback
    raise OSError(err, os.strerror(err), str(b))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_dir(path: str | os.PathLike[str]) -> list[Path]:
    """Put back what an interrupted :func:`replace_dir` left next to ``path``; returns what was removed.

    A write killed between its two renames leaves no directory at ``path`` and the previous
    one at ``.NAME.old-PID-*``: it is renamed back. Temporary (``.NAME.tmp-PID-*``) and
    superseded directories of processes that are no longer running are deleted.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / ".snap.old-999999999-x").mkdir()
    >>> _ = recover_dir(d / "snap")
    >>> sorted(p.name for p in d.iterdir())
    ['snap']
    """
    path = Path(os.path.abspath(path))
    parent = path.parent
    if not parent.is_dir():
        return []
    dead: list[tuple[str, Path]] = []
    for p in parent.iterdir():
        m = _LITTER.match(p.name)
        if m and m["name"] == path.name and not _alive(int(m["pid"])):
            dead.append((m["kind"], p))
    removed = []
    olds = sorted((p for k, p in dead if k == "old"), key=lambda p: p.stat().st_mtime)
    if olds and not os.path.lexists(path):
        os.rename(olds.pop(), path)  # the kill came between the renames: the old one is the current
    for _, p in dead:
        if p.exists() and p != path:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def replace_dir(
    path: str | os.PathLike[str],
    build: Callable[[Path], None],
    *,
    is_ours: Callable[[Path], bool],
    what: str = "hftree output",
    overwrite: bool = False,
) -> Path:
    """Write a directory atomically: ``build(tmp)`` fills a sibling, which then takes ``path``'s place.

    At every moment ``path`` is the old directory or the new one (an exchange rename where
    the file system has it, else two renames that :func:`recover_dir` completes after a
    kill). Litter of interrupted writes is cleaned up first.

    Parameters
    ----------
    path : path
        The directory to write.
    build : callable
        Called with the temporary directory to fill; an exception removes it and leaves
        ``path`` untouched.
    is_ours : callable
        Whether an existing directory is an output of this kind (e.g. its manifest says so);
        anything else is refused, never replaced. An empty directory is always replaceable.
    what : str
        The kind of output, for messages.
    overwrite : bool
        Replace an existing ``path`` of this kind; without it an existing ``path`` is refused.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    SnapshotError
        ``path`` exists and ``overwrite`` is false, or it is not a directory of this kind
        (a file, a directory of other files, the current directory or one of its parents).
    """
    from hftree.errors import SnapshotError

    path = Path(os.path.abspath(path))
    if path.parent == path:
        raise SnapshotError(f"refusing to write {what} over the file system root {path}")
    recover_dir(path)
    if os.path.lexists(path):
        if not overwrite:
            raise SnapshotError(f"{path} already exists; pass overwrite=True (CLI: --force) to replace it")
        check_replaceable(path, is_ours, what)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-{os.getpid()}-", dir=path.parent))
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)  # mkdtemp makes it private; an output is an ordinary folder
        build(tmp)
        if not os.path.lexists(path):
            os.rename(tmp, path)
            return path
        check_replaceable(path, is_ours, what)  # again: it may have changed while building
        if _exchange(tmp, path):
            shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old directory
            return path
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-{os.getpid()}-", dir=path.parent))
        os.rmdir(old)
        os.rename(path, old)
        os.rename(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def check_replaceable(path: str | os.PathLike[str], is_ours: Callable[[Path], bool], what: str) -> None:
    """Refuse (:class:`~hftree.errors.SnapshotError`) to replace ``path`` unless it is an empty
    directory or one ``is_ours`` recognises -- never a file, a symbolic link, or the current
    directory or one of its parents."""
    from hftree.errors import SnapshotError

    path = Path(os.path.abspath(path))
    cwd = Path.cwd().resolve()
    if path.is_symlink() or not path.is_dir():
        raise SnapshotError(f"refusing to replace {path}: it is not a directory holding {what}")
    if path.resolve() == cwd or path.resolve() in cwd.parents:
        raise SnapshotError(f"refusing to replace {path}: it is the current directory or one of its parents")
    if any(path.iterdir()) and not is_ours(path):
        raise SnapshotError(
            f"refusing to replace {path}: it is not {what} (it holds other files); choose another path"
        )


def is_hftree_dir(path: Path, manifest: str, fmt: str) -> bool:
    """Whether ``path/manifest`` is a JSON object whose ``format`` is ``fmt`` (an hftree output)."""
    import json

    try:
        with open(path / manifest, "rb") as fh:
            data = json.loads(fh.read(64 << 20))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") == fmt


# ---------------------------------------------------------------------------- CSV text
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(df: Any) -> str:
    """``df.to_csv(index=False)`` with every text cell a spreadsheet would run as a formula defused.

    A text cell starting with ``= + - @`` (or a tab / carriage return) gets a leading ``'``, as
    OWASP advises: ``=HYPERLINK(...)`` in a model id stays text when the file is opened in a
    spreadsheet. Numbers (``-3``) are untouched.

    >>> import pandas as pd
    >>> print(csv_text(pd.DataFrame({"id": ["=HYPERLINK(1)", "a/b", "-x"], "n": [-1, 2, 3]})), end="")
    id,n
    '=HYPERLINK(1),-1
    a/b,2
    '-x,3
    """
    out = df.copy(deep=False)
    for c in out.columns:
        col = out[c]
        if col.dtype == object or str(col.dtype).startswith(("string", "str")):
            out[c] = col.map(lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    return out.to_csv(index=False)


# ---------------------------------------------------------------------------- single-file outputs
def has_marker(path: str | os.PathLike[str], marker: bytes, *, head: int = 1 << 20) -> bool:
    """Whether the first ``head`` bytes of the regular file ``path`` contain ``marker``."""
    try:
        with open(path, "rb") as fh:
            return marker in fh.read(head)
    except OSError:
        return False


def check_replaceable_file(path: str | os.PathLike[str], marker: bytes, what: str) -> None:
    """Refuse (:class:`~hftree.errors.SnapshotError`) to overwrite ``path`` unless it is missing,
    empty, or a regular file carrying ``marker`` (an earlier output of the same kind)."""
    from hftree.errors import SnapshotError

    p = Path(path)
    if not os.path.lexists(p):
        return
    if p.is_symlink() or not p.is_file():
        raise SnapshotError(f"refusing to overwrite {p}: it is not a regular file holding {what}")
    if p.stat().st_size and not has_marker(p, marker):
        raise SnapshotError(f"refusing to overwrite {p}: it is not {what}; choose another path")
