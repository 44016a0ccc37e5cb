"""Hypothesis properties of the short-paragraph rule: character shingles, the banding it needs,
and the match rule's treatment of the two kinds of shingles."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import dedup
from dedup.sketch.match import score_pairs
from dedup.text.shingle import char_shingle

TEXT = st.text(alphabet="ab cé", max_size=30).map(lambda t: " ".join(t.split()).encode())


def windows(text: bytes, n: int) -> set[bytes]:
    """The reference: the distinct n-byte windows of the text padded with one space a side."""
    if not text:
        return set()
    padded = b" " + text + b" "
    if len(padded) < n:
        return {padded}
    return {padded[i : i + n] for i in range(len(padded) - n + 1)}


@given(st.lists(TEXT, min_size=1, max_size=6), st.integers(2, 8), st.integers(0, 2**64 - 1))
def test_char_shingles_are_the_distinct_byte_windows(texts: list[bytes], n: int, seed: int) -> None:
    """Each paragraph gets one hash per distinct padded n-byte window, the same window gets the
    same hash in every paragraph (so shared windows are shared hashes), and a paragraph's
    hashes do not depend on the others in its batch."""
    batch = char_shingle(texts, n, seed)
    assert batch.counts.tolist() == [len(windows(t, n)) for t in texts]
    for i, a in enumerate(texts):
        assert np.array_equal(batch.of(i), char_shingle([a], n, seed).of(0))
        for j, b in enumerate(texts):
            shared = np.intersect1d(batch.of(i), batch.of(j)).size
            assert shared == len(windows(a, n) & windows(b, n))


@given(
    st.integers(1, 300),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1.0),
    st.floats(0.5, 1.0),
    st.floats(0.3, 1.0),
)
def test_banding_targets_every_short_pair_that_can_match(
    smaller: int, stretch: float, share: float, containment: float, ratio: float
) -> None:
    """Any two sets whose smaller one has at least short_containment of its members in the
    other, and at least short_length_ratio of its size, have a Jaccard similarity no lower
    than the config's candidate threshold, which the LSH banding is chosen for."""
    # Only the short rule's containment route is left to set the threshold.
    config = dedup.DedupConfig(
        threshold=1.0,
        containment=None,
        short_threshold=1.0,
        short_containment=containment,
        short_length_ratio=ratio,
    )
    larger = smaller + math.floor(stretch * (smaller / ratio - smaller))
    low = math.ceil(containment * smaller - 1e-9)
    common = low + math.floor(share * (smaller - low))
    jaccard = common / (smaller + larger - common)
    assert jaccard >= config.candidate_threshold - 1e-12


@given(
    st.lists(st.integers(0, 3), min_size=16, max_size=16),
    st.lists(st.integers(0, 3), min_size=16, max_size=16),
    st.integers(1, 200),
    st.integers(1, 200),
)
def test_word_and_character_paragraphs_never_match_by_estimate(
    first: list[int], second: list[int], size_a: int, size_b: int
) -> None:
    """A paragraph shingled on words (positive count) and one shingled on characters (negative
    count) never match, whatever their signatures; two of the same kind with equal signatures
    and sizes always do."""
    config = dedup.DedupConfig(num_perm=16)
    sigs = np.array([first, second, first], dtype=np.uint32)
    counts = np.array([size_a, -size_b, -size_a], dtype=np.int64)
    pairs = np.array([[0, 1], [0, 2], [1, 2]], dtype=np.int64)
    matched = score_pairs(sigs, counts, pairs, config).matched.tolist()
    assert matched[:2] == [False, False]
    same = score_pairs(sigs, counts, np.array([[2, 2], [0, 0]], dtype=np.int64), config)
    assert same.matched.tolist() == [True, True]
