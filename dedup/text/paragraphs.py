"""Split page text into paragraphs: on blank lines, or one paragraph per line."""

from __future__ import annotations

import re
from typing import Literal

from dedup.errors import ConfigError

__all__ = ["SPLIT_MODES", "SplitMode", "check_split", "split_paragraphs"]

SplitMode = Literal["blank", "lines"]
SPLIT_MODES: tuple[SplitMode, ...] = ("blank", "lines")

# A blank line is a line holding only whitespace; "\n" and "\r\n" line ends are both accepted.
# (An explicit class: [^\S\n] is ten times slower to scan.)
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
_LINE = re.compile(r"\r?\n")


def split_paragraphs(text: str, split: SplitMode = "blank") -> list[str]:
    """Split ``text`` into paragraphs, strip each and drop the empty ones.

    Args:
        text: The page text.
        split: ``"blank"`` splits on blank lines (a whitespace-only line is blank);
            ``"lines"`` makes every non-empty line a paragraph, for scrapers that write one
            paragraph per line.

    Example:
        >>> split_paragraphs("Title\\n\\n  Teaser one\\nstill teaser \\n \\n\\nFooter")
        ['Title', 'Teaser one\\nstill teaser', 'Footer']
        >>> split_paragraphs("Title\\nTeaser one\\n\\nFooter", "lines")
        ['Title', 'Teaser one', 'Footer']
    """
    if split == "blank":
        return list(filter(None, map(str.strip, _BLANK_LINE.split(text))))
    if split == "lines":
        return list(filter(None, map(str.strip, _LINE.split(text))))
    raise ConfigError(check_split_message(split))


def check_split(split: object) -> SplitMode:
    """Return ``split`` if it is a split mode.

    Raises:
        ConfigError: It is not ``"blank"`` or ``"lines"``.
    """
    if split == "blank":
        return "blank"
    if split == "lines":
        return "lines"
    raise ConfigError(check_split_message(split))


def check_split_message(split: object) -> str:
    """The one-line refusal of an unknown split mode."""
    return f"split={split!r} is not 'blank' or 'lines'; use 'blank' (the default) or 'lines'"
