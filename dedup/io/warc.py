"""Read the HTML responses of a WARC file (.warc, .warc.gz, .warc.zst) as pages.

FastWARC frames the records: a compiled reader (warcio is pure Python) that reads .warc.zst,
which warcio cannot. warcio undoes the transfer and content encodings of a payload: its
chunked reader reads a body whose headers still claim ``chunked`` after the crawler removed
the chunking as it is, where FastWARC's decoder refuses it.
"""

from __future__ import annotations

import io
import os
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from dedup.errors import InputError

if TYPE_CHECKING:
    from fastwarc.warc import WarcRecord

__all__ = ["WARC_SUFFIXES", "WarcPage", "WarcStats", "read_warc"]

WARC_SUFFIXES = (".warc", ".warc.gz", ".warc.zst")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SKIP_HINT = "pass --skip-bad to skip the bad records"
# Where a record can start, by compression: a WARC version line, a gzip or a zstd member.
_MAGIC = {"plain": b"WARC/1.", "gz": b"\x1f\x8b\x08", "zst": b"\x28\xb5\x2f\xfd"}
_HEAD_PROBE = 1 << 16  # bytes read to find the end of a record's WARC headers
_DECODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate", "br": "br"}


@dataclass(frozen=True, slots=True)
class WarcPage:
    """One HTML response of a WARC file.

    Attributes:
        id: The record's WARC-Target-URI.
        html: The payload, transfer and content encodings undone.
        content_type: The HTTP Content-Type header (for its charset).
        offset: The byte offset of the record in the file.
    """

    id: str
    html: bytes
    content_type: str | None
    offset: int


@dataclass(slots=True)
class WarcStats:
    """What a pass over WARC files kept and skipped.

    Attributes:
        skipped: Records skipped by design, by reason ("request", "revisit", "metadata",
            "status 404", "not HTML", ...).
        bad: Malformed records skipped under ``skip_bad``, by reason.
        first_bad: The messages of the first few bad records.
    """

    skipped: Counter[str] = field(default_factory=Counter)
    bad: Counter[str] = field(default_factory=Counter)
    first_bad: list[str] = field(default_factory=list)

    def add_bad(self, reason: str, message: str) -> None:
        """Count one bad record."""
        self.bad[reason] += 1
        if len(self.first_bad) < 10:
            self.first_bad.append(message)


def _compression(path: str) -> str:
    lower = path.lower()
    return "gz" if lower.endswith(".gz") else "zst" if lower.endswith(".zst") else "plain"


class _BadRecordError(Exception):
    """A malformed record at ``offset``; ``resume`` is where to look for the next one."""

    def __init__(self, reason: str, detail: str, offset: int, resume: int) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.offset = offset
        self.resume = resume


def read_warc(path: str, *, skip_bad: bool, stats: WarcStats) -> Iterator[WarcPage]:
    """Yield the HTML responses with status 200 of the WARC file at ``path``, in file order.

    Revisit, request, metadata and other records, and responses that are not 200 or not HTML,
    are skipped and counted in ``stats.skipped``.

    Raises:
        InputError: A record is malformed (a truncated member, garbage between records, a
            wrong Content-Length), naming the file and byte offset; with ``skip_bad`` it is
            counted in ``stats.bad`` instead and the reading goes on at the next record.
    """
    try:
        import fastwarc  # noqa: F401, PLC0415 - an optional dependency, loaded for WARC input
        import warcio  # noqa: F401, PLC0415
    except ImportError as exc:
        raise InputError(
            f"reading WARC needs the html extra ({exc.name or 'fastwarc'} is missing); "
            "pip install 'dedup[html]'",
            source=path,
        ) from None
    kind = _compression(path)
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below, across the generator's life
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror}); check the path", source=path) from exc
    with stream:
        size = os.fstat(stream.fileno()).st_size
        start = 0
        while start < size:
            try:
                yield from _records(stream, start, kind, size, stats)
                return
            except _BadRecordError as bad:
                message = f"{path}: byte {bad.offset}: {bad.detail}"
                if not skip_bad:
                    raise InputError(
                        f"byte {bad.offset}: {bad.detail}; {_SKIP_HINT}", source=path
                    ) from None
                stats.add_bad(bad.reason, message)
                start = _next_start(stream, bad.resume, _MAGIC[kind])


def _records(
    stream: IO[bytes], base: int, kind: str, size: int, stats: WarcStats
) -> Iterator[WarcPage]:
    from fastwarc.warc import ArchiveIterator  # noqa: PLC0415 - checked by read_warc

    stream.seek(base)
    records = iter(ArchiveIterator(stream, parse_http=True, auto_decode="none"))
    held: tuple[int, WarcRecord, WarcPage | None] | None = None
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except OSError as exc:
            # The record after the one held (or the first) is malformed: check whether the
            # held one claimed a wrong length, else the bytes after it are garbage.
            end = base if held is None else _end_of(stream, held[0], held[1], kind)
            if held is not None and end is None:
                raise _BadRecordError(
                    "wrong length", "Content-Length does not match the record", held[0], held[0] + 1
                ) from exc
            if held is not None and held[2] is not None:
                yield held[2]
            offset = base if end is None else end
            detail = f"malformed WARC record ({exc})"
            raise _BadRecordError("malformed", detail, offset, offset) from exc
        offset = record.stream_pos  # FastWARC counts from the stream's start, not ours
        try:
            page = _page(record, offset, stats)
        except _BadRecordError:
            if held is not None and held[2] is not None:
                yield held[2]
            raise
        if held is not None and held[2] is not None:
            yield held[2]
        held = (offset, record, page)
    if held is None:
        return
    end = _end_of(stream, held[0], held[1], kind)
    if end is None or (kind != "zst" and end < size and stream_tail(stream, end).strip()):
        raise _BadRecordError(
            "truncated",
            "the last record is cut short or followed by stray bytes",
            held[0] if end is None else end,
            (held[0] if end is None else end) + 1,
        )
    if held[2] is not None:
        yield held[2]


def stream_tail(stream: IO[bytes], offset: int, limit: int = 64) -> bytes:
    """Return up to ``limit`` bytes of ``stream`` from ``offset``."""
    stream.seek(offset)
    return stream.read(limit)


def _page(record: WarcRecord, offset: int, stats: WarcStats) -> WarcPage | None:
    from fastwarc.warc import WarcRecordType  # noqa: PLC0415 - checked by read_warc

    rtype = record.record_type
    status = record.http_headers.status_code if record.http_headers is not None else None
    content_type = record.http_content_type or ""
    if rtype != WarcRecordType.response:
        reason = str(rtype).rsplit(".", 1)[-1]
    elif status != 200:
        reason = f"status {status}"
    elif not content_type.lower().startswith(_HTML_TYPES):
        reason = "not HTML"
    else:
        reason = None
    # A record left out is skipped without holding its body (an image or a video can be
    # large), but its length is checked all the same: a truncated one is never passed over.
    body = record.reader.read() if reason is None else b""
    got = len(body) if reason is None else record.reader.consume()
    if got < record.content_length:
        raise _BadRecordError(
            "truncated",
            f"record cut short: {got} of {record.content_length} payload bytes",
            offset,
            offset + 1,
        )
    if reason is not None:
        stats.skipped[reason] += 1
        return None
    target = record.headers.get("WARC-Target-URI") or f"{offset}"
    headers = record.http_headers
    header = headers.get("Content-Type") if headers is not None else None
    return WarcPage(target, _decode_payload(body, headers), header, offset)


def _decode_payload(body: bytes, headers: object) -> bytes:
    from warcio.bufferedreaders import (  # noqa: PLC0415 - checked by read_warc
        ChunkedDataReader,
        DecompressingBufferedReader,
    )

    get = getattr(headers, "get", None)
    transfer = (get("Transfer-Encoding") or "") if get else ""
    content = (get("Content-Encoding") or "") if get else ""
    decomp = _DECODINGS.get(content.strip().lower())
    if "chunked" in transfer.lower():
        return bytes(ChunkedDataReader(io.BytesIO(body), decomp_type=decomp).read())
    if decomp is not None:
        return bytes(DecompressingBufferedReader(io.BytesIO(body), decomp_type=decomp).read())
    return body


def _end_of(stream: IO[bytes], offset: int, record: WarcRecord, kind: str) -> int | None:
    """Return where the record at ``offset`` ends in the file, or None if its bytes do not
    match its Content-Length (for .warc.zst, where members are not checked, the offset)."""
    length = int(record.headers.get("Content-Length") or -1)
    if kind == "plain":
        stream.seek(offset)
        head = stream.read(_HEAD_PROBE)
        cut = head.find(b"\r\n\r\n")
        if cut < 0 or length < 0:
            return None
        end = offset + cut + 4 + length
        stream.seek(end)
        return end + 4 if stream.read(4) == b"\r\n\r\n" else None
    if kind == "gz":
        stream.seek(offset)
        member = zlib.decompressobj(wbits=31)
        data = bytearray()
        read = 0
        while not member.eof:
            chunk = stream.read(1 << 16)
            if not chunk:
                return None
            read += len(chunk)
            data += member.decompress(chunk)
        cut = data.find(b"\r\n\r\n")
        if cut < 0 or len(data) != cut + 4 + length + 4:
            return None
        return offset + read - len(member.unused_data)
    return offset


def _next_start(stream: IO[bytes], offset: int, magic: bytes) -> int:
    """Return the offset of the next ``magic`` at or after ``offset``, or the file's end."""
    stream.seek(offset)
    carry = b""
    position = offset
    while chunk := stream.read(1 << 20):
        window = carry + chunk
        found = window.find(magic)
        if found >= 0:
            return position - len(carry) + found
        carry = window[-(len(magic) - 1) :]
        position += len(chunk)
    return position
