"""Read pages from JSONL, text, HTML and WARC files, directories, gzip files and stdin."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Literal, cast

from dedup.errors import InputError
from dedup.io.extract import Extracted, RawHtml, extract_all
from dedup.io.warc import WarcStats, read_warc
from dedup.text.paragraphs import SplitMode, split_paragraphs

__all__ = [
    "FORMATS",
    "Format",
    "Page",
    "PageReader",
    "duplicate_id",
    "expand_inputs",
    "input_files",
    "input_kind",
    "parse_line",
    "spool",
    "text_page",
]

STDIN = "-"
STDIN_NAME = "<stdin>"
_JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
_TEXT_SUFFIXES = (".txt", ".txt.gz")
_HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
_WARC_SUFFIXES = (".warc", ".warc.gz", ".warc.zst")
Format = Literal["jsonl", "text", "html", "warc"]
FORMATS: tuple[Format, ...] = ("jsonl", "text", "html", "warc")
_BOM = b"\xef\xbb\xbf"
# What a directory is searched for, as error messages say it.
_LOOKED_FOR = ".jsonl or .txt files (optionally .gz), .html/.htm or .warc/.warc.gz/.warc.zst files"
_SKIP_HINT = "fix the line or pass --skip-bad to skip it"
_DUPLICATE_TAIL = "; give every page its own id, or pass --skip-bad to keep the first"
_SKIP_TAIL = f"; {_SKIP_HINT}"
# Lone surrogates can only come from JSON escapes such as "\ud800"; they cannot be encoded as
# UTF-8, so they would break hashing and every JSON writer downstream.
_SURROGATE = re.compile("[\ud800-\udfff]")
# A truncated or corrupt .gz file surfaces as one of these while reading.
_READ_ERRORS = (OSError, EOFError, zlib.error)
# Errors kept for the report of skipped lines; the rest are only counted.
_KEEP_SKIPPED = 10


@dataclass(frozen=True, slots=True)
class Page:
    """One page of input.

    Attributes:
        id: The page id: the JSONL "id" field, or the path of a .txt file as given.
        text: The page text.
        record: The whole JSON object of a JSONL line (so other fields can pass through), or
            None for a .txt page.
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


def expand_inputs(inputs: Iterable[str], *, forced: bool = False) -> list[str]:
    """Expand directories into the .jsonl/.txt/.html/.warc files below them, sorted.

    Files named explicitly are kept in the order given; "-" stands for stdin and may appear once.
    With ``forced`` (a ``--format`` given), a file of any name is accepted.

    Raises:
        InputError: An input does not exist, has an unsupported name, or "-" appears twice.
    """
    paths: list[str] = []
    stdin_seen = False
    for name in inputs:
        if name == STDIN:
            if stdin_seen:
                raise InputError("stdin can be read only once; pass - a single time", source=name)
            stdin_seen = True
            paths.append(name)
        elif os.path.isdir(name):
            found = _walk(name)
            if not found:
                raise InputError(
                    f"no page files in this directory; looked for {_LOOKED_FOR} below it, "
                    "so check the path or name the files",
                    source=name,
                )
            paths.extend(found)
        elif not os.path.exists(name):
            raise InputError("no such file or directory; check the path", source=name)
        elif _kind(name) is None and not forced:
            raise InputError(
                "unsupported input; pass .jsonl, .txt or .html files (optionally .gz), "
                ".warc/.warc.gz/.warc.zst files, a directory of them, or - for JSONL on stdin",
                source=name,
            )
        else:
            paths.append(name)
    return paths


def input_files(inputs: Iterable[str]) -> list[str]:
    """Return the files that ``inputs`` would read: those named, and those below directories.

    Unlike :func:`expand_inputs` it never raises: stdin and missing paths are left out (reading
    reports them), so an output can be checked against the inputs before anything is read.
    """
    files: list[str] = []
    for name in inputs:
        if os.path.isdir(name):
            files.extend(_walk(name))
        elif name != STDIN and os.path.exists(name):
            files.append(name)
    return files


def _walk(directory: str) -> list[str]:
    found: list[tuple[tuple[str, ...], str]] = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for file in files:
            path = os.path.join(root, file)
            if _kind(file) is not None and os.path.isfile(path):
                parts = os.path.relpath(path, directory).split(os.sep)
                found.append((tuple(parts), path))
    return [path for _, path in sorted(found)]


def input_kind(name: str) -> str | None:
    """Return ``"jsonl"``, ``"text"``, ``"html"`` or ``"warc"`` for a file name dedup reads,
    None for any other name."""
    return _kind(name)


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
    return _text_page(io.BytesIO(raw), path)


def _kind(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    if lower.endswith(_TEXT_SUFFIXES):
        return "text"
    if lower.endswith(_HTML_SUFFIXES):
        return "html"
    if lower.endswith(_WARC_SUFFIXES):
        return "warc"
    return None


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
        skip_bad: Skip (and count) bad JSONL lines, HTML pages and WARC records, and pages
            whose id an earlier page has (the first is kept), instead of raising. Unreadable
            files stay fatal.
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
        kind = self.format or _kind(path) or "html"
        if self.format == "html" and _kind(path) == "jsonl":
            kind = "jsonl"
        if kind == "warc":
            for page in read_warc(path, skip_bad=self.skip_bad, stats=self.warc):
                yield RawHtml(page.id, page.html, page.content_type, None, path, None, page.offset)
            return
        try:
            stream = _open(path)
        except OSError as exc:
            raise _unreadable(path, None, exc) from exc
        with stream:
            if kind == "text":
                yield _text_page(stream, path)
            elif kind == "html":
                yield RawHtml(path, _read_all(stream, path), None, None, path, None)
            else:
                yield from self._jsonl(stream, path)

    def _jsonl(self, stream: IO[bytes], source: str) -> Iterator[object]:
        number = 0
        lines = iter(stream)
        html = self.format == "html"
        while True:
            try:
                raw = next(lines)
            except StopIteration:
                return
            except _READ_ERRORS as exc:
                raise _unreadable(source, number + 1, exc) from exc
            number += 1
            if number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            if not raw.strip():
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


def parse_line(raw: bytes, source: str, line: int, *, html: bool = False) -> Page | RawHtml:
    """Parse one JSONL line into a :class:`Page`, or an HTML page to extract.

    A line is ``{"id", "text"}``, or ``{"id", "html"}`` for an HTML page (the only form read
    when ``html`` is true).

    Raises:
        InputError: The line is not UTF-8, not a JSON object, or lacks a string "id" or "text".
    """
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(raw, exc, source, line, in_line=True) from exc
    record = _loads(decoded, source, line)
    if not isinstance(record, dict):
        raise InputError(
            f'expected a JSON object with "id" and "text", got {_json_type(record)}; {_SKIP_HINT}',
            source=source,
            line=line,
        )
    body = "html" if html or ("html" in record and "text" not in record) else "text"
    # Valid UTF-8 holds no surrogate: only a JSON escape such as \\ud800 can make one, so a line
    # without "\\ud" or "\\uD" skips the scan of its text (which took twice as long as the
    # parse; on a 50 KB HTML page written with ASCII escapes, "\\u" alone is nearly always there).
    escaped = b"\\ud" in raw or b"\\uD" in raw
    fields = []
    for name in ("id", body):
        value = record.get(name)
        if name not in record:
            problem = f'missing "{name}"'
        elif not isinstance(value, str):
            problem = f'"{name}" must be a string, got {_json_type(value)}'
        elif escaped and (match := _SURROGATE.search(value)):
            problem = (
                f'"{name}" holds a lone surrogate (U+{ord(match.group()):04X}) at character '
                f"{match.start()}, which is not valid Unicode"
            )
        else:
            fields.append(value)
            continue
        raise InputError(f"{problem}; {_SKIP_HINT}", source=source, line=line)
    if body == "html":
        return RawHtml(fields[0], fields[1], None, record, source, line)
    return Page(fields[0], fields[1], record, source, line)


def _read_all(stream: IO[bytes], path: str) -> bytes:
    try:
        return stream.read()
    except _READ_ERRORS as exc:
        raise _unreadable(path, None, exc) from exc


def _loads(decoded: str, source: str, line: int) -> object:
    # The standard library rather than orjson: it is barely slower on text-heavy lines, and it
    # keeps integers beyond 64 bits exact in the fields that clean passes through.
    try:
        return json.loads(decoded, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InputError(
            f"not valid JSON ({reason}); {_SKIP_HINT}", source=source, line=line
        ) from None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _text_page(stream: IO[bytes], path: str) -> Page:
    try:
        raw = stream.read()
    except _READ_ERRORS as exc:
        raise _unreadable(path, None, exc) from exc
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise _not_utf8(raw, exc, path, line, in_line=False) from exc
    return Page(path, text, None, path, 1)


def _not_utf8(
    raw: bytes, exc: UnicodeDecodeError, source: str, line: int, *, in_line: bool
) -> InputError:
    column = exc.start - (0 if in_line else raw.rfind(b"\n", 0, exc.start) + 1) + 1
    bad = raw[exc.start : exc.end].hex(" ")
    hint = _SKIP_HINT if in_line else "re-encode the file as UTF-8"
    return InputError(
        f"invalid UTF-8 byte(s) {bad} at byte {column} of the line; {hint}",
        source=source,
        line=line,
    )


def _unreadable(source: str, line: int | None, exc: BaseException) -> InputError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return InputError(
        f"cannot read ({reason}); check the path, its permissions and that a .gz is complete",
        source=source,
        line=line,
    )


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)
