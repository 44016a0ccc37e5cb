"""Parse JSONL lines into pages, and the input errors every reader of bytes shares."""

from __future__ import annotations

import json
import re

from dedup.errors import InputError
from dedup.io.extract import RawHtml
from dedup.io.page import Page

__all__ = ["SKIP_HINT", "not_utf8", "parse_line", "unreadable"]

SKIP_HINT = "fix the line or pass --skip-bad to skip it"
# Lone surrogates can only come from JSON escapes such as "\ud800"; they cannot be encoded as
# UTF-8, so they would break hashing and every JSON writer downstream.
_SURROGATE = re.compile("[\ud800-\udfff]")


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
        raise not_utf8(raw, exc, source, line, in_line=True) from exc
    record = _loads(decoded, source, line)
    if not isinstance(record, dict):
        raise InputError(
            f'expected a JSON object with "id" and "text", got {_json_type(record)}; {SKIP_HINT}',
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
        raise InputError(f"{problem}; {SKIP_HINT}", source=source, line=line)
    if body == "html":
        return RawHtml(fields[0], fields[1], None, record, source, line)
    return Page(fields[0], fields[1], record, source, line)


def _loads(decoded: str, source: str, line: int) -> object:
    # The standard library rather than orjson: it is barely slower on text-heavy lines, and it
    # keeps integers beyond 64 bits exact in the fields that clean passes through.
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
