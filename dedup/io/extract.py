"""One raw HTML page to its paragraph blocks: decoded, parsed, cut."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from dedup.errors import InputError
from dedup.io.charset import decode_html

__all__ = ["Extracted", "RawHtml", "extract"]

# Bytes of a page's start that decide whether it is binary rather than HTML.
_SNIFF = 4096


@dataclass(frozen=True, slots=True)
class RawHtml:
    """An HTML page not yet cut into blocks.

    Attributes:
        id: The page id (a path, a JSONL "id" or a WARC target URI).
        html: The page as bytes (decoded by its BOM, ``content_type`` or ``<meta>``) or as
            text (from a JSONL line).
        content_type: The HTTP Content-Type header of a WARC response, for its charset.
        record: The JSON object of a JSONL line, its "html" field None, or None.
        source: The file it came from.
        line: Its 1-based line in a JSONL file, or None.
        offset: Its byte offset in a WARC file, or None.
    """

    id: str
    html: bytes | str
    content_type: str | None
    record: dict[str, object] | None
    source: str
    line: int | None
    offset: int | None = None


@dataclass(frozen=True, slots=True)
class Extracted:
    """The blocks of one page, or why it could not be read.

    Attributes:
        raw: The page as it was read.
        text: The blocks joined by one blank line (so :func:`split_paragraphs` gives them back).
        paths: The CSS path of each block.
        html: The decoded HTML, kept when asked for (to write it back without repeats).
        replaced: Undecodable bytes replaced by U+FFFD.
        error: The message of a page that cannot be read, or None.
    """

    raw: RawHtml
    text: str
    paths: tuple[str, ...]
    html: str | None
    replaced: int
    error: str | None


def _where(raw: RawHtml) -> tuple[str, int | None, str]:
    if raw.offset is not None:
        return raw.source, None, f"byte {raw.offset}: "
    return raw.source, raw.line, ""


def extract(raw: RawHtml, keep_html: bool = False) -> Extracted:
    """Decode one page and cut it into blocks; a page that cannot be read carries an error."""
    source, line, prefix = _where(raw)
    replaced = 0
    if isinstance(raw.html, bytes):
        if b"\x00" in raw.html[:_SNIFF] and not raw.html.startswith((b"\xff\xfe", b"\xfe\xff")):
            where = f"{source}:{line}" if line else source
            return Extracted(
                raw,
                "",
                (),
                None,
                0,
                f"{where}: {prefix}binary data (NUL bytes), not HTML; remove the file or pass "
                "--skip-bad to skip it",
            )
        decoded = decode_html(raw.html, raw.content_type)
        html, replaced = decoded.text, decoded.replaced
    else:
        html = raw.html
    try:
        from dedup.io.html import extract_blocks  # noqa: PLC0415 - optional: selectolax
    except ImportError as exc:
        raise InputError(
            f"reading HTML needs the html extra ({exc.name or 'selectolax'} is missing); "
            "pip install 'dedup[html]'",
            source=source,
        ) from None
    try:
        blocks = extract_blocks(html, source=source, line=line)
    except InputError as exc:
        message = str(exc) if not prefix else f"{source}: {prefix}{exc.reason}"
        return Extracted(raw, "", (), None, replaced, message)
    return Extracted(
        raw,
        "\n\n".join(blocks.texts),
        # Interned: the pages of a site share most paths, so a worker's chunk pickles each once
        # (half the bytes it sends back) and the pages held share them.
        tuple(map(sys.intern, blocks.paths)),
        html if keep_html else None,
        replaced,
        None,
    )
