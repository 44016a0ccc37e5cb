"""The SQLite store's tables, and creating them in a new file."""

from __future__ import annotations

import sqlite3

__all__ = ["create", "is_created"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    meta TEXT
);
CREATE TABLE IF NOT EXISTS paragraphs (
    doc_seq INTEGER NOT NULL REFERENCES documents(seq) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL,
    key INTEGER NOT NULL,
    cluster TEXT NOT NULL,
    PRIMARY KEY (doc_seq, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
    key INTEGER PRIMARY KEY,
    count INTEGER NOT NULL,
    signature BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (doc_id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS changes_by_seq ON changes (seq);
"""
# The tables and indexes _SCHEMA creates.
_OBJECTS = frozenset(
    ("settings", "documents", "paragraphs", "entries", "changes", "changes_by_seq")
)


def is_created(db: sqlite3.Connection) -> bool:
    """Whether the file is in WAL mode and holds every table (reading it takes no lock)."""
    mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    return bool(mode == "wal" and names >= _OBJECTS)


def create(db: sqlite3.Connection) -> None:
    """Turn on WAL and create what is missing; the caller holds the store's write lock."""
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(_SCHEMA)
