"""A whole store as the numbered columns an index loads, and the stores that keep them ready.

Loading an index turns a store's documents and fingerprints into columns: each paragraph's
cluster and entry as numbers, the clusters in order of first appearance. A store may keep those
columns ready (:class:`Snapshotted`, the SQLite store) so that a load reads them in one go
instead of rebuilding them row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from dedup.errors import StoreError
from dedup.stores.store import Skeleton

__all__ = ["Snapshotted", "StoreColumns", "columns_of", "take_snapshot"]


@dataclass(frozen=True, slots=True)
class StoreColumns:
    """Everything an index loads from a store but the texts, numbered.

    Attributes:
        ids: document ids in insertion order.
        metas: their metadata.
        counts: (documents,) paragraphs per document.
        clusters: cluster ids in order of first appearance among the paragraphs.
        para_cluster: (paragraphs,) each paragraph's cluster, as a position in ``clusters``;
            documents in order, each one's paragraphs in order.
        para_entry: (paragraphs,) each paragraph's fingerprint, as a row of the entries.
        keys: the exact key of each stored fingerprint (entry), in the store's order.
        entry_counts: (entries,) their shingle counts.
        signatures: (entries, num_perm) their MinHash signatures.
    """

    ids: list[str]
    metas: list[dict[str, object] | None]
    counts: npt.NDArray[np.int64]
    clusters: list[str]
    para_cluster: npt.NDArray[np.int64]
    para_entry: npt.NDArray[np.int64]
    keys: list[int]
    entry_counts: npt.NDArray[np.int64]
    signatures: npt.NDArray[np.uint32]

    def problem(self) -> str | None:
        """What makes the columns disagree with each other, or None: lengths that differ,
        numbers that point past their table."""
        paragraphs, entries = self.para_cluster.size, len(self.keys)
        if not len(self.ids) == len(self.metas) == self.counts.size:
            return "the documents' columns have different lengths"
        if int(self.counts.sum()) != paragraphs or self.para_entry.size != paragraphs:
            return "the documents' paragraph counts disagree with the paragraphs"
        if self.entry_counts.size != entries or self.signatures.shape[0] != entries:
            return "the entries' columns have different lengths"
        if paragraphs and (
            int(self.para_cluster.min()) < 0
            or int(self.para_cluster.max()) >= len(self.clusters)
            or int(self.para_entry.min()) < 0
            or int(self.para_entry.max()) >= entries
        ):
            return "a paragraph names a cluster or an entry that is not there"
        return None

    def same_as(self, other: StoreColumns) -> bool:
        """Whether two sets of columns hold the same store, in the same order."""
        return (
            self.ids == other.ids
            and self.metas == other.metas
            and self.clusters == other.clusters
            and self.keys == other.keys
            and all(
                np.array_equal(mine, theirs)
                for mine, theirs in (
                    (self.counts, other.counts),
                    (self.para_cluster, other.para_cluster),
                    (self.para_entry, other.para_entry),
                    (self.entry_counts, other.entry_counts),
                    (self.signatures, other.signatures),
                )
            )
        )


def columns_of(
    skeleton: Skeleton,
    fingerprints: tuple[list[int], npt.NDArray[np.int64], npt.NDArray[np.uint32]],
) -> StoreColumns:
    """Number a store's paragraphs: their clusters in order of first appearance, their entries
    as rows of ``fingerprints`` (what :meth:`Store.skeleton` and :meth:`Store.fingerprints`
    return).

    Raises:
        StoreError: a paragraph's fingerprint is not stored.
    """
    keys, entry_counts, signatures = fingerprints
    # The mappings are done in C (map over a dict's __getitem__).
    cluster_index = {c: i for i, c in enumerate(dict.fromkeys(skeleton.clusters))}
    para_cluster = np.fromiter(
        map(cluster_index.__getitem__, skeleton.clusters),
        dtype=np.int64,
        count=len(skeleton.clusters),
    )
    entry_of_key = {key: i for i, key in enumerate(keys)}
    try:
        para_entry = np.fromiter(
            map(entry_of_key.__getitem__, skeleton.keys), dtype=np.int64, count=len(skeleton.keys)
        )
    except KeyError:
        raise StoreError(
            "the store holds paragraphs whose fingerprints are missing; see 'dedup store check', "
            "and rebuild it from the pages with 'dedup index build'"
        ) from None
    return StoreColumns(
        skeleton.ids,
        skeleton.metas,
        np.asarray(skeleton.counts, dtype=np.int64),
        list(cluster_index),
        para_cluster,
        para_entry,
        keys,
        entry_counts,
        signatures,
    )


@runtime_checkable
class Snapshotted(Protocol):
    """A store that can keep its columns ready for the next load (a snapshot): any change to
    the store drops the snapshot, and :meth:`save_snapshot` takes a new one."""

    def snapshot_columns(self) -> StoreColumns | None:
        """The columns of the store as it stands, if a snapshot of it is kept, else None.
        Call it inside :meth:`Store.reading`."""
        ...

    def save_snapshot(self) -> StoreColumns:
        """Take a snapshot of the store as it stands and return its columns; inside
        :meth:`Store.writing`, it commits with the writes there."""
        ...


def take_snapshot(store: object) -> None:
    """Save a snapshot of ``store`` if it keeps them (call it inside its write transaction)."""
    if isinstance(store, Snapshotted):
        store.save_snapshot()
