"""One real process per command: ``python -m hftree CMD --help`` (every other CLI test runs in-process).

``--help`` builds the command's parser and fills in its ``%(choices)s`` from the API, so each
run also imports the modules the command's options come from, in a fresh interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hftree.cli.main import COMMAND_MODULES

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [m.rpartition(".")[2].rstrip("_") for m in COMMAND_MODULES]


def hftree(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command(command):
    r = hftree("-m", "hftree", command, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"usage: hftree {command} ") and r.stderr == ""


def test_version_and_startup_imports_nothing_heavy():
    """``hftree --version`` and ``--help`` build every parser without pandas, numpy or scipy."""
    for argv in (["--version"], ["--help"]):
        r = hftree("-X", "importtime", "-m", "hftree", *argv)
        assert r.returncode == 0, r.stderr
        imported = {line.rpartition("|")[2].strip() for line in r.stderr.splitlines()}
        assert not imported & {"pandas", "numpy", "scipy", "pyarrow"}, sorted(imported & {"pandas", "numpy"})
    assert hftree("-m", "hftree", "--version").stdout.startswith("hftree ")
