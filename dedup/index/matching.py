"""Match a whole crawl against an index, read-only: the batch form of ``POST /v1/match``."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from dedup.batch.reader import Batch, PageLike, Progress, read_batch
from dedup.config import DedupConfig
from dedup.errors import ConfigError
from dedup.index.index import ClusterSummary, Index
from dedup.sketch.match import Match
from dedup.text.paragraphs import SplitMode

__all__ = ["CrawlMatches", "match_crawl", "match_while_loading"]


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


def match_while_loading(
    pages: Iterable[PageLike],
    load: Callable[[], Index],
    config: DedupConfig,
    *,
    known: Container[int],
    jobs: int | None = None,
    progress: Progress | None = None,
    split: SplitMode = "blank",
) -> CrawlMatches:
    """:func:`match_crawl` against the index that ``load()`` builds, in a thread, while the
    pages are read (reading a store spends much of its time in SQLite, without the GIL).

    Args:
        pages: the crawl.
        load: builds the index; its config must be ``config``.
        config: the index's config, with which the pages are fingerprinted.
        known: exact keys the index holds, left unsigned (a key the index no longer holds
            when it is loaded is signed then, as :meth:`Index.match_fingerprints` does).
        jobs: fingerprinting processes.
        progress: called as pages are read.
        split: how pages become paragraphs.

    Returns:
        The matches; the caller closes the index (after an error too: it may be loaded).
    """
    loading: list[Future[Index]] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dedup-load") as pool:

        def start() -> None:  # once the workers are forked: forking beside a thread is unsafe
            loading.append(pool.submit(load))

        batch = read_batch(
            pages,
            config,
            jobs=jobs,
            progress=progress,
            split=split,
            known=known,
            on_started=start,
        )
        if not loading:  # no worker started: load after reading
            start()
        index = loading[0].result()
    if index.config != config:
        raise ConfigError(
            f"the index was loaded with {index.config}, but the pages were read with {config}"
        )
    return _answer(batch, index)


def _answer(batch: Batch, index: Index) -> CrawlMatches:
    """Match the distinct paragraphs of ``batch`` against ``index``."""
    texts = batch.raw_texts
    distinct = batch.distinct
    matches = index.match_fingerprints(
        [texts[r] for r in distinct.first_raw.tolist()], distinct.prints
    )
    clusters = index.cluster_summaries(m.cluster for m in matches if m is not None)
    return CrawlMatches(batch, matches, clusters)
