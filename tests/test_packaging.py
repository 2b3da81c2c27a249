"""Packaging: every sub-package ships, the demo data ships, the console script is declared."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_subpackage_is_listed():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "hftree").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_demo_snapshot_is_package_data():
    cfg = _pyproject()["tool"]["setuptools"]
    assert cfg["package-dir"]["hftree._data"] == "data"
    shipped = cfg["package-data"]["hftree._data"]
    for f in (ROOT / "data" / "demo").iterdir():
        assert any(f.match(pattern) for pattern in shipped), f"{f.name} would not be installed"


def test_console_script():
    assert _pyproject()["project"]["scripts"]["hftree"] == "hftree.cli.main:main"
