"""Splitting page text into paragraphs, as the generator labels them and dedup splits them.

A module of its own so that the anchor scripts import it without the generator.
"""

from __future__ import annotations

import re

_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def split_paragraphs(text: str) -> list[str]:
    """Split text on blank lines (whitespace-only lines count), strip each, drop empties.

    Example:
        >>> split_paragraphs("a\\n \\nb\\n\\n\\n c ")
        ['a', 'b', 'c']
    """
    return [p for p in (part.strip() for part in _BLANK_LINE.split(text)) if p]
