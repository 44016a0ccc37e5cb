"""Read pages from JSONL, text, HTML and WARC files, directories, gzip files and stdin."""

from __future__ import annotations

import gzip
import os
import shutil
import stat
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from typing import IO, Literal, cast

from dedup.errors import InputError
from dedup.io.discovery import STDIN, expand_inputs, input_kind
from dedup.io.extract import Extracted, RawHtml
from dedup.io.jsonl import SKIP_HINT, not_utf8, parse_line, read_lines, unreadable
from dedup.io.page import Page
from dedup.io.warc import WarcStats, read_warc
from dedup.io.workers import RawLine, Refused, extract_all

__all__ = ["FORMATS", "Format", "PageReader", "duplicate_id", "spool", "text_page"]

STDIN_NAME = "<stdin>"
Format = Literal["jsonl", "text", "html", "warc"]
FORMATS: tuple[Format, ...] = ("jsonl", "text", "html", "warc")
_BOM = b"\xef\xbb\xbf"
# A line holding this likely is an HTML page; one that escapes the key is parsed here and
# still read as one (just with its JSON decoded in this process).
_HTML_KEY = b'"html"'
_DUPLICATE_TAIL = "; give every page its own id, or pass --skip-bad to keep the first"
_SKIP_TAIL = f"; {SKIP_HINT}"
# A truncated or corrupt .gz file surfaces as one of these while reading.
_READ_ERRORS = (OSError, EOFError, zlib.error)
# Errors kept for the report of skipped lines; the rest are only counted.
_KEEP_SKIPPED = 10


def duplicate_id(page: Page, first_source: str, first_line: int) -> InputError:
    """Return the error of a page whose id the page at ``first_source:first_line`` has."""
    return InputError(
        f"id {page.id!r} was already given to the page at {first_source}:{first_line}"
        f"{_DUPLICATE_TAIL}",
        source=page.source,
        line=page.line,
    )


def text_page(raw: bytes, path: str) -> Page:
    """Return the page of a .txt file's bytes, as a pass over ``path`` reads it.

    Raises:
        InputError: The bytes are not UTF-8 (with the line and byte where they stop being so).
    """
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise not_utf8(raw, exc, path, line, in_line=False) from exc
    return Page(path, text, None, path, 1)


def spool(stream: IO[bytes]) -> IO[bytes]:
    """Copy ``stream`` to an anonymous temporary file, rewound, so it can be read twice."""
    copy = tempfile.TemporaryFile()  # noqa: SIM115 - the caller owns and closes it
    shutil.copyfileobj(stream, copy, 1 << 20)
    copy.seek(0)
    return copy


class PageReader:
    """Stream the pages of several inputs; each iteration is one fresh pass over them.

    Args:
        inputs: Paths of .jsonl/.txt/.html files (optionally .gz), .warc/.warc.gz/.warc.zst
            files, directories, or "-" for stdin.
        skip_bad: Skip (and count) bad JSONL lines, .txt files that are not UTF-8, HTML pages
            and WARC records, and pages whose id an earlier page has (the first is kept),
            instead of raising. Unreadable files stay fatal.
        stdin: The binary stream "-" reads; it is read from its current position on each pass,
            so rewind it (or use :func:`spool`) before a second pass.
        format: Read every input as this format instead of choosing by extension: "html"
            reads files as HTML pages (and JSONL, stdin included, as lines with "html").
        jobs: Processes that cut HTML pages into blocks (1: this one).
        keep_html: Keep each HTML page's decoded HTML in :attr:`Page.html`.

    Raises:
        InputError: On iteration, for a bad line, page or record or a repeated id (unless
            ``skip_bad``; a repeated id names both places), or an unreadable file, with the
            file and line (or byte offset) and what to do about it.

    Example:
        >>> import io
        >>> reader = PageReader(["-"], stdin=io.BytesIO(b'{"id": "a", "text": "Hi"}\\n'))
        >>> [(page.id, page.text, page.line) for page in reader]
        [('a', 'Hi', 1)]
    """

    def __init__(
        self,
        inputs: Iterable[str],
        *,
        skip_bad: bool = False,
        stdin: IO[bytes] | None = None,
        format: Format | None = None,
        jobs: int = 1,
        keep_html: bool = False,
    ) -> None:
        self.inputs = list(inputs)
        self.skip_bad = skip_bad
        self.stdin = stdin
        self.format = format
        self.jobs = jobs
        self.keep_html = keep_html
        self.skipped = 0
        """How many bad lines or pages the latest pass skipped (only with ``skip_bad``)."""
        self.first_skipped: list[InputError] = []
        """The errors of the first few lines skipped in the latest pass."""
        self.replaced = 0
        """Undecodable bytes of HTML pages replaced by U+FFFD in the latest pass."""
        self.warc = WarcStats()
        """The WARC records the latest pass skipped, by design and as bad."""

    def __iter__(self) -> Iterator[Page]:
        self.skipped = 0
        self.first_skipped = []
        self.replaced = 0
        self.warc = WarcStats()
        seen: dict[str, tuple[str, int]] = {}  # page id -> where it first appeared
        for page in self._pages():
            first = seen.get(page.id)
            if first is None:
                seen[page.id] = (page.source, page.line)
                yield page
                continue
            self._bad(duplicate_id(page, *first))

    def _pages(self) -> Iterator[Page]:
        for item in extract_all(self._items(), jobs=self.jobs, keep_html=self.keep_html):
            if isinstance(item, Page):
                yield item
            elif isinstance(item, Refused):
                self._bad(item.error())
            elif isinstance(item, Extracted):
                self.replaced += item.replaced
                raw = item.raw
                if item.error is not None:
                    self._bad(InputError(item.error))
                    continue
                line = raw.offset if raw.offset is not None else raw.line or 1
                yield Page(raw.id, item.text, raw.record, raw.source, line, item.paths, item.html)

    def _items(self) -> Iterator[object]:
        for path in expand_inputs(self.inputs, forced=self.format is not None):
            if path == STDIN:
                if self.stdin is None:
                    raise InputError("no stdin stream to read", source=STDIN_NAME)
                yield from self._jsonl(self.stdin, STDIN_NAME)
            else:
                yield from self._file(path)

    def skip_report(self, limit: int = 3) -> list[str]:
        """Describe what the latest pass skipped: the counts, then the first ``limit`` errors."""
        lines = []
        count = self.skipped
        if count:
            noun = "line" if all(e.line is not None for e in self.first_skipped) else "input"
            lines.append(f"skipped {count} bad {noun}{'s' if count != 1 else ''}")
            for error in self.first_skipped[:limit]:
                reason = error.reason.removesuffix(_SKIP_TAIL).removesuffix(_DUPLICATE_TAIL)
                if error.source is None:
                    lines.append(f"  {reason}")
                else:
                    where = error.source if error.line is None else f"{error.source}:{error.line}"
                    lines.append(f"  {where}: {reason}")
            if count > limit:
                lines.append(f"  ... and {count - limit} more")
        bad = self.warc.bad
        if bad:
            total = sum(bad.values())
            why = ", ".join(f"{n} {reason}" for reason, n in sorted(bad.items()))
            lines.append(f"skipped {total} bad WARC record{'s' if total != 1 else ''} ({why})")
            lines += [f"  {message}" for message in self.warc.first_bad[:limit]]
        return lines

    def notes(self) -> list[str]:
        """Describe what the latest pass left out by design or repaired: WARC records that are
        not HTML responses with status 200, and undecodable bytes replaced."""
        lines = []
        skipped = self.warc.skipped
        if skipped:
            why = ", ".join(f"{n} {reason}" for reason, n in sorted(skipped.items()))
            lines.append(f"WARC records left out: {why}")
        if self.replaced:
            lines.append(f"replaced {self.replaced} undecodable byte(s) of HTML with U+FFFD")
        return lines

    def _bad(self, error: InputError) -> None:
        if not self.skip_bad:
            raise error
        self._skip(error)

    def _skip(self, error: InputError) -> None:
        self.skipped += 1
        if len(self.first_skipped) < _KEEP_SKIPPED:
            self.first_skipped.append(error)

    def _file(self, path: str) -> Iterator[object]:
        kind = self.format or input_kind(path) or "html"
        if self.format == "html" and input_kind(path) == "jsonl":
            kind = "jsonl"
        if kind == "warc":
            for page in read_warc(path, skip_bad=self.skip_bad, stats=self.warc):
                yield RawHtml(page.id, page.html, page.content_type, None, path, None, page.offset)
            return
        try:
            stream = _open(path)
        except OSError as exc:
            raise unreadable(path, None, exc) from exc
        with stream:
            if kind == "text":
                raw = _read_all(stream, path)  # a file that cannot be read stays fatal
                try:
                    text = text_page(raw, path)
                except InputError as exc:  # bytes that are not UTF-8: a bad page
                    self._bad(exc)
                    return
                yield text
            elif kind == "html":
                yield RawHtml(path, _read_all(stream, path), None, None, path, None)
            else:
                yield from self._jsonl(stream, path, self._spans(stream, path))

    def _spans(self, stream: IO[bytes], path: str) -> str | None:
        """The absolute path workers read lines of ``path`` from, or None: under ``--jobs``,
        a regular file (not a .gz, a pipe or a device) is read by offset, where ``os.pread``
        exists (not on Windows)."""
        if self.jobs <= 1 or path.lower().endswith(".gz") or not hasattr(os, "pread"):
            return None
        try:
            regular = stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
        except (OSError, ValueError):
            return None
        return os.path.abspath(path) if regular else None

    def _jsonl(self, stream: IO[bytes], source: str, spans: str | None = None) -> Iterator[object]:
        number = 0
        end = 0  # the offset of the end of the latest line
        lines = read_lines(stream)
        html = self.format == "html"
        while True:
            try:
                raw = next(lines)
            except StopIteration:
                return
            except _READ_ERRORS as exc:
                raise unreadable(source, number + 1, exc) from exc
            number += 1
            end += len(raw)
            if number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            if not raw or raw.isspace():  # isspace stops at the first other byte; strip copies
                continue
            if html or _HTML_KEY in raw:  # parsed where it is extracted: in a worker
                span = None if spans is None else (spans, end - len(raw), len(raw))
                yield RawLine(raw, source, number, html, span)
                continue
            try:
                page = parse_line(raw, source, number, html=html)
            except InputError as exc:
                self._bad(exc)
                continue
            yield page


def _open(path: str) -> IO[bytes]:
    if path.lower().endswith(".gz"):
        return cast("IO[bytes]", gzip.open(path))  # GzipFile is a binary file, though not an IO
    return open(path, "rb")


def _read_all(stream: IO[bytes], path: str) -> bytes:
    try:
        return stream.read()
    except _READ_ERRORS as exc:
        raise unreadable(path, None, exc) from exc
