"""Persistence for the incremental index: one small interface, with SQLite and in-memory stores."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from dedup.errors import StoreError

__all__ = ["MemoryStore", "SQLiteStore", "Skeleton", "Store", "StoredDocument", "StoredEntry"]

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
"""


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A document as stored: its paragraphs' text, exact key and cluster id, in order."""

    id: str
    meta: dict[str, object] | None
    texts: tuple[str, ...]
    keys: tuple[int, ...]
    clusters: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Skeleton:
    """Everything but the paragraph texts, for a fast rebuild of the index.

    Attributes:
        ids: document ids in insertion order.
        metas: their metadata.
        counts: paragraphs per document.
        keys: exact key of every paragraph, documents in order.
        clusters: cluster of every paragraph, documents in order.
    """

    ids: list[str]
    metas: list[dict[str, object] | None]
    counts: list[int]
    keys: list[int]
    clusters: list[str]


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """The fingerprint of one distinct normalised paragraph."""

    key: int
    count: int
    signature: npt.NDArray[np.uint32]


class Store(Protocol):
    """Where the index keeps what it has acknowledged. Every write is durable when it returns."""

    def settings(self) -> dict[str, str]:
        """Return the stored settings (empty for a new store)."""
        ...

    def save_settings(self, settings: dict[str, str]) -> None:
        """Record settings; called once when a store is created."""
        ...

    def documents(self) -> Iterator[StoredDocument]:
        """Yield every document in insertion order."""
        ...

    def entries(self) -> Iterator[StoredEntry]:
        """Yield every stored fingerprint."""
        ...

    def document(self, doc_id: str) -> StoredDocument | None:
        """Return one document, or None."""
        ...

    def skeleton(self) -> Skeleton:
        """Return the documents without their texts."""
        ...

    def fingerprints(
        self,
    ) -> tuple[list[int], npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
        """Return every stored fingerprint as arrays: keys, (n,) counts, (n, num_perm) sigs."""
        ...

    def write(
        self,
        put: Sequence[StoredDocument],
        delete: Sequence[str],
        new_entries: Sequence[StoredEntry],
        dropped_entries: Sequence[int],
    ) -> None:
        """Apply one atomic change: delete documents, put (insert or replace) documents, and
        add or drop fingerprints. Durable when it returns."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...


def _fingerprint_arrays(
    keys: list[int], counts: list[int], blobs: list[bytes]
) -> tuple[list[int], npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
    width = len(blobs[0]) // 4 if blobs else 0
    signatures = np.frombuffer(b"".join(blobs), dtype=np.uint32).reshape(len(blobs), width)
    return keys, np.asarray(counts, dtype=np.int64), signatures


def _signed(key: int) -> int:
    """SQLite integers are signed 64-bit: store uint64 keys in two's complement."""
    return key - (1 << 64) if key >= 1 << 63 else key


def _unsigned(key: int) -> int:
    return key + (1 << 64) if key < 0 else key


class SQLiteStore:
    """A SQLite file in WAL mode with synchronous commits: the source of truth of a service.

    Several processes may open the same file; SQLite serialises their writes.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30.0
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"cannot open the store {self.path}: {exc}; check the path and its permissions"
            ) from exc
        self._lock = threading.Lock()

    def settings(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT name, value FROM settings").fetchall())

    def save_settings(self, settings: dict[str, str]) -> None:
        with self._lock, self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)", settings.items()
            )

    def documents(self) -> Iterator[StoredDocument]:
        docs = self._db.execute("SELECT seq, id, meta FROM documents ORDER BY seq").fetchall()
        rows = self._db.execute(
            "SELECT doc_seq, text, key, cluster FROM paragraphs ORDER BY doc_seq, idx"
        )
        pending = next(rows, None)
        for seq, doc_id, meta in docs:
            texts: list[str] = []
            keys: list[int] = []
            clusters: list[str] = []
            while pending is not None and pending[0] == seq:
                texts.append(pending[1])
                keys.append(_unsigned(pending[2]))
                clusters.append(pending[3])
                pending = next(rows, None)
            yield StoredDocument(
                doc_id,
                None if meta is None else json.loads(meta),
                tuple(texts),
                tuple(keys),
                tuple(clusters),
            )

    def fingerprints(
        self,
    ) -> tuple[list[int], npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
        rows = self._db.execute("SELECT key, count, signature FROM entries").fetchall()
        return _fingerprint_arrays(
            [_unsigned(r[0]) for r in rows], [r[1] for r in rows], [r[2] for r in rows]
        )

    def skeleton(self) -> Skeleton:
        db = self._db
        docs = db.execute(
            "SELECT d.id, d.meta, (SELECT count(*) FROM paragraphs p WHERE p.doc_seq = d.seq) "
            "FROM documents d ORDER BY d.seq"
        ).fetchall()
        rows = db.execute("SELECT key, cluster FROM paragraphs ORDER BY doc_seq, idx").fetchall()
        return Skeleton(
            [d[0] for d in docs],
            [None if d[1] is None else json.loads(d[1]) for d in docs],
            [d[2] for d in docs],
            [_unsigned(r[0]) for r in rows],
            [r[1] for r in rows],
        )

    def document(self, doc_id: str) -> StoredDocument | None:
        row = self._db.execute("SELECT seq, meta FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return None
        paragraphs = self._db.execute(
            "SELECT text, key, cluster FROM paragraphs WHERE doc_seq = ? ORDER BY idx", (row[0],)
        ).fetchall()
        return StoredDocument(
            doc_id,
            None if row[1] is None else json.loads(row[1]),
            tuple(p[0] for p in paragraphs),
            tuple(_unsigned(p[1]) for p in paragraphs),
            tuple(p[2] for p in paragraphs),
        )

    def entries(self) -> Iterator[StoredEntry]:
        for key, count, blob in self._db.execute("SELECT key, count, signature FROM entries"):
            yield StoredEntry(_unsigned(key), count, np.frombuffer(blob, dtype=np.uint32))

    def write(
        self,
        put: Sequence[StoredDocument],
        delete: Sequence[str],
        new_entries: Sequence[StoredEntry],
        dropped_entries: Sequence[int],
    ) -> None:
        with self._lock, self._transaction():
            db = self._db
            db.executemany("DELETE FROM documents WHERE id = ?", [(d,) for d in delete])
            db.executemany("DELETE FROM documents WHERE id = ?", [(d.id,) for d in put])
            for doc in put:
                meta = None if doc.meta is None else json.dumps(doc.meta, ensure_ascii=False)
                cursor = db.execute(
                    "INSERT INTO documents (id, meta) VALUES (?, ?)", (doc.id, meta)
                )
                seq = cursor.lastrowid
                db.executemany(
                    "INSERT INTO paragraphs (doc_seq, idx, text, key, cluster) VALUES (?,?,?,?,?)",
                    [
                        (seq, i, text, _signed(key), cluster)
                        for i, (text, key, cluster) in enumerate(
                            zip(doc.texts, doc.keys, doc.clusters, strict=True)
                        )
                    ],
                )
            db.executemany(
                "DELETE FROM entries WHERE key = ?", [(_signed(k),) for k in dropped_entries]
            )
            db.executemany(
                "INSERT OR REPLACE INTO entries (key, count, signature) VALUES (?, ?, ?)",
                [
                    (_signed(e.key), e.count, e.signature.astype(np.uint32).tobytes())
                    for e in new_entries
                ],
            )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self.path)

    def close(self) -> None:
        self._db.close()


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error, errors raised as StoreError."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._path = path

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to {self._path}: {exc}; is the disk full?") from exc

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if exc is not None:
            self._db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot write to {self._path}: {exc}") from exc
            return
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as commit_error:
            self._db.execute("ROLLBACK")
            raise StoreError(
                f"cannot commit to {self._path}: {commit_error}; is the disk full?"
            ) from commit_error


class MemoryStore:
    """A store that keeps nothing beyond the process: for tests and one-off batch use."""

    def __init__(self) -> None:
        self._settings: dict[str, str] = {}
        self._docs: dict[str, StoredDocument] = {}
        self._entries: dict[int, StoredEntry] = {}

    def settings(self) -> dict[str, str]:
        return dict(self._settings)

    def save_settings(self, settings: dict[str, str]) -> None:
        self._settings.update(settings)

    def documents(self) -> Iterator[StoredDocument]:
        yield from list(self._docs.values())

    def entries(self) -> Iterator[StoredEntry]:
        yield from list(self._entries.values())

    def document(self, doc_id: str) -> StoredDocument | None:
        return self._docs.get(doc_id)

    def fingerprints(
        self,
    ) -> tuple[list[int], npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
        entries = list(self._entries.values())
        return _fingerprint_arrays(
            [e.key for e in entries],
            [e.count for e in entries],
            [e.signature.astype(np.uint32).tobytes() for e in entries],
        )

    def skeleton(self) -> Skeleton:
        docs = list(self._docs.values())
        return Skeleton(
            [d.id for d in docs],
            [d.meta for d in docs],
            [len(d.keys) for d in docs],
            [k for d in docs for k in d.keys],
            [c for d in docs for c in d.clusters],
        )

    def write(
        self,
        put: Sequence[StoredDocument],
        delete: Sequence[str],
        new_entries: Sequence[StoredEntry],
        dropped_entries: Sequence[int],
    ) -> None:
        for doc_id in delete:
            self._docs.pop(doc_id, None)
        for doc in put:
            self._docs.pop(doc.id, None)
            self._docs[doc.id] = doc
        for key in dropped_entries:
            self._entries.pop(key, None)
        for entry in new_entries:
            self._entries[entry.key] = entry

    def close(self) -> None:
        """Nothing to release."""
