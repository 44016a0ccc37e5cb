"""Parse JSONL lines into pages, and the input errors every reader of bytes shares."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO

import orjson

from dedup.errors import InputError
from dedup.io.extract import RawHtml
from dedup.io.page import Page

__all__ = ["SKIP_HINT", "not_utf8", "parse_line", "read_lines", "unreadable"]

SKIP_HINT = "fix the line or pass --skip-bad to skip it"
# Lone surrogates can only come from JSON escapes such as "\ud800"; they cannot be encoded as
# UTF-8, so they would break hashing and every JSON writer downstream.
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_line(raw: bytes, source: str, line: int, *, html: bool = False) -> Page | RawHtml:
    """Parse one JSONL line into a :class:`Page`, or an HTML page to extract.

    A line is ``{"id", "text"}``, or ``{"id", "html"}`` for an HTML page (the only form read
    when ``html`` is true). An HTML page's record keeps its "html" key with the value None.

    Raises:
        InputError: The line is not UTF-8, not a JSON object, or lacks a string "id" or "text".
    """
    record = _fast_loads(raw)
    escaped = False
    if record is _REFUSED:
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise not_utf8(raw, exc, source, line, in_line=True) from exc
        record = _loads(decoded, source, line)
        # Valid UTF-8 holds no surrogate: only a JSON escape such as \\ud800 can make one, so
        # a line without "\\ud" or "\\uD" skips the scan of its text.
        escaped = b"\\ud" in raw or b"\\uD" in raw
    if not isinstance(record, dict):
        raise InputError(
            f'expected a JSON object with "id" and "text", got {_json_type(record)}; {SKIP_HINT}',
            source=source,
            line=line,
        )
    body = "html" if html or ("html" in record and "text" not in record) else "text"
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
        raise InputError(f"{problem}; {SKIP_HINT}", source=source, line=line)
    if body == "html":
        # The record keeps its "html" key, in its place, but not the HTML: a worker sends the
        # record back, and the page's HTML is already in RawHtml.html (and Page.html).
        record["html"] = None
        return RawHtml(fields[0], fields[1], None, record, source, line)
    return Page(fields[0], fields[1], record, source, line)


# Bytes asked of the stream at a time: iterating a file reads a 50 KB line through its 8 KB
# buffer in pieces, which took a tenth of the time of extracting the page.
_BLOCK = 1 << 20


def read_lines(stream: IO[bytes], block_size: int = _BLOCK) -> Iterator[bytes]:
    """Yield the lines of ``stream``, each with its ``\\n`` (the last one may lack it), as
    iterating a binary file does, reading blocks of up to ``block_size`` bytes.

    A pipe or stdin is read as its bytes arrive, not a block at a time.
    """
    read = getattr(stream, "read1", stream.read)
    pending: list[bytes] = []  # the start of a line that goes on past the block
    while block := read(block_size):
        start = 0
        while (end := block.find(b"\n", start)) >= 0:
            if pending:
                pending.append(block[start : end + 1])
                yield b"".join(pending)
                pending = []
            else:
                yield block[start : end + 1]
            start = end + 1
        if start < len(block):
            pending.append(block[start:] if start else block)
    if pending:
        yield b"".join(pending)


_REFUSED = object()


def _fast_loads(raw: bytes) -> object:
    """Parse ``raw`` with orjson, or return ``_REFUSED`` for the standard library to parse.

    orjson parses a 50 KB HTML line in half the time and checks what the standard library
    leaves to us: it refuses invalid UTF-8 and lone surrogates (so its records need no scan
    for them, which cost as much as the parse). But it reads integers beyond 64 bits as
    floats, so a record holding any float is parsed again by the standard library, which
    keeps such integers exact in the fields that clean passes through; and every line orjson
    refuses is parsed again too, so a bad line's message is the standard library's.
    """
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _REFUSED
    try:
        return _REFUSED if _holds_float(record) else record
    except RecursionError:  # nested deeper than the standard library reads: let it say so
        return _REFUSED


def _holds_float(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_holds_float(item) for item in value.values() if not isinstance(item, str))
    if isinstance(value, list):
        return any(_holds_float(item) for item in value if not isinstance(item, str))
    return False


def _loads(decoded: str, source: str, line: int) -> object:
    try:
        return json.loads(decoded, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InputError(
            f"not valid JSON ({reason}); {SKIP_HINT}", source=source, line=line
        ) from None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def not_utf8(
    raw: bytes, exc: UnicodeDecodeError, source: str, line: int, *, in_line: bool
) -> InputError:
    """Return the error of bytes that stop being UTF-8 (``in_line``: ``raw`` is one line)."""
    column = exc.start - (0 if in_line else raw.rfind(b"\n", 0, exc.start) + 1) + 1
    bad = raw[exc.start : exc.end].hex(" ")
    hint = SKIP_HINT if in_line else "re-encode the file as UTF-8"
    return InputError(
        f"invalid UTF-8 byte(s) {bad} at byte {column} of the line; {hint}",
        source=source,
        line=line,
    )


def unreadable(source: str, line: int | None, exc: BaseException) -> InputError:
    """Return the error of an input that cannot be read (``exc`` says why)."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return InputError(
        f"cannot read ({reason}); check the path, its permissions and that a .gz is complete",
        source=source,
        line=line,
    )


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)
