"""Read pages from JSONL and text files, directories, gzip files and stdin, one at a time."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, cast

from dedup.errors import InputError

__all__ = ["Page", "PageReader", "expand_inputs", "input_files", "parse_line", "spool"]

STDIN = "-"
STDIN_NAME = "<stdin>"
_JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
_TEXT_SUFFIXES = (".txt", ".txt.gz")
# What a directory is searched for, as error messages say it.
_LOOKED_FOR = ".jsonl or .txt files (optionally .gz)"
_BOM = b"\xef\xbb\xbf"
_SKIP_HINT = "fix the line or pass --skip-bad to skip it"
_SKIP_TAIL = f"; {_SKIP_HINT}"
_DUPLICATE_TAIL = "; give every page its own id, or pass --skip-bad to keep the first"
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
        line: The 1-based line of the page in its source (1 for a .txt page).
    """

    id: str
    text: str
    record: dict[str, Any] | None
    source: str
    line: int


def expand_inputs(inputs: Iterable[str]) -> list[str]:
    """Expand directories into the .jsonl/.txt files (optionally .gz) below them, sorted.

    Files named explicitly are kept in the order given; "-" stands for stdin and may appear once.

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
        elif _kind(name) is None:
            raise InputError(
                "unsupported input; pass .jsonl or .txt files (optionally .gz), "
                "a directory of them, or - for JSONL on stdin",
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


def _kind(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    if lower.endswith(_TEXT_SUFFIXES):
        return "text"
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
        inputs: Paths of .jsonl/.txt files (optionally .gz), directories, or "-" for stdin.
        skip_bad: Skip (and count) bad JSONL lines, and pages whose id an earlier page has
            (the first is kept), instead of raising. Unreadable files stay fatal.
        stdin: The binary stream "-" reads; it is read from its current position on each pass,
            so rewind it (or use :func:`spool`) before a second pass.

    Raises:
        InputError: On iteration, for a bad line or a repeated id (unless ``skip_bad``; a
            repeated id names both places), or an unreadable file, with the file and line in
            the message and what to do about it.

    Example:
        >>> import io
        >>> reader = PageReader(["-"], stdin=io.BytesIO(b'{"id": "a", "text": "Hi"}\\n'))
        >>> [(page.id, page.text, page.line) for page in reader]
        [('a', 'Hi', 1)]
    """

    def __init__(
        self, inputs: Iterable[str], *, skip_bad: bool = False, stdin: IO[bytes] | None = None
    ) -> None:
        self.inputs = list(inputs)
        self.skip_bad = skip_bad
        self.stdin = stdin
        self.skipped = 0
        """How many bad lines the latest pass skipped (only with ``skip_bad``)."""
        self.first_skipped: list[InputError] = []
        """The errors of the first few lines skipped in the latest pass."""

    def __iter__(self) -> Iterator[Page]:
        self.skipped = 0
        self.first_skipped = []
        seen: dict[str, tuple[str, int]] = {}  # page id -> where it first appeared
        for page in self._pages():
            first = seen.get(page.id)
            if first is None:
                seen[page.id] = (page.source, page.line)
                yield page
                continue
            error = InputError(
                f"id {page.id!r} was already given to the page at {first[0]}:{first[1]}"
                f"{_DUPLICATE_TAIL}",
                source=page.source,
                line=page.line,
            )
            if not self.skip_bad:
                raise error
            self._skip(error)

    def _pages(self) -> Iterator[Page]:
        for path in expand_inputs(self.inputs):
            if path == STDIN:
                if self.stdin is None:
                    raise InputError("no stdin stream to read", source=STDIN_NAME)
                yield from self._jsonl(self.stdin, STDIN_NAME)
            else:
                yield from self._file(path)

    def _skip(self, error: InputError) -> None:
        self.skipped += 1
        if len(self.first_skipped) < _KEEP_SKIPPED:
            self.first_skipped.append(error)

    def skip_report(self, limit: int = 3) -> list[str]:
        """Describe the lines skipped in the latest pass: the count, then the first ``limit``."""
        count = self.skipped
        if not count:
            return []
        lines = [f"skipped {count} bad line{'s' if count != 1 else ''}"]
        for error in self.first_skipped[:limit]:
            reason = error.reason.removesuffix(_SKIP_TAIL).removesuffix(_DUPLICATE_TAIL)
            lines.append(f"  {error.source}:{error.line}: {reason}")
        if count > limit:
            lines.append(f"  ... and {count - limit} more")
        return lines

    def _file(self, path: str) -> Iterator[Page]:
        try:
            stream = _open(path)
        except OSError as exc:
            raise _unreadable(path, None, exc) from exc
        with stream:
            if _kind(path) == "text":
                yield _text_page(stream, path)
            else:
                yield from self._jsonl(stream, path)

    def _jsonl(self, stream: IO[bytes], source: str) -> Iterator[Page]:
        number = 0
        lines = iter(stream)
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
                page = parse_line(raw, source, number)
            except InputError as exc:
                if not self.skip_bad:
                    raise
                self._skip(exc)
                continue
            yield page


def _open(path: str) -> IO[bytes]:
    if path.lower().endswith(".gz"):
        return cast("IO[bytes]", gzip.open(path))  # GzipFile is a binary file, though not an IO
    return open(path, "rb")


def parse_line(raw: bytes, source: str, line: int) -> Page:
    """Parse one JSONL line into a :class:`Page`.

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
    fields = []
    # Valid UTF-8 holds no surrogate: only a JSON escape such as \\ud800 can make one, so a line
    # without "\\u" skips the scan of its text (which took twice as long as the parse).
    escaped = b"\\u" in raw
    for name in ("id", "text"):
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
    return Page(fields[0], fields[1], record, source, line)


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
