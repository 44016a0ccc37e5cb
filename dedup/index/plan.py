"""A change to an index, computed against its state, written to the store, then applied."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dedup.index.state import IndexState, pick_best
from dedup.sketch.fingerprint import Fingerprints
from dedup.sketch.lsh import LSHIndex
from dedup.sketch.match import Match
from dedup.stores.store import StoredDocument, StoredEntry

__all__ = ["Assigned", "Plan", "PlannedDocument"]


@dataclass(frozen=True, slots=True)
class Assigned:
    """Where an added paragraph went: the cluster it joined or founded."""

    index: int
    cluster: str
    new_cluster: bool
    similarity: float | None
    containment: float | None


@dataclass(slots=True)
class PlannedDocument:
    """A document about to be written: what the store gets and what the caller is told."""

    id: str
    meta: dict[str, object] | None
    texts: tuple[str, ...]
    entries: list[int]
    assigned: list[Assigned]
    replaced: bool


class Plan:
    """Adds and removals computed against the state; nothing changes until :meth:`apply`."""

    def __init__(self, state: IndexState) -> None:
        self.state = state
        self.base = len(state.keys)
        self.new_entries: list[StoredEntry] = []
        self.new_entry_clusters: list[str] = []
        self.new_key_map: dict[int, int] = {}
        # Entries planned in this write, by LSH record key: the buckets the index will hold
        # once the plan is applied, kept in a dict so each paragraph costs no numpy call.
        self._banding = LSHIndex(state.config.bands, state.config.rows)
        self._staged: dict[int, list[int]] = {}
        self.founded: list[str] = []
        self._founded: set[str] = set()
        self.documents: list[PlannedDocument] = []
        self.removed: list[str] = []

    def _cluster_of(self, entry: int) -> str:
        if entry < self.base:
            return self.state.cluster_id(entry)
        return self.new_entry_clusters[entry - self.base]

    def _key(self, entry: int) -> int:
        if entry < self.base:
            return int(self.state.keys.view()[entry])
        return self.new_entries[entry - self.base].key

    def remove_document(self, doc_id: str) -> None:
        """Plan the removal of a document."""
        self.removed.append(doc_id)

    def add_document(
        self, doc_id: str, meta: dict[str, object] | None, texts: list[str], prints: Fingerprints
    ) -> None:
        """Plan adding (or replacing) a document whose paragraphs are ``texts``."""
        state = self.state
        replaced = doc_id in state.documents
        if replaced:
            self.removed.append(doc_id)
        known = state.best_matches(prints)
        records: list[list[int]] = self._banding.record_keys(prints.signatures).tolist()
        entries: list[int] = []
        assigned: list[Assigned] = []
        for i, key in enumerate(prints.keys.tolist()):
            entry = state.entry_of_key.get(key, self.new_key_map.get(key))
            if entry is not None:
                entries.append(entry)
                assigned.append(Assigned(i, self._cluster_of(entry), False, 1.0, 1.0))
                continue
            best = self._best_new(prints, i, known[i], records[i])
            entry = self.base + len(self.new_entries)
            if best is None:
                cluster = self._new_cluster_id(key)
                assigned.append(Assigned(i, cluster, True, None, None))
            else:
                cluster = best.cluster
                assigned.append(Assigned(i, cluster, False, best.similarity, best.containment))
            signature = prints.signatures[i].copy()
            if prints.counts[i] != 0:
                staged = len(self.new_entries)
                for record in records[i]:
                    self._staged.setdefault(record, []).append(staged)
            self.new_entries.append(StoredEntry(key, int(prints.counts[i]), signature))
            self.new_entry_clusters.append(cluster)
            self.new_key_map[key] = entry
            entries.append(entry)
        self.documents.append(
            PlannedDocument(doc_id, meta, tuple(texts), entries, assigned, replaced)
        )

    def _best_new(
        self, prints: Fingerprints, row: int, known: Match | None, records: list[int]
    ) -> Match | None:
        """Compare with the LSH candidates among entries planned earlier in this write (the
        candidates the index will give once they are applied); keep the better match."""
        if prints.counts[row] == 0 or not self._staged:
            return known
        staged = self._staged
        candidates = sorted({c for record in records for c in staged.get(record, ())})
        if not candidates:
            return known
        found: dict[int, Match] = {} if known is None else {row: known}
        pick_best(
            found,
            pairs=np.stack(
                [np.full(len(candidates), row, dtype=np.int64), np.arange(len(candidates))],
                axis=1,
            ),
            prints=prints,
            sigs=np.stack([self.new_entries[c].signature for c in candidates]),
            counts=np.array([self.new_entries[c].count for c in candidates], dtype=np.int64),
            config=self.state.config,
            cluster_of=lambda k: self.new_entry_clusters[candidates[k]],
        )
        return found.get(row)

    def _new_cluster_id(self, key: int) -> str:
        base = f"{key:016x}"
        cluster, suffix = base, 1
        while cluster in self.state.cluster_of_id or cluster in self._founded:
            cluster, suffix = f"{base}-{suffix}", suffix + 1
        self._founded.add(cluster)
        self.founded.append(cluster)
        return cluster

    def stored_documents(self) -> list[StoredDocument]:
        """The planned documents as the store keeps them."""
        return [
            StoredDocument(
                d.id,
                d.meta,
                d.texts,
                tuple(self._key(e) for e in d.entries),
                tuple(a.cluster for a in d.assigned),
            )
            for d in self.documents
        ]

    def dropped_keys(self) -> list[int]:
        """Keys of existing entries that no paragraph will refer to after the plan."""
        state = self.state
        delta = np.zeros(self.base, dtype=np.int64)
        para_entry = state.para_entry.view()
        for doc_id in self.removed:
            slot = state.doc_slots[state.documents[doc_id]]
            np.subtract.at(delta, para_entry[slot.start : slot.start + slot.count], 1)
        for doc in self.documents:
            old = np.asarray([e for e in doc.entries if e < self.base], dtype=np.int64)
            np.add.at(delta, old, 1)
        touched = np.flatnonzero(delta)
        gone = touched[state.refs.view()[touched] + delta[touched] == 0]
        return [int(k) for k in state.keys.view()[gone].tolist()]

    def apply(self) -> None:
        """Apply the plan to the state (after the store accepted it)."""
        state = self.state
        state.new_clusters(self.founded)
        state.new_entries(
            [e.key for e in self.new_entries],
            np.array([e.count for e in self.new_entries], dtype=np.int64),
            np.array([e.signature for e in self.new_entries], dtype=np.uint32).reshape(
                len(self.new_entries), state.config.num_perm
            ),
            np.array([state.cluster_of_id[c] for c in self.new_entry_clusters], dtype=np.int64),
        )
        gone_entries: list[np.ndarray] = []
        gone_clusters: list[np.ndarray] = []
        for doc_id in self.removed:
            entries, clusters = state.detach(doc_id)
            gone_entries.append(entries)
            gone_clusters.append(clusters)
        for doc in self.documents:
            clusters = np.array(
                [state.cluster_of_id[a.cluster] for a in doc.assigned], dtype=np.int64
            )
            state.attach(doc.id, doc.meta, np.asarray(doc.entries, dtype=np.int64), clusters)
        if gone_entries:
            state.settle(np.concatenate(gone_entries), np.concatenate(gone_clusters))
