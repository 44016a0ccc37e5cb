"""dedup.index.matching.match_stored: a child process loads the store while the crawl is read."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import patch

import numpy as np
import numpy.typing as npt
import pytest

from dedup import DedupConfig, Index
from dedup.batch.reader import read_batch
from dedup.errors import IncompatibleSignatureError, InputError, StoreError
from dedup.index import matching
from dedup.index.matching import CrawlMatches, match_crawl, match_stored
from dedup.sketch.fingerprint import Fingerprints
from dedup.stores.sqlite import SQLiteStore

# bench/ is not an installed package (only dedup and service are): import it from the work tree.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import generate

Pages = list[tuple[str, str]]


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Pages]:
    """A store file holding 40 generated pages, and the next 40 pages as the day's crawl."""
    pages = [(page.id, page.text) for page in generate(80, seed=5)]
    path = tmp_path_factory.mktemp("store") / "dedup.sqlite3"
    index = Index(store=SQLiteStore(path))
    index.add_many([(doc, text, None) for doc, text in pages[:40]])
    index.close()
    return path, pages[40:]


def _expected(path: Path, crawl: Pages) -> tuple[CrawlMatches, set[int], DedupConfig]:
    """match_crawl's answer in this process, the store's keys and its config."""
    store = SQLiteStore(path, read_only=True)
    try:
        index = Index(store=store)
        return match_crawl(crawl, index, jobs=1), store.keys(), index.config
    finally:
        store.close()


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_child_answers_as_match_crawl(stored: tuple[Path, Pages], jobs: int) -> None:
    """Every paragraph gets match_crawl's answer (cluster, similarity, containment, and the
    cluster's summary), with or without fingerprinting workers."""
    path, crawl = stored
    with (  # with workers: start them with the first texts, not after thousands
        patch("dedup.batch.reader.INLINE", 0),
        patch("dedup.batch.reader.BATCH", 64),
        patch("dedup.batch.fingerprinter.BATCH", 64),
        patch.object(matching._Sender, "texts", autospec=True) as texts,
    ):
        expected, known, config = _expected(path, crawl)
        found = match_stored(crawl, path, config, known=known, jobs=jobs)
    texts.assert_not_called()  # no key was removed meanwhile: no text crosses back
    assert sum(m is not None for m in found.matches) > 10
    assert found.matches == expected.matches
    assert found.clusters == expected.clusters


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_row_is_told_once_in_order_while_reading(
    stored: tuple[Path, Pages], jobs: int
) -> None:
    """on_signed hears of every row that is not known exactly, with the fingerprints the batch
    ends with, and on_known of every row left unsigned, with its key: each row once, in
    order, the first of each before the last page is read."""
    path, crawl = stored
    _, known, config = _expected(path, crawl)
    signed: list[tuple[npt.NDArray[np.int64], Fingerprints]] = []
    unsigned: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]] = []
    heard_at: dict[str, list[int]] = {"signed": [], "known": []}
    pages_read = 0

    def pages() -> Iterator[tuple[str, str]]:
        nonlocal pages_read
        for page in crawl:
            pages_read += 1
            yield page

    def on_signed(rows: npt.NDArray[np.int64], prints: Fingerprints) -> None:
        signed.append((rows, prints))
        heard_at["signed"].append(pages_read)

    def on_known(rows: npt.NDArray[np.int64], keys: npt.NDArray[np.uint64]) -> None:
        unsigned.append((rows, keys))
        heard_at["known"].append(pages_read)

    with (
        patch("dedup.batch.reader.INLINE", 0),
        patch("dedup.batch.reader.BATCH", 16),
        patch("dedup.batch.fingerprinter.BATCH", 16),
    ):
        batch = read_batch(
            pages(), config, jobs=jobs, known=known, on_signed=on_signed, on_known=on_known
        )
    prints = batch.distinct.prints
    held = np.array([int(key) in known for key in prints.keys.tolist()])
    assert held.any()
    assert not held.all()
    rows = np.concatenate([r for r, _ in signed])
    assert np.array_equal(rows, np.flatnonzero(~held))  # each row not known, once, in order
    for name in ("keys", "signatures", "counts"):
        got = np.concatenate([getattr(p, name) for _, p in signed])
        assert np.array_equal(got, getattr(prints, name)[rows])
    rows = np.concatenate([r for r, _ in unsigned])
    assert np.array_equal(rows, np.flatnonzero(held))  # each known row, once, in order
    assert np.array_equal(np.concatenate([k for _, k in unsigned]), prints.keys[rows])
    assert not prints.counts[rows].any()  # left unsigned
    for told in (signed, unsigned):
        assert len(told) > 2
    assert max(heard[0] for heard in heard_at.values()) < len(crawl)


@pytest.mark.timeout(120)
def test_a_child_that_dies_while_rows_stream_is_a_store_error(
    stored: tuple[Path, Pages],
) -> None:
    """Killed while the signed rows are being sent to it, the child is reported: the sending
    stops quietly and the missing answer says what happened."""
    path, crawl = stored
    _, known, config = _expected(path, crawl)

    def reading() -> Iterator[tuple[str, str]]:
        for number, page in enumerate(crawl):
            if number == 10:
                (child,) = [p for p in multiprocessing.active_children() if p.name == "dedup-load"]
                assert child.pid is not None
                os.kill(child.pid, signal.SIGKILL)
                child.join()
            yield page

    with (
        patch("dedup.batch.reader.INLINE", 0),
        patch("dedup.batch.reader.BATCH", 16),
        patch("dedup.batch.fingerprinter.BATCH", 16),
        pytest.raises(StoreError, match=r"ended \(exit code -9\) without an answer"),
    ):
        match_stored(reading(), path, config, known=known, jobs=1)


def test_a_paragraph_known_when_read_but_gone_when_loaded_is_signed_in_the_child(
    stored: tuple[Path, Pages],
) -> None:
    """A key passed as known (so left unsigned) that the store no longer holds is signed by
    the child and matched by similarity, as Index.match_fingerprints does: the child asks for
    the texts of those rows, and of no other."""
    path, crawl = stored
    expected, real, config = _expected(path, crawl)
    keys = expected.batch.distinct.prints.keys.tolist()
    claimed = real | {int(key) for key in keys}
    asked: list[list[int]] = []
    sent = matching._Sender.texts

    def texts(self: matching._Sender, batch: object, rows: npt.NDArray[np.int64]) -> None:
        asked.append(rows.tolist())
        sent(self, batch, rows)  # type: ignore[arg-type]

    with patch.object(matching._Sender, "texts", texts):
        found = match_stored(crawl, path, config, known=claimed, jobs=1)
    assert found.matches == expected.matches
    gone = [row for row, key in enumerate(keys) if int(key) not in real]
    assert gone
    assert asked == [gone]


def test_a_store_of_other_settings_is_refused_as_the_child_says(
    stored: tuple[Path, Pages],
) -> None:
    """The child's error reaches the caller as it is, with its message."""
    path, crawl = stored
    with pytest.raises(IncompatibleSignatureError, match="built with num_perm=128, not 64"):
        match_stored(crawl, path, DedupConfig(num_perm=64), known=set(), jobs=1)


def test_a_missing_store_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store file"):
        match_stored([("a", "text")], tmp_path / "none.sqlite3", DedupConfig(), known=set())


def test_bad_input_stops_the_child_and_says_where(stored: tuple[Path, Pages]) -> None:
    """An error while reading is the caller's, and the loading child is stopped, not waited
    for."""
    path, crawl = stored

    def reading() -> Iterator[object]:
        yield from crawl[:5]
        yield ("only an id",)

    with pytest.raises(InputError, match="page 6"):
        match_stored(reading(), path, DedupConfig(), known=set(), jobs=1)  # type: ignore[arg-type]


@pytest.mark.timeout(120)
def test_a_child_that_dies_is_a_store_error(stored: tuple[Path, Pages]) -> None:
    """A loading process killed (say, out of memory) is reported, never waited for forever."""
    path, crawl = stored

    def reading() -> Iterator[tuple[str, str]]:
        yield from crawl[:20]
        # Kill the child while the pages are read (it loads, or waits for them): whether it
        # was forked or spawned, it is the one live child of that name.
        (child,) = [p for p in multiprocessing.active_children() if p.name == "dedup-load"]
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        yield from crawl[20:]

    with pytest.raises(StoreError, match=r"ended \(exit code -9\) without an answer"):
        match_stored(reading(), path, DedupConfig(), known=set(), jobs=1)
