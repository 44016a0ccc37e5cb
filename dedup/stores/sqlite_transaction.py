"""The SQLite store's write transactions: BEGIN IMMEDIATE ... COMMIT, and what a failed write
raises (a :class:`StorageFullError` when the disk or the user's quota is full)."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from dedup.errors import StorageFullError, StoreError

__all__ = ["Transaction", "write_error"]

# A write that fails with one of these found the disk (or the user's quota) full.
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def write_error(path: Path, exc: sqlite3.Error | OSError, doing: str) -> StoreError:
    """The StoreError of a failed write: a StorageFullError when the disk or quota is full."""
    full = getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or (
        isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS
    )
    if full:
        return StorageFullError(
            f"cannot {doing} {path}: the disk is full ({exc}); nothing was written, "
            "free some space and retry"
        )
    return StoreError(f"cannot {doing} {path}: {exc}; is the disk full?")


class Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error, errors raised as StoreError
    (StorageFullError for a full disk)."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._path = path

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise write_error(self._path, exc, "write to") from exc

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if exc is not None:
            self._rollback()
            if isinstance(exc, sqlite3.Error | OSError) and not isinstance(exc, StoreError):
                raise write_error(self._path, exc, "write to") from exc
            return
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as commit_error:
            self._rollback()
            raise write_error(self._path, commit_error, "commit to") from commit_error

    def _rollback(self) -> None:
        # SQLite may have rolled back already (a full disk does that): then there is nothing
        # left to undo, and ROLLBACK itself would fail.
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
