"""The one error tree of dedup; every error says what went wrong and what to do.

DedupError
 ├── ConfigError (ValueError)             a parameter is out of range or inconsistent
 ├── InputError (ValueError)              a page or a source cannot be read; carries file and line
 ├── IncompatibleSignatureError (ValueError)  signatures from another num_perm or seed
 ├── DuplicateKeyError (KeyError)         an id that must be new already exists
 ├── UnknownKeyError (KeyError)           an id that must exist does not
 └── StoreError (OSError)                 the persistent store cannot be opened or written
      ├── StorageFullError                the store's disk is full: nothing was written
      └── WriteConflictError              another writer committed first; plan the write again
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DedupError",
    "DuplicateKeyError",
    "IncompatibleSignatureError",
    "InputError",
    "StorageFullError",
    "StoreError",
    "UnknownKeyError",
    "WriteConflictError",
]


class DedupError(Exception):
    """Base of every error dedup raises on purpose."""


class ConfigError(DedupError, ValueError):
    """A configuration value is out of range or inconsistent with another."""


class InputError(DedupError, ValueError):
    """A source or a page cannot be used; `source` and `line` locate it (line is 1-based)."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.reason = message
        where = source if line is None else f"{source}:{line}"
        super().__init__(message if source is None else f"{where}: {message}")


class IncompatibleSignatureError(DedupError, ValueError):
    """Signatures were made with another num_perm or seed than the index expects."""


class DuplicateKeyError(DedupError, KeyError):
    """An id that must be new is already present."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else ""


class UnknownKeyError(DedupError, KeyError):
    """An id that must exist is not present."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class StoreError(DedupError, OSError):
    """The persistent store cannot be opened, read or written."""


class StorageFullError(StoreError):
    """The store's disk (or quota) is full: the write was refused whole; retry once space is
    freed."""


class WriteConflictError(StoreError):
    """Another writer changed a shared store since this one read it: replay and plan again."""
