"""Match a whole crawl against an index, read-only: the batch form of ``POST /v1/match``."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.batch.reader import Batch, PageLike, Progress, read_batch
from dedup.config import DedupConfig
from dedup.errors import StoreError
from dedup.index.index import ClusterSummary, Index
from dedup.index.match_child import DONE, END, KNOWN, ROWS, TEXTS, WANTED, load_and_match
from dedup.processes import process_context
from dedup.sketch.fingerprint import Fingerprints
from dedup.sketch.match import Match
from dedup.text.paragraphs import SplitMode

__all__ = ["CrawlMatches", "OnAnswers", "match_crawl", "match_stored"]

# Told each part of the answers: the batch, rows of its distinct paragraphs, their matches, and
# the summaries of the clusters matched so far.
OnAnswers = Callable[[Batch, list[int], list[Match | None], dict[str, ClusterSummary]], None]


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
    on_answers: OnAnswers | None = None,
) -> CrawlMatches:
    """:func:`match_crawl` against the SQLite store at ``path``, loaded into an index in a
    child process while this one reads the pages.

    Loading a store is mostly Python work (rows into columns): in a thread it would take turns
    with the reading for the GIL, in a child process it runs beside it. The child is sent the
    fingerprints of each batch of paragraphs as soon as they are signed, and matches them while
    the reading goes on, and those the store holds exactly as soon as they are read. Once the
    crawl is read, it sends back what it has answered, then the rest as it answers it:
    ``on_answers(batch, rows, matches, clusters)`` is told each part (the rows of
    ``batch.distinct.prints`` and their matches, and the summaries of the clusters matched so
    far), so that a caller can write the first pages while the last are matched. It only
    reads the store. Each paragraph is answered against the
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
        on_answers: told each part of the answers as it comes.

    Raises:
        StoreError: the store cannot be loaded, or the child ended without an answer.
        DedupError: the child's error as it is, such as an
            :class:`~dedup.errors.IncompatibleSignatureError` for a store of other settings.
    """
    context: Any = process_context("spawn")  # typeshed's BaseContext lacks Process and Pipe
    ours, theirs = context.Pipe()
    child = context.Process(
        target=load_and_match, args=(theirs, str(path), config), name="dedup-load", daemon=True
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
        answers = _Replies(batch, on_answers)
        try:
            while True:
                message = ours.recv()
                if isinstance(message, tuple) and message[0] == WANTED:
                    sender.texts(batch, message[1])
                elif answers.add(message):
                    break
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
    return answers.result()


class _Replies:
    """The answers of :func:`match_stored`'s child as they come: matches by row, summaries
    by cluster."""

    def __init__(self, batch: Batch, on_answers: OnAnswers | None) -> None:
        self._batch = batch
        self._on_answers = on_answers
        self._matches: list[Match | None] = [None] * len(batch.distinct.prints)
        self._answered = np.zeros(len(batch.distinct.prints), dtype=bool)
        self._clusters: dict[str, ClusterSummary] = {}
        self._error: BaseException | None = None

    def add(self, message: object) -> bool:
        """Take one message of the child; return whether it was the last."""
        if isinstance(message, BaseException):
            self._error = message
            return True
        assert isinstance(message, tuple)
        if message[0] == DONE:
            return True
        _, rows, ids, similarity, containment, summaries = message
        with _collector_paused():  # these objects make no cycles
            matches = [
                None if cluster is None else Match(cluster, sim, cont)
                for cluster, sim, cont in zip(ids, similarity, containment, strict=True)
            ]
            self._clusters.update((s[0], ClusterSummary(*s)) for s in zip(*summaries, strict=True))
        for row, match in zip(rows, matches, strict=True):
            self._matches[row] = match
        self._answered[rows] = True
        if self._on_answers is not None:
            self._on_answers(self._batch, rows, matches, self._clusters)
        return False

    def result(self) -> CrawlMatches:
        """Every answer; the child's error if it sent one.

        Raises:
            StoreError: the child left rows unanswered (a bug).
        """
        if self._error is not None:
            raise self._error
        if not self._answered.all():
            raise StoreError(
                f"the matching process answered {int(self._answered.sum())} of "
                f"{self._answered.size} paragraphs; please report this"
            )
        return CrawlMatches(self._batch, self._matches, self._clusters)


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
    """The reading side of :func:`match_stored`: sends the child each batch of signed rows and
    of rows left unsigned as it comes, then the end (see :mod:`dedup.index.match_child`)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._sent: list[npt.NDArray[np.int64]] = []
        self._open = True

    def rows(self, rows: npt.NDArray[np.int64], prints: Fingerprints) -> None:
        """Send the fingerprints of ``rows`` (an ``on_signed`` of :func:`read_batch`)."""
        self._send((ROWS, rows, prints))
        self._sent.append(rows)

    def known(self, rows: npt.NDArray[np.int64], keys: npt.NDArray[np.uint64]) -> None:
        """Send the keys of ``rows``, left unsigned: the store holds them exactly (an
        ``on_known`` of :func:`read_batch`)."""
        self._send((KNOWN, rows, keys))

    def end(self, batch: Batch) -> None:
        """Send the unsigned rows (the ones the store holds exactly) again, so that the child
        finds any whose key a writer removed meanwhile: it asks for their texts."""
        distinct = batch.distinct
        unsent = np.ones(len(distinct.prints), dtype=bool)
        for rows in self._sent:
            unsent[rows] = False
        rest = np.flatnonzero(unsent)
        self._send((END, len(distinct.prints), rest, distinct.prints.keys[rest]))

    def texts(self, batch: Batch, rows: npt.NDArray[np.int64]) -> None:
        """Send the texts of the distinct ``rows`` the child asks for."""
        texts = batch.raw_texts
        self._send((TEXTS, [texts[raw] for raw in batch.distinct.first_raw[rows].tolist()]))

    def _send(self, message: tuple[object, ...]) -> None:
        if not self._open:
            return
        try:
            self._conn.send(message)
        except (BrokenPipeError, ConnectionResetError):
            self._open = False  # the child failed or died: its answer, or none, says so


def _answer(batch: Batch, index: Index) -> CrawlMatches:
    """Match the distinct paragraphs of ``batch`` against ``index``."""
    texts = batch.raw_texts
    distinct = batch.distinct
    matches = index.match_fingerprints(
        [texts[r] for r in distinct.first_raw.tolist()], distinct.prints
    )
    clusters = index.cluster_summaries(m.cluster for m in matches if m is not None)
    return CrawlMatches(batch, matches, clusters)
