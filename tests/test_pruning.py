"""Pruning candidate pairs (dedup.sketch.pruning) leaves every query's best match unchanged."""

from __future__ import annotations

import sys
from pathlib import Path
from unittest.mock import patch

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import DedupConfig, Index
from dedup.sketch.match import match_rule, score_pairs
from dedup.sketch.pruning import _guess, _Needs, best_candidates, low_byte_agreements

# bench/ is not an installed package (only dedup and service are): import it from the work tree.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import generate

CONFIGS = st.sampled_from(
    [
        DedupConfig(),
        DedupConfig(threshold=0.8, containment=None),
        DedupConfig(num_perm=40, bands=10, rows=2),
        DedupConfig(num_perm=36, bands=9, rows=2),  # low bytes not a whole number of words
        DedupConfig(num_perm=256),  # up to 256 agreeing bytes: more than one byte holds
        DedupConfig(threshold=0.3, short_threshold=0.5, min_containment_shingles=3),
    ]
)


def _best(
    pairs: npt.NDArray[np.int64], similarity: npt.NDArray[np.float64], cont: npt.NDArray[np.float64]
) -> dict[int, tuple[float, float, int]]:
    """Per query row, the matched pair of highest (similarity, containment), first listed."""
    best: dict[int, tuple[float, float, int]] = {}
    for i, (row, sim, con) in enumerate(zip(pairs[:, 0].tolist(), similarity, cont, strict=True)):
        if row not in best or (sim, con) > best[row][:2]:
            best[row] = (float(sim), float(con), int(pairs[i, 1]))
    return best


@settings(max_examples=40)
@given(CONFIGS, st.integers(0, 2**32 - 1), st.integers(2, 6))
def test_best_match_of_every_query_survives_pruning(
    config: DedupConfig, seed: int, alphabet: int
) -> None:
    """Scoring only the pairs best_candidates keeps gives every query the same best matched
    pair (similarity, containment, and the first listed among equals) as scoring them all."""
    rng = np.random.default_rng(seed)
    queries, others, n, families = 60, 300, 5000, 4
    # Families of near-copies: each member keeps its family's value in a random share of the
    # permutations, so pairs of one family range from unlike to identical.
    shape = (families, config.num_perm)
    base = rng.integers(0, 2**32, size=shape, dtype=np.uint32)
    sign = np.array([1, 1, 1, -1])  # one family of title-like lines (character shingles)

    def members(size: int) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
        family = rng.integers(0, families, size=size)
        keep = rng.random((size, config.num_perm)) < rng.random((size, 1)) ** (1 / alphabet)
        noise = rng.integers(0, 2**32, size=(size, config.num_perm), dtype=np.uint32)
        counts = rng.choice([0, 5, 12, 24, 40, 200], size=size) * sign[family]
        return np.where(keep, base[family], noise).astype(np.uint32), counts.astype(np.int64)

    sigs, counts = members(queries)
    other_sigs, other_counts = members(others)
    pairs = np.stack(
        [np.sort(rng.integers(0, queries, size=n)), rng.integers(0, others, size=n)], axis=1
    )
    with patch("dedup.sketch.pruning.MIN_PAIRS", 0):
        kept = best_candidates(
            sigs, counts, pairs, config, others=other_sigs, other_counts=other_counts
        )
    assert np.array_equal(kept, np.unique(kept))
    whole = score_pairs(sigs, counts, pairs, config, others=other_sigs, other_counts=other_counts)
    part = pairs[kept]
    pruned = score_pairs(sigs, counts, part, config, others=other_sigs, other_counts=other_counts)
    m, p = whole.matched, pruned.matched
    expected = _best(pairs[m], whole.similarity[m], whole.containment[m])
    assert expected  # the drawn data has matches to find
    assert _best(part[p], pruned.similarity[p], pruned.containment[p]) == expected
    assert kept.size < n  # and something was pruned
    with patch("dedup.sketch.pruning.MIN_PAIRS", 0):  # the low bytes an index keeps
        low_bytes = other_sigs.astype(np.uint8)
        same = best_candidates(
            sigs,
            counts,
            pairs,
            config,
            others=other_sigs,
            other_counts=other_counts,
            other_low_bytes=low_bytes,
        )
    assert np.array_equal(same, kept)


@given(CONFIGS, st.lists(st.integers(-300, 300), min_size=1, max_size=12))
def test_rule_needs_is_the_fewest_agreements_that_match(
    config: DedupConfig, drawn: list[int]
) -> None:
    """The bound per pair is the smallest agreement count with which the rule matches it
    (num_perm + 1 when none does), checked against every count from 0 to num_perm."""
    counts = np.array(drawn, dtype=np.int64)
    rows, cols = np.divmod(np.arange(counts.size**2, dtype=np.int64), counts.size)
    needs = _Needs(counts, counts, num_perm=config.num_perm, config=config)
    got = needs.of_pairs(rows, cols)
    assert np.array_equal(needs.least(), got.reshape(counts.size, counts.size).min(axis=1))
    for pair, need in enumerate(got.tolist()):
        agree = np.arange(config.num_perm + 1)
        size = agree.size
        _, matched = match_rule(
            agree / config.num_perm,
            np.full(size, counts[rows[pair]]),
            np.full(size, counts[cols[pair]]),
            config,
        )
        hits = np.flatnonzero(matched)
        assert need == (hits[0] if hits.size else config.num_perm + 1)
        assert matched[need:].all()  # the rule only grows with the similarity


@given(CONFIGS, st.lists(st.integers(-300, 300), min_size=1, max_size=12), st.integers(0, 2**32))
def test_a_wrong_first_guess_still_gives_the_rules_bounds(
    config: DedupConfig, drawn: list[int], seed: int
) -> None:
    """The first guess only saves time: any guess, right or not, gives the same table (the
    cells it gets wrong are searched), and for these configs it is right nearly everywhere."""
    counts = np.array(drawn, dtype=np.int64)
    right = _Needs(counts, counts, num_perm=config.num_perm, config=config).table
    rng = np.random.default_rng(seed)

    def anything(count_a: npt.NDArray[np.int64], *_: object, **__: object) -> object:
        return rng.integers(0, config.num_perm + 2, size=count_a.size)

    with patch("dedup.sketch.pruning._guess", anything):
        table = _Needs(counts, counts, num_perm=config.num_perm, config=config).table
    assert np.array_equal(table, right)


def test_the_first_guess_is_right_nearly_everywhere() -> None:
    """Over every pair of counts from -400 to 2,000, the guess misses few cells (so the
    search runs on a handful, not the table)."""
    config = DedupConfig()
    counts = np.arange(-400, 2000, dtype=np.int64)
    count_a, count_b = np.repeat(counts, counts.size), np.tile(counts, counts.size)
    guess = _guess(count_a, count_b, num_perm=config.num_perm, config=config)
    table = _Needs(counts, counts, num_perm=config.num_perm, config=config).table.ravel()
    assert table.size == guess.size
    assert np.count_nonzero(table != guess) < 100


@given(
    st.sampled_from([8, 36, 128, 256, 2048, 2056]),
    st.integers(0, 2**32 - 1),
    st.floats(0.0, 1.0),
)
def test_low_byte_agreements_bound_the_agreements(num_perm: int, seed: int, share: float) -> None:
    """The count of permutations whose low bytes agree is at least the count whose whole
    values do, and exact when no two unequal values share a low byte."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2**32, size=(5, num_perm), dtype=np.uint32)
    b = np.where(rng.random((7, num_perm)) < share, a[rng.integers(0, 5, size=7)], a[0] + 1)
    b[0] = a[1] ^ np.uint32(0x100)  # equal low bytes, unequal values: counted, not agreeing
    rows, cols = np.divmod(np.arange(35, dtype=np.int64), 7)
    got = low_byte_agreements(a, b, rows, cols)
    agree = np.count_nonzero(a[rows] == b[cols], axis=1)
    low = np.count_nonzero(a[rows] % 256 == b[cols] % 256, axis=1)
    assert np.array_equal(got, low)
    assert (got >= agree).all()
    assert got[1 * 7] == num_perm > agree[1 * 7] == 0


def test_index_match_is_the_same_with_and_without_pruning() -> None:
    """A generated crawl matched against an index of another: identical answers whether the
    candidates are pruned (forced on, rows matched in blocks of 7) or all scored at once."""
    pages = [(page.id, page.text) for page in generate(120, seed=3)]
    index = Index()
    index.add_many([(doc, text, None) for doc, text in pages[:80]])
    texts = [text for _, text in pages[80:]]
    with patch("dedup.sketch.pruning.MIN_PAIRS", 0), patch("dedup.index.state._QUERIES", 7):
        pruned = index.match_many(texts)
    with patch("dedup.sketch.pruning.MIN_PAIRS", 1 << 62):
        whole = index.match_many(texts)
    assert pruned == whole
    assert sum(m is not None for page in whole for m in page) > 100
