"""The Hub through time: a history of dated snapshots, diffs, time series and observed growth.

* :mod:`~hftree.history.store` -- the store (hive-partitioned Parquet, ``snapshot=YYYY-MM-DD/``) and
  adding snapshots to it atomically;
* :mod:`~hftree.history.query` -- DuckDB queries: per-model and per-family series, births, deaths, churn;
* :mod:`~hftree.history.diff` -- what changed between two snapshots;
* :mod:`~hftree.history.growth` -- family sizes and downloads as observed, for the adoption fitters.

See ``docs/history.md``.
"""

from hftree.history.diff import CATEGORIES, CHANGE_FIELDS, SnapshotDiff, diff_snapshots
from hftree.history.growth import ObservedGrowth, observed_downloads, observed_growth
from hftree.history.query import HubChurn, TimeSeries, family_series, hub_churn, model_series
from hftree.history.store import History, add_snapshot, add_tables, history_tables, open_history

__all__ = [
    "CATEGORIES",
    "CHANGE_FIELDS",
    "History",
    "HubChurn",
    "ObservedGrowth",
    "SnapshotDiff",
    "TimeSeries",
    "add_snapshot",
    "add_tables",
    "diff_snapshots",
    "family_series",
    "history_tables",
    "hub_churn",
    "model_series",
    "observed_downloads",
    "observed_growth",
    "open_history",
]
