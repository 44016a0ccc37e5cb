"""The page: one input document, as every reader yields it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dedup.text.paragraphs import SplitMode, split_paragraphs

__all__ = ["Page"]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of input.

    Attributes:
        id: The page id: the JSONL "id" field, or the path of a .txt file as given.
        text: The page text.
        record: The whole JSON object of a JSONL line (so other fields can pass through), or
            None for a .txt, .html or WARC page. For an HTML page its "html" field is None (the
            key stays, in its place): the HTML is not kept twice, nor sent back from a worker
            under ``--jobs``; read it with ``keep_html``, in :attr:`html`.
        source: The file the page came from ("<stdin>" for "-").
        line: The 1-based line of the page in its source (1 for a .txt or .html page, the
            byte offset of the record for a WARC page).
        paths: For an HTML page, the CSS path of each block (the paragraphs of ``text`` split
            on blank lines); None for a text page.
        html: For an HTML page read with ``keep_html``, its decoded HTML.
    """

    id: str
    text: str
    record: dict[str, Any] | None
    source: str
    line: int
    paths: tuple[str, ...] | None = None
    html: str | None = None

    def paragraph_paths(self, split: SplitMode = "blank") -> list[str] | None:
        """Return the CSS path of each paragraph ``split`` makes of the page, or None.

        With ``"lines"``, each line of a block is a paragraph carrying the block's path.
        """
        if self.paths is None:
            return None
        if split == "blank":
            return list(self.paths)
        blocks = split_paragraphs(self.text)
        return [
            path
            for path, block in zip(self.paths, blocks, strict=True)
            for _ in split_paragraphs(block, "lines")
        ]
