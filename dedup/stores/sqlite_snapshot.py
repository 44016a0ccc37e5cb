"""The SQLite store's snapshot: its columns (:class:`StoreColumns`) kept in the file, ready.

A load of a store turns 200,000 paragraph rows into columns (an ``Index`` of a 5,000-page
store: 0.47 s of CPU from the tables, 0.19 s from a snapshot, which is a dozen values).
``dedup index build`` and ``dedup index add`` take one in the transaction of their write, and
``dedup store snapshot`` takes one anew. Triggers on the documents table delete it on any
change to the documents, whoever writes (a service, an older dedup, the sqlite3 shell); every
write of a dedup puts or deletes documents, with their paragraphs and fingerprints, so a
snapshot that is there is the store as it stands (``dedup store check`` finds one that a hand
edit of only the paragraphs or fingerprints left behind). Without one, a load reads the tables.

The ``snapshot`` table holds one row per column: arrays as little-endian bytes, lists of
strings and the metadata as JSON, and the format's number.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

import numpy as np

from dedup.stores.columns import StoreColumns

__all__ = ["load_snapshot", "save_snapshot", "snapshot_keys", "snapshot_problems"]

_FORMAT = b"1"
_TABLE = "CREATE TABLE IF NOT EXISTS snapshot (name TEXT PRIMARY KEY, value BLOB NOT NULL)"
# A trigger per kind of change to the documents, each deleting the snapshot. Every write of
# any dedup puts or deletes documents, their paragraphs and fingerprints with them; one per
# paragraph as well would double the time of a write.
_TRIGGERS = {
    f"snapshot_stale_{event.lower()}": (
        f"CREATE TRIGGER IF NOT EXISTS snapshot_stale_{event.lower()} AFTER {event} ON documents "
        "WHEN EXISTS (SELECT 1 FROM snapshot) BEGIN DELETE FROM snapshot; END"
    )
    for event in ("INSERT", "UPDATE", "DELETE")
}
# How each array column is kept.
_ARRAYS = {
    "counts": "<i8",
    "para_cluster": "<i4",
    "para_entry": "<i4",
    "entry_counts": "<i8",
}
_NAMES = frozenset({"format", "ids", "metas", "clusters", "keys", "signatures", "width", *_ARRAYS})


def save_snapshot(db: sqlite3.Connection, columns: StoreColumns) -> None:
    """Replace the snapshot by ``columns``, creating the table and triggers if missing.

    Call it inside a write transaction: statement by statement (``executescript`` would commit
    it halfway).
    """
    db.execute(_TABLE)
    for create in _TRIGGERS.values():
        db.execute(create)
    db.execute("DELETE FROM snapshot")
    values: dict[str, bytes] = {
        "format": _FORMAT,
        "ids": json.dumps(columns.ids).encode(),
        "metas": json.dumps(columns.metas).encode(),
        "clusters": json.dumps(columns.clusters).encode(),
        "keys": np.asarray(columns.keys, dtype=np.uint64).astype("<u8").tobytes(),
        "signatures": np.ascontiguousarray(columns.signatures, dtype="<u4").tobytes(),
        "width": str(columns.signatures.shape[1]).encode(),
    }
    for name, dtype in _ARRAYS.items():
        values[name] = np.asarray(getattr(columns, name)).astype(dtype).tobytes()
    db.executemany("INSERT INTO snapshot (name, value) VALUES (?, ?)", values.items())


def load_snapshot(db: sqlite3.Connection) -> StoreColumns | None:
    """The snapshot's columns, or None if there is none this code can trust: no table, a
    trigger missing, another format, or columns that disagree with each other."""
    if not _kept(db):
        return None
    values = dict(db.execute("SELECT name, value FROM snapshot").fetchall())
    if set(values) != _NAMES or values["format"] != _FORMAT:
        return None
    try:
        return _decode(values)
    except (ValueError, TypeError):
        return None


def snapshot_keys(db: sqlite3.Connection) -> list[int] | None:
    """The exact keys of the entries, from the snapshot, or None if it cannot be trusted."""
    if not _kept(db):
        return None
    values = dict(
        db.execute("SELECT name, value FROM snapshot WHERE name IN ('format', 'keys')").fetchall()
    )
    blob = values.get("keys")
    if values.get("format") != _FORMAT or blob is None or len(blob) % 8:
        return None
    keys: list[int] = np.frombuffer(blob, dtype="<u8").tolist()
    return keys


def snapshot_problems(db: sqlite3.Connection, tables: Callable[[], StoreColumns]) -> list[str]:
    """What is wrong with the snapshot, if one is kept: it cannot be read, or it differs from
    ``tables()``, the columns read from the tables."""
    if not _has_table(db) or db.execute("SELECT count(*) FROM snapshot").fetchone()[0] == 0:
        return []
    remedy = "'dedup store snapshot' takes it anew"
    columns = load_snapshot(db)
    if columns is None:
        return [f"the snapshot of the columns cannot be used, and loads read the tables; {remedy}"]
    if not columns.same_as(tables()):
        return [f"the snapshot of the columns differs from the tables it was taken of; {remedy}"]
    return []


def _has_table(db: sqlite3.Connection) -> bool:
    row = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'snapshot'")
    return row.fetchone() is not None


def _kept(db: sqlite3.Connection) -> bool:
    """Whether the table is there with every trigger that keeps it true."""
    names = {
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'documents'"
        )
    }
    return names >= _TRIGGERS.keys() and _has_table(db)


def _decode(values: dict[str, bytes]) -> StoreColumns | None:
    """The columns of a snapshot's values, or None if they disagree with each other."""
    width = int(values["width"])
    arrays = {
        name: np.frombuffer(values[name], dtype=dtype).astype(np.int64)
        for name, dtype in _ARRAYS.items()
    }
    signatures = np.frombuffer(values["signatures"], dtype="<u4").astype(np.uint32)
    keys = np.frombuffer(values["keys"], dtype="<u8")
    if width < 0 or (signatures.size % width if width else signatures.size):
        return None  # an empty store's signatures have no width
    columns = StoreColumns(
        ids=json.loads(values["ids"]),
        metas=json.loads(values["metas"]),
        counts=arrays["counts"],
        clusters=json.loads(values["clusters"]),
        para_cluster=arrays["para_cluster"],
        para_entry=arrays["para_entry"],
        keys=keys.astype(np.uint64).tolist(),
        entry_counts=arrays["entry_counts"],
        signatures=signatures.reshape(signatures.size // width if width else 0, width),
    )
    return None if columns.problem() is not None else columns
