"""Match a whole crawl against an index, read-only: the batch form of ``POST /v1/match``."""

from __future__ import annotations

import contextlib
import gc
import threading
import traceback
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from queue import SimpleQueue
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.batch.reader import Batch, PageLike, Progress, read_batch
from dedup.config import DedupConfig
from dedup.errors import ConfigError, DedupError, StoreError
from dedup.index.index import ClusterSummary, Index
from dedup.processes import process_context
from dedup.sketch.fingerprint import Fingerprints
from dedup.sketch.match import Match
from dedup.text.paragraphs import SplitMode

__all__ = ["CrawlMatches", "match_crawl", "match_stored"]


@dataclass(frozen=True, slots=True)
class CrawlMatches:
    """Each paragraph of a crawl and the stored cluster it matches.

    Attributes:
        batch: the crawl as read: pages, paragraphs and their distinct fingerprints.
        matches: per distinct row of ``batch.distinct.prints``, its best match or None.
        clusters: the summary of every matched cluster (one a concurrent writer removed
            meanwhile is left out; its paragraphs count as unmatched).
    """

    batch: Batch
    matches: list[Match | None]
    clusters: dict[str, ClusterSummary]

    def paragraph_matches(self) -> list[Match | None]:
        """The match of every paragraph, in input order."""
        rows = self.batch.distinct.of_raw[self.batch.para_raw].tolist()
        return [self.matches[row] for row in rows]


def match_crawl(
    pages: Iterable[PageLike],
    index: Index,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    split: SplitMode = "blank",
) -> CrawlMatches:
    """Match every paragraph of ``pages`` against ``index`` without changing it.

    The pages are read as :func:`dedup.cluster` reads them (identical paragraphs collapsed,
    each distinct one signed once, in ``jobs`` processes, but for those the index holds
    exactly, which need no signature); each distinct paragraph then gets
    the answer :meth:`dedup.Index.match` would give it: the cluster of the most similar
    indexed paragraph it matches, with the similarity and containment, or None.

    Example:
        >>> index = Index()
        >>> _ = index.add("a", "Peru's Congress removed the president on Wednesday.")
        >>> crawl = [("b", "PERU'S CONGRESS removed the president on Wednesday")]
        >>> found = match_crawl(crawl, index, jobs=1)
        >>> [(m.similarity, found.clusters[m.cluster].docs) for m in found.paragraph_matches()]
        [(1.0, 1)]
    """
    # Paragraphs the index holds exactly are not signed: they match by their exact key.
    batch = read_batch(
        pages, index.config, jobs=jobs, progress=progress, split=split, known=index.held_keys()
    )
    return _answer(batch, index)


def match_stored(
    pages: Iterable[PageLike],
    path: Path,
    config: DedupConfig,
    *,
    known: Container[int],
    jobs: int | None = None,
    progress: Progress | None = None,
    split: SplitMode = "blank",
) -> CrawlMatches:
    """:func:`match_crawl` against the SQLite store at ``path``, loaded into an index in a
    child process while this one reads the pages.

    Loading a store is mostly Python work (rows into columns): in a thread it would take turns
    with the reading for the GIL, in a child process it runs beside it. The child is sent the
    fingerprints of each batch of paragraphs as soon as they are signed, and matches them while
    the reading goes on; at the end it is sent the paragraphs the store holds exactly, and
    sends all the answers back. It only reads the store. Each paragraph is answered against the
    store as it stood at some moment between the start and the end: a writer working
    meanwhile may be seen by some answers and not by others, as by separate requests to the
    service.

    Args:
        pages: the crawl.
        path: the store's file.
        config: the store's config, with which the pages are fingerprinted.
        known: exact keys the store holds, left unsigned (a key the store no longer holds
            when the child matches it is signed there, as :meth:`Index.match_fingerprints`
            does).
        jobs: fingerprinting processes.
        progress: called as pages are read.
        split: how pages become paragraphs.

    Raises:
        StoreError: the store cannot be loaded, or the child ended without an answer.
        DedupError: the child's error as it is, such as an
            :class:`~dedup.errors.IncompatibleSignatureError` for a store of other settings.
    """
    context: Any = process_context("spawn")  # typeshed's BaseContext lacks Process and Pipe
    ours, theirs = context.Pipe()
    child = context.Process(
        target=_load_and_match, args=(theirs, str(path), config), name="dedup-load", daemon=True
    )
    child.start()  # before the fingerprinting workers: forked if no thread runs yet
    theirs.close()
    try:
        sender = _Sender(ours)
        batch = read_batch(
            pages,
            config,
            jobs=jobs,
            progress=progress,
            split=split,
            known=known,
            on_signed=sender.rows,
            on_known=sender.known,
        )
        sender.end(batch)
        try:
            reply = ours.recv()
        except (EOFError, ConnectionError):
            child.join(timeout=1.0)
            raise StoreError(
                f"the process loading the store {path} ended (exit code {child.exitcode}) "
                "without an answer; check that the machine has the memory to hold the store's "
                "index"
            ) from None
    finally:
        ours.close()
        if child.is_alive() and child.exitcode is None:
            child.terminate()  # an error here: the child only reads, so stopping it is safe
        child.join()
    if isinstance(reply, BaseException):
        raise reply
    ids, similarity, containment, summaries = reply
    with _collector_paused():  # these objects make no cycles
        matches = [
            None if cluster is None else Match(cluster, sim, cont)
            for cluster, sim, cont in zip(ids, similarity, containment, strict=True)
        ]
        clusters = {s[0]: ClusterSummary(*s) for s in zip(*summaries, strict=True)}
    return CrawlMatches(batch, matches, clusters)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector: making tens of thousands of objects after a crawl is
    read sets off full collections that walk all of it (half the time of making them)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Sender:
    """The reading side of :func:`match_stored`: sends the child each batch of signed rows as
    it comes, then the rest."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._sent: list[npt.NDArray[np.int64]] = []
        self._open = True

    def rows(self, rows: npt.NDArray[np.int64], prints: Fingerprints) -> None:
        """Send the fingerprints of ``rows`` (an ``on_signed`` of :func:`read_batch`)."""
        self._send((_ROWS, rows, prints))
        self._sent.append(rows)

    def known(self, rows: npt.NDArray[np.int64], keys: npt.NDArray[np.uint64]) -> None:
        """Send the keys of ``rows``, left unsigned: the store holds them exactly (an
        ``on_known`` of :func:`read_batch`)."""
        self._send((_KNOWN, rows, keys))

    def end(self, batch: Batch) -> None:
        """Send the unsigned rows (the ones the store holds exactly) with their texts, in case
        the child must sign one that a writer removed meanwhile."""
        distinct = batch.distinct
        unsent = np.ones(len(distinct.prints), dtype=bool)
        for rows in self._sent:
            unsent[rows] = False
        rest = np.flatnonzero(unsent)
        texts = batch.raw_texts
        self._send(
            (
                _END,
                len(distinct.prints),
                rest,
                distinct.prints.keys[rest],
                [texts[raw] for raw in distinct.first_raw[rest].tolist()],
            )
        )

    def _send(self, message: tuple[object, ...]) -> None:
        if not self._open:
            return
        try:
            self._conn.send(message)
        except (BrokenPipeError, ConnectionResetError):
            self._open = False  # the child failed or died: its answer, or none, says so


# The messages of match_stored to its child: a batch of signed rows, a batch of rows left
# unsigned (their keys only), and the end.
_ROWS, _KNOWN, _END = "rows", "known", "end"
_SUMMARY = ("id", "size", "docs", "text")  # ClusterSummary's fields, in order


def _load_and_match(conn: Connection, path: str, config: DedupConfig) -> None:
    """The child of :func:`match_stored`: load the store, match the rows as they come, send
    back ``(matches, clusters)`` as columns, or the error."""
    from dedup.stores.sqlite import SQLiteStore  # noqa: PLC0415 - the child's own connection

    inbox: SimpleQueue[tuple[Any, ...] | None] = SimpleQueue()
    # A thread takes the messages off the pipe while the store loads: the reading never waits.
    threading.Thread(target=_receive, args=(conn, inbox), name="dedup-receive", daemon=True).start()
    reply: object
    try:
        store = SQLiteStore(path, read_only=True)
        try:
            index = Index(config, store)
            if index.config != config:
                raise ConfigError(
                    f"the store was loaded with {index.config}, but the pages were read with "
                    f"{config}"
                )
            found: dict[int, Match | None] = {}
            clusters: dict[str, ClusterSummary] = {}
            total = _match_arriving(index, inbox, found, clusters)
            matches = [found[row] for row in range(total)]
        finally:
            store.close()
        # As columns: pickling 40,000 slotted objects one by one takes a third of a second.
        reply = (
            [None if m is None else m.cluster for m in matches],
            [0.0 if m is None else m.similarity for m in matches],
            [0.0 if m is None else m.containment for m in matches],
            [[getattr(c, name) for c in clusters.values()] for name in _SUMMARY],
        )
    except (EOFError, KeyboardInterrupt):  # the reading failed or was stopped: nobody waits
        conn.close()
        return
    except DedupError as exc:
        reply = exc
    except Exception:  # a bug: say where, since the traceback stays in this process
        reply = RuntimeError(f"loading the store {path} failed:\n{traceback.format_exc()}")
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):  # the caller may be gone
        conn.send(reply)
    conn.close()


def _receive(conn: Connection, inbox: SimpleQueue[tuple[Any, ...] | None]) -> None:
    """Move the messages from the pipe to ``inbox`` up to the end; None if the pipe closes."""
    try:
        while (message := conn.recv())[0] != _END:
            inbox.put(message)
        inbox.put(message)
    except (EOFError, OSError):
        inbox.put(None)


def _match_arriving(
    index: Index,
    inbox: SimpleQueue[tuple[Any, ...] | None],
    found: dict[int, Match | None],
    clusters: dict[str, ClusterSummary],
) -> int:
    """Match the rows in ``inbox`` into ``found`` as they come, all that wait at once, and
    summarise each matched cluster into ``clusters`` as it first comes (from the state its
    match came from); return how many rows there are in all.

    A row left unsigned is matched by its key alone as it comes. If a writer removed the key
    meanwhile, that gives no match, and the row is matched again at the end, by its text.

    Raises:
        EOFError: the pipe closed before the end.
    """
    while True:
        messages = [inbox.get()]
        while not inbox.empty():
            messages.append(inbox.get())
        if None in messages:
            raise EOFError
        arrived = [m for m in messages if m is not None and m[0] != _END]
        if arrived:
            rows = np.concatenate([m[1] for m in arrived])
            batches = [
                m[2] if m[0] == _ROWS else _unsigned(m[2], index.config.num_perm) for m in arrived
            ]
            prints = Fingerprints(
                *(np.concatenate([getattr(b, name) for b in batches]) for name in _PRINTS)
            )
            # No text: a signed row needs none, and an unsigned one is matched by its key (or
            # again at the end).
            matches = index.match_fingerprints([""] * rows.size, prints)
            found.update(zip(rows.tolist(), matches, strict=True))
            _summarise(index, matches, clusters)
        last = messages[-1]
        if last is not None and last[0] == _END:
            _, total, rows, keys, texts = last
            # The unsigned rows not matched yet: not sent before, or their key was removed.
            again = [i for i, row in enumerate(rows.tolist()) if found.get(row) is None]
            if again:
                chosen = np.asarray(again, dtype=np.int64)
                matches = index.match_fingerprints(
                    [texts[i] for i in again],
                    _unsigned(keys[chosen], index.config.num_perm),
                )
                found.update(zip(rows[chosen].tolist(), matches, strict=True))
                _summarise(index, matches, clusters)
            return int(total)


def _unsigned(keys: npt.NDArray[np.uint64], num_perm: int) -> Fingerprints:
    """The fingerprints of rows left unsigned: their keys, a zero signature, no shingles."""
    return Fingerprints(
        keys, np.zeros((keys.size, num_perm), dtype=np.uint32), np.zeros(keys.size, np.int64)
    )


def _summarise(
    index: Index, matches: list[Match | None], clusters: dict[str, ClusterSummary]
) -> None:
    """Add to ``clusters`` the summaries of the clusters in ``matches`` it lacks, read from the
    state that just gave the matches (a cluster a writer removed is left out)."""
    wanted = {m.cluster for m in matches if m is not None}.difference(clusters)
    clusters.update(index.cluster_summaries(wanted, refresh=False))


_PRINTS = ("keys", "signatures", "counts")  # Fingerprints' fields, in order


def _answer(batch: Batch, index: Index) -> CrawlMatches:
    """Match the distinct paragraphs of ``batch`` against ``index``."""
    texts = batch.raw_texts
    distinct = batch.distinct
    matches = index.match_fingerprints(
        [texts[r] for r in distinct.first_raw.tolist()], distinct.prints
    )
    clusters = index.cluster_summaries(m.cluster for m in matches if m is not None)
    return CrawlMatches(batch, matches, clusters)
