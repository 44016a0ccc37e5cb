"""Which candidate pairs can hold a query's best match, found without comparing whole signatures.

Matching a crawl against a store meets millions of LSH candidates (with 2-row bands, a pair of
paragraphs sharing a third of their shingles is nearly always one), of which a few percent
match. :func:`best_candidates` compares the signatures a block of permutations at a time and
drops a pair as soon as the agreements left to come cannot lift it to the match rule, nor to
the best match already found for its query. What survives holds, for every query, each matched
pair at least as similar as all the others, in the order given: the answer of
:func:`dedup.sketch.match.score_pairs` followed by "the most similar matched pair, the first
listed among equals" does not change.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import numpy.typing as npt

from dedup.config import DedupConfig
from dedup.sketch.match import match_rule

__all__ = ["best_candidates"]

# Permutations compared per step: 16 uint32 are one 64-byte cache line of a signature, and
# the block-major copies keep each step's rows of all signatures within a few MiB.
_BLOCK = 16
# Pairs per chunk: the arrays of one chunk stay in cache from one block to the next.
_CHUNK = 1 << 15
# Fewer pairs than this are simply compared whole (the setup would cost more than it saves).
MIN_PAIRS = 1 << 14
_BYTE_SUM = np.uint64(0x0101010101010101)


def best_candidates(
    signatures: npt.NDArray[np.uint32],
    counts: npt.NDArray[np.int64],
    pairs: npt.NDArray[np.int64],
    config: DedupConfig,
    *,
    others: npt.NDArray[np.uint32],
    other_counts: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """Return, ascending, the indices of the pairs that may be their query's best match.

    A pair is dropped only when its estimated similarity, whatever the permutations not yet
    compared hold, stays below what the match rule needs for its shingle counts, or below the
    similarity of a matched pair of the same query. Every matched pair whose similarity is the
    highest of its query is therefore kept.

    Args:
        signatures: (n, num_perm) uint32 signatures the first column of ``pairs`` indexes
            (the query rows).
        counts: (n,) int64 their shingle counts, negative for character shingles.
        pairs: (n_pairs, 2) int64 ``(query row, other row)``.
        config: thresholds.
        others: (m, num_perm) uint32 signatures the second column indexes.
        other_counts: (m,) int64 their shingle counts.
    """
    n = pairs.shape[0]
    num_perm = signatures.shape[1]
    if n < MIN_PAIRS:
        return np.arange(n, dtype=np.int64)
    query_rows, rows = _compact(pairs[:, 0], signatures.shape[0])
    other_rows, cols = _compact(pairs[:, 1], others.shape[0])
    edges = [*range(0, num_perm, _BLOCK), num_perm]
    # Block-major copies of the signatures the pairs name: a block's columns, contiguous.
    query_blocks = [np.ascontiguousarray(signatures[query_rows, a:b]) for a, b in pairwise(edges)]
    other_blocks = [np.ascontiguousarray(others[other_rows, a:b]) for a, b in pairwise(edges)]
    counts, other_counts = counts[query_rows], other_counts[other_rows]
    first = np.empty(n, dtype=np.int64)
    for low in range(0, n, _CHUNK):
        part = slice(low, low + _CHUNK)
        first[part] = _agreements(query_blocks[0], other_blocks[0], rows[part], cols[part])
    need = np.maximum(
        _rule_needs(counts, other_counts, rows, cols, num_perm=num_perm, config=config),
        _best_so_far(
            first,
            rows,
            cols,
            blocks=(query_blocks, other_blocks),
            counts=(counts, other_counts),
            config=config,
        )[rows],
    )
    kept: list[npt.NDArray[np.int64]] = []
    for low in range(0, n, _CHUNK):
        index = np.arange(low, min(low + _CHUNK, n), dtype=np.int64)
        agree, wanted = first[index], need[index]
        for block in range(1, len(edges) - 1):
            alive = agree + (num_perm - edges[block]) >= wanted
            index, agree, wanted = index[alive], agree[alive], wanted[alive]
            if index.size == 0:
                break
            agree += _agreements(query_blocks[block], other_blocks[block], rows[index], cols[index])
        kept.append(index[agree >= wanted])
    return np.concatenate(kept)


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


def _agreements(
    query_block: npt.NDArray[np.uint32],
    other_block: npt.NDArray[np.uint32],
    rows: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """(len(rows),) int64: in how many of the block's permutations each pair agrees."""
    equal = query_block.take(rows, axis=0) == other_block.take(cols, axis=0)
    if equal.shape[1] != _BLOCK:
        counted: npt.NDArray[np.int64] = np.count_nonzero(equal, axis=1).astype(np.int64)
        return counted
    # 16 bools are two uint64 of 0/1 bytes: add them, then sum the bytes with one multiply
    # (the top byte of x * 0x0101...01 is the sum of x's bytes, here at most 16).
    words = equal.view(np.uint64)
    summed: npt.NDArray[np.int64] = (
        ((words[:, 0] + words[:, 1]) * _BYTE_SUM) >> np.uint64(56)
    ).astype(np.int64)
    return summed


def _rule_needs(
    counts: npt.NDArray[np.int64],
    other_counts: npt.NDArray[np.int64],
    rows: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    *,
    num_perm: int,
    config: DedupConfig,
) -> npt.NDArray[np.int64]:
    """(n_pairs,) int64: the fewest agreeing permutations with which a pair matches
    (``num_perm + 1`` if none), from a table over the distinct shingle counts.

    The rule never turns from matched to unmatched as the similarity grows
    (:func:`match_rule`), so a binary search over 0..num_perm finds the bound: one rule
    evaluation per step over the table, rather than per pair.
    """
    used_a, of_a = np.unique(counts, return_inverse=True)
    used_b, of_b = np.unique(other_counts, return_inverse=True)
    count_a = np.repeat(used_a, used_b.size)
    count_b = np.tile(used_b, used_a.size)
    # The bound lies in [low, high]; high = num_perm + 1 says the pair never matches.
    low = np.zeros(count_a.size, dtype=np.int64)
    high = np.full(count_a.size, num_perm + 1, dtype=np.int64)
    while (searching := low < high).any():
        middle = (low + high) // 2  # at most num_perm while low < high
        _, matched = match_rule(middle / num_perm, count_a, count_b, config)
        high = np.where(searching & matched, middle, high)
        low = np.where(searching & ~matched, middle + 1, low)
    result: npt.NDArray[np.int64] = high[of_a[rows] * used_b.size + of_b[cols]]
    return result


def _best_so_far(
    first: npt.NDArray[np.int64],
    rows: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    *,
    blocks: tuple[list[npt.NDArray[np.uint32]], list[npt.NDArray[np.uint32]]],
    counts: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    config: DedupConfig,
) -> npt.NDArray[np.int64]:
    """Per query row (``len(counts[0])``): the agreements of one matched pair of it (0 if
    that pair does not match), the pair agreeing most in the first block, compared whole."""
    size = counts[0].size
    top = np.full(size, -1, dtype=np.int64)
    np.maximum.at(top, rows, first)
    ties = np.flatnonzero(first == top[rows])
    pick = np.full(size, rows.size, dtype=np.int64)
    np.minimum.at(pick, rows[ties], ties)
    chosen = pick[pick < rows.size]
    row, col = rows[chosen], cols[chosen]
    agree = sum(
        (_agreements(q, o, row, col) for q, o in zip(*blocks, strict=True)),
        start=np.zeros(chosen.size, dtype=np.int64),
    )
    num_perm = sum(block.shape[1] for block in blocks[0])
    _, matched = match_rule(agree / num_perm, counts[0][row], counts[1][col], config)
    best = np.zeros(size, dtype=np.int64)
    best[row[matched]] = agree[matched]
    return best
