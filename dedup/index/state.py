"""The in-memory state of an incremental index, kept in numpy columns, not Python objects.

Three tables, each a set of growable columns indexed by a slot number that is never reused:

- entries: one per distinct normalised paragraph (its exact key, signature, shingle count,
  cluster and reference count), indexed by the LSH index;
- clusters: id, size, number of documents, and the slot of its representative paragraph;
- paragraphs: the document, position, entry and cluster of every stored paragraph.

Members of a cluster are found by a vectorised scan of the paragraph columns; the texts stay in
the store. Changes are computed as a :class:`dedup.index.plan.Plan` and applied here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.arrays.column import Column
from dedup.arrays.kernels import sorted_unique
from dedup.config import DedupConfig
from dedup.index.twins import Twins
from dedup.sketch.fingerprint import Fingerprints
from dedup.sketch.lsh import LSHIndex
from dedup.sketch.match import Match, score_pairs
from dedup.sketch.pruning import best_candidates

__all__ = ["DocSlot", "IndexState", "pick_best"]

# Rows matched per block in IndexState.best_matches.
_QUERIES = 2048
# Threads matching blocks at once (one a core of the machine this was measured on).
_THREADS = 2


@dataclass(frozen=True, slots=True)
class DocSlot:
    """Where a document's paragraphs live in the paragraph columns."""

    start: int
    count: int
    meta: dict[str, object] | None


class IndexState:
    """Entries, clusters and paragraphs of an index. Not thread-safe: the Index holds a lock."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self.lsh = LSHIndex(config.bands, config.rows)
        self.twins = Twins()  # the LSH index holds one entry of each group of twins
        # entries
        self.sigs = Column(np.uint32, config.num_perm)
        self.low_bytes = Column(np.uint8, config.num_perm)  # of sigs: pruning reads these
        self.counts = Column(np.int64)
        self.keys = Column(np.uint64)
        self.entry_cluster = Column(np.int32)
        self.refs = Column(np.int32)
        self.entry_of_key: dict[int, int] = {}
        # clusters
        self.cluster_ids: list[str] = []
        self.cluster_of_id: dict[str, int] = {}
        self.size = Column(np.int32)
        self.docs = Column(np.int32)
        self.rep = Column(np.int64)
        # paragraphs
        self.para_doc = Column(np.int32)
        self.para_num = Column(np.int32)
        self.para_entry = Column(np.int32)
        self.para_cluster = Column(np.int32)
        # documents
        self.doc_ids: list[str] = []
        self.documents: dict[str, int] = {}
        self.doc_slots: list[DocSlot] = []
        self.paragraphs = 0

    # -- reading ---------------------------------------------------------------------------

    def cluster_id(self, entry: int) -> str:
        """The id of an entry's cluster."""
        return self.cluster_ids[int(self.entry_cluster.view()[entry])]

    def best_matches(self, prints: Fingerprints) -> list[Match | None]:
        """Return the best matching cluster of each fingerprint among the entries."""
        get, keys = self.entry_of_key.get, prints.keys.tolist()
        entries = np.fromiter((get(key, -1) for key in keys), dtype=np.int64, count=len(keys))
        held = np.flatnonzero(entries >= 0)
        ids, entry_cluster = self.cluster_ids, self.entry_cluster.view()
        found = {
            row: Match(ids[cluster], 1.0, 1.0)
            for row, cluster in zip(
                held.tolist(), entry_cluster[entries[held]].tolist(), strict=True
            )
        }
        rows = np.flatnonzero((entries < 0) & (prints.counts != 0))

        def match_block(low: int) -> None:
            # A block of rows at a time: their candidates (often hundreds a row) fit in memory
            # that is reused from block to block, rather than fresh pages for millions of pairs.
            wanted = rows[low : low + _QUERIES]
            query, entries = self.lsh.query_many(prints.signatures[wanted])
            pick_best(
                found,  # each block writes only its own rows
                pairs=np.stack([wanted[query], entries], axis=1),
                prints=prints,
                sigs=self.sigs.view(),
                counts=self.counts.view(),
                config=self.config,
                low_bytes=self.low_bytes.view(),
                cluster_of=lambda entry: ids[entry_cluster[entry]],
            )

        blocks = range(0, rows.size, _QUERIES)
        if len(blocks) < 2:
            for low in blocks:
                match_block(low)
        else:  # numpy's lookups, sorts and comparisons let go of the GIL: two threads share them
            with ThreadPoolExecutor(_THREADS, thread_name_prefix="dedup-match") as pool:
                list(pool.map(match_block, blocks))
        return [found.get(row) for row in range(len(prints))]

    def doc_clusters(self, doc_id: str) -> list[str]:
        """The cluster id of each paragraph of a document."""
        slot = self.doc_slots[self.documents[doc_id]]
        clusters = self.para_cluster.view()[slot.start : slot.start + slot.count]
        return [self.cluster_ids[c] for c in clusters.tolist()]

    def members(self, cluster: int) -> list[tuple[str, int]]:
        """The ``(doc, para)`` members of a cluster in insertion order."""
        slots = np.flatnonzero(self.para_cluster.view() == cluster)
        docs, nums = self.para_doc.view()[slots].tolist(), self.para_num.view()[slots].tolist()
        return [(self.doc_ids[d], n) for d, n in zip(docs, nums, strict=True) if d >= 0]

    # -- changing --------------------------------------------------------------------------

    def new_clusters(self, ids: Sequence[str]) -> None:
        """Register new clusters (empty until paragraphs are attached)."""
        start = len(self.cluster_ids)
        self.cluster_ids += ids
        self.cluster_of_id.update(zip(ids, range(start, start + len(ids)), strict=True))
        self.size.extend(np.zeros(len(ids)))
        self.docs.extend(np.zeros(len(ids)))
        self.rep.extend(np.full(len(ids), -1))

    def new_entries(
        self,
        keys: Sequence[int],
        counts: npt.NDArray[np.int64],
        signatures: npt.NDArray[np.uint32],
        clusters: npt.NDArray[np.int64],
    ) -> None:
        """Add entries with the next ids and index the ones with words."""
        start, n = len(self.keys), len(keys)
        if n == 0:
            return
        self.sigs.extend(signatures)
        self.low_bytes.extend(np.asarray(signatures).astype(np.uint8))  # mod 256
        self.counts.extend(counts)
        self.keys.extend(np.asarray(keys, dtype=np.uint64))
        self.entry_cluster.extend(clusters)
        self.refs.extend(np.zeros(n))
        self.entry_of_key.update(zip(keys, range(start, start + n), strict=True))
        with_words = np.flatnonzero(np.asarray(counts) != 0)
        ids, worded = with_words + start, np.asarray(signatures)[with_words]
        indexed = self.twins.register(
            ids,
            worded,
            np.asarray(counts)[with_words],
            indexed=self.sigs.view(),
            indexed_counts=self.counts.view(),
        )
        self.lsh.add_many(ids[indexed], worded[indexed])

    def attach(
        self,
        doc_id: str,
        meta: dict[str, object] | None,
        entries: npt.NDArray[np.int64],
        clusters: npt.NDArray[np.int64],
    ) -> None:
        """Store a document's paragraphs (their entries and clusters, in order)."""
        doc = len(self.doc_ids)
        start, n = len(self.para_doc), int(entries.size)
        self.doc_ids.append(doc_id)
        self.documents[doc_id] = doc
        self.doc_slots.append(DocSlot(start, n, meta))
        self.para_doc.extend(np.full(n, doc))
        self.para_num.extend(np.arange(n))
        self.para_entry.extend(entries)
        self.para_cluster.extend(clusters)
        self.paragraphs += n
        np.add.at(self.refs.view(), entries, 1)
        np.add.at(self.size.view(), clusters, 1)
        distinct, first = np.unique(clusters, return_index=True)
        self.docs.view()[distinct] += 1
        rep = self.rep.view()
        unset = rep[distinct] < 0  # a new cluster's representative is its first paragraph here
        rep[distinct[unset]] = start + first[unset]

    def attach_many(
        self,
        doc_ids: Sequence[str],
        metas: Sequence[dict[str, object] | None],
        counts: Sequence[int],
        entries: npt.NDArray[np.int64],
        clusters: npt.NDArray[np.int64],
    ) -> None:
        """:meth:`attach` documents with distinct new ids in one go: ``counts`` paragraphs each,
        whose entries and clusters follow each other in ``entries`` and ``clusters``."""
        first, n = len(self.doc_ids), int(entries.size)
        start = len(self.para_doc)
        sizes = np.asarray(counts, dtype=np.int64)
        offsets = np.cumsum(sizes) - sizes
        self.doc_ids += doc_ids
        self.documents.update(zip(doc_ids, range(first, first + len(doc_ids)), strict=True))
        self.doc_slots += [
            DocSlot(start + offset, count, meta)
            for offset, count, meta in zip(offsets.tolist(), counts, metas, strict=True)
        ]
        para_doc = np.repeat(np.arange(first, first + sizes.size, dtype=np.int64), sizes)
        self.para_doc.extend(para_doc)
        self.para_num.extend(np.arange(n, dtype=np.int64) - np.repeat(offsets, sizes))
        self.para_entry.extend(entries)
        self.para_cluster.extend(clusters)
        self.paragraphs += n
        if n == 0:
            return
        refs, size = self.refs.view(), self.size.view()
        refs += np.bincount(entries, minlength=refs.size).astype(refs.dtype)
        size += np.bincount(clusters, minlength=size.size).astype(size.dtype)
        # A cluster counts each document once: the distinct (document, cluster) pairs.
        pairs = sorted_unique(para_doc * size.size + clusters)
        docs = self.docs.view()
        docs += np.bincount(pairs % size.size, minlength=docs.size).astype(docs.dtype)
        rep = self.rep.view()
        distinct, first_slot = np.unique(clusters, return_index=True)
        unset = rep[distinct] < 0  # a new cluster's representative is its first paragraph
        rep[distinct[unset]] = start + first_slot[unset]

    def detach(self, doc_id: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Forget a document.

        Returns:
            The entries and the clusters that it referred to.
        """
        doc = self.documents.pop(doc_id)
        slot = self.doc_slots[doc]
        span = slice(slot.start, slot.start + slot.count)
        entries = self.para_entry.view()[span].astype(np.int64)
        clusters = self.para_cluster.view()[span].astype(np.int64)
        self.para_doc.view()[span] = -1
        self.para_cluster.view()[span] = -1
        self.paragraphs -= slot.count
        np.subtract.at(self.refs.view(), entries, 1)
        np.subtract.at(self.size.view(), clusters, 1)
        self.docs.view()[np.unique(clusters)] -= 1
        return entries, clusters

    def settle(self, entries: npt.NDArray[np.int64], clusters: npt.NDArray[np.int64]) -> None:
        """After detaching: drop unreferenced entries and empty clusters, and move the
        representative of a cluster whose first member left to its new first member."""
        refs, keys = self.refs.view(), self.keys.view()
        sigs, counts = self.sigs.view(), self.counts.view()
        for entry in np.unique(entries[refs[entries] == 0]).tolist():
            key = int(keys[entry])
            if self.entry_of_key.get(key) == entry:
                del self.entry_of_key[key]
                if counts[entry] == 0:
                    continue  # never indexed: it has no words
                held, successor = self.twins.release(entry, sigs[entry], int(counts[entry]))
                if held:
                    self.lsh.remove(entry)
                if successor is not None:  # the next twin is indexed in its place
                    self.lsh.add(successor, sigs[successor])
        size, rep, para_doc = self.size.view(), self.rep.view(), self.para_doc.view()
        for cluster in np.unique(clusters).tolist():
            if size[cluster] == 0:
                self.cluster_of_id.pop(self.cluster_ids[cluster], None)
                rep[cluster] = -1
            elif para_doc[rep[cluster]] < 0:
                rep[cluster] = int(np.flatnonzero(self.para_cluster.view() == cluster)[0])


def pick_best(
    found: dict[int, Match],
    *,
    pairs: npt.NDArray[np.int64],
    prints: Fingerprints,
    sigs: npt.NDArray[np.uint32],
    counts: npt.NDArray[np.int64],
    config: DedupConfig,
    cluster_of: Callable[[int], str],
    low_bytes: npt.NDArray[np.uint8] | None = None,
) -> None:
    """Keep, per query row, the matched candidate with the highest (similarity, containment);
    ties go to the candidate listed first, and a row already in ``found`` keeps its match unless
    a strictly better one comes. ``cluster_of(candidate)`` names its cluster; ``low_bytes``,
    if given, is the low byte of each of ``sigs``."""
    if pairs.size == 0:
        return
    # Only the pairs that may be their row's best are scored: the rest cannot change it.
    candidates = best_candidates(
        prints.signatures,
        prints.counts,
        pairs,
        config,
        others=sigs,
        other_counts=counts,
        other_low_bytes=low_bytes,
    )
    pairs = pairs[candidates]
    scores = score_pairs(
        prints.signatures, prints.counts, pairs, config, others=sigs, other_counts=counts
    )
    kept = np.flatnonzero(scores.matched)
    if kept.size == 0:
        return
    rows = pairs[kept, 0]
    similarity, containment = scores.similarity[kept], scores.containment[kept]
    # Per row, the matched pair with the highest (similarity, containment), the first listed
    # among equals: one sort, rather than a Python comparison per candidate pair.
    order = np.lexsort((kept, -containment, -similarity, rows))
    ranked = rows[order]
    best_of_row = order[np.concatenate(([True], ranked[1:] != ranked[:-1]))]
    for row, entry, sim, cont in zip(
        rows[best_of_row].tolist(),
        pairs[kept[best_of_row], 1].tolist(),
        similarity[best_of_row].tolist(),
        containment[best_of_row].tolist(),
        strict=True,
    ):
        best = found.get(row)
        if best is None or (sim, cont) > (best.similarity, best.containment):
            found[row] = Match(cluster_of(entry), sim, cont)
