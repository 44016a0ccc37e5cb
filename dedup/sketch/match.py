"""When two fingerprinted paragraphs count as the same blurb, and how similar they are."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.config import DedupConfig
from dedup.sketch.minhash import containment_estimate

__all__ = ["Match", "Scores", "match_rule", "score_pairs"]

# Candidate pairs compared per vectorised step. The two (chunk, num_perm) gathers stay near
# 2 MiB each, which malloc keeps reusing: with 32k pairs (16 MiB), every step faulted fresh
# pages in (5k crawl, 177k pairs, fresh process: 0.04-0.05 s and ~7,000 page faults, now
# 0.02 s and ~30).
_CHUNK = 1 << 12


@dataclass(frozen=True, slots=True)
class Match:
    """A paragraph's match: the cluster it belongs to and its estimated similarity to it.

    Attributes:
        cluster: the cluster id.
        similarity: estimated Jaccard similarity with the closest paragraph of the cluster
            (1.0 for an exact match after normalisation).
        containment: estimated share of the shorter paragraph's shingles found in the longer one.
    """

    cluster: str
    similarity: float
    containment: float

    def __repr__(self) -> str:
        return (
            f"Match(cluster={self.cluster!r}, similarity={self.similarity:.3f}, "
            f"containment={self.containment:.3f})"
        )


@dataclass(frozen=True, slots=True)
class Scores:
    """Estimates for a batch of candidate pairs.

    Attributes:
        similarity: (n_pairs,) float64 estimated Jaccard.
        containment: (n_pairs,) float64 estimated containment of the shorter in the longer.
        matched: (n_pairs,) bool: the pair counts as the same blurb under the config.
    """

    similarity: npt.NDArray[np.float64]
    containment: npt.NDArray[np.float64]
    matched: npt.NDArray[np.bool_]


def score_pairs(
    signatures: npt.NDArray[np.uint32],
    counts: npt.NDArray[np.int64],
    pairs: npt.NDArray[np.int64],
    config: DedupConfig,
    *,
    others: npt.NDArray[np.uint32] | None = None,
    other_counts: npt.NDArray[np.int64] | None = None,
    threads: int = 1,
) -> Scores:
    """Estimate similarity and containment for candidate pairs and apply the match rule.

    Two paragraphs shingled on words (positive counts) match when their estimated Jaccard
    reaches ``config.threshold``, or when their estimated containment reaches
    ``config.containment`` and the shorter paragraph has at least
    ``config.min_containment_shingles`` shingles: the guard that keeps a title out of the teaser
    that begins with the same words. Two short paragraphs shingled on characters (negative
    counts) match when their Jaccard reaches ``config.short_threshold``, or when their
    containment reaches ``config.short_containment``, the shorter one has at least
    ``config.short_length_ratio`` of the longer one's shingles and at least
    ``config.min_containment_shingles`` of them. A pair of one paragraph of each
    kind never matches by estimate.

    Args:
        signatures: (n, num_perm) uint32 signatures the first column of ``pairs`` indexes.
        counts: (n,) int64 distinct shingle counts, negative for character shingles.
        pairs: (n_pairs, 2) int64 row indices.
        config: thresholds.
        others: signatures the second column indexes, if not ``signatures`` itself.
        other_counts: their shingle counts.
        threads: chunks of pairs are compared in this many threads (numpy releases the GIL).
    """
    second_sigs = signatures if others is None else others
    second_counts = counts if other_counts is None else other_counts
    similarity = np.empty(pairs.shape[0], dtype=np.float64)

    def compare(low: int) -> None:  # one step per _CHUNK pairs
        part = pairs[low : low + _CHUNK]
        agree = np.count_nonzero(signatures[part[:, 0]] == second_sigs[part[:, 1]], axis=1)
        similarity[low : low + _CHUNK] = agree / signatures.shape[1]

    chunks = range(0, pairs.shape[0], _CHUNK)
    if threads > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(compare, chunks))
    else:
        for low in chunks:
            compare(low)
    containment, matched = match_rule(
        similarity, counts[pairs[:, 0]], second_counts[pairs[:, 1]], config
    )
    return Scores(similarity, containment, matched)


def match_rule(
    similarity: npt.NDArray[np.float64],
    count_a: npt.NDArray[np.int64],
    count_b: npt.NDArray[np.int64],
    config: DedupConfig,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Apply the rule of :func:`score_pairs` to estimated similarities.

    The answer never turns from matched to unmatched as ``similarity`` grows (the counts
    fixed): every test is a lower bound on the similarity or on the containment, which grows
    with it. :mod:`dedup.sketch.pruning` relies on this.

    Args:
        similarity: (n_pairs,) float64 estimated Jaccard.
        count_a: (n_pairs,) int64 shingle counts of the first paragraphs (negative: characters).
        count_b: (n_pairs,) int64 shingle counts of the second.
        config: thresholds.

    Returns:
        The (n_pairs,) float64 containment estimates and the (n_pairs,) bool match flags.
    """
    size_a, size_b = np.abs(count_a), np.abs(count_b)
    containment = containment_estimate(similarity, size_a, size_b)
    smaller = np.minimum(size_a, size_b)
    long_enough = smaller >= config.min_containment_shingles
    short_bar = max(config.threshold, config.short_threshold)
    # Word shingles. A short line shares a large fraction of its few shingles with a longer
    # variant of itself (a sign-up line and the same line with a second sentence): it needs
    # a higher bar.
    needed = np.where(long_enough, config.threshold, short_bar)
    matched = similarity >= needed
    if config.containment is not None:
        matched |= (containment >= config.containment) & long_enough
    matched &= (count_a > 0) & (count_b > 0)
    chars = (count_a < 0) & (count_b < 0)
    if chars.any():
        # Character shingles of two title-like lines (a title cut at two lengths, or with a
        # typo): containment counts only between lines of similar lengths, so that a title is
        # not another one that begins with the same words.
        ratio = smaller / np.maximum(np.maximum(size_a, size_b), 1)
        close = (containment >= config.short_containment) & (ratio >= config.short_length_ratio)
        close &= long_enough  # "Skip to content" is not "Skip to main content"
        matched |= chars & ((similarity >= short_bar) | close)
    # Paragraphs without words have no shingles and match only exactly, never by estimate; a
    # paragraph shingled on words and one shingled on characters match only exactly too.
    return containment, matched
