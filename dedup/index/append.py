"""Append a crawl to a store that already holds pages, as adding them one by one would."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.arrays.kernels import follow_roots, sorted_unique
from dedup.batch.reader import Batch, PageLike, Progress, read_batch
from dedup.config import DedupConfig
from dedup.index.index import Stats
from dedup.index.lives import NEVER, Lives, entry_lives
from dedup.index.replay import load
from dedup.index.state import IndexState
from dedup.sketch.match import score_pairs
from dedup.stores.columns import take_snapshot
from dedup.stores.settings import settle_config
from dedup.stores.store import Store, StoredDocument, StoredEntry
from dedup.text.paragraphs import SplitMode

__all__ = ["Appended", "add_pages", "shared_records"]


@dataclass(frozen=True, slots=True)
class Appended:
    """What :func:`add_pages` did.

    Attributes:
        pages: pages read from the crawl.
        replaced: pages whose id the store (or an earlier page of the crawl) already held.
        paragraphs: paragraphs read from the crawl.
        new_clusters: clusters the crawl founded, singletons included (some may have emptied
            again by the end).
        totals: the sizes of the index after the write.
    """

    pages: int
    replaced: int
    paragraphs: int
    new_clusters: int
    totals: Stats


def add_pages(
    pages: Iterable[PageLike],
    store: Store,
    config: DedupConfig | None = None,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    split: SplitMode = "blank",
) -> Appended:
    """Add a crawl to ``store`` with the batch core, in one transaction.

    The result is the one :meth:`dedup.Index.add` reaches when given the pages one by one, in
    input order, on an index opened on ``store``: every paragraph joins the cluster of its best
    match among the entries alive when it arrives (all LSH candidates, verified, best by
    similarity then containment, ties to the earliest entry), or founds one, and a page whose
    id is already stored (or came earlier in the crawl) replaces it. The crawl is read and
    fingerprinted before the store's write lock is taken; the plan is made and written under
    it, so a service sharing the store waits only for that, then replays the write. ``split``
    cuts the pages as :meth:`dedup.Index.add` cuts them with the same ``split``.

    Raises:
        IncompatibleSignatureError: the store was made with other signature parameters.
        StoreError: the store cannot be read or written.

    Example:
        >>> from dedup.stores.store import MemoryStore
        >>> store = MemoryStore()
        >>> blurb = "Peru's Congress removed the president on Wednesday and protests spread."
        >>> _ = add_pages([("a", blurb)], store, jobs=1)
        >>> added = add_pages([("b", blurb.upper()), ("a", "Gone")], store, jobs=1)
        >>> added.replaced, added.new_clusters, added.totals.clusters, added.totals.singletons
        (1, 1, 0, 2)
    """
    config = settle_config(store, config)
    batch = read_batch(pages, config, jobs=jobs, progress=progress, split=split, repeated_ids=True)
    with store.writing():
        state = IndexState(config)
        load(state, store)
        plan = _AppendPlan(state, batch)
        store.write(plan.stored_documents(), [], plan.new_entries(), plan.dropped_keys())
        take_snapshot(store)  # the next load reads the columns ready
    return plan.appended()


class _AppendPlan:
    """The entries, matches and clusters of a crawl appended to a loaded state.

    :func:`dedup.index.build.founders` reproduces page-by-page adding on an empty store: each
    distinct paragraph joins its best earlier match. On a filled store, with replacements, the
    same holds with two more facts. The candidates of a new entry are the existing entries and
    the earlier new ones that are still alive when it arrives; and which entry a paragraph
    refers to, and when an entry dies, follow from exact keys and page ids alone. So three
    steps: the entries' lives (:func:`dedup.index.lives.entry_lives`); every new entry's best
    live earlier match, from the index's own LSH records, in one vectorised pass; then the
    clusters' names, page by page, since an emptied cluster frees its id.
    """

    def __init__(self, state: IndexState, batch: Batch) -> None:
        self.state = state
        self.batch = batch
        self.m = len(state.keys)
        prints = batch.distinct.prints
        self.para_row = batch.distinct.of_raw[batch.para_raw]
        self.lives: Lives = entry_lives(state, batch.doc_ids, batch.para_doc, self.para_row, prints)
        entry_cluster, self.founders = self._entry_clusters(self._best_matches())
        self.para_cluster = entry_cluster[self.lives.para_entry]
        self.cluster_ids = _name_clusters(
            state, self.lives, self.founders, self.para_cluster, prints.keys
        )

    def _entry_clusters(
        self, parent: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Number the cluster of every entry (global), given each new entry's best match.

        Returns:
            The cluster number of each entry (the state's, then one per founder, in order of
            founding), and the new entries that found a cluster.
        """
        m = self.m
        own = np.arange(m + parent.size, dtype=np.int64)
        founders = np.flatnonzero(parent < 0)
        # Existing entries are roots that stand for their cluster; a new entry's parent is an
        # earlier entry (or itself, for a founder), so the parents form a forest.
        root = follow_roots(np.concatenate((own[:m], np.where(parent < 0, own[m:], parent))))
        entry_cluster = np.empty(own.size, dtype=np.int64)
        entry_cluster[:m] = self.state.entry_cluster.view()
        entry_cluster[m + founders] = len(self.state.cluster_ids) + np.arange(founders.size)
        entry_cluster[m:] = entry_cluster[root[m:]]
        return entry_cluster, founders

    def _best_matches(self) -> npt.NDArray[np.int64]:
        """For each new entry, the earlier entry alive at its arrival that it matches best
        (global entry number), or -1."""
        state, lives = self.state, self.lives
        prints = self.batch.distinct.prints
        rows = lives.new_rows
        n = rows.size
        signatures, counts = prints.signatures[rows], prints.counts[rows]
        worded = np.flatnonzero(counts != 0)  # negative: character shingles
        config = state.config
        found_u: list[npt.NDArray[np.int64]] = []
        found_v: list[npt.NDArray[np.int64]] = []
        sims: list[npt.NDArray[np.float64]] = []
        conts: list[npt.NDArray[np.float64]] = []
        if worded.size and self.m:
            query, old = state.lsh.query_many(signatures[worded])
            # An entry's twins may outlive it in the crawl: each live one is a candidate.
            query, old = state.twins.with_twins(query, old, state.sigs.view(), state.counts.view())
            new = worded[query]
            alive = lives.death[old] >= lives.birth[new]
            pairs = np.stack((new[alive], old[alive]), axis=1)
            scores = score_pairs(
                signatures,
                counts,
                pairs,
                config,
                others=state.sigs.view(),
                other_counts=state.counts.view(),
            )
            keep = scores.matched
            found_u.append(pairs[keep, 0])
            found_v.append(pairs[keep, 1])
            sims.append(scores.similarity[keep])
            conts.append(scores.containment[keep])
        if worded.size > 1:
            local = shared_records(state.lsh.record_keys(signatures[worded]))
            earlier, later = worded[local[:, 0]], worded[local[:, 1]]
            alive = lives.death[self.m + earlier] >= lives.birth[later]
            pairs = np.stack((later[alive], earlier[alive]), axis=1)
            scores = score_pairs(signatures, counts, pairs, config)
            keep = scores.matched
            found_u.append(pairs[keep, 0])
            found_v.append(pairs[keep, 1] + self.m)
            sims.append(scores.similarity[keep])
            conts.append(scores.containment[keep])
        parent = np.full(n, -1, dtype=np.int64)
        if found_u:
            u, v = np.concatenate(found_u), np.concatenate(found_v)
            sim, cont = np.concatenate(sims), np.concatenate(conts)
            if u.size:
                # Best match per new entry: highest similarity, then containment, then the
                # earliest entry, as Index.add keeps the first of equal candidates in id order.
                order = np.lexsort((v, -cont, -sim, u))
                u, v = u[order], v[order]
                first = np.concatenate(([True], u[1:] != u[:-1]))
                parent[u[first]] = v[first]
        return parent

    def stored_documents(self) -> list[StoredDocument]:
        """The final version of every page of the crawl, in order of its last arrival (the
        order in which adding them one by one leaves them in the store)."""
        batch, lives = self.batch, self.lives
        bounds = np.searchsorted(batch.para_doc, np.arange(len(batch.doc_ids) + 1)).tolist()
        keys = self.batch.distinct.prints.keys[self.para_row].tolist()
        clusters = [self.cluster_ids[c] for c in self.para_cluster.tolist()]
        raw = batch.para_raw.tolist()
        texts = batch.raw_texts
        documents = []
        for page in lives.last_pages:
            lo, hi = bounds[page], bounds[page + 1]
            documents.append(
                StoredDocument(
                    batch.doc_ids[page],
                    None,
                    tuple(texts[r] for r in raw[lo:hi]),
                    tuple(keys[lo:hi]),
                    tuple(clusters[lo:hi]),
                )
            )
        return documents

    def new_entries(self) -> list[StoredEntry]:
        """The fingerprints of the new entries alive at the end."""
        prints = self.batch.distinct.prints
        lives = self.lives
        kept = np.flatnonzero(lives.death[self.m :] == NEVER)
        rows = lives.new_rows[kept]
        return [
            StoredEntry(key, count, signature)
            for key, count, signature in zip(
                prints.keys[rows].tolist(),
                prints.counts[rows].tolist(),
                prints.signatures[rows],
                strict=True,
            )
        ]

    def dropped_keys(self) -> list[int]:
        """Keys of existing entries that no paragraph refers to any more."""
        gone = np.flatnonzero(self.lives.death[: self.m] != NEVER)
        return [int(k) for k in self.state.keys.view()[gone].tolist()]

    def appended(self) -> Appended:
        """The summary of the write."""
        lives = self.lives
        return Appended(
            pages=len(self.batch.doc_ids),
            replaced=lives.replaced,
            paragraphs=int(self.batch.para_raw.size),
            new_clusters=int(self.founders.size),
            totals=Stats(
                lives.documents,
                lives.paragraphs,
                self.cluster_ids.repeats,
                self.cluster_ids.singletons,
            ),
        )


class _ClusterNames(list[str]):
    """Cluster ids by cluster number (existing first, then the founded ones), with the set of
    ids live at the end and the sizes of the clusters then."""

    def __init__(self, names: list[str], live: set[str], sizes: list[int]) -> None:
        super().__init__(names)
        self.live = live
        self.repeats = sum(1 for size in sizes if size >= 2)
        self.singletons = sum(1 for size in sizes if size == 1)


def _name_clusters(
    state: IndexState,
    lives: Lives,
    founders: npt.NDArray[np.int64],
    para_cluster: npt.NDArray[np.int64],
    keys: npt.NDArray[np.uint64],
) -> _ClusterNames:
    """Name the founded clusters page by page, as :meth:`dedup.index.plan.Plan` does: the
    founder's key in hex, with a suffix while that id is live or founded on the same page.

    A cluster whose last member is replaced disappears, and its id may be given again later.
    """
    existing = len(state.cluster_ids)
    names = list(state.cluster_ids) + [""] * founders.size
    live = set(state.cluster_of_id)
    size: list[int] = state.size.view().tolist() + [0] * founders.size
    founder_keys: list[int] = keys[lives.new_rows[founders]].tolist()
    founded_on: list[int] = lives.birth[founders].tolist()
    next_founder = 0
    bounds = lives.page_bounds
    clusters: list[int] = para_cluster.tolist()
    held: dict[str, int] = {}  # page id -> the crawl page of its current version
    for page, doc_id in enumerate(lives.doc_ids):
        on_page: set[str] = set()
        while next_founder < len(founded_on) and founded_on[next_founder] == page:
            base = f"{founder_keys[next_founder]:016x}"
            name, suffix = base, 1
            while name in live or name in on_page:
                name, suffix = f"{base}-{suffix}", suffix + 1
            on_page.add(name)
            names[existing + next_founder] = name
            next_founder += 1
        for cluster in clusters[bounds[page] : bounds[page + 1]]:
            size[cluster] += 1
        live.update(on_page)
        for cluster in _old_clusters(state, held.get(doc_id), doc_id, bounds, clusters):
            size[cluster] -= 1
            if size[cluster] == 0:
                live.discard(names[cluster])
        held[doc_id] = page
    return _ClusterNames(names, live, size)


def _old_clusters(
    state: IndexState, page: int | None, doc_id: str, bounds: list[int], clusters: list[int]
) -> list[int]:
    """The clusters of the paragraphs of the version of ``doc_id`` being replaced, if any."""
    if page is not None:
        return clusters[bounds[page] : bounds[page + 1]]
    doc = state.documents.get(doc_id)
    if doc is None:
        return []
    slot = state.doc_slots[doc]
    old: list[int] = state.para_cluster.view()[slot.start : slot.start + slot.count].tolist()
    return old


def shared_records(records: npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]:
    """Return every pair of rows that share a record key (the index's LSH candidates).

    Args:
        records: (n, bands) uint32 record keys (:meth:`dedup.sketch.lsh.LSHIndex.record_keys`).

    Returns:
        (n_pairs, 2) int64 pairs ``(i, j)`` with ``i < j``, sorted, without repeats.

    Example:
        >>> shared_records(np.array([[1, 5], [2, 5], [1, 6]], dtype=np.uint32)).tolist()
        [[0, 1], [0, 2]]
    """
    n, bands = records.shape
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    packed = (records.reshape(-1).astype(np.uint64) << np.uint64(32)) | np.repeat(
        np.arange(n, dtype=np.uint64), bands
    )
    packed.sort()
    record = packed >> np.uint64(32)
    ids = (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)
    starts = np.flatnonzero(np.concatenate(([True], record[1:] != record[:-1])))
    sizes = np.diff(np.append(starts, packed.size))
    # Each member of a bucket pairs with every later member (ids ascend within a bucket).
    ends = np.repeat(starts + sizes, sizes)
    later = ends - np.arange(packed.size) - 1
    total = int(later.sum())
    if total == 0:
        return np.empty((0, 2), dtype=np.int64)
    left = np.repeat(np.arange(packed.size), later)
    offset = np.arange(total) - np.repeat(np.cumsum(later) - later, later)
    right = left + 1 + offset
    pairs = sorted_unique(ids[left] * n + ids[right])
    return np.stack(np.divmod(pairs, n), axis=1)
