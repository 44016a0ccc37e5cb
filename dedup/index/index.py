"""The incremental index: add, match and remove documents; clusters keep their ids."""

from __future__ import annotations

import threading
from collections.abc import Callable, Container, Iterable, Sequence
from itertools import chain
from pathlib import Path
from types import TracebackType

import numpy as np

from dedup.batch.result import Member
from dedup.config import DedupConfig
from dedup.errors import DuplicateKeyError, StoreError, UnknownKeyError
from dedup.index.commit import commit
from dedup.index.listing import next_cursor, page_of_clusters
from dedup.index.plan import Assigned, Plan
from dedup.index.records import (
    AddResult,
    ClusterInfo,
    ClusterSummary,
    Document,
    Paragraph,
    Stats,
)
from dedup.index.replay import load, replay
from dedup.index.state import DocSlot, IndexState
from dedup.index.texts import TextCache
from dedup.sketch.fingerprint import Fingerprints, fingerprint
from dedup.sketch.match import Match
from dedup.stores.settings import config_settings, settle_config
from dedup.stores.sqlite import SQLiteStore
from dedup.stores.store import MemoryStore, Store
from dedup.stores.url import STORE_FILE
from dedup.text.paragraphs import SplitMode, check_split, split_paragraphs

__all__ = [
    "STORE_FILE",
    "AddResult",
    "Assigned",
    "ClusterInfo",
    "ClusterSummary",
    "Document",
    "Index",
    "Member",
    "Paragraph",
    "Stats",
]


class Index:
    """Documents, their paragraphs' clusters and a persistent store behind them.

    Each added paragraph joins the cluster of the most similar indexed paragraph that it
    matches (exactly after normalisation, or by the rule of :class:`dedup.DedupConfig`), or
    founds a new cluster. A cluster keeps its id for as long as it has members. Every method is
    thread-safe; a write is durable in the store before it returns. ``len(index)`` is the number
    of documents, and ``with Index.open(...) as index:`` closes the store at the end.

    Example:
        >>> index = Index()
        >>> blurb = "Peru's Congress removed the president on Wednesday and protests spread."
        >>> index.add("a", "Peru\\n\\n" + blurb).paragraphs[1].new_cluster
        True
        >>> match = index.match(blurb.upper() + " Read more")[0]
        >>> (match.cluster == index.get("a").paragraphs[1].cluster, match.similarity)
        (True, 1.0)
        >>> index
        <Index: 1 documents, 2 paragraphs, 0 clusters of repeats, 2 single paragraphs, in memory>
    """

    def __init__(self, config: DedupConfig | None = None, store: Store | None = None) -> None:
        self._store: Store = store if store is not None else MemoryStore()
        self.config = settle_config(self._store, config)
        self._lock = threading.RLock()
        self._state = IndexState(self.config)
        self._texts = TextCache()
        self._closed = False
        load(self._state, self._store)

    @classmethod
    def open(cls, data_dir: str | Path, config: DedupConfig | None = None) -> Index:
        """Open (or create) the SQLite store in ``data_dir`` and rebuild the index from it."""
        return cls(config, SQLiteStore(Path(data_dir) / STORE_FILE))

    @classmethod
    def load(cls, path: str | Path, config: DedupConfig | None = None) -> Index:
        """Open an index saved with :meth:`save` (a SQLite file)."""
        return cls(config, SQLiteStore(path))

    def save(self, path: str | Path) -> None:
        """Write the whole index to a new SQLite file at ``path``.

        Raises:
            StoreError: ``path`` already holds an index.
        """
        with self._lock:
            self._check_open()
            target = SQLiteStore(path)
            try:
                if target.settings() or target.skeleton().ids:
                    raise StoreError(
                        f"{path} already holds an index; save to a new file or delete it first"
                    )
                target.save_settings(config_settings(self.config))
                target.write(list(self._store.documents()), [], list(self._store.entries()), [])
            finally:
                target.close()

    def close(self) -> None:
        """Close the store; the index cannot be used afterwards (StoreError)."""
        with self._lock:
            self._closed = True
            self._store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __len__(self) -> int:
        with self._lock:
            self._refresh()
            return len(self._state.documents)

    def __repr__(self) -> str:
        path = getattr(self._store, "path", None)
        where = "in memory" if path is None else f"in {str(path)!r}"
        if self._closed:
            return f"<Index: closed, {where}>"
        stats = self.stats()
        return (
            f"<Index: {stats.documents} documents, {stats.paragraphs} paragraphs, "
            f"{stats.clusters} clusters of repeats, {stats.singletons} single paragraphs, "
            f"{where}>"
        )

    # -- reading -------------------------------------------------------------------------

    def match(self, text: str, *, split: SplitMode = "blank") -> list[Match | None]:
        """Return, for each paragraph of ``text``, its best matching cluster or None. Read-only.

        ``split`` cuts the text on blank lines (``"blank"``) or at every line (``"lines"``).
        """
        return self.match_many([text], split=split)[0]

    def match_many(
        self, texts: Sequence[str], *, split: SplitMode = "blank"
    ) -> list[list[Match | None]]:
        """Match several texts in one vectorised pass. Read-only.

        A paragraph that the index holds exactly is answered by its exact key, unsigned.
        """
        parts, prints = self._fingerprint(texts, known=self._state.entry_of_key, split=split)
        with self._lock:
            self._refresh()
            prints = self._sign_forgotten(parts, prints)
            found = self._state.best_matches(prints)
        result: list[list[Match | None]] = []
        start = 0
        for paragraphs in parts:
            result.append(found[start : start + len(paragraphs)])
            start += len(paragraphs)
        return result

    def held_keys(self) -> set[int]:
        """Return the exact keys of the paragraphs the index holds now (a copy)."""
        with self._lock:
            self._refresh()
            return set(self._state.entry_of_key)

    def match_fingerprints(self, texts: Sequence[str], prints: Fingerprints) -> list[Match | None]:
        """:meth:`match_many` for raw paragraphs already fingerprinted (rows left unsigned for
        keys of :meth:`held_keys` are signed here if a write removed them meanwhile)."""
        with self._lock:
            self._refresh()
            prints = self._sign_forgotten([list(texts)], prints)
            return self._state.best_matches(prints)

    def get(self, doc_id: str) -> Document:
        """Return a document with its paragraphs' text and clusters."""
        with self._lock:
            self._refresh()
            slot = self._doc(doc_id)
            clusters = self._state.doc_clusters(doc_id)
            stored = self._store.document(doc_id)
        texts = stored.texts if stored is not None else ()
        return Document(
            doc_id,
            slot.meta,
            [Paragraph(i, t, c) for i, (t, c) in enumerate(zip(texts, clusters, strict=True))],
        )

    def cluster_summary(self, cluster_id: str) -> ClusterSummary:
        """Return a cluster's size, documents and representative text, without members."""
        with self._lock:
            self._refresh()
            return self._summary(cluster_id, self._cluster(cluster_id))

    def cluster_summaries(
        self, cluster_ids: Iterable[str], *, refresh: bool = True
    ) -> dict[str, ClusterSummary]:
        """Return the summaries of several clusters at once; unknown ids are left out.

        ``refresh=False`` answers from the state the previous call left (a caller that has
        just matched saves a look at a shared store).
        """
        with self._lock:
            if refresh:
                self._refresh()
            known = self._state.cluster_of_id
            wanted = {cid: known[cid] for cid in set(cluster_ids) if cid in known}
            return self._texts.summaries(self._state, self._store, wanted)

    def _summary(self, cluster_id: str, cluster: int) -> ClusterSummary:
        return self._texts.summaries(self._state, self._store, {cluster_id: cluster})[cluster_id]

    def cluster_info(self, cluster_id: str) -> ClusterInfo:
        """Return one cluster with its members in insertion order."""
        with self._lock:
            summary = self.cluster_summary(cluster_id)
            members = [Member(*m) for m in self._state.members(self._cluster(cluster_id))]
        return ClusterInfo(summary.id, summary.size, summary.docs, summary.text, members)

    def clusters(
        self, min_docs: int = 1, limit: int = 100, cursor: str | None = None, *, min_size: int = 2
    ) -> tuple[list[ClusterSummary], str | None]:
        """Page through clusters by distinct documents, descending, then id.

        Args:
            min_docs: only clusters spanning at least this many documents.
            limit: page size.
            cursor: the cursor returned with the previous page.
            min_size: only clusters of at least this many paragraphs; the default of 2 leaves
                out paragraphs that repeat nothing (1 lists them too).

        Returns:
            The page, and the cursor of the next page (None after the last).
        """
        with self._lock:
            self._refresh()
            ids, more = page_of_clusters(self._state, min_docs, min_size, limit, cursor)
            page = [self.cluster_summary(cid) for cid in ids]
        return page, (next_cursor(page[-1].docs, page[-1].id) if more and page else None)

    def stats(self) -> Stats:
        """Return the numbers of documents, paragraphs, clusters of repeats and singletons."""
        with self._lock:
            self._refresh()
            state = self._state
            size = state.size.view()  # a cluster gone empty has size 0
            return Stats(
                len(state.documents),
                state.paragraphs,
                int(np.count_nonzero(size >= 2)),
                int(np.count_nonzero(size == 1)),
            )

    def holds(self, doc_id: str) -> bool:
        """Whether the index held ``doc_id`` at its last look at the store: answered from
        memory, without asking a shared store for other processes' writes (so it never waits
        on the network)."""
        return doc_id in self._state.documents

    def __contains__(self, doc_id: object) -> bool:
        with self._lock:
            self._refresh()
            return doc_id in self._state.documents

    # -- writing -------------------------------------------------------------------------

    def add(
        self,
        doc_id: str,
        text: str,
        meta: dict[str, object] | None = None,
        *,
        split: SplitMode = "blank",
    ) -> AddResult:
        """Add or replace a document; each paragraph joins its best match or founds a cluster.

        ``split`` cuts the text on blank lines (``"blank"``) or at every line (``"lines"``).
        """
        return self.add_many([(doc_id, text, meta)], split=split)[0]

    def add_many(
        self,
        documents: Sequence[tuple[str, str, dict[str, object] | None]],
        *,
        split: SplitMode = "blank",
    ) -> list[AddResult]:
        """Add or replace several documents in one atomic, durable write.

        Each document is matched against the index as it was before the write plus the
        documents before it in ``documents``: the old version of a document replaced here still
        counts as a candidate for the documents after it (adding them one by one would not).

        Raises:
            DuplicateKeyError: an id appears twice in ``documents``.
        """
        seen: set[str] = set()
        for doc_id, _, _ in documents:
            if doc_id in seen:
                raise DuplicateKeyError(
                    f"document {doc_id!r} appears twice in one batch; send it once"
                )
            seen.add(doc_id)
        parts, prints = self._fingerprint([text for _, text, _ in documents], split=split)

        def build(plan: Plan) -> None:
            start = 0
            for (doc_id, _, meta), paragraphs in zip(documents, parts, strict=True):
                part = prints.slice(start, start + len(paragraphs))
                plan.add_document(doc_id, meta, paragraphs, part)
                start += len(paragraphs)

        plan = self._commit(build)
        return [AddResult(d.id, d.replaced, d.assigned) for d in plan.documents]

    def remove(self, doc_id: str) -> None:
        """Remove a document; a cluster left empty disappears, the others keep their ids."""

        def build(plan: Plan) -> None:
            self._doc(doc_id)
            plan.remove_document(doc_id)

        self._commit(build)

    # -- internals -------------------------------------------------------------------------

    def _fingerprint(
        self,
        texts: Sequence[str],
        known: Container[int] | None = None,
        *,
        split: SplitMode = "blank",
    ) -> tuple[list[list[str]], Fingerprints]:
        """Split each text into paragraphs and fingerprint them all in one batch (no lock);
        paragraphs with ``known`` exact keys are left unsigned."""
        mode = check_split(split)
        parts = [split_paragraphs(text, mode) for text in texts]
        return parts, fingerprint(list(chain.from_iterable(parts)), self.config, known=known)

    def _sign_forgotten(self, split: list[list[str]], prints: Fingerprints) -> Fingerprints:
        """Sign the paragraphs left unsigned whose exact key the index no longer holds (a
        write removed it after the fingerprinting): they are matched by similarity (lock held)."""
        held = self._state.entry_of_key
        unsigned = np.flatnonzero(prints.counts == 0).tolist()
        redo = [row for row in unsigned if int(prints.keys[row]) not in held]
        if not redo:
            return prints
        paragraphs = list(chain.from_iterable(split))
        fresh = fingerprint([paragraphs[row] for row in redo], self.config)
        signatures, counts = prints.signatures.copy(), prints.counts.copy()
        signatures[redo], counts[redo] = fresh.signatures, fresh.counts
        return Fingerprints(prints.keys, signatures, counts)

    def _doc(self, doc_id: str) -> DocSlot:
        doc = self._state.documents.get(doc_id)
        if doc is None:
            raise UnknownKeyError(f"no document {doc_id!r}; add it first or check the id")
        return self._state.doc_slots[doc]

    def _cluster(self, cluster_id: str) -> int:
        cluster = self._state.cluster_of_id.get(cluster_id)
        if cluster is None:
            raise UnknownKeyError(f"no cluster {cluster_id!r}; list clusters to find its id")
        return cluster

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("this index is closed; open it again (Index.open) to use it")

    def _refresh(self) -> None:
        """Replay what other processes sharing the store wrote since the last look (lock held)."""
        self._check_open()
        store = self._store
        if store.stale():
            with store.reading():
                replay(self._state, store, store.changes())

    def _commit(self, build: Callable[[Plan], None]) -> Plan:
        """Plan, write and apply a change (see :func:`dedup.index.commit.commit`)."""
        return commit(self._state, self._store, self._lock, self._check_open, build)
