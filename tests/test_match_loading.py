"""dedup.index.matching.match_while_loading: the index loads while the crawl is read."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import patch

from dedup import Index
from dedup.index.matching import match_crawl, match_while_loading

# bench/ is not an installed package (only dedup and service are): import it from the work tree.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import generate


def test_loading_starts_once_the_worker_runs_and_answers_as_match_crawl() -> None:
    """With a fingerprinting worker, the index is loaded while pages are still being read
    (after the worker started), and every paragraph gets match_crawl's answer."""
    pages = [(page.id, page.text) for page in generate(80, seed=5)]
    index = Index()
    index.add_many([(doc, text, None) for doc, text in pages[:40]])
    crawl = pages[40:]
    read: list[int] = []
    loaded_after: list[int] = []

    def reading() -> Iterator[tuple[str, str]]:
        for page in crawl:
            read.append(1)
            yield page

    def load() -> Index:
        loaded_after.append(len(read))
        return index

    # Start the worker with the first batch of texts, not after thousands of them.
    with (
        patch("dedup.batch.reader.INLINE", 0),
        patch("dedup.batch.reader.BATCH", 64),
        patch("dedup.batch.fingerprinter.BATCH", 64),
    ):
        found = match_while_loading(reading(), load, index.config, known=index.held_keys(), jobs=2)
    assert 0 < loaded_after[0] < len(crawl)
    expected = match_crawl(crawl, index, jobs=1)
    assert found.matches == expected.matches
    assert found.clusters == expected.clusters
    assert sum(m is not None for m in found.matches) > 10


def test_without_workers_the_index_loads_after_reading() -> None:
    """With jobs=1 no worker starts: the index is loaded after the pages are read."""
    pages = [(page.id, page.text) for page in generate(20, seed=6)]
    index = Index()
    index.add_many([(doc, text, None) for doc, text in pages[:10]])
    read: list[int] = []
    loaded_after: list[int] = []

    def reading() -> Iterator[tuple[str, str]]:
        for page in pages[10:]:
            read.append(1)
            yield page

    def load() -> Index:
        loaded_after.append(len(read))
        return index

    found = match_while_loading(reading(), load, index.config, known=set(), jobs=1)
    assert loaded_after == [10]
    assert found.matches == match_crawl(pages[10:], index, jobs=1).matches
