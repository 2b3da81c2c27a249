"""What changed between two snapshots: models, metadata, lineage edges and families.

Models are matched by the Hub's ``_id`` (``uid``), which survives renames, and by id where a side's
dump has no ``uid`` at all (older dumps); a row without a ``uid`` in a dump that has them is keyed by
its id: then a rename cannot be told from a deletion plus a creation, and the diff
says so. A model deleted and re-created under the same id has a new ``uid``: it is both removed and
added, and listed as ``recreated``. Metadata changes are compared only for fields both sides hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args

import pandas as pd

from hftree._results import Result
from hftree.history.query import connect, scan
from hftree.history.store import History, history_tables

if TYPE_CHECKING:
    import duckdb

__all__ = ["CATEGORIES", "CHANGE_FIELDS", "Category", "SnapshotDiff", "diff_snapshots"]

#: Metadata fields whose changes the diff lists (``pipeline_tag`` is the task).
CHANGE_FIELDS: tuple[str, ...] = ("license", "pipeline_tag", "library_name", "author")
#: A category of :attr:`SnapshotDiff.tables`.
Category = Literal[
    "added", "removed", "renamed", "recreated", "changed", "edges_added", "edges_removed",
    "relation_changed", "families_grew", "families_shrank",
]
#: The categories, in the order of the counts table.
CATEGORIES: tuple[str, ...] = get_args(Category)


@dataclass(frozen=True, repr=False)
class SnapshotDiff(Result):
    """The differences between an old and a new snapshot.

    Attributes
    ----------
    old, new : str
        What was compared (a directory, or ``HISTORY@DATE``).
    tables : dict of str to DataFrame
        One table per category of :data:`CATEGORIES`: ``added``/``removed`` (``id, uid``), ``renamed``
        (``old_id, id, uid``), ``recreated`` (``id, old_uid, uid``), ``changed`` (``id, field, old,
        new, kind``: ``set`` where the old value was missing, ``cleared`` where the new one is),
        ``edges_added``/``edges_removed`` (``parent, child, relation``), ``relation_changed``
        (``parent, child, old, new``), ``families_grew``/``families_shrank`` (``root, old, new,
        change``: descendants).
    notes : list of str
        What could not be compared, and why.
    """

    old: str
    new: str
    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    title: ClassVar[str] = "Snapshot diff"

    def to_frame(self) -> pd.DataFrame:
        """The counts: one row per category."""
        return pd.DataFrame({"category": list(CATEGORIES), "count": [len(self.tables[c]) for c in CATEGORIES]})

    def count(self, category: str) -> int:
        """Rows of one category."""
        return len(self.tables[category])

    def _note(self) -> str:
        return f"{self.old} → {self.new}" + ("; " + "; ".join(self.notes) if self.notes else "")


def _register(con: duckdb.DuckDBPyConnection, side: str, what: Any) -> tuple[str, set[str]]:
    """Views ``{side}_models/_edges/_members`` of a snapshot or ``(History, date)``; the fields present."""
    if isinstance(what, tuple):
        hist, day = what
        assert isinstance(hist, History)
        for t in ("models", "edges", "members"):
            con.execute(f"CREATE VIEW {side}_{t} AS SELECT * EXCLUDE (snapshot) FROM {scan(hist, t, [day])}")
        return f"{hist.path}@{day}", set(hist.info(day)["fields"])
    from hftree.ingest.snapshot import Snapshot, load_snapshot

    label = str(what)
    snap = what if isinstance(what, Snapshot) else load_snapshot(what)
    if isinstance(what, Snapshot):
        label = str(snap.manifest.get("snapshot_time", "snapshot"))
    tables = history_tables(snap.models, snap.edges)
    for t, table in tables.items():
        con.register(f"{side}_{t}_arrow", table)
        con.execute(f"CREATE VIEW {side}_{t} AS SELECT * FROM {side}_{t}_arrow")
    m = tables["models"]
    return label, {c for c in m.column_names if m[c].null_count < m.num_rows}


def diff_snapshots(old: Any, new: Any, *, top: int | None = None) -> SnapshotDiff:
    """Compare two snapshots.

    Parameters
    ----------
    old, new : Snapshot, path, or (History, date)
        A :class:`hftree.ingest.Snapshot`, a snapshot directory, or a date of a history.
    top : int, optional
        Keep only the ``top`` families with the largest change in each of ``families_grew`` and
        ``families_shrank`` (the counts are of the kept rows then; default: all).

    Returns
    -------
    SnapshotDiff

    Examples
    --------
    >>> import pandas as pd
    >>> from hftree.ingest.snapshot import Snapshot
    >>> a = Snapshot(pd.DataFrame({"id": ["x", "y"], "license": ["mit", "mit"]}),
    ...              pd.DataFrame({"parent": ["x"], "child": ["y"], "relation": ["finetune"]}))
    >>> b = Snapshot(pd.DataFrame({"id": ["x", "z"], "license": ["mit", "mit"]}),
    ...              pd.DataFrame({"parent": ["x"], "child": ["z"], "relation": ["adapter"]}))
    >>> d = diff_snapshots(a, b)
    >>> d.tables["added"]["id"].tolist(), d.tables["removed"]["id"].tolist(), d.count("edges_removed")
    (['z'], ['y'], 1)
    """
    con = connect()
    notes: list[str] = []
    try:
        old_label, of = _register(con, "o", old)
        new_label, nf = _register(con, "n", new)
        tables = _model_diff(con, of, nf, notes)
        n_old, n_new = (con.execute(f"SELECT count(*) FROM {s}_edges").fetchall()[0][0] for s in "on")
        if (n_old == 0) != (n_new == 0):  # one side has no lineage at all: a difference of the dumps
            notes.append(f"lineage not compared: the {'old' if n_old == 0 else 'new'} side declares no edge at all")
            tables.update({c: _EMPTY[c].copy() for c in CATEGORIES if c not in tables})
        else:
            tables.update(_edge_diff(con))
            tables.update(_family_diff(con, top))
    finally:
        con.close()
    return SnapshotDiff(old_label, new_label, tables, notes)


_EMPTY = {
    **{c: pd.DataFrame(columns=["parent", "child", "relation"]) for c in ("edges_added", "edges_removed")},
    "relation_changed": pd.DataFrame(columns=["parent", "child", "old", "new"]),
    **{c: pd.DataFrame(columns=["root", "old", "new", "change"]) for c in ("families_grew", "families_shrank")},
}


def _model_diff(con: duckdb.DuckDBPyConnection, of: set[str], nf: set[str], notes: list[str]) -> dict[str, Any]:
    by_uid = "uid" in of and "uid" in nf
    if not by_uid:
        notes.append("models matched by id (no Hub _id on " + ("either side" if "uid" not in of | nf else
                     ("the old side" if "uid" not in of else "the new side")) + "): renames show as a removal "
                     "plus an addition, re-creations are not detected")
    fields = [f for f in CHANGE_FIELDS if f in of and f in nf]
    # one full outer join on the key: a row without uid (where the dump has one) is keyed by its id
    key = "CASE WHEN {t}.uid IS NULL THEN 'id:' || {t}.id ELSE {t}.uid END" if by_uid else "{t}.id"
    carried = "".join(f", o.{f} AS o_{f}, n.{f} AS n_{f}" for f in fields)
    con.execute(
        "CREATE TEMP TABLE j AS SELECT o.id AS old_id, o.uid AS old_uid, n.id AS id, n.uid AS uid"
        f"{carried} FROM o_models o FULL OUTER JOIN n_models n ON {key.format(t='o')} = {key.format(t='n')}"
    )
    out: dict[str, Any] = {}
    out["added"] = con.sql("SELECT id, uid FROM j WHERE old_id IS NULL ORDER BY id").df()
    out["removed"] = con.sql("SELECT old_id AS id, old_uid AS uid FROM j WHERE id IS NULL ORDER BY old_id").df()
    out["renamed"] = con.sql("SELECT old_id, id, uid FROM j WHERE old_id <> id ORDER BY id").df()
    rec = out["removed"].merge(out["added"], on="id", suffixes=("_old", ""))
    out["recreated"] = rec.rename(columns={"uid_old": "old_uid"})[["id", "old_uid", "uid"]].reset_index(drop=True)
    missing = [f for f in CHANGE_FIELDS if f not in fields]
    if missing:
        notes.append("not compared (absent on a side): " + ", ".join(missing))
    for side, mine, other in (("old", of, nf), ("new", nf, of)):
        if only := sorted(mine - other - {"uid"}):
            notes.append(f"fields only on the {side} side: {', '.join(only)}")
    if fields:
        parts = [
            f"SELECT id, '{f}' AS field, o_{f} AS old, n_{f} AS new, CASE WHEN o_{f} IS NULL THEN 'set' "
            f"WHEN n_{f} IS NULL THEN 'cleared' ELSE 'changed' END AS kind FROM j "
            f"WHERE old_id IS NOT NULL AND id IS NOT NULL AND o_{f} IS DISTINCT FROM n_{f}"
            for f in fields
        ]
        out["changed"] = con.sql(" UNION ALL ".join(parts) + " ORDER BY id, field").df()
    else:
        out["changed"] = pd.DataFrame(columns=["id", "field", "old", "new", "kind"])
    return out


def _edge_diff(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    both = con.sql(
        "SELECT coalesce(o.parent, n.parent) AS parent, coalesce(o.child, n.child) AS child, "
        "o.relation AS old, n.relation AS new FROM o_edges o FULL OUTER JOIN n_edges n "
        "ON o.parent = n.parent AND o.child = n.child WHERE o.relation IS DISTINCT FROM n.relation"
    ).df().sort_values(["parent", "child"], ignore_index=True)
    added = both[both["old"].isna()]
    removed = both[both["new"].isna()]
    return {
        "edges_added": added[["parent", "child"]].assign(relation=added["new"]).reset_index(drop=True),
        "edges_removed": removed[["parent", "child"]].assign(relation=removed["old"]).reset_index(drop=True),
        "relation_changed": both[both["old"].notna() & both["new"].notna()].reset_index(drop=True),
    }


def _family_diff(con: duckdb.DuckDBPyConnection, top: int | None) -> dict[str, pd.DataFrame]:
    fam = con.sql(
        "WITH a AS (SELECT root, count(*) AS k FROM o_members GROUP BY 1), "
        "b AS (SELECT root, count(*) AS k FROM n_members GROUP BY 1) "
        "SELECT coalesce(a.root, b.root) AS root, coalesce(a.k, 0) AS old, coalesce(b.k, 0) AS new, "
        "coalesce(b.k, 0) - coalesce(a.k, 0) AS change FROM a FULL OUTER JOIN b ON a.root = b.root "
        "WHERE coalesce(b.k, 0) <> coalesce(a.k, 0)"
    ).df()
    grew = fam[fam["change"] > 0].sort_values(["change", "root"], ascending=[False, True], ignore_index=True)
    shrank = fam[fam["change"] < 0].sort_values(["change", "root"], ignore_index=True)
    if top is not None:
        grew, shrank = grew.head(top), shrank.head(top)
    return {"families_grew": grew, "families_shrank": shrank}
