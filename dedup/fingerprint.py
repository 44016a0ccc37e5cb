"""Fingerprints of paragraphs: exact keys, MinHash signatures and shingle counts."""

from __future__ import annotations

from collections.abc import Sequence
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


def fingerprint(texts: Sequence[str], config: DedupConfig) -> Fingerprints:
    """Normalise, key, shingle and sign a batch of raw paragraphs.

    Pure and deterministic, so batches can run in any process in any order.
    """
    split = [words(text) for text in texts]
    normalized = [b" ".join(w) for w in split]
    keys = np.fromiter(map(exact_key, texts, normalized), dtype=np.uint64, count=len(texts))
    shingles = shingle(split, config.ngram, config.seed)
    signatures = hasher_for(config.num_perm, config.seed, config.ngram).sign(shingles)
    return Fingerprints(keys, signatures, shingles.counts)
