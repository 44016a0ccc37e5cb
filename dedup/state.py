"""The in-memory state of an incremental index, and the plans that change it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from dedup.config import DedupConfig
from dedup.fingerprint import Fingerprints
from dedup.lsh import LSHIndex
from dedup.match import Match, score_pairs
from dedup.store import StoredDocument, StoredEntry

__all__ = ["Assigned", "ClusterState", "DocState", "IndexState", "Plan"]


@dataclass(frozen=True, slots=True)
class Assigned:
    """Where an added paragraph went: the cluster it joined or founded."""

    index: int
    cluster: str
    new_cluster: bool
    similarity: float | None
    containment: float | None


@dataclass(slots=True)
class ClusterState:
    """A cluster's members by document, in insertion order, and its representative text."""

    text: str
    text_from: tuple[str, int]
    members: dict[str, list[int]] = field(default_factory=dict)
    size: int = 0


@dataclass(frozen=True, slots=True)
class DocState:
    """What memory keeps of a document; its text stays in the store."""

    meta: dict[str, object] | None
    entries: npt.NDArray[np.int64]
    clusters: tuple[str, ...]


class IndexState:
    """Distinct normalised paragraphs ("entries") with signatures, their LSH index, clusters
    and documents. Not thread-safe: :class:`dedup.Index` holds the lock."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self.sigs = np.empty((1024, config.num_perm), dtype=np.uint32)
        self.counts = np.empty(1024, dtype=np.int64)
        self.keys: list[int] = []
        self.entry_cluster: list[str] = []
        self.refs: list[int] = []
        self.entry_of_key: dict[int, int] = {}
        self.lsh = LSHIndex(config.bands, config.rows)
        self.clusters: dict[str, ClusterState] = {}
        self.docs: dict[str, DocState] = {}
        self.paragraphs = 0

    def best_matches(
        self, prints: Fingerprints, rows: npt.NDArray[np.int64] | None = None
    ) -> list[Match | None]:
        """Return the best matching cluster of each fingerprint (or of ``rows`` of them)."""
        rows = np.arange(len(prints), dtype=np.int64) if rows is None else rows
        found: dict[int, Match] = {}
        fuzzy: list[int] = []
        for row in rows.tolist():
            entry = self.entry_of_key.get(int(prints.keys[row]))
            if entry is not None:
                found[row] = Match(self.entry_cluster[entry], 1.0, 1.0)
            elif prints.counts[row] > 0:
                fuzzy.append(row)
        if fuzzy:
            wanted = np.asarray(fuzzy, dtype=np.int64)
            query, entries = self.lsh.query_many(prints.signatures[wanted])
            pairs = np.stack([wanted[query], entries], axis=1)
            _pick_best(
                found,
                pairs=pairs,
                prints=prints,
                sigs=self.sigs,
                counts=self.counts,
                config=self.config,
                cluster_of=self.entry_cluster.__getitem__,
            )
        return [found.get(row) for row in rows.tolist()]

    def append_entries(self, entries: list[StoredEntry], clusters: list[str]) -> None:
        """Add fingerprints as new entries with the next ids, and index them."""
        if entries:
            self.append_arrays(
                [e.key for e in entries],
                np.array([e.count for e in entries], dtype=np.int64),
                np.stack([e.signature for e in entries]),
                clusters,
            )

    def append_arrays(
        self,
        keys: list[int],
        counts: npt.NDArray[np.int64],
        signatures: npt.NDArray[np.uint32],
        clusters: list[str],
    ) -> None:
        """Add entries given as arrays (n keys, (n,) counts, (n, num_perm) signatures)."""
        start, n = len(self.keys), len(keys)
        if n == 0:
            return
        while start + n > self.sigs.shape[0]:
            grown = max(2 * self.sigs.shape[0], start + n)
            self.sigs = np.resize(self.sigs, (grown, self.config.num_perm))
            self.counts = np.resize(self.counts, grown)
        self.sigs[start : start + n] = signatures
        self.counts[start : start + n] = counts
        self.keys += keys
        self.entry_cluster += clusters
        self.refs += [0] * n
        self.entry_of_key.update(zip(keys, range(start, start + n), strict=True))
        ids = np.arange(start, start + n, dtype=np.int64)
        with_words = self.counts[ids] > 0
        self.lsh.add_many(ids[with_words], self.sigs[ids[with_words]])

    def attach(self, doc_id: str, state: DocState, text_of: Callable[[int, str], str]) -> None:
        """Record a document's paragraphs in their clusters; ``text_of(para, cluster)`` gives
        the representative text of a cluster the document founds."""
        self.docs[doc_id] = state
        self.paragraphs += len(state.clusters)
        for i, (entry, cluster) in enumerate(
            zip(state.entries.tolist(), state.clusters, strict=True)
        ):
            self.refs[entry] += 1
            cs = self.clusters.get(cluster)
            if cs is None:
                cs = self.clusters[cluster] = ClusterState(text_of(i, cluster), (doc_id, i))
            cs.members.setdefault(doc_id, []).append(i)
            cs.size += 1

    def detach(self, doc_id: str) -> list[int]:
        """Forget a document; return the entries no paragraph refers to any more."""
        state = self.docs.pop(doc_id)
        self.paragraphs -= len(state.clusters)
        for cluster in dict.fromkeys(state.clusters):
            cs = self.clusters[cluster]
            cs.size -= len(cs.members.pop(doc_id))
            if cs.size == 0:
                del self.clusters[cluster]
        dropped = []
        for entry in state.entries.tolist():
            self.refs[entry] -= 1
            if self.refs[entry] == 0:
                dropped.append(entry)
        return dropped

    def drop_entries(self, entries: list[int]) -> None:
        """Remove unreferenced entries from the key map and the LSH index."""
        for entry in entries:
            if self.refs[entry] == 0 and self.entry_of_key.get(self.keys[entry]) == entry:
                del self.entry_of_key[self.keys[entry]]
                self.lsh.remove(entry)


def _pick_best(
    found: dict[int, Match],
    *,
    pairs: npt.NDArray[np.int64],
    prints: Fingerprints,
    sigs: npt.NDArray[np.uint32],
    counts: npt.NDArray[np.int64],
    config: DedupConfig,
    cluster_of: Callable[[int], str],
) -> None:
    """Keep, per query row, the matched candidate with the highest (similarity, containment)."""
    if pairs.size == 0:
        return
    scores = score_pairs(
        prints.signatures, prints.counts, pairs, config, others=sigs, other_counts=counts
    )
    for (row, entry), sim, cont, ok in zip(
        pairs.tolist(),
        scores.similarity.tolist(),
        scores.containment.tolist(),
        scores.matched.tolist(),
        strict=True,
    ):
        best = found.get(row)
        if ok and (best is None or (sim, cont) > (best.similarity, best.containment)):
            found[row] = Match(cluster_of(entry), sim, cont)


@dataclass(slots=True)
class PlannedDocument:
    """A document about to be written: what the store gets and what the caller is told."""

    id: str
    meta: dict[str, object] | None
    texts: tuple[str, ...]
    entries: list[int]
    assigned: list[Assigned]
    replaced: bool

    def text_of(self, para: int, cluster: str) -> str:
        """The text of one of this document's paragraphs (``cluster`` is not needed here)."""
        del cluster
        return self.texts[para]


class Plan:
    """Changes computed against the state, written to the store, then applied to memory."""

    def __init__(self, state: IndexState) -> None:
        self.state = state
        self.base = len(state.keys)
        self.new_entries: list[StoredEntry] = []
        self.new_clusters: list[str] = []
        self.new_key_map: dict[int, int] = {}
        self.staged_lsh = LSHIndex(state.config.bands, state.config.rows)
        self.founded: set[str] = set()
        self.documents: list[PlannedDocument] = []
        self.removed: list[str] = []

    def _key(self, entry: int) -> int:
        if entry < self.base:
            return self.state.keys[entry]
        return self.new_entries[entry - self.base].key

    def _cluster_of(self, entry: int) -> str:
        if entry < self.base:
            return self.state.entry_cluster[entry]
        return self.new_clusters[entry - self.base]

    def remove_document(self, doc_id: str) -> None:
        """Plan the removal of a document."""
        self.removed.append(doc_id)

    def add_document(
        self, doc_id: str, meta: dict[str, object] | None, texts: list[str], prints: Fingerprints
    ) -> None:
        """Plan adding (or replacing) a document whose paragraphs are ``texts``."""
        state = self.state
        replaced = doc_id in state.docs
        if replaced:
            self.removed.append(doc_id)
        known = state.best_matches(prints)
        entries: list[int] = []
        assigned: list[Assigned] = []
        for i, key in enumerate(prints.keys.tolist()):
            entry = state.entry_of_key.get(key, self.new_key_map.get(key))
            if entry is not None:
                entries.append(entry)
                assigned.append(Assigned(i, self._cluster_of(entry), False, 1.0, 1.0))
                continue
            best = self._best_new(prints, i, known[i])
            entry = self.base + len(self.new_entries)
            if best is None:
                cluster = self._new_cluster_id(key)
                assigned.append(Assigned(i, cluster, True, None, None))
            else:
                cluster = best.cluster
                assigned.append(Assigned(i, cluster, False, best.similarity, best.containment))
            signature = prints.signatures[i].copy()
            if prints.counts[i] > 0:
                self.staged_lsh.add(len(self.new_entries), signature)
            self.new_entries.append(StoredEntry(key, int(prints.counts[i]), signature))
            self.new_clusters.append(cluster)
            self.new_key_map[key] = entry
            entries.append(entry)
        self.documents.append(
            PlannedDocument(doc_id, meta, tuple(texts), entries, assigned, replaced)
        )

    def _best_new(self, prints: Fingerprints, row: int, known: Match | None) -> Match | None:
        """Compare with the LSH candidates among entries planned earlier in this write (the
        same candidates the index will give once they are applied); keep the better match."""
        if prints.counts[row] == 0:
            return known
        candidates = sorted(self.staged_lsh.query(prints.signatures[row]))
        if not candidates:
            return known
        staged = np.stack([self.new_entries[c].signature for c in candidates])
        staged_counts = np.array([self.new_entries[c].count for c in candidates], dtype=np.int64)
        pairs = np.stack(
            [np.full(len(candidates), row, dtype=np.int64), np.arange(len(candidates))], axis=1
        )
        found: dict[int, Match] = {} if known is None else {row: known}
        _pick_best(
            found,
            pairs=pairs,
            prints=prints,
            sigs=staged,
            counts=staged_counts,
            config=self.state.config,
            cluster_of=lambda k: self.new_clusters[candidates[k]],
        )
        return found.get(row)

    def _new_cluster_id(self, key: int) -> str:
        base = f"{key:016x}"
        cluster, suffix = base, 1
        while cluster in self.state.clusters or cluster in self.founded:
            cluster, suffix = f"{base}-{suffix}", suffix + 1
        self.founded.add(cluster)
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
        refs: dict[int, int] = {}
        for doc_id in self.removed:
            for entry in self.state.docs[doc_id].entries.tolist():
                refs[entry] = refs.get(entry, 0) - 1
        for doc in self.documents:
            for entry in doc.entries:
                if entry < self.base:
                    refs[entry] = refs.get(entry, 0) + 1
        return [self.state.keys[e] for e, delta in refs.items() if self.state.refs[e] + delta == 0]

    def apply(self, text_of: Callable[[str, int], str]) -> None:
        """Apply the plan to memory; ``text_of(doc, para)`` reads a stored paragraph."""
        state = self.state
        state.append_entries(self.new_entries, self.new_clusters)
        dropped: list[int] = []
        touched: set[str] = set()
        for doc_id in self.removed:
            touched.update(state.docs[doc_id].clusters)
            dropped.extend(state.detach(doc_id))
        for doc in self.documents:
            entries = np.asarray(doc.entries, dtype=np.int64)
            clusters = tuple(a.cluster for a in doc.assigned)
            state.attach(doc.id, DocState(doc.meta, entries, clusters), doc.text_of)
        state.drop_entries(dropped)
        # A cluster's representative is its first member; refresh it where that one left.
        planned = {d.id: d.texts for d in self.documents}
        removed = set(self.removed)
        for cluster_id in touched:
            cluster = state.clusters.get(cluster_id)
            if cluster is not None and cluster.text_from[0] in removed:
                first_doc, paras = next(iter(cluster.members.items()))
                cluster.text_from = (first_doc, paras[0])
                again = planned.get(first_doc)
                cluster.text = again[paras[0]] if again else text_of(first_doc, paras[0])
