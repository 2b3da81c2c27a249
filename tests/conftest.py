"""Shared fixtures: the real Hub data in ../shared/data and small hand-made inputs."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HFTREE_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared() -> Path:
    """The real-data directory; tests needing it are skipped only where it is absent (CI has it)."""
    if not SHARED.is_dir():
        pytest.skip(f"real Hub data not found at {SHARED} (set HFTREE_SHARED_DATA)")
    return SHARED


class CliRun(NamedTuple):
    """What ``hftree ARGV`` did: exit code, stdout, stderr."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """``cli(*argv)`` runs ``hftree ARGV`` in this process (no 4-6 s interpreter start) -> ``CliRun``.

    ``hftree.cli.main.main`` is the console script's own function, so exit codes and messages are
    those of the command; ``tests/cli/test_smoke.py`` starts each command once as a real process.
    """
    from hftree.cli.main import main

    def run(*argv: object) -> CliRun:
        capsys.readouterr()  # output of the test's own set-up is not the command's
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return CliRun(code, out, err)

    return run


def write_jsonl(path: Path, records, *, gz: bool = False) -> Path:
    """Write records (dicts, or raw str/bytes lines) as JSON Lines."""
    lines = []
    for r in records:
        if isinstance(r, bytes):
            lines.append(r)
        elif isinstance(r, str):
            lines.append(r.encode())
        else:
            lines.append(json.dumps(r).encode())
    data = b"\n".join(lines) + b"\n"
    if gz:
        with gzip.open(path, "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)
    return path


def rec(mid: str, *tags: str, **fields) -> dict:
    """A minimal Hub API record."""
    out = {"id": mid, "author": mid.split("/")[0], "createdAt": "2024-01-01T00:00:00.000Z",
           "lastModified": "2024-01-02T00:00:00.000Z", "downloads": 1, "likes": 0, "tags": list(tags)}
    out.update(fields)
    return out
