"""Decode HTML bytes: the charset of a BOM, then the HTTP header, then <meta>, then UTF-8."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["Decoded", "charset_of", "decode_html"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# The WHATWG prescan looks at the first 1024 bytes for <meta charset=...> or
# <meta http-equiv="Content-Type" content="...; charset=...">.
_PRESCAN = 1024
_META = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.-]+)", re.IGNORECASE)
_HEADER = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.-]+)", re.IGNORECASE)
# The Encoding Standard maps these labels to windows-1252, a superset that browsers use.
_AS_1252 = frozenset({"latin1", "iso8859-1", "ascii", "cp1252"})
# An error handler that counts the bytes it replaces (in this process; read around a decode).
_ERRORS = "dedup-count"
_replaced = [0]


def _count(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _replaced[0] += exc.end - exc.start
    return ("\ufffd", exc.end)


codecs.register_error(_ERRORS, _count)


@dataclass(frozen=True, slots=True)
class Decoded:
    """HTML decoded to text.

    Attributes:
        text: The decoded text, BOM removed.
        charset: The Python codec name used.
        replaced: How many undecodable bytes were replaced by U+FFFD.
    """

    text: str
    charset: str
    replaced: int


def charset_of(label: str | bytes | None) -> str | None:
    """Return the Python codec of a charset label, or None if it names no known codec."""
    if label is None:
        return None
    name = label.decode("ascii", "replace") if isinstance(label, bytes) else label
    try:
        codec = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    if codec in _AS_1252:
        return "cp1252"
    if codec.startswith(("utf-16", "utf-32")):
        # Bytes that reached a <meta> prescan are ASCII-compatible whatever the label claims
        # (the Encoding Standard overrides it the same way); a real UTF-16 page has a BOM.
        return "utf-8"
    return codec


def decode_html(raw: bytes, content_type: str | None = None) -> Decoded:
    """Decode ``raw`` HTML; undecodable bytes are replaced, never fatal, and counted.

    The charset comes from a byte order mark, then the ``charset`` of the HTTP
    ``content_type`` (a WARC record's), then a ``<meta>`` in the first 1024 bytes, then
    UTF-8: the order of the WHATWG encoding sniffing algorithm, less its guessing.

    Example:
        >>> decode_html(b"<meta charset=latin1><p>caf\\xe9")
        Decoded(text='<meta charset=latin1><p>café', charset='cp1252', replaced=0)
        >>> decode_html(b"<p>caf\\xe9").replaced
        1
    """
    charset = None
    for bom, name in _BOMS:
        if raw.startswith(bom):
            raw, charset = raw[len(bom) :], name
            break
    if charset is None and content_type is not None:
        found = _HEADER.search(content_type)
        charset = charset_of(found.group(1)) if found else None
    if charset is None:
        found_meta = _META.search(raw, 0, _PRESCAN)
        charset = charset_of(found_meta.group(1)) if found_meta else None
    charset = charset or "utf-8"
    try:
        return Decoded(raw.decode(charset), charset, 0)
    except UnicodeDecodeError:
        before = _replaced[0]
        text = raw.decode(charset, _ERRORS)
        return Decoded(text, charset, _replaced[0] - before)
