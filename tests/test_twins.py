"""Twin entries (dedup.index.twins): one of each group in the LSH index, the same answers."""

from __future__ import annotations

import sys
from pathlib import Path
from unittest.mock import patch

import numpy as np
import numpy.typing as npt
from hypothesis import given
from hypothesis import strategies as st

from dedup import Index
from dedup.index.twins import Twins, digests

# bench/ is not an installed package (only dedup and service are): import it from the work tree.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import generate


def _index_everything(
    self: Twins, ids: npt.NDArray[np.int64], *args: object, **kwargs: object
) -> npt.NDArray[np.bool_]:
    """Twins.register as if no entry had a twin: the LSH index holds them all."""
    return np.ones(ids.size, dtype=bool)


@given(st.integers(0, 2**32 - 1), st.sampled_from([2, 36, 128, 256]))
def test_equal_rows_have_equal_digests(seed: int, num_perm: int) -> None:
    rng = np.random.default_rng(seed)
    sigs = rng.integers(0, 4, size=(12, num_perm), dtype=np.uint32)  # a few values: many equal
    counts = rng.integers(-2, 3, size=12).astype(np.int64)
    got = digests(sigs, counts)
    for i in range(12):
        for j in range(12):
            if counts[i] == counts[j] and np.array_equal(sigs[i], sigs[j]):
                assert got[i] == got[j]
    assert digests(sigs[:1], counts[:1] + 1) != got[:1]  # the count is part of the digest


def test_the_next_twin_takes_the_place_of_a_dropped_one() -> None:
    sigs = np.array([[1, 2], [1, 2], [3, 4], [1, 2], [1, 2]], dtype=np.uint32)
    counts = np.array([5, 5, 5, 5, -5], dtype=np.int64)  # the last: same values, other count
    twins = Twins()
    indexed = twins.register(np.arange(5), sigs, counts, indexed=sigs, indexed_counts=counts)
    assert indexed.tolist() == [True, False, True, False, True]
    assert twins.release(3, sigs[3], 5) == (False, None)  # a twin left out: just forgotten
    assert twins.release(0, sigs[0], 5) == (True, 1)  # the indexed one: entry 1 replaces it
    assert twins.release(1, sigs[1], 5) == (True, None)  # the last of its group
    assert twins.release(2, sigs[2], 5) == (True, None)


def test_rows_sharing_a_digest_by_chance_are_each_indexed() -> None:
    sigs = np.array([[1, 2], [3, 4], [1, 2]], dtype=np.uint32)
    counts = np.array([5, 5, 5], dtype=np.int64)
    twins = Twins()
    with patch("dedup.index.twins.digests", lambda s, c: [7] * len(c)):
        indexed = twins.register(np.arange(3), sigs, counts, indexed=sigs, indexed_counts=counts)
        assert indexed.tolist() == [True, True, False]  # entry 1 differs: not a twin
        assert twins.release(1, sigs[1], 5) == (True, None)
        assert twins.release(0, sigs[0], 5) == (True, 2)


def test_pairs_gain_the_twins_left_out() -> None:
    sigs = np.array([[1, 2], [1, 2], [1, 2], [3, 4]], dtype=np.uint32)
    counts = np.full(4, 5, dtype=np.int64)
    twins = Twins()
    twins.register(np.arange(4), sigs, counts, indexed=sigs, indexed_counts=counts)
    query, entries = twins.with_twins(np.array([0, 1, 1]), np.array([0, 3, 0]), sigs, counts)
    assert sorted(zip(query.tolist(), entries.tolist(), strict=True)) == [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
    ]


def test_matches_are_the_same_with_every_twin_indexed() -> None:
    """A store with many twins (titles under two sites' names), some of whose indexed
    entries are then removed: every crawl paragraph gets the answer it gets when the LSH
    index holds every entry."""
    pages = [(page.id, page.text) for page in generate(160, seed=11)]
    stored, crawl = pages[:120], [text for _, text in pages[120:]]

    stepped_in = []
    release = Twins.release

    def counted(self: Twins, *args: object) -> tuple[bool, int | None]:
        held, successor = release(self, *args)  # type: ignore[arg-type]
        stepped_in.append(successor is not None)
        return held, successor

    def answers() -> tuple[list[object], int]:
        index = Index()
        index.add_many([(doc, text, None) for doc, text in stored])
        groups = sum(map(len, index._state.twins._later.values()))
        for doc, _ in stored[::3]:  # drop some pages: some indexed twins leave, others step in
            index.remove(doc)
        return [index.match_many(crawl), index.add_many([("new", crawl[0], None)])], groups

    with patch.object(Twins, "release", counted):
        with_twins, groups = answers()
    with patch.object(Twins, "register", _index_everything):
        every_entry, _ = answers()
    assert groups > 20  # the crawl has twins to leave out
    assert sum(stepped_in) > 5  # and some stepped in for an indexed one removed
    assert with_twins == every_entry
