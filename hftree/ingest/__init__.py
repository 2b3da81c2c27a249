"""Ingestion: read Hub metadata (files, the Hub API) into snapshots of the model table."""

from hftree.ingest.snapshot import Snapshot, detect_kind, import_sources, load_snapshot

__all__ = ["Snapshot", "detect_kind", "import_sources", "load_snapshot"]
