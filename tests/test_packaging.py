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


def test_every_package_file_is_package_data():
    """Templates and markers beside the code (hftree/viz/templates/, py.typed, ...) are installed too."""
    shipped = _pyproject()["tool"]["setuptools"]["package-data"]
    missing = []
    for f in (ROOT / "hftree").rglob("*"):
        if not f.is_file() or f.suffix in (".py", ".pyc") or "__pycache__" in f.parts:
            continue
        package = f.parent
        while not (package / "__init__.py").exists():
            package = package.parent
        name = ".".join(package.relative_to(ROOT).parts)
        rel = f.relative_to(package)
        if not any(rel.match(pattern) for pattern in shipped.get(name, [])):
            missing.append(str(f.relative_to(ROOT)))
    assert not missing, f"add to [tool.setuptools.package-data] in pyproject.toml: {missing}"
