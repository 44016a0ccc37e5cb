"""Several indexes on one SQLite store, as several service processes run: each sees the others'
writes before it reads or writes, and all of them agree with one index doing the same work."""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Callable
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import dedup
from dedup.errors import StoreError
from dedup.index.index import ClusterSummary, Paragraph
from dedup.stores.sqlite import SQLiteStore

WORDS = [
    "river",
    "dam",
    "rain",
    "village",
    "council",
    "minister",
    "strike",
    "harbour",
    "grain",
    "price",
    "court",
    "judge",
    "vote",
    "border",
    "army",
    "coast",
    "storm",
    "bridge",
    "school",
    "bakery",
    "museum",
    "train",
    "festival",
]


def _story(seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) + str(rng.randrange(40)) for _ in range(60))


STORIES = [_story(seed) for seed in range(6)]
# Each story as a reader meets it on different pages: whole, cut short, shouted, or a title.
VARIANTS = [
    variant
    for story in STORIES
    for variant in (story, " ".join(story.split()[:40]) + "…", story.upper(), story.split()[0])
]

View = tuple[dict[str, list[Paragraph]], list[ClusterSummary]]


def _view(index: dedup.Index, doc_ids: set[str]) -> View:
    docs = {d: index.get(d).paragraphs for d in sorted(doc_ids) if d in index}
    return docs, index.clusters(limit=10_000)[0]


def _open(path: Path) -> dedup.Index:
    return dedup.Index.load(path)


def test_a_write_in_one_index_is_seen_by_another(tmp_path: Path) -> None:
    """Adds, replacements and removals through one index show in the other's every read."""
    path = tmp_path / "shared.sqlite3"
    writer, reader = _open(path), _open(path)
    assert reader.match(STORIES[0]) == [None]
    added = writer.add("a", f"{STORIES[0]}\n\n{STORIES[1]}")
    found = reader.match(STORIES[0].upper())[0]
    assert found is not None
    assert found.cluster == added.paragraphs[0].cluster
    assert "a" in reader
    assert reader.stats() == writer.stats()
    assert reader.get("a").paragraphs == writer.get("a").paragraphs
    cluster = added.paragraphs[1].cluster
    assert reader.cluster_info(cluster) == writer.cluster_info(cluster)
    # The reader writes next: its write is planned against the writer's document.
    joined = reader.add("b", VARIANTS[5])
    assert joined.paragraphs[0].cluster == cluster
    writer.add("a", STORIES[2])  # replace: STORIES[0] and [1] leave a
    assert reader.match(STORIES[0]) == [None]
    assert reader.cluster_info(cluster).members == [("b", 0)]
    reader.remove("b")
    assert "b" not in writer
    assert (
        writer.stats()
        == reader.stats()
        == dedup.Stats(documents=1, paragraphs=1, clusters=0, singletons=1)
    )
    writer.close()
    reader.close()


def check_interleaving(
    shared: list[dedup.Index],
    reopen: Callable[[], dedup.Index],
    ops: list[tuple[str, int, str, list[int]]],
) -> dedup.Index:
    """Apply ``ops`` through the indexes of ``shared`` and to one index alone; assert every
    answer agrees, and that each shared index and a fresh one (returned) hold the same view."""
    alone = dedup.Index()
    seen: set[str] = set()
    for op, who, doc_id, paragraphs in ops:
        seen.add(doc_id)
        if op == "remove":
            if doc_id in alone:
                alone.remove(doc_id)
                shared[who].remove(doc_id)
            continue
        text = "\n\n".join(VARIANTS[i] for i in paragraphs)
        assert shared[who].add(doc_id, text) == alone.add(doc_id, text)
    expected = _view(alone, seen)
    fresh = reopen()
    for index in (*shared, fresh):
        assert _view(index, seen) == expected
    return fresh


operations = st.lists(
    st.tuples(
        st.sampled_from(["add", "add", "add", "remove"]),
        st.integers(0, 1),
        st.sampled_from("abcde"),
        st.lists(st.integers(0, len(VARIANTS) - 1), min_size=1, max_size=4),
    ),
    min_size=1,
    max_size=12,
)


@given(operations)
def test_indexes_sharing_a_store_agree_with_one_index(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int, str, list[int]]]
) -> None:
    """Any interleaving of writes through two indexes gives the clusters and ids one index
    gives for the same writes, and both indexes, and a fresh load, hold exactly that."""
    path = tmp_path_factory.mktemp("shared") / "shared.sqlite3"
    shared = [_open(path), _open(path)]
    fresh = check_interleaving(shared, lambda: _open(path), ops)
    for index in (*shared, fresh):
        index.close()


def _open_new_store(path: str, start: Synchronized[int], answers: Queue[str]) -> None:
    while not start.value:  # every process opens the file at the same moment
        pass
    try:
        SQLiteStore(path).close()
        answers.put("ok")
    except StoreError as exc:
        answers.put(str(exc))


@pytest.mark.timeout(120)
def test_processes_creating_one_new_store_at_once_all_open_it(tmp_path: Path) -> None:
    """The service's workers open a new store at the same moment: none is told "database is
    locked" (before, about one opening in thirty was)."""
    context = multiprocessing.get_context("fork")
    for trial in range(40):
        path = str(tmp_path / f"{trial}.sqlite3")
        start, answers = context.Value("i", 0), context.Queue()
        openers = [
            context.Process(target=_open_new_store, args=(path, start, answers)) for _ in range(4)
        ]
        for opener in openers:
            opener.start()
        start.value = 1
        assert [answers.get(timeout=60) for _ in openers] == ["ok"] * 4
        for opener in openers:
            opener.join()
        store = SQLiteStore(path, read_only=True)
        assert store.settings() == {}
        store.close()
