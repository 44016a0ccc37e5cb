"""Shingles of normalised paragraphs: word n-grams (hashed with xxhash), and character n-grams
for short paragraphs; both hashed to 32 bits."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from dedup.arrays.kernels import fmix64, sorted_unique
from dedup.arrays.xxh32 import split_words, xxh32_words

__all__ = ["Shingles", "char_shingle", "shingle"]

# Odd 64-bit multipliers, one per position in the n-gram, so that "a b" and "b a" differ. The
# window sum is finished with the murmur3 64-bit finaliser, whose top 32 bits are the shingle.
_POSITION = np.array(
    [(0x9E3779B97F4A7C15 * (2 * k + 1) + 0x632BE59BD9B4E019) % 2**64 | 1 for k in range(65)],
    dtype=np.uint64,
)
_U32 = np.uint64(32)
# Mixed into every character shingle, so that no character n-gram hashes like a word n-gram.
_CHAR_SALT = np.uint64(0xD6E8FEB86659FD93)
# A random 64-bit value per byte, and a random odd multiplier per position in the n-gram: the
# window sum of small byte values with _POSITION's evenly spaced multipliers would collide
# ("bac" and "acb" have the same sum and the same weighted sum).
_BYTE = fmix64(np.arange(1, 257, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
_CHAR_POSITION = fmix64(np.arange(257, 321, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
_CHAR_POSITION |= np.uint64(1)
_WORD_SALT = np.uint64(0xA0761D6478BD642F)
_SPACE = ord(" ")


class Shingles:
    """The distinct shingle hashes of a batch of paragraphs, grouped by paragraph.

    Attributes:
        hashes: (n_shingles,) uint32, sorted within each paragraph.
        offsets: (n_paragraphs + 1,) int64; paragraph ``i`` owns
            ``hashes[offsets[i]:offsets[i+1]]``.
    """

    __slots__ = ("hashes", "offsets")

    def __init__(self, hashes: npt.NDArray[np.uint32], offsets: npt.NDArray[np.int64]) -> None:
        self.hashes = hashes
        self.offsets = offsets

    @property
    def counts(self) -> npt.NDArray[np.int64]:
        """(n_paragraphs,) int64: the number of distinct shingles of each paragraph."""
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return int(self.offsets.size - 1)

    def of(self, i: int) -> npt.NDArray[np.uint32]:
        """Return the distinct shingle hashes of paragraph ``i``."""
        return self.hashes[self.offsets[i] : self.offsets[i + 1]]


def shingle(normalized: Sequence[bytes | list[bytes]], ngram: int, seed: int = 0) -> Shingles:
    """Hash the word ``ngram``-grams of each paragraph, vectorised over the whole batch.

    Each word is hashed once with ``xxh32`` (vectorised over the batch's words by
    :func:`dedup.arrays.xxh32.xxh32_words`); the n-gram hashes are then combined from the word
    hashes with numpy, with no Python loop per shingle: a weighted sum of the word hashes,
    seeded and finished with murmur3's finaliser. A paragraph of fewer than ``ngram`` words is
    one shingle of all its words; a paragraph without words has no shingles. The words are the
    runs ``bytes.split()`` gives, whichever ASCII whitespace separates them.

    Args:
        normalized: normalised paragraphs, each as bytes with words separated by single
            spaces (:func:`dedup.text.normalize.normalize_bytes`) or as its list of words
            (:func:`dedup.text.normalize.words`).
        ngram: words per shingle.
        seed: xxhash seed; a different seed gives independent shingle hashes.

    Example:
        >>> batch = shingle([b"a b c", b"a b c d", b""], ngram=2)
        >>> batch.counts.tolist()
        [2, 3, 0]
        >>> bool(np.isin(batch.of(0), batch.of(1)).all())
        True
    """
    texts = [text if isinstance(text, bytes) else b" ".join(text) for text in normalized]
    # One buffer for the batch, a space between paragraphs: its words are found and hashed
    # with xxh32 by numpy, with no Python object per word; the seed enters when the n-gram is
    # mixed below.
    buffer, word_starts, word_lengths = split_words(b" ".join(texts))
    word_hashes = xxh32_words(buffer, word_starts, word_lengths).astype(np.uint64)
    sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    first_byte = np.cumsum(sizes + 1) - (sizes + 1)
    first_word = np.searchsorted(word_starts, first_byte)
    lengths = np.diff(first_word, append=word_starts.size)
    ends = np.cumsum(lengths)
    starts = ends - lengths

    # Full windows: the window sum at every word position, from n shifted slices.
    padded = np.concatenate([word_hashes, np.zeros(ngram, dtype=np.uint64)])
    n_words = word_hashes.size
    window = np.zeros(n_words, dtype=np.uint64)
    for k in range(ngram):  # one vector operation per n-gram position, not per shingle
        window += padded[k : k + n_words] * _POSITION[k % 64]
    window += np.uint64(ngram) * _POSITION[64]
    full = np.maximum(lengths - ngram + 1, 0)
    owner = np.repeat(np.arange(lengths.size, dtype=np.int64), full)
    starting = np.ones(n_words, dtype=bool)
    for k in range(1, ngram):  # the last ngram - 1 words of a paragraph start no full window
        starting[(ends - k)[lengths >= k]] = False
    positions = np.flatnonzero(starting)
    combined = [window[positions]]
    owners = [owner]

    # A paragraph shorter than ngram is one shingle of all its words.
    short = np.flatnonzero((lengths > 0) & (lengths < ngram))
    if short.size:
        acc = lengths[short].astype(np.uint64) * _POSITION[64]
        for k in range(ngram - 1):
            inside = k < lengths[short]
            term = padded[np.where(inside, starts[short] + k, n_words)] * _POSITION[k % 64]
            acc += term
        combined.append(acc)
        owners.append(short)
    mixed = fmix64(np.concatenate(combined) ^ np.uint64(seed & 0xFFFFFFFFFFFFFFFF)) >> _U32

    # Distinct shingles per paragraph: sort (paragraph, hash) pairs packed in one uint64.
    packed = sorted_unique((np.concatenate(owners).astype(np.uint64) << _U32) | mixed)
    return _shingles(packed, lengths.size)


def _shingles(packed: npt.NDArray[np.uint64], count: int) -> Shingles:
    """The Shingles of ``count`` paragraphs from their sorted, distinct (paragraph << 32 | hash)
    pairs: each paragraph's pairs start where a search for ``paragraph << 32`` lands."""
    firsts = np.arange(count + 1, dtype=np.uint64) << _U32
    offsets = np.searchsorted(packed, firsts).astype(np.int64)
    return Shingles((packed & np.uint64(0xFFFFFFFF)).astype(np.uint32), offsets)


def char_shingle(
    normalized: Sequence[bytes], ngram: int, seed: int = 0, *, positional: bool = False
) -> Shingles:
    """Hash the byte ``ngram``-grams of each paragraph, vectorised over the whole batch.

    For titles and other short lines, where word n-grams are too few and too coarse: a typo
    changes at most ``ngram`` character shingles of a title's fifty or so, and a copy cut a word
    shorter keeps all but a few. Each paragraph is padded with one space on each side, so its
    first and last words count as often as the others. A padded paragraph shorter than
    ``ngram`` bytes is one shingle; an empty one has none. The n-grams are of UTF-8 bytes, so a
    letter outside ASCII spans two to four of them.

    With ``positional``, a shingle is an n-gram *and the number of the word it starts in*:
    a copy of a title cut shorter keeps every shingle of the part it keeps, and a typo changes
    only the n-grams around it, but two different titles that hold the same phrase at
    different places share none of it.

    Args:
        normalized: normalised paragraphs as bytes, words separated by single spaces
            (:func:`dedup.text.normalize.normalize_bytes`).
        ngram: bytes per shingle.
        seed: hash seed; a different seed gives independent shingle hashes.
        positional: number each n-gram with the word it starts in.

    Example:
        >>> batch = char_shingle([b"coup", b"coups", b""], ngram=3)
        >>> batch.counts.tolist()
        [4, 5, 0]
        >>> bool(np.isin(batch.of(0), batch.of(1)).all())
        False
        >>> int(np.isin(batch.of(0), batch.of(1)).sum())
        3
        >>> texts = [b"peru coup", b"peru coup news", b"news peru coup"]
        >>> cut = char_shingle(texts, 4, positional=True)
        >>> [int(np.isin(cut.of(0), cut.of(i)).sum()) for i in (1, 2)]
        [8, 0]
    """
    padded = [b" " + text + b" " if text else b"" for text in normalized]
    lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    data = _BYTE[np.frombuffer(b"".join(padded), dtype=np.uint8)]
    starts = np.cumsum(lengths) - lengths
    size = data.size
    tail = np.concatenate([data, np.zeros(ngram, dtype=np.uint64)])
    window = np.zeros(size, dtype=np.uint64)
    for k in range(ngram):  # one vector operation per n-gram position, not per shingle
        window += tail[k : k + size] * _CHAR_POSITION[k % 64]
    # A window that runs past its paragraph's end is kept only as the one shingle of a
    # paragraph shorter than ngram, where it holds the whole paragraph (and zeros).
    count = np.where(lengths > 0, np.maximum(lengths - ngram + 1, 1), 0)
    owner = np.repeat(np.arange(lengths.size, dtype=np.int64), count)
    first = np.cumsum(count) - count
    positions = starts[owner] + (np.arange(owner.size, dtype=np.int64) - first[owner])
    inside = np.minimum(lengths[owner], ngram)  # bytes of the paragraph in each window
    combined = window[positions]
    short = inside < ngram
    if short.any():  # zero the bytes of the next paragraph that a short window reached
        combined[short] = 0
        for k in range(ngram):
            keep = short & (k < inside)
            combined[keep] += tail[positions[keep] + k] * _CHAR_POSITION[k % 64]
    combined += inside.astype(np.uint64) * _POSITION[64] + _CHAR_SALT
    if positional:  # the number of the word each window starts in, counted from the start
        raw = np.frombuffer(b"".join(padded), dtype=np.uint8)
        spaces = np.cumsum(raw == _SPACE, dtype=np.int64)
        before = np.where(starts > 0, spaces[np.maximum(starts - 1, 0)], 0)
        word = spaces[positions] - before[owner]
        combined += word.astype(np.uint64) * _WORD_SALT
    mixed = fmix64(combined ^ np.uint64(seed & 0xFFFFFFFFFFFFFFFF)) >> _U32
    packed = sorted_unique((owner.astype(np.uint64) << _U32) | mixed)
    return _shingles(packed, lengths.size)
