"""Normalise paragraph text so that typographic variants of one blurb compare equal."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["NormalizeConfig", "normalize", "tokens"]

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
_DELETE = {**_INVISIBLE, **_APOSTROPHES}
_WORD = re.compile(r"[^\W_]+")
_MONTHS = frozenset(
    {
        *("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov"),
        *("dec", "january", "february", "march", "april", "june", "july", "august"),
        *("september", "october", "november", "december"),
    }
)
_TRAILERS = (("read", "more"), ("continue", "reading"))


@dataclass(frozen=True, slots=True)
class NormalizeConfig:
    """Which normalisation steps run; all are on by default.

    Case folding and the typographic folding always run: they are what makes the exact pass
    meaningful.
    """

    strip_date_prefix: bool = True
    strip_trailers: bool = True


_DEFAULT = NormalizeConfig()


def tokens(text: str, config: NormalizeConfig = _DEFAULT) -> list[str]:
    """Return the normalised words of ``text``.

    The steps run in a fixed order, and each is chosen so the whole is idempotent:

    1. NFKC, case folding and NFKC again: full-width letters, ligatures and case collapse, and
       the second NFKC recomposes what case folding decomposed.
    2. Invisible characters and apostrophes are deleted.
    3. Words are the runs of letters and digits; punctuation, quotes, dashes, ellipses and
       brackets (``…``, ``...``, ``[...]``) separate words and are dropped.
    4. A leading date (``Dec 12, 2022 —``, ``12 December 2022``, ``2022-12-12``) is removed,
       then a trailing ``Read more`` or ``Continue reading``, repeatedly.

    Example:
        >>> tokens("Dec 12, 2022 — Peru’s  “Coup” [...] Read more")
        ['perus', 'coup']
    """
    folded = unicodedata.normalize(
        "NFKC", unicodedata.normalize("NFKC", text).casefold()
    ).translate(_DELETE)
    words = _WORD.findall(folded)
    changed = True
    while changed and words:
        changed = False
        skip = _date_prefix_length(words) if config.strip_date_prefix else 0
        if skip:
            words = words[skip:]
            changed = True
        if config.strip_trailers:
            for trailer in _TRAILERS:
                if len(words) > len(trailer) and tuple(words[-len(trailer) :]) == trailer:
                    words = words[: -len(trailer)]
                    changed = True
                    break
    return words


def normalize(text: str, config: NormalizeConfig = _DEFAULT) -> str:
    """Return the normalised form of ``text``: its normalised words joined by single spaces.

    Example:
        >>> normalize("Online donations are back!  Keep independent media alive. ")
        'online donations are back keep independent media alive'
        >>> normalize(normalize("“Don’t” — Stop…")) == normalize("“Don’t” — Stop…")
        True
    """
    return " ".join(tokens(text, config))


def _is_day(word: str) -> bool:
    return word.isdigit() and len(word) <= 2 and 1 <= int(word) <= 31


def _is_year(word: str) -> bool:
    return word.isdigit() and len(word) == 4


def _date_prefix_length(words: list[str]) -> int:
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
