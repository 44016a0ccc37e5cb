"""Raw HTML pages to pages of paragraph blocks, in worker processes under ``--jobs``."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_all_start_methods, get_context

from dedup.errors import InputError
from dedup.io.charset import decode_html

__all__ = ["Extracted", "RawHtml", "extract", "extract_all"]

# Pages per task sent to a worker: enough to hide the pickling, few enough to keep order cheap.
_CHUNK = 32
# HTML pages extracted here before workers start: fewer cost less than starting them.
_INLINE = 2 * _CHUNK
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
        record: The JSON object of a JSONL line, or None.
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
        tuple(blocks.paths),
        html if keep_html else None,
        replaced,
        None,
    )


def _extract_chunk(chunk: list[RawHtml], keep_html: bool) -> list[Extracted]:
    # The page goes back without its HTML and record: the caller still holds them.
    return [replace(extract(raw, keep_html), raw=_STRIPPED) for raw in chunk]


_STRIPPED = RawHtml("", b"", None, None, "", None)
_Waiting = tuple[Future[list[Extracted]], list[RawHtml]] | list[object]


def extract_all(
    pages: Iterable[RawHtml | object], *, jobs: int = 1, keep_html: bool = False
) -> Iterator[Extracted | object]:
    """Extract the :class:`RawHtml` among ``pages`` in order; other items pass through as is.

    With ``jobs`` above 1, once a few chunks of HTML pages have been read here (a small input
    never pays for starting workers), the rest go to that many worker processes in chunks, a
    few chunks ahead of the consumer, and come back in input order.
    """
    items = iter(pages)
    seen = 0
    for page in items:
        if not isinstance(page, RawHtml):
            yield page
            continue
        yield extract(page, keep_html)
        seen += 1
        if jobs > 1 and seen >= _INLINE:
            break
    else:
        return
    method = "forkserver" if "forkserver" in get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(jobs, mp_context=get_context(method)) as pool:
        waiting: deque[_Waiting] = deque()
        chunk: list[RawHtml] = []
        for page in items:
            if isinstance(page, RawHtml):
                chunk.append(page)
                if len(chunk) >= _CHUNK:
                    waiting.append((pool.submit(_extract_chunk, chunk, keep_html), chunk))
                    chunk = []
            else:
                if chunk:
                    waiting.append((pool.submit(_extract_chunk, chunk, keep_html), chunk))
                    chunk = []
                waiting.append([page])
            while len(waiting) > 2 * jobs or (waiting and _ready(waiting[0])):
                yield from _take(waiting.popleft())
        if chunk:
            waiting.append((pool.submit(_extract_chunk, chunk, keep_html), chunk))
        while waiting:
            yield from _take(waiting.popleft())


def _ready(item: _Waiting) -> bool:
    return isinstance(item, list) or item[0].done()


def _take(item: _Waiting) -> list[Extracted] | list[object]:
    if isinstance(item, list):
        return item
    future, chunk = item
    return [replace(done, raw=raw) for done, raw in zip(future.result(), chunk, strict=True)]
