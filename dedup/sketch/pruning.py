"""Which candidate pairs can hold a query's best match, found without comparing whole signatures.

Matching a crawl against a store meets millions of LSH candidates (with 2-row bands, a pair of
paragraphs sharing a third of their shingles is nearly always one), of which a few percent
match. :func:`best_candidates` first compares only the low byte of every permutation: two
equal values have equal low bytes, so the count of equal bytes bounds the agreements from
above, at a quarter of the memory a whole comparison reads. A pair whose bound stays below
what the match rule needs for its shingle counts cannot match and is dropped. The few that are
left are compared whole, and only the matched pairs as similar as the best of their query are
kept: the answer of :func:`dedup.sketch.match.score_pairs` followed by "the most similar matched
pair, the first listed among equals" does not change.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dedup.config import DedupConfig
from dedup.sketch.match import match_rule

__all__ = ["best_candidates", "equal_bytes", "low_byte_agreements"]

# Pairs per chunk: the low bytes of a chunk's pairs (two copies of 128 bytes a pair at 128
# permutations) stay in cache while they are compared and counted.
_CHUNK = 1 << 13
# Fewer pairs than this are simply compared whole (the setup would cost more than it saves).
MIN_PAIRS = 1 << 14
# Summing the 0/1 bytes of 64-bit words: the bytes into 16-bit lanes, then the lanes into one.
_BYTE_LANES = np.uint64(0x00FF00FF00FF00FF)
_LANE_SUM = np.uint64(0x0001000100010001)


def best_candidates(
    signatures: npt.NDArray[np.uint32],
    counts: npt.NDArray[np.int64],
    pairs: npt.NDArray[np.int64],
    config: DedupConfig,
    *,
    others: npt.NDArray[np.uint32],
    other_counts: npt.NDArray[np.int64],
    other_low_bytes: npt.NDArray[np.uint8] | None = None,
) -> npt.NDArray[np.int64]:
    """Return, ascending, the indices of the pairs that may be their query's best match.

    A pair is dropped when even the count of permutations whose low bytes agree stays below
    what the match rule needs for its shingle counts, or when, compared whole, it does not
    match or is less similar than a matched pair of the same query. Every matched pair whose
    similarity is the highest of its query is therefore kept.

    Args:
        signatures: (n, num_perm) uint32 signatures the first column of ``pairs`` indexes
            (the query rows).
        counts: (n,) int64 their shingle counts, negative for character shingles.
        pairs: (n_pairs, 2) int64 ``(query row, other row)``.
        config: thresholds.
        others: (m, num_perm) uint32 signatures the second column indexes.
        other_counts: (m,) int64 their shingle counts.
        other_low_bytes: (m, num_perm) uint8, the low byte of each of ``others``, if the
            caller keeps them (an index does): not cast afresh for every batch.
    """
    n = pairs.shape[0]
    num_perm = signatures.shape[1]
    if n < MIN_PAIRS:
        return np.arange(n, dtype=np.int64)
    query_rows, rows = _compact(pairs[:, 0], signatures.shape[0])
    other_rows, cols = _compact(pairs[:, 1], others.shape[0])
    needs = _Needs(counts[query_rows], other_counts[other_rows], num_perm=num_perm, config=config)
    # First against the least any pair of the query needs (one lookup a pair, not three),
    # then, for the few left, against what the pair itself needs.
    if other_low_bytes is None:
        bound = low_byte_agreements(signatures[query_rows], others[other_rows], rows, cols)
    else:  # the kept low bytes, by entry: no gather of the used rows, no cast
        low_a = np.ascontiguousarray(signatures[query_rows], dtype=np.uint8)
        bound = equal_bytes(low_a, other_low_bytes, rows, pairs[:, 1])
    alive = np.flatnonzero(bound >= needs.least()[rows])
    need = needs.of_pairs(rows[alive], cols[alive])
    reachable = bound[alive] >= need
    alive, need = alive[reachable], need[reachable]
    rows = rows[alive]
    agree = np.empty(alive.size, dtype=np.int64)
    for low in range(0, alive.size, _CHUNK):  # whole values, a chunk at a time
        part = pairs[alive[low : low + _CHUNK]]
        agree[low : low + _CHUNK] = np.count_nonzero(
            signatures[part[:, 0]] == others[part[:, 1]], axis=1
        )
    matched = agree >= need
    # Per query, the most agreements among its matched pairs: only pairs that reach it stay.
    top = np.full(query_rows.size, -1, dtype=np.int64)
    np.maximum.at(top, rows[matched], agree[matched])
    best: npt.NDArray[np.int64] = alive[matched & (agree == top[rows])]
    return best


def low_byte_agreements(
    signatures: npt.NDArray[np.uint32],
    others: npt.NDArray[np.uint32],
    rows: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """(len(rows),) int64: in how many permutations the low bytes of ``signatures[rows]`` and
    ``others[cols]`` agree, at least the number in which the whole values do.

    Example:
        >>> a = np.array([[1, 2, 3, 0x100]], np.uint32)
        >>> b = np.array([[1, 5, 3, 0x200]], np.uint32)
        >>> low_byte_agreements(a, b, np.array([0]), np.array([0])).tolist()  # 1, 3 and 0x_00
        [3]
    """
    low_a = np.ascontiguousarray(signatures, dtype=np.uint8)  # mod 256: the low bytes
    return equal_bytes(low_a, np.ascontiguousarray(others, dtype=np.uint8), rows, cols)


def equal_bytes(
    low_a: npt.NDArray[np.uint8],
    low_b: npt.NDArray[np.uint8],
    rows: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """(len(rows),) int64: in how many columns the C-contiguous ``low_a[rows]`` and
    ``low_b[cols]`` agree (:func:`low_byte_agreements` of low bytes already taken)."""
    num_perm = low_a.shape[1]
    # Each row as one fixed-width item: a chunk's rows are gathered by a copy per pair, not
    # per byte.
    item = np.dtype((np.void, num_perm))
    items_a, items_b = low_a.view(item).ravel(), low_b.view(item).ravel()
    words = num_perm // 8 if num_perm % 8 == 0 and num_perm <= 255 * 8 else 0
    result = np.empty(rows.size, dtype=np.int64)
    for low in range(0, rows.size, _CHUNK):
        part = slice(low, low + _CHUNK)
        a = items_a.take(rows[part]).view(np.uint8)
        b = items_b.take(cols[part]).view(np.uint8)
        equal = np.equal(a, b, out=a.view(np.bool_)).reshape(-1, num_perm)
        if not words:
            result[part] = np.count_nonzero(equal, axis=1)
            continue
        # 0/1 bytes summed as 64-bit words (no lane passes 255), then across the lanes.
        lanes = equal.view(np.uint64).sum(axis=1, dtype=np.uint64)
        lanes = (lanes & _BYTE_LANES) + ((lanes >> np.uint64(8)) & _BYTE_LANES)
        result[part] = (lanes * _LANE_SUM) >> np.uint64(48)
    return result


def _compact(
    index: npt.NDArray[np.int64], size: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The rows of ``size`` that ``index`` names, ascending, and ``index`` renumbered into
    them: only those rows are copied, however large the index (a mark, rather than a sort)."""
    mark = np.zeros(size, dtype=bool)
    mark[index] = True
    used = np.flatnonzero(mark)
    number = np.cumsum(mark, dtype=np.int64) - 1
    return used, number[index]


class _Needs:
    """The fewest agreeing permutations with which a pair matches (``num_perm + 1`` if none),
    from a table over the distinct shingle counts of the two sides.

    The rule never turns from matched to unmatched as the similarity grows
    (:func:`match_rule`), so a cell's bound is the ``k`` at which ``k`` agreements match and
    ``k - 1`` do not. A first guess from the rule's thresholds (:func:`_guess`) is checked
    that way, in two rule evaluations over the table; cells where it is wrong (rounding at a
    threshold, or a rule the guess does not know) are found by binary search over
    0..num_perm. The guess only saves time: every bound is the rule's own.
    """

    def __init__(
        self,
        counts: npt.NDArray[np.int64],
        other_counts: npt.NDArray[np.int64],
        *,
        num_perm: int,
        config: DedupConfig,
    ) -> None:
        used_a, self.of_a = np.unique(counts, return_inverse=True)
        used_b, self.of_b = np.unique(other_counts, return_inverse=True)
        count_a = np.repeat(used_a, used_b.size)
        count_b = np.tile(used_b, used_a.size)

        def matches(agree: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
            _, matched = match_rule(agree / num_perm, count_a, count_b, config)
            return matched

        # The guess is right where it matches and one agreement fewer does not.
        guess = _guess(count_a, count_b, num_perm=num_perm, config=config)
        wrong = ~matches(np.minimum(guess, num_perm)) & (guess <= num_perm)
        wrong |= matches(np.clip(guess - 1, 0, num_perm)) & (guess >= 1)
        table = guess
        if wrong.any():  # a binary search in [low, high]; high = num_perm + 1: never matches
            count_a, count_b = count_a[wrong], count_b[wrong]
            low = np.zeros(count_a.size, dtype=np.int64)
            high = np.full(count_a.size, num_perm + 1, dtype=np.int64)
            while (searching := low < high).any():
                middle = (low + high) // 2  # at most num_perm while low < high
                matched = matches(middle)
                high = np.where(searching & matched, middle, high)
                low = np.where(searching & ~matched, middle + 1, low)
            table[wrong] = high
        self.table = table.reshape(used_a.size, used_b.size)

    def of_pairs(
        self, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int64]:
        """(n_pairs,) int64: the bound of each pair ``(counts[row], other_counts[col])``."""
        result: npt.NDArray[np.int64] = self.table[self.of_a[rows], self.of_b[cols]]
        return result

    def least(self) -> npt.NDArray[np.int64]:
        """(len(counts),) int64: per row of ``counts``, the least bound over every other count
        (a pair of it needs at least that many)."""
        result: npt.NDArray[np.int64] = self.table.min(axis=1)[self.of_a]
        return result


def _guess(
    count_a: npt.NDArray[np.int64],
    count_b: npt.NDArray[np.int64],
    *,
    num_perm: int,
    config: DedupConfig,
) -> npt.NDArray[np.int64]:
    """Each pair's bound as :func:`match_rule`'s thresholds put it (``num_perm + 1`` where it
    never matches by estimate): a Jaccard bar, or the Jaccard at which the containment
    estimate reaches its bar, ``c * m / (|A| + |B| - c * m)``, as agreements. :class:`_Needs`
    checks it."""
    size_a, size_b = np.abs(count_a), np.abs(count_b)
    smaller = np.minimum(size_a, size_b)
    long_enough = smaller >= config.min_containment_shingles
    short_bar = max(config.threshold, config.short_threshold)
    least = np.maximum(smaller, 1).astype(np.float64)

    def agreements(jaccard: npt.NDArray[np.float64] | float) -> npt.NDArray[np.float64]:
        result: npt.NDArray[np.float64] = np.ceil(np.asarray(jaccard, dtype=np.float64) * num_perm)
        return result

    def reaching(containment: float) -> npt.NDArray[np.float64]:
        rest = size_a + size_b - containment * least
        return agreements(np.where(rest > 0, containment * least / np.maximum(rest, 1e-9), 1.0))

    words = agreements(np.where(long_enough, config.threshold, short_bar))
    if config.containment is not None:
        words = np.where(long_enough, np.minimum(words, reaching(config.containment)), words)
    ratio = smaller / np.maximum(np.maximum(size_a, size_b), 1)
    close = long_enough & (ratio >= config.short_length_ratio)
    bar = agreements(short_bar)
    chars = np.where(close, np.minimum(bar, reaching(config.short_containment)), bar)
    guess = np.full(count_a.size, num_perm + 1, dtype=np.float64)
    guess = np.where((count_a > 0) & (count_b > 0), words, guess)
    guess = np.where((count_a < 0) & (count_b < 0), chars, guess)
    return np.clip(guess, 0, num_perm + 1).astype(np.int64)
