"""Fingerprints of paragraphs: exact keys, MinHash signatures and shingle counts."""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import xxhash

from dedup.config import DedupConfig
from dedup.sketch.minhash import MinHasher
from dedup.text.normalize import words
from dedup.text.shingle import char_shingle, shingle

__all__ = [
    "Fingerprints",
    "exact_key",
    "exact_keys",
    "fingerprint",
    "hasher_for",
    "sign_normalized",
]


@dataclass(frozen=True, slots=True)
class Fingerprints:
    """What the core keeps of a batch of paragraphs.

    Attributes:
        keys: (n,) uint64 exact keys: equal for paragraphs whose normalised text is equal.
        signatures: (n, num_perm) uint32 MinHash signatures.
        counts: (n,) int64 distinct shingles: of words, or, counted negative, of characters
            for a short paragraph (see :func:`sign_normalized`); 0 for a paragraph without
            words, which is matched exactly only.
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

    def take(self, rows: npt.NDArray[np.int64]) -> Fingerprints:
        """Return the given rows."""
        return Fingerprints(self.keys[rows], self.signatures[rows], self.counts[rows])

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


def exact_keys(texts: Sequence[str]) -> tuple[npt.NDArray[np.uint64], list[bytes]]:
    """Return the exact keys and the normalised forms of raw paragraphs.

    With :func:`sign_normalized`, this is :func:`fingerprint` in two steps, so that a batch
    can sign each distinct normalised text once, wherever it first appeared.

    Example:
        >>> keys, normalized = exact_keys(["Peru’s coup…", "PERU'S COUP"])
        >>> normalized, bool(keys[0] == keys[1])
        ([b'perus coup', b'perus coup'], True)
    """
    keys, _, normalized = _keyed(texts)
    return keys, normalized


def sign_normalized(
    normalized: Sequence[bytes | list[bytes]], config: DedupConfig
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]:
    """Return the signatures and distinct shingle counts of normalised texts.

    Each text is given as the bytes :func:`exact_keys` returns or as its list of words; the
    rows equal those :func:`fingerprint` gives the raw texts they came from. With
    ``config.char_ngram`` set, a text of fewer than ``config.short_words`` words is shingled on
    ``char_ngram`` bytes instead, and its count is negated: the sign tells the match rule which
    kind of shingles two signatures were made of (:func:`dedup.sketch.match.score_pairs`).

    Example:
        >>> config = DedupConfig()
        >>> long_text = b" ".join([b"word%d" % i for i in range(40)])
        >>> _, counts = sign_normalized([b"a short title", long_text, b""], config)
        >>> counts.tolist()
        [-12, 36, 0]
    """
    hasher = hasher_for(config.num_perm, config.seed, config.ngram)
    if config.char_ngram is None:
        shingles = shingle(normalized, config.ngram, config.seed)
        return hasher.sign(shingles), shingles.counts
    n_words = np.fromiter(map(_word_count, normalized), dtype=np.int64, count=len(normalized))
    short = np.flatnonzero(n_words < config.short_words)
    if short.size == 0:
        shingles = shingle(normalized, config.ngram, config.seed)
        return hasher.sign(shingles), shingles.counts
    long = np.flatnonzero(n_words >= config.short_words)
    signatures = np.empty((len(normalized), config.num_perm), dtype=np.uint32)
    counts = np.empty(len(normalized), dtype=np.int64)
    texts = [_joined(normalized[i]) for i in short.tolist()]
    chars = char_shingle(texts, config.char_ngram, config.seed)
    signatures[short] = hasher.sign(chars)
    counts[short] = -chars.counts
    if long.size:
        words_ = shingle([normalized[i] for i in long.tolist()], config.ngram, config.seed)
        signatures[long] = hasher.sign(words_)
        counts[long] = words_.counts
    return signatures, counts


def _word_count(text: bytes | list[bytes]) -> int:
    if isinstance(text, list):
        return len(text)
    return text.count(b" ") + 1 if text else 0


def _joined(text: bytes | list[bytes]) -> bytes:
    return text if isinstance(text, bytes) else b" ".join(text)


def fingerprint(
    texts: Sequence[str],
    config: DedupConfig,
    *,
    known: Container[int] | None = None,
) -> Fingerprints:
    """Normalise, key, shingle and sign a batch of raw paragraphs.

    Pure and deterministic, so batches can run in any process in any order.

    Args:
        texts: raw paragraphs.
        config: MinHash parameters.
        known: exact keys that need no signature (an index matches them exactly): their rows
            get a zero signature and a shingle count of 0, as a paragraph without words.
    """
    keys, split, _ = _keyed(texts)
    if known is None:
        signatures, counts = sign_normalized(split, config)
        return Fingerprints(keys, signatures, counts)
    todo = [row for row, key in enumerate(keys.tolist()) if key not in known]
    signatures = np.zeros((len(texts), config.num_perm), dtype=np.uint32)
    counts = np.zeros(len(texts), dtype=np.int64)
    if todo:
        signatures[todo], counts[todo] = sign_normalized([split[row] for row in todo], config)
    return Fingerprints(keys, signatures, counts)


def _keyed(
    texts: Sequence[str],
) -> tuple[npt.NDArray[np.uint64], list[list[bytes]], list[bytes]]:
    """Return the exact keys, normalised words and normalised texts of raw paragraphs."""
    split = [words(text) for text in texts]
    normalized = [b" ".join(w) for w in split]
    keys = np.fromiter(map(exact_key, texts, normalized), dtype=np.uint64, count=len(texts))
    return keys, split, normalized
