"""Bring an index's memory in line with its store: rebuild it whole, or replay what changed.

A store shared by several processes changes behind each of them. Every process keeps its own
:class:`dedup.index.state.IndexState`; before it reads or plans a write it replays the
documents that the others put or deleted (:meth:`dedup.stores.store.Store.changes`), in the
order of their last change, so its documents, entries and clusters are again the ones the store
holds.
"""

from __future__ import annotations

import numpy as np

from dedup.errors import StoreError
from dedup.index.state import IndexState
from dedup.stores.columns import Snapshotted, columns_of
from dedup.stores.store import Store, StoredDocument, StoredEntry

__all__ = ["load", "replay"]


def load(state: IndexState, store: Store) -> None:
    """Fill an empty state from the store, column by column, and follow the store from there.

    The columns come from the store's snapshot when it keeps one (:class:`Snapshotted`), else
    from its documents and fingerprints: the same columns either way.
    """
    with store.reading():
        store.changes()  # what others write from this snapshot on is replayed later
        columns = store.snapshot_columns() if isinstance(store, Snapshotted) else None
        if columns is None:
            columns = columns_of(store.skeleton(), store.fingerprints())
    state.new_clusters(columns.clusters)
    keys, para_entry, para_cluster = columns.keys, columns.para_entry, columns.para_cluster
    entry_cluster = np.zeros(len(keys), dtype=np.int64)
    entry_cluster[para_entry[::-1]] = para_cluster[::-1]  # first paragraph's cluster wins
    live = np.zeros(len(keys), dtype=bool)
    live[para_entry] = True
    counts, signatures = columns.entry_counts, columns.signatures
    if live.all():  # the usual case: skip copying every signature
        state.new_entries(keys, counts, signatures, entry_cluster)
    else:
        kept = np.flatnonzero(live)
        state.new_entries(
            [keys[i] for i in kept.tolist()], counts[kept], signatures[kept], entry_cluster[kept]
        )
        para_entry = (np.cumsum(live) - 1)[para_entry]
    state.attach_many(columns.ids, columns.metas, columns.counts.tolist(), para_entry, para_cluster)


def replay(state: IndexState, store: Store, changed: list[str]) -> None:
    """Replace the documents named in ``changed`` with what the store holds for them now.

    Call it inside one snapshot of the store (:meth:`Store.reading` or :meth:`Store.writing`),
    with the ids :meth:`Store.changes` returned there.

    Raises:
        StoreError: the store holds a paragraph whose fingerprint is missing.
    """
    if not changed:
        return
    detached = [state.detach(doc_id) for doc_id in changed if doc_id in state.documents]
    if detached:
        state.settle(
            np.concatenate([entries for entries, _ in detached]),
            np.concatenate([clusters for _, clusters in detached]),
        )
    docs = [doc for doc in map(store.document, changed) if doc is not None]
    missing = list(dict.fromkeys(k for d in docs for k in d.keys if k not in state.entry_of_key))
    stored = {entry.key: entry for entry in store.entries_for(missing)}
    if len(stored) != len(missing):
        raise StoreError(
            "the store holds paragraphs whose fingerprints are missing; rebuild it from the "
            "pages with 'dedup index build'"
        )
    for doc in docs:
        _attach(state, doc, stored)


def _attach(state: IndexState, doc: StoredDocument, stored: dict[int, StoredEntry]) -> None:
    """Attach one stored document, registering the clusters and entries it brings."""
    state.new_clusters([c for c in dict.fromkeys(doc.clusters) if c not in state.cluster_of_id])
    fresh: dict[int, str] = {}
    for key, cluster in zip(doc.keys, doc.clusters, strict=True):
        if key not in state.entry_of_key:
            fresh.setdefault(key, cluster)
    if fresh:
        entries = [stored[key] for key in fresh]
        state.new_entries(
            list(fresh),
            np.array([e.count for e in entries], dtype=np.int64),
            np.stack([e.signature for e in entries]).astype(np.uint32),
            np.array([state.cluster_of_id[c] for c in fresh.values()], dtype=np.int64),
        )
    state.attach(
        doc.id,
        doc.meta,
        np.array([state.entry_of_key[k] for k in doc.keys], dtype=np.int64),
        np.array([state.cluster_of_id[c] for c in doc.clusters], dtype=np.int64),
    )
