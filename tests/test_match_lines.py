"""The lines of `dedup match` written as the answers come: the same bytes as written at the
end, each paragraph's line as soon as it and every paragraph before it are answered."""

from __future__ import annotations

import io
import itertools
import sys
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import Index
from dedup.batch.reader import Batch
from dedup.index.matching import CrawlMatches, match_crawl, match_stored
from dedup.index.records import ClusterSummary
from dedup.io.match_lines import MatchLineWriter, match_lines
from dedup.sketch.match import Match
from dedup.stores.sqlite import SQLiteStore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import generate

Pages = list[tuple[str, str]]


@pytest.fixture(scope="module")
def crawl() -> Pages:
    return [(page.id, page.text) for page in generate(60, seed=8)]


@pytest.fixture(scope="module")
def found(crawl: Pages) -> CrawlMatches:
    """The last 30 pages matched against an index of the first 30."""
    index = Index()
    index.add_many([(doc, text, None) for doc, text in crawl[:30]])
    return match_crawl(crawl[30:], index, jobs=1)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_answers_in_any_parts_and_order_give_the_same_bytes(
    found: CrawlMatches, data: st.DataObject
) -> None:
    """However the answers are cut and ordered, the stream always holds the lines of the
    paragraphs before the first unanswered one, and in the end the bytes of match_lines."""
    whole = b"".join(match_lines(found))
    lines = whole.splitlines(keepends=True)
    rows = found.batch.distinct.of_raw[found.batch.para_raw].tolist()
    order = data.draw(st.permutations(range(len(found.matches))))
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(order) - 1)), max_size=6)))
    stream = io.BytesIO()
    writer = MatchLineWriter(stream)
    answered: set[int] = set()
    seen: dict[str, ClusterSummary] = {}
    for part in _parts(order, cuts):
        matches: list[Match | None] = [found.matches[row] for row in part]
        for match in matches:  # the summaries of the clusters matched so far
            if match is not None and match.cluster in found.clusters:
                seen[match.cluster] = found.clusters[match.cluster]
        writer.answered(found.batch, part, matches, seen)
        answered.update(part)
        ready = next((i for i, row in enumerate(rows) if row not in answered), len(rows))
        assert stream.getvalue() == b"".join(lines[:ready])
    writer.finish(found)
    assert stream.getvalue() == whole


def test_finish_alone_writes_match_lines(found: CrawlMatches) -> None:
    stream = io.BytesIO()
    MatchLineWriter(stream).finish(found)
    assert stream.getvalue() == b"".join(match_lines(found))
    assert stream.getvalue().count(b"\n") == found.batch.para_raw.size


def test_match_stored_tells_every_row_once_and_the_lines_agree(
    crawl: Pages, tmp_path: Path
) -> None:
    """The child's answers come in parts, each row once; the lines written as they come are
    those of the whole answer."""
    path = tmp_path / "dedup.sqlite3"
    index = Index(store=SQLiteStore(path))
    index.add_many([(doc, text, None) for doc, text in crawl[:30]])
    config, known = index.config, index.held_keys()
    index.close()
    told: list[int] = []
    stream = io.BytesIO()
    writer = MatchLineWriter(stream)

    def on_answers(
        batch: Batch,
        rows: list[int],
        matches: list[Match | None],
        clusters: dict[str, ClusterSummary],
    ) -> None:
        told.extend(rows)
        writer.answered(batch, rows, matches, clusters)

    with (  # small batches: many messages to the child, answers in several parts
        patch("dedup.batch.reader.INLINE", 0),
        patch("dedup.batch.reader.BATCH", 16),
        patch("dedup.batch.fingerprinter.BATCH", 16),
    ):
        found = match_stored(crawl[30:], path, config, known=known, jobs=2, on_answers=on_answers)
    assert sorted(told) == list(range(len(found.matches)))
    writer.finish(found)
    assert stream.getvalue() == b"".join(match_lines(found))
    assert sum(m is not None for m in found.matches) > 10


def _parts(order: list[int], cuts: list[int]) -> list[list[int]]:
    bounds = [0, *cuts, len(order)]
    return [order[low:high] for low, high in itertools.pairwise(bounds) if high > low]
