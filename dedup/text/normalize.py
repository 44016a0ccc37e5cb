"""Normalise paragraph text so that typographic variants of one blurb compare equal."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["NormalizeConfig", "normalize", "normalize_bytes", "normalize_many", "tokens", "words"]

# Characters that carry no words: zero-width spaces and joiners, the word joiner, the byte order
# mark, the soft hyphen and bidirectional controls. They are deleted, not turned into spaces, so a
# word broken by one still reads as one word.
_INVISIBLE = dict.fromkeys(
    [
        *(0x00AD, 0x180E, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0x2061, 0x2062),
        *(0x2063, 0x2064, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)),
    ]
)
# Apostrophes are deleted so "Peru's" and "Peru’s" both read "perus".
_APOSTROPHES = dict.fromkeys([ord("'"), 0x2019, 0x2018, 0x02BC, 0x2032, 0x00B4, ord("`")])
_DELETE = re.compile("[" + "".join(re.escape(chr(c)) for c in {**_INVISIBLE, **_APOSTROPHES}) + "]")
# Typographic punctuation separates words; turning it into spaces first lets most text take the
# ASCII path below, which finds the same words as the Unicode one, twice as fast.
_PUNCTUATION = re.compile("[\u2010-\u2015\u201c-\u201f\u00ab\u00bb\u2026\u2022\u00b7\u00a0]")
_WORD = re.compile(r"[^\W_]+")
_MONTHS = frozenset(
    m.encode()
    for m in (
        *("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov"),
        *("dec", "january", "february", "march", "april", "june", "july", "august"),
        *("september", "october", "november", "december"),
    )
)
_TRAILERS = ((b"read", b"more"), (b"continue", b"reading"))
_TRAILER_ENDS = [[trailer[-1]] for trailer in _TRAILERS]
_ASCII_TABLE = bytes(
    c if chr(c).isalnum() and c < 128 and chr(c) != "_" else 32 for c in range(256)
)
# The same, folding A-Z to a-z on the way: lower() and the word split in one C pass.
_FOLD_TABLE = bytes(b | 32 if chr(b).isalpha() else b for b in _ASCII_TABLE)
_ASCII_DELETE = b"'`"  # the ASCII apostrophes of _APOSTROPHES
# The same again, keeping NUL: it separates the texts of a batch in normalize_many.
_BATCH_TABLE = b"\0" + _FOLD_TABLE[1:]
_SPACE = 32
_TRAILER_WORDS = tuple(trailer[-1] for trailer in _TRAILERS)


def _folded(char: str) -> str:
    """Return what the Unicode path of :func:`words` turns one character into before the
    word split."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", char).casefold())
    return _PUNCTUATION.sub(" ", _DELETE.sub("", folded))


def _shortcut_chars() -> tuple[str, str]:
    """Return the non-ASCII characters that :func:`words` may delete or turn into a space
    without NFKC and case folding: typographic punctuation and invisible characters that
    normalise, one by one, to nothing or to separators only. All of them are starters (no
    reordering, no composition with a neighbour; tests/test_shortcuts.py checks every
    pair), so on text made of ASCII and these characters the full path gives the same words.
    """
    candidates = {*map(chr, _INVISIBLE), *map(chr, _APOSTROPHES), *"©®°§¶†‡‹›‚„″¡¿×"}
    candidates |= {*"\u2010\u2011\u2012\u2013\u2014\u2015\u201c\u201d\u201e\u201f"}
    candidates |= {*"\u00ab\u00bb\u2026\u2022\u00b7\u00a0"}
    deleted, spaced = [], []
    for char in sorted(c for c in candidates if not c.isascii()):
        decomposed = unicodedata.normalize("NFKC", char)
        if any(unicodedata.combining(c) for c in decomposed):
            continue
        result = _folded(char)
        if not result:
            deleted.append(char)
        elif not _WORD.search(result):
            spaced.append(char)
    return "".join(deleted), "".join(spaced)


_SHORTCUT_DELETED, _SHORTCUT_SPACED = _shortcut_chars()
_SHORTCUT_DELETE = re.compile(f"[{re.escape(_SHORTCUT_DELETED)}]")
# The commonest of them on the web go first, by str.replace: several times faster than the two
# regular expressions, which then only see text that still holds something else.
_COMMON = tuple(
    (char, "" if char in _SHORTCUT_DELETED else " ")
    for char in "\u2019\u2018\u00a0\u201c\u201d\u2014\u2013\u2026"
    if char in _SHORTCUT_DELETED + _SHORTCUT_SPACED
)
_SHORTCUT_SPACE = re.compile(f"[{re.escape(_SHORTCUT_SPACED)}]")


@dataclass(frozen=True, slots=True)
class NormalizeConfig:
    """Which normalisation steps run; all are on by default.

    Case folding and the typographic folding always run: they are what makes the exact pass
    meaningful.
    """

    strip_date_prefix: bool = True
    strip_trailers: bool = True


_DEFAULT = NormalizeConfig()


def words(text: str, config: NormalizeConfig = _DEFAULT) -> list[bytes]:
    """Return the normalised words of ``text`` as UTF-8 bytes.

    The steps run in a fixed order, and each is chosen so the whole is idempotent:

    1. NFKC, case folding and NFKC again: full-width letters, ligatures and case collapse, and
       the second NFKC recomposes what case folding decomposed.
    2. Invisible characters and apostrophes are deleted.
    3. Words are the runs of letters and digits; punctuation, quotes, dashes, ellipses and
       brackets (``…``, ``...``, ``[...]``) separate words and are dropped.
    4. A leading date (``Dec 12, 2022 —``, ``12 December 2022``, ``2022-12-12``) is removed,
       then a trailing ``Read more`` or ``Continue reading``, repeatedly.

    Example:
        >>> words("Dec 12, 2022 — Peru’s  “Coup” [...] Read more")
        [b'perus', b'coup']
    """
    # Most non-ASCII text only has typographic punctuation: drop or space it first, and NFKC
    # (the identity on ASCII) and case folding (lower() there) have nothing left to do.
    plain = text if text.isascii() else _without_punctuation(text)
    if plain.isascii():  # one C pass: delete apostrophes, fold case, [^a-z0-9] to spaces
        found = plain.encode().translate(_FOLD_TABLE, _ASCII_DELETE).split()
    else:  # the full path, on the text as given: a neighbour may compose with what was dropped
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
        folded = _PUNCTUATION.sub(" ", _DELETE.sub("", folded))
        if folded.isascii():  # every byte that is not [a-z0-9] becomes a space
            found = folded.encode().translate(_ASCII_TABLE).split()
        else:
            found = [w.encode() for w in _WORD.findall(folded)]
    return _without_affixes(found, config)


def _without_affixes(found: list[bytes], config: NormalizeConfig) -> list[bytes]:
    """Remove a leading date and trailing ``Read more``s (step 4 of :func:`words`)."""
    # A date starts with a month or digits, a trailer ends in one of _TRAILER_ENDS: most
    # paragraphs have neither, and nothing to strip.
    date_like = bool(found) and (found[0] in _MONTHS or found[0].isdigit())
    if not date_like and found[-1:] not in _TRAILER_ENDS:
        return found
    changed = True
    while changed and found:
        changed = False
        skip = _date_prefix_length(found) if config.strip_date_prefix else 0
        if skip:
            found = found[skip:]
            changed = True
        if config.strip_trailers:
            for trailer in _TRAILERS:
                if len(found) > len(trailer) and tuple(found[-len(trailer) :]) == trailer:
                    found = found[: -len(trailer)]
                    changed = True
                    break
    return found


def _without_punctuation(text: str) -> str:
    """Delete or space out the shortcut's characters: the common ones by str.replace."""
    for char, replacement in _COMMON:
        text = text.replace(char, replacement)
    if text.isascii():
        return text
    return _SHORTCUT_SPACE.sub(" ", _SHORTCUT_DELETE.sub("", text))


def normalize_bytes(text: str, config: NormalizeConfig = _DEFAULT) -> bytes:
    """Return :func:`normalize` encoded as UTF-8: the form the fingerprints are made of."""
    return b" ".join(words(text, config))


def normalize_many(texts: Sequence[str], config: NormalizeConfig = _DEFAULT) -> list[bytes]:
    """Return :func:`normalize_bytes` of each text, normalising the batch's ASCII text at once.

    Text that is ASCII, or becomes ASCII once its typographic punctuation is dropped or spaced
    (the shortcut of :func:`words`), is joined into one buffer, NUL between texts, and folded
    with one ``bytes.translate``; numpy then drops the spaces that ``split`` and ``join`` would
    drop, so that no Python object is made per word. The rest takes :func:`normalize_bytes`.

    Example:
        >>> normalize_many(["Peru’s  “Coup”", "Dec 12, 2022 — Protests. Read more", ""])
        [b'perus coup', b'protests', b'']
    """
    result = [b""] * len(texts)
    rows: list[int] = []
    plains: list[str] = []
    for row, text in enumerate(texts):
        plain = text if text.isascii() else _without_punctuation(text)
        if plain.isascii():
            rows.append(row)
            plains.append(plain)
        else:
            result[row] = normalize_bytes(text, config)
    if not rows:
        return result
    joined = "\0".join(plains)
    if joined.count("\0") != len(plains) - 1:  # a text holds NUL itself: one at a time
        for row in rows:
            result[row] = normalize_bytes(texts[row], config)
        return result
    import numpy as np  # noqa: PLC0415 - normalize() alone stays free of numpy's import

    folded = joined.encode().translate(_BATCH_TABLE, _ASCII_DELETE)
    data = np.frombuffer(folded, dtype=np.uint8)
    # The bytes are now [a-z0-9], space and NUL. A space stays when a word byte follows it:
    # the last of each run of spaces inside a text. A text's leading space goes below.
    keep = data != _SPACE
    keep[:-1] |= data[1:] > _SPACE
    parts = data[keep].tobytes().split(b"\0")
    for row, part in zip(rows, parts, strict=True):
        form = part[1:] if part[:1] == b" " else part
        # Only a form that may start with a date or end with a trailer has affixes to strip.
        if form.endswith(_TRAILER_WORDS) or form[:1].isdigit() or _first(form) in _MONTHS:
            form = _bytes_without_affixes(form, config)
        result[row] = form
    return result


def _first(part: bytes) -> bytes:
    """Return the first word of a normalised text."""
    return part.partition(b" ")[0]


def _bytes_without_affixes(part: bytes, config: NormalizeConfig) -> bytes:
    """:func:`_without_affixes` on a normalised text, splitting off only the words it reads."""
    changed = True
    while changed and part:
        changed = False
        if config.strip_date_prefix:
            head = part.split(b" ", 3)  # three words and the rest, when there are four or more
            if _date_prefix_length(head):
                part = head[3]
                changed = True
        if config.strip_trailers:
            for trailer in _TRAILERS:
                tail = part.rsplit(b" ", len(trailer))  # the rest, then the trailer's length
                if len(tail) > len(trailer) and tuple(tail[1:]) == trailer:
                    part = tail[0]
                    changed = True
                    break
    return part


def tokens(text: str, config: NormalizeConfig = _DEFAULT) -> list[str]:
    """Return the normalised words of ``text``.

    Example:
        >>> tokens("Dec 12, 2022 — Peru’s  “Coup” [...] Read more")
        ['perus', 'coup']
    """
    return [w.decode() for w in words(text, config)]


def normalize(text: str, config: NormalizeConfig = _DEFAULT) -> str:
    """Return the normalised form of ``text``: its normalised words joined by single spaces.

    Example:
        >>> normalize("Online donations are back!  Keep independent media alive. ")
        'online donations are back keep independent media alive'
        >>> normalize(normalize("“Don’t” — Stop…")) == normalize("“Don’t” — Stop…")
        True
    """
    return normalize_bytes(text, config).decode()


def _is_day(word: bytes) -> bool:
    return word.isdigit() and len(word) <= 2 and 1 <= int(word) <= 31


def _is_year(word: bytes) -> bool:
    return word.isdigit() and len(word) == 4


def _date_prefix_length(words: list[bytes]) -> int:
    """Return how many leading words form a date, leaving at least one word after it."""
    if len(words) < 4:
        return 0
    first, second, third = words[0], words[1], words[2]
    if first in _MONTHS and _is_day(second) and _is_year(third):
        return 3
    if _is_day(first) and second in _MONTHS and _is_year(third):
        return 3
    if _is_year(first) and second.isdigit() and len(second) <= 2 and _is_day(third):
        return 3
    return 0
