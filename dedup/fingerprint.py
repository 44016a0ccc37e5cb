"""Fingerprints of paragraphs: exact keys, MinHash signatures and shingle counts."""

from __future__ import annotations

import itertools
from collections.abc import Container, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import xxhash

from dedup.config import DedupConfig
from dedup.minhash import MinHasher
from dedup.normalize import words
from dedup.shingle import shingle

__all__ = ["Fingerprints", "exact_key", "fingerprint", "hasher_for"]


@dataclass(frozen=True, slots=True)
class Fingerprints:
    """What the core keeps of a batch of paragraphs.

    Attributes:
        keys: (n,) uint64 exact keys: equal for paragraphs whose normalised text is equal.
        signatures: (n, num_perm) uint32 MinHash signatures.
        counts: (n,) int64 distinct shingles; 0 for a paragraph without words, which is
            matched exactly only.
    """

    keys: npt.NDArray[np.uint64]
    signatures: npt.NDArray[np.uint32]
    counts: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.keys.size)

    def slice(self, start: int, stop: int) -> Fingerprints:
        """Return rows ``start:stop``."""
        return Fingerprints(
            self.keys[start:stop], self.signatures[start:stop], self.counts[start:stop]
        )

    def distinct(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Collapse equal exact keys.

        Returns:
            ``first``: the row of each distinct key's first occurrence, in order of first
            appearance; ``of_row``: for each row, the index of its key in ``first``.
        """
        _, first, inverse = np.unique(self.keys, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        return first[order], rank[inverse.reshape(-1)]

    @staticmethod
    def concatenate(parts: Sequence[Fingerprints], num_perm: int) -> Fingerprints:
        """Join batches in order."""
        if not parts:
            return Fingerprints(
                np.empty(0, np.uint64), np.empty((0, num_perm), np.uint32), np.empty(0, np.int64)
            )
        return Fingerprints(
            np.concatenate([p.keys for p in parts]),
            np.concatenate([p.signatures for p in parts]),
            np.concatenate([p.counts for p in parts]),
        )


@lru_cache(maxsize=16)
def hasher_for(num_perm: int, seed: int, ngram: int) -> MinHasher:
    """Return the (cached) MinHasher of these parameters."""
    return MinHasher(num_perm=num_perm, seed=seed, ngram=ngram)


def exact_key(raw: str, normalized: bytes) -> int:
    """Return the 64-bit exact key of a paragraph: xxh3 of its normalised text.

    A paragraph with no words (``***``, ``—``) is keyed on its case-folded raw text instead, so
    that different punctuation lines do not all share the empty key.
    """
    if normalized:
        return xxhash.xxh3_64_intdigest(normalized)
    folded = "\x00" + " ".join(raw.casefold().split())
    return xxhash.xxh3_64_intdigest(folded.encode("utf-8", "surrogatepass"))


# What a memo keeps per normalised text: its signature (a row view) and shingle count.
Signed = dict[bytes, tuple[npt.NDArray[np.uint32], int]]


def fingerprint(
    texts: Sequence[str],
    config: DedupConfig,
    *,
    memo: Signed | None = None,
    memo_limit: int = 1 << 16,
    known: Container[int] | None = None,
) -> Fingerprints:
    """Normalise, key, shingle and sign a batch of raw paragraphs.

    Pure and deterministic, so batches can run in any process in any order.

    Args:
        texts: raw paragraphs.
        config: MinHash parameters.
        memo: signatures already computed with this config, by normalised text. Raw texts
            that differ only in case or punctuation normalise alike: those found here, or
            earlier in the batch, are copied instead of shingled and signed again (the result
            is the same). New ones are added while the memo holds fewer than ``memo_limit``.
        memo_limit: bound on the memo's entries.
        known: exact keys that need no signature (an index matches them exactly): their rows
            get a zero signature and a shingle count of 0, as a paragraph without words.
    """
    split = [words(text) for text in texts]
    normalized = [b" ".join(w) for w in split]
    keys = np.fromiter(map(exact_key, texts, normalized), dtype=np.uint64, count=len(texts))
    if known is None:
        signatures, counts = _sign(split, normalized, config, memo, memo_limit)
        return Fingerprints(keys, signatures, counts)
    todo = [row for row, key in enumerate(keys.tolist()) if key not in known]
    signatures = np.zeros((len(texts), config.num_perm), dtype=np.uint32)
    counts = np.zeros(len(texts), dtype=np.int64)
    if todo:
        signatures[todo], counts[todo] = _sign(
            [split[row] for row in todo],
            [normalized[row] for row in todo],
            config,
            memo,
            memo_limit,
        )
    return Fingerprints(keys, signatures, counts)


def _sign(
    split: list[list[bytes]],
    normalized: list[bytes],
    config: DedupConfig,
    memo: Signed | None,
    memo_limit: int,
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    """Shingle and sign word lists (through the memo when there is one)."""
    hasher = hasher_for(config.num_perm, config.seed, config.ngram)
    if memo is None:
        shingles = shingle(split, config.ngram, config.seed)
        return hasher.sign(shingles), shingles.counts
    first: dict[bytes, int] = {}  # the first row of each normalised text not in the memo
    for row, text in enumerate(normalized):
        if text not in memo and text not in first:
            first[text] = row
    shingles = shingle([split[row] for row in first.values()], config.ngram, config.seed)
    signed = hasher.sign(shingles)
    local = dict(zip(first, zip(signed, shingles.counts.tolist(), strict=True), strict=True))
    found = [local.get(text) or memo[text] for text in normalized]
    room = max(0, memo_limit - len(memo))
    memo.update(itertools.islice(local.items(), room))
    signatures = (
        np.stack([sig for sig, _ in found])
        if found
        else np.empty((0, config.num_perm), dtype=np.uint32)
    )
    counts = np.fromiter((n for _, n in found), dtype=np.int64, count=len(found))
    return signatures, counts
