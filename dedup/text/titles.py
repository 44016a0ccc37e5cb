"""Title-like lines: which short paragraphs are titles, and a title without the site's name."""

from __future__ import annotations

import re

__all__ = ["is_sentence", "title_core"]

# Spaced separators that HTML <title> elements and feeds put between a title and the site's
# name: "Title | Site", "Site – Title", "Title - Site", "Title :: Site", "Site » Title".
_SEPARATOR = re.compile(r"\s+(?:\||\u2013|\u2014|-{1,2}|::|\u00bb|\u00b7)\s+")
# A site's name is at most this many words; the title left must keep at least _TITLE_WORDS.
_NAME_WORDS = 3
_TITLE_WORDS = 4
# Closing quotes and brackets that may follow a sentence's full stop.
_CLOSERS = "\"'\u2019\u201d)]\u00bb"


def is_sentence(text: str) -> bool:
    """Tell whether a line ends as a sentence does, with a full stop or an exclamation mark
    (an ellipsis is a cut, not an end): a line split off an appeal rather than a title.

    Example:
        >>> is_sentence("Online donations are back!"), is_sentence("Donate today.")
        (True, True)
        >>> is_sentence("Two Swiss Guides Who Survived The 1999..."), is_sentence("Why Peru?")
        (False, False)
    """
    end = text.rstrip().rstrip(_CLOSERS)
    return end.endswith(("!", ".")) and not end.endswith("..")


def _maybe_separated(text: str) -> bool:
    """Tell cheaply whether a separator may be in the text: most titles have none, and a few
    substring tests cost far less than the regular expression."""
    return (
        "|" in text
        or "\u2013" in text
        or "\u2014" in text
        or " -" in text
        or "::" in text
        or "\u00bb" in text
        or "\u00b7" in text
    )


def title_core(text: str) -> str | None:
    """Return a title without the site's name around it, or None if it has none.

    A part of at most three words cut off from the start or the end by a spaced separator
    (``|``, a dash, ``::``, ``»``, ``·``) is taken for the site's name, when at least four
    words are left.

    Example:
        >>> title_core("Judicial Coup In Argentina | Example News")
        'Judicial Coup In Argentina'
        >>> title_core("Example News – Judicial Coup In Argentina")
        'Judicial Coup In Argentina'
        >>> title_core("Five Killed - Police Say") is None  # two words would be left
        True
    """
    if not _maybe_separated(text):
        return None
    parts = _SEPARATOR.split(text.strip())
    if len(parts) < 2:
        return None
    if len(parts[-1].split()) <= _NAME_WORDS:
        parts = parts[:-1]
    elif len(parts[0].split()) <= _NAME_WORDS:
        parts = parts[1:]
    else:
        return None
    core = " ".join(parts)
    return core if len(core.split()) >= _TITLE_WORDS else None
