"""Shortcuts of the fingerprinting path give what the full path gives: the ASCII shortcut of
normalize.words, normalising a batch at once, and signing each distinct normalised text once."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.config import DedupConfig
from dedup.sketch.fingerprint import exact_keys, fingerprint, sign_normalized
from dedup.text.normalize import (
    _ASCII_TABLE,
    _DELETE,
    _PUNCTUATION,
    _SHORTCUT_DELETED,
    _SHORTCUT_SPACED,
    _TRAILERS,
    _WORD,
    NormalizeConfig,
    _date_prefix_length,
    normalize_bytes,
    normalize_many,
    words,
)

SHORTCUT = _SHORTCUT_DELETED + _SHORTCUT_SPACED
# Neighbours that could interact with a dropped character: letters that compose with a
# following combining mark, combining marks, Hangul jamo, a lone surrogate, and the characters
# the shortcut leaves to the full path (the acute accent NFKC turns into a combining mark).
TRICKY = "eE<=é\u0301\u0308\u0338\u1100\u1161\u11a8\uac00\u00b4\u2122\ufb01ẞß\ud800"
ALPHABET = "".join(map(chr, range(128))) + SHORTCUT + TRICKY


def reference_words(text: str) -> list[bytes]:
    """The words of the full Unicode path for every text, then the stripping loop."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    folded = _PUNCTUATION.sub(" ", _DELETE.sub("", folded))
    if folded.isascii():
        found = folded.encode().translate(_ASCII_TABLE).split()
    else:
        found = [w.encode() for w in _WORD.findall(folded)]
    changed = True
    while changed and found:
        changed = False
        skip = _date_prefix_length(found)
        if skip:
            found = found[skip:]
            changed = True
        for trailer in _TRAILERS:
            if len(found) > len(trailer) and tuple(found[-len(trailer) :]) == trailer:
                found = found[: -len(trailer)]
                changed = True
                break
    return found


def test_shortcut_covers_the_common_web_punctuation() -> None:
    assert set("\u2019\u2018\u00ad\u200b\ufeff") <= set(_SHORTCUT_DELETED)
    assert set("\u00a0\u2026\u2014\u2013\u201c\u201d\u00a9\u00ab\u00bb") <= set(_SHORTCUT_SPACED)
    assert "\u00b4" not in SHORTCUT  # NFKC makes it a space and a combining accent


@pytest.mark.parametrize("char", SHORTCUT)
def test_shortcut_characters_never_interact_with_a_neighbour(char: str) -> None:
    """Each is a starter that composes with no neighbour, so NFKC works on it alone."""
    for other in ALPHABET:
        for pair in (other + char, char + other):
            pieces = "".join(unicodedata.normalize("NFKC", c) for c in pair)
            assert unicodedata.normalize("NFKC", pair) == pieces
            text = f"ab{pair}cd Ef"
            assert words(text) == reference_words(text), ascii(text)


WORDS = st.sampled_from(["Dec", "12", "2022", "1", "read", "More", "continue", "reading", "x"])


@settings(max_examples=400)
@given(st.lists(st.text(alphabet=ALPHABET, max_size=12) | WORDS, max_size=12))
def test_words_equal_the_full_path(parts: list[str]) -> None:
    text = " ".join(parts)
    assert words(text) == reference_words(text), ascii(text)


@pytest.mark.parametrize(
    "text",
    [
        "Dec 12, 2022 — Peru’s “Coup” […] Read more",
        "2022-12-12 12 December 2022 Story Continue reading Read more",
        "Read more",
        "12 Dec 2022 x",
        "Caf\u00e9 Stra\u00dfe \ufb01 \u2122 e\u00ad\u0301 \u00b4quoted\u00b4",
    ],
)
def test_examples_equal_the_full_path(text: str) -> None:
    assert words(text) == reference_words(text)


@settings(max_examples=300)
@given(
    st.lists(
        st.lists(st.text(alphabet=ALPHABET, max_size=12) | WORDS, max_size=10).map(" ".join)
        | st.text(max_size=30),
        max_size=8,
    ),
    st.booleans(),
    st.booleans(),
)
def test_normalizing_a_batch_equals_one_text_at_a_time(
    texts: list[str], strip_date_prefix: bool, strip_trailers: bool
) -> None:
    """normalize_many gives normalize_bytes of each text, for any text (NUL, spaces only,
    dates and trailers, Unicode) and either stripping setting."""
    config = NormalizeConfig(strip_date_prefix, strip_trailers)
    assert normalize_many(texts, config) == [normalize_bytes(t, config) for t in texts]


def test_signing_each_normalised_text_once_gives_fingerprint() -> None:
    """exact_keys then sign_normalized on the distinct normalised texts (what a batch does)
    gives every raw text the row fingerprint gives it."""
    texts = ["Peru’s Congress removed the president", "PERU'S congress removed the president!"]
    texts += ["***", "—", "Skip to content", "A unique line about something else entirely"]
    texts += ["peru s congress", "Perus Congress removed the president.", "New one"]
    config = DedupConfig()
    keys, normalized = exact_keys(texts, config)
    distinct = list(dict.fromkeys(normalized))
    assert len(distinct) < len(texts)
    signatures, counts = sign_normalized(distinct, config)
    rows = [distinct.index(text) for text in normalized]
    want = fingerprint(texts, config)
    assert np.array_equal(keys, want.keys)
    assert np.array_equal(signatures[rows], want.signatures)
    assert np.array_equal(counts[rows], want.counts)
