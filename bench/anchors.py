"""The systems under test: the datasketch and rensa pipelines a user would write, and dedup."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.paragraphs import split_paragraphs

NUM_PERM = 128
THRESHOLD = 0.8
NGRAM = 5
RENSA_SEED = 42  # rensa's documented default
ANCHORS = ("datasketch", "rensa")
# "+exact" variants collapse identical paragraphs before MinHash, as dedup does: they show how
# much of the gap is that one step rather than the LSH itself.
SYSTEMS = ("dedup", *ANCHORS, *(f"{a}+exact" for a in ANCHORS))


def word_shingles(paragraph: str, ngram: int = NGRAM) -> list[str]:
    """Return the lower-cased word n-grams of a paragraph (one shingle if it is shorter).

    Example:
        >>> word_shingles("Skip to Content")
        ['skip to content']
        >>> word_shingles("a b c d e f", ngram=5)
        ['a b c d e', 'b c d e f']
    """
    words = paragraph.lower().split()
    if len(words) < ngram:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + ngram]) for i in range(len(words) - ngram + 1)]


def page_paragraphs(pages: Iterable[tuple[str, str]]) -> list[str]:
    """Return the paragraphs of all pages, in input order."""
    return [p for _, text in pages for p in split_paragraphs(text)]


def union_candidates(
    n: int, candidates: Iterable[tuple[int, Iterable[int]]]
) -> npt.NDArray[np.int64]:
    """Join every item with each of its candidates; return the root of each item's set.

    Union by size with path halving. The fast path skips a candidate already attached directly
    to the current root, which is what almost every member of a large boilerplate cluster is
    after the first query, so a 5,000-member bucket costs one comparison per member.

    Args:
        n: Number of items (keys 0..n-1).
        candidates: (item, keys) pairs, e.g. every item with the result of its LSH query.

    Returns:
        (n,) int64 set id per item (the root's key); a lone item is its own set.

    Example:
        >>> union_candidates(4, [(0, [1]), (2, [2]), (3, [1])]).tolist()
        [0, 0, 2, 0]
    """
    parent = list(range(n))
    size = [1] * n

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, keys in candidates:
        root = find(i)
        for j in keys:
            if parent[j] == root:
                continue
            other = find(j)
            if other == root:
                continue
            if size[root] < size[other]:
                root, other = other, root
            parent[other] = root
            size[root] += size[other]
    return np.fromiter((find(x) for x in range(n)), dtype=np.int64, count=n)


def _integral(y: npt.NDArray[np.float64], x: npt.NDArray[np.float64]) -> float:
    return float(((y[1:] + y[:-1]) / 2 * np.diff(x)).sum())  # trapezoid rule


def lsh_bands(threshold: float, num_perm: int, divisors_only: bool) -> tuple[int, int]:
    """Return (bands, rows) minimising false positives + false negatives around threshold.

    The same criterion as datasketch's ``_optimal_param`` with equal weights; rensa needs
    bands to divide num_perm, so divisors_only restricts the search to those.

    Example:
        >>> lsh_bands(0.8, 128, divisors_only=True)
        (8, 16)
    """
    best: tuple[float, int, int] = (math.inf, 0, 0)
    for bands in range(1, num_perm + 1):
        rows_choices = [num_perm // bands] if divisors_only else range(1, num_perm // bands + 1)
        if divisors_only and num_perm % bands:
            continue
        for rows in rows_choices:
            lo = np.linspace(0.0, threshold, 201)
            hi = np.linspace(threshold, 1.0, 201)
            fp = _integral(1 - (1 - lo**rows) ** bands, lo)
            fn = _integral((1 - hi**rows) ** bands, hi)
            best = min(best, (fp + fn, bands, rows))
    return best[1], best[2]


def run_datasketch(paragraphs: Sequence[str]) -> npt.NDArray[np.int64]:
    """Cluster paragraphs with datasketch: MinHash.bulk, MinHashLSH, query all, union-find."""
    from datasketch import MinHash, MinHashLSH

    shingles = [[s.encode() for s in word_shingles(p)] for p in paragraphs]
    minhashes = MinHash.bulk(shingles, num_perm=NUM_PERM)
    del shingles
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    for key, minhash in enumerate(minhashes):
        lsh.insert(key, minhash)
    return union_candidates(
        len(minhashes), ((key, lsh.query(minhash)) for key, minhash in enumerate(minhashes))
    )


def run_rensa(paragraphs: Sequence[str]) -> npt.NDArray[np.int64]:
    """Cluster paragraphs with rensa: RMinHash per paragraph, RMinHashLSH, query all, union-find.

    ``RMinHash.from_token_sets`` builds the same RMinHash objects as ``RMinHash(num_perm, seed)``
    plus ``update(shingles)`` per paragraph (same digests), without a Python loop.
    """
    from rensa import RMinHash, RMinHashLSH

    bands, _ = lsh_bands(THRESHOLD, NUM_PERM, divisors_only=True)
    shingles = [word_shingles(p) for p in paragraphs]
    minhashes = RMinHash.from_token_sets(shingles, num_perm=NUM_PERM, seed=RENSA_SEED)
    del shingles
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=bands)
    lsh.insert_many(minhashes)
    return union_candidates(
        len(minhashes), ((key, lsh.query(minhash)) for key, minhash in enumerate(minhashes))
    )


def run_anchor(system: str, paragraphs: Sequence[str]) -> npt.NDArray[np.int64]:
    """Run an anchor ("datasketch", "rensa", optionally suffixed "+exact") on paragraphs."""
    name, _, exact = system.partition("+")
    run = {"datasketch": run_datasketch, "rensa": run_rensa}[name]
    if not exact:
        return run(paragraphs)
    index: dict[str, int] = {}
    inverse = np.fromiter(
        (index.setdefault(p, len(index)) for p in paragraphs), dtype=np.int64, count=len(paragraphs)
    )
    return run(list(index))[inverse]


def run_dedup(
    pages: Sequence[tuple[str, str]], jobs: int
) -> tuple[npt.NDArray[np.int64], Iterable[Any]]:
    """Cluster with dedup.cluster; return cluster ids (-1 = unique) and the assignments.

    The assignments (``.doc``, ``.para``, ``.cluster``, ``.size``, in input order) are returned
    so that the caller can check, outside the timed region, that rows line up with the pages.
    """
    import dedup

    result = dedup.cluster(pages, config=dedup.DedupConfig(), jobs=jobs)
    # cluster_of is the per-paragraph cluster index (-1: unique), like the anchors' labels.
    return result.cluster_of, result
