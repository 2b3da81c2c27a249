"""Checks of a snapshot directory before it is trusted: its manifest, table paths and schemas.

A snapshot may come from someone else (a shared folder, an archive): every path
its manifest names must stay inside the snapshot directory, every key the loader
reads must have the right type, and every table must have the columns of its
schema with their types -- otherwise :class:`~hftree.errors.SnapshotError`
names the file and the key or column.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa

from hftree.errors import SnapshotError
from hftree.schema import CARD_SCHEMA, EDGE_SCHEMA, MODEL_SCHEMA

__all__ = ["check_manifest", "check_table", "table_path"]

_SCHEMAS = {"models": MODEL_SCHEMA, "edges": EDGE_SCHEMA, "cards": CARD_SCHEMA}
_V1_MISSING = {"models": {"created_at_raw"}}  # columns a schema-version-1 snapshot may lack


def check_manifest(manifest: Any, mpath: Path) -> dict[str, dict[str, Any]]:
    """The ``files`` entry of a parsed manifest, every key the loader reads type-checked.

    >>> check_manifest({"files": {"models": {"file": "models.parquet", "rows": 2}}}, Path("m.json"))
    {'models': {'file': 'models.parquet', 'rows': 2}}
    >>> check_manifest({"files": {"models": {"file": 3, "rows": 2}}}, Path("m.json"))
    Traceback (most recent call last):
    ...
    hftree.errors.SnapshotError: m.json: files.models.file must be a file name, got 3
    """
    if not isinstance(manifest, dict):
        raise SnapshotError(f"{mpath}: the manifest is not a JSON object")
    files = manifest.get("files", {})
    if not isinstance(files, dict):
        raise SnapshotError(f"{mpath}: files must be an object, got {type(files).__name__}")
    for name, info in files.items():
        if name not in _SCHEMAS:
            raise SnapshotError(f"{mpath}: files.{name} is not a table of a snapshot (models, edges, cards)")
        if not isinstance(info, dict):
            raise SnapshotError(f"{mpath}: files.{name} must be an object, got {info!r}")
        if not isinstance(info.get("file"), str) or not info["file"]:
            raise SnapshotError(f"{mpath}: files.{name}.file must be a file name, got {info.get('file')!r}")
        rows = info.get("rows")
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
            raise SnapshotError(f"{mpath}: files.{name}.rows must be a whole number >= 0, got {rows!r}")
    for key in ("snapshot_time", "created_at", "hftree_version"):
        if key in manifest and not isinstance(manifest[key], str):
            raise SnapshotError(f"{mpath}: {key} must be a string, got {manifest[key]!r}")
    for key in ("counts", "data_quality"):
        if key in manifest and not isinstance(manifest[key], dict):
            raise SnapshotError(f"{mpath}: {key} must be an object, got {type(manifest[key]).__name__}")
    if "sources" in manifest and not isinstance(manifest["sources"], list):
        raise SnapshotError(f"{mpath}: sources must be a list, got {type(manifest['sources']).__name__}")
    return files


def table_path(root: Path, name: str, mpath: Path) -> Path:
    """``root / name``, refused unless it is a regular file directly inside ``root`` (no ``..``,
    no absolute path, no symbolic link anywhere on the way)."""
    if os.path.isabs(name) or Path(name).name != name or name in (".", ".."):
        raise SnapshotError(f"{mpath}: table path {name!r} leaves the snapshot directory; refusing to read it")
    path = root / name
    if path.is_symlink():
        raise SnapshotError(f"{mpath}: table {name!r} is a symbolic link; refusing to follow it out of {root}")
    real_root = root.resolve()
    if path.resolve().parent != real_root:
        raise SnapshotError(f"{mpath}: table path {name!r} leaves the snapshot directory; refusing to read it")
    return path


def check_table(name: str, table: pa.Table, fpath: Path, *, version: int) -> pa.Table:
    """``table`` with the columns of its schema cast to their types; extra columns kept.

    Raises
    ------
    SnapshotError
        A column of the schema is missing or of a type that cannot be read as its own.
    """
    schema = _SCHEMAS[name]
    optional = _V1_MISSING.get(name, set()) if version < 2 else set()
    missing = [f.name for f in schema if f.name not in table.column_names and f.name not in optional]
    if missing:
        raise SnapshotError(
            f"{fpath}: the {name} table lacks the column(s) {', '.join(missing)}; the snapshot is damaged "
            "or was not written by hftree"
        )
    for f in schema:
        if f.name not in table.column_names:
            continue
        col = table.column(f.name)
        if col.type.equals(f.type):
            continue
        try:
            cast = col.cast(f.type, safe=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            raise SnapshotError(
                f"{fpath}: column {f.name} of the {name} table is {col.type}, expected {f.type}; "
                "the snapshot is damaged or was not written by hftree"
            ) from None
        table = table.set_column(table.column_names.index(f.name), f.name, cast)
    return table
