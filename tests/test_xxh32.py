"""The vectorised xxh32 equals xxhash's, word by word, for any bytes and any layout."""

from __future__ import annotations

import xxhash
from hypothesis import given
from hypothesis import strategies as st

from dedup.arrays.xxh32 import split_words, xxh32_words
from dedup.text.shingle import shingle

# Words of every length class: under 4 bytes, 4-15 (four-byte rounds and tails), 16 and more
# (the stripe loop), and any byte but ASCII whitespace.
WORD = st.binary(min_size=1, max_size=70).map(lambda w: w.translate(None, b" \t\n\r\x0b\x0c"))
SEPARATOR = st.sampled_from([b" ", b"  ", b"\t", b"\n ", b"\r\x0b\x0c"])


@given(st.lists(st.tuples(WORD, SEPARATOR), max_size=60), st.booleans())
def test_words_and_hashes_equal_split_and_xxhash(
    parts: list[tuple[bytes, bytes]], lead: bool
) -> None:
    """split_words finds bytes.split()'s words, and xxh32_words hashes them as xxhash does."""
    buffer = (b" " if lead else b"") + b"".join(word + sep for word, sep in parts)
    spaced, starts, lengths = split_words(buffer)
    words = [spaced[s : s + n] for s, n in zip(starts.tolist(), lengths.tolist(), strict=True)]
    assert words == buffer.split()
    hashes = xxh32_words(spaced, starts, lengths).tolist()
    assert hashes == [xxhash.xxh32_intdigest(w) for w in words]


def test_every_length_up_to_a_few_stripes() -> None:
    """Each word length from 1 to 80 bytes hashes as xxhash does, next to every other length."""
    not_space = [b for b in range(256) if b not in b" \t\n\r\x0b\x0c"]
    words = [bytes(not_space[(i * 7 + j) % len(not_space)] for j in range(i)) for i in range(1, 81)]
    spaced, starts, lengths = split_words(b" ".join(words))
    assert lengths.tolist() == list(range(1, 81))
    expected = [xxhash.xxh32_intdigest(w) for w in words]
    assert xxh32_words(spaced, starts, lengths).tolist() == expected


@given(st.lists(st.lists(st.tuples(WORD, SEPARATOR), max_size=12), max_size=8), st.integers(1, 6))
def test_shingles_ignore_the_whitespace_layout(
    paragraphs: list[list[tuple[bytes, bytes]]], ngram: int
) -> None:
    """Shingling text with any whitespace between words (and paragraphs without words) gives
    the shingles of its words joined by single spaces, or given as lists."""
    laid_out = [b"".join(word + sep for word, sep in parts) for parts in paragraphs]
    split = [text.split() for text in laid_out]
    expected = shingle([b" ".join(words) for words in split], ngram, seed=3)
    for form in (laid_out, split):
        got = shingle(form, ngram, seed=3)
        assert got.offsets.tolist() == expected.offsets.tolist()
        assert got.hashes.tolist() == expected.hashes.tolist()
