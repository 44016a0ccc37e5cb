"""Persistence for the incremental index: one small interface and an in-memory store.

The SQLite store that services use lives in :mod:`dedup.stores.sqlite`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

__all__ = [
    "MemoryStore",
    "Skeleton",
    "Store",
    "StoredDocument",
    "StoredEntry",
    "fingerprint_arrays",
]


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
    """Where the index keeps what it has acknowledged. Every write is durable when it returns.

    A store may be shared by several processes, each with its own index in memory. Then every
    write happens inside :meth:`writing`, which excludes the other writers, and each index
    replays the documents that :meth:`changes` names before it reads or plans a write.
    """

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

    def paragraph_texts(self, wanted: Sequence[tuple[str, int]]) -> list[str | None]:
        """Return the text of each ``(document id, paragraph number)``, or None where the
        store holds no such paragraph; one look for many, not a :meth:`document` each."""
        ...

    def skeleton(self) -> Skeleton:
        """Return the documents without their texts."""
        ...

    def fingerprints(
        self,
    ) -> tuple[list[int], npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
        """Return every stored fingerprint as arrays: keys, (n,) counts, (n, num_perm) sigs."""
        ...

    def entries_for(self, keys: Sequence[int]) -> list[StoredEntry]:
        """Return the stored fingerprints of these keys (the ones that exist)."""
        ...

    def stale(self) -> bool:
        """Cheaply tell whether :meth:`changes` may have something to return."""
        ...

    def changes(self) -> list[str]:
        """Return the ids of the documents that other writers put or deleted since the last
        call (or since the store was opened), oldest change first, each id once."""
        ...

    def reading(self) -> AbstractContextManager[None]:
        """A consistent snapshot for several reads (a no-op inside :meth:`writing`)."""
        ...

    def writing(self) -> AbstractContextManager[None]:
        """Hold the store's write lock: :meth:`write` calls inside commit together on exit."""
        ...

    def write(
        self,
        put: Sequence[StoredDocument],
        delete: Sequence[str],
        new_entries: Sequence[StoredEntry],
        dropped_entries: Sequence[int],
    ) -> None:
        """Apply one atomic change: delete documents, put (insert or replace) documents, and
        add or drop fingerprints. Durable when it returns (or when :meth:`writing` ends).

        Raises:
            WriteConflictError: (a store without a write lock, such as Redis) another writer
                committed since this one's last :meth:`changes`; nothing was written. Replay
                and plan the write again.
        """
        ...

    def durability(self) -> list[str]:
        """Return the store's settings that can lose acknowledged writes (empty when none)."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...


def fingerprint_arrays(
    keys: list[int], counts: list[int], blobs: list[bytes]
) -> tuple[list[int], npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
    width = len(blobs[0]) // 4 if blobs else 0
    signatures = np.frombuffer(b"".join(blobs), dtype=np.uint32).reshape(len(blobs), width)
    return keys, np.asarray(counts, dtype=np.int64), signatures


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

    def paragraph_texts(self, wanted: Sequence[tuple[str, int]]) -> list[str | None]:
        docs = self._docs
        return [nth_text(d.texts if (d := docs.get(i)) else None, n) for i, n in wanted]

    def fingerprints(
        self,
    ) -> tuple[list[int], npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
        entries = list(self._entries.values())
        return fingerprint_arrays(
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

    def entries_for(self, keys: Sequence[int]) -> list[StoredEntry]:
        return [self._entries[k] for k in keys if k in self._entries]

    def stale(self) -> bool:
        return False

    def changes(self) -> list[str]:
        """No other process shares a memory store: nothing ever changes behind the index."""
        return []

    def reading(self) -> AbstractContextManager[None]:
        return nullcontext()

    def writing(self) -> AbstractContextManager[None]:
        return nullcontext()

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

    def durability(self) -> list[str]:
        """A memory store loses everything at exit, as callers of it expect."""
        return []

    def close(self) -> None:
        """Nothing to release."""


def nth_text(texts: Sequence[str] | None, para: int) -> str | None:
    """Paragraph ``para`` of a document's ``texts`` (None for no document), or None."""
    return texts[para] if texts is not None and 0 <= para < len(texts) else None
