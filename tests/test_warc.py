"""Tests of WARC input: record selection, encodings, and every malformed case through the CLI."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastwarc", reason="the html extra is not installed")

from dedup.cli import main
from dedup.io.sources import PageReader

HTML = [("Content-Type", "text/html; charset=utf-8")]
BLURB = "Sign up to our daily digest before it is too late so you miss nothing."


def record(
    uri: str,
    body: bytes,
    headers: list[tuple[str, str]] = HTML,
    *,
    kind: str = "response",
    status: str = "200 OK",
    length_error: int = 0,
) -> bytes:
    """One WARC record with an HTTP message; ``length_error`` skews its Content-Length."""
    http = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    block = http.encode() + body
    head = (
        f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\n"
        f"WARC-Record-ID: <urn:uuid:{abs(hash(uri))}>\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
        f"Content-Type: application/http; msgtype={kind}\r\n"
        f"Content-Length: {len(block) + length_error}\r\n\r\n"
    )
    return head.encode() + block + b"\r\n\r\n"


def page(n: int) -> bytes:
    """A small HTML page: a unique paragraph and the shared blurb."""
    return f"<html><body><p>Story number {n} is its own.</p><p>{BLURB}</p></body></html>".encode()


GOOD = [record(f"https://ex.org/{n}", page(n)) for n in range(4)]


def members(records: list[bytes]) -> bytes:
    """The records as a .warc.gz: one gzip member each."""
    return b"".join(gzip.compress(r) for r in records)


def run(tmp_path: Path, name: str, data: bytes, *flags: str) -> tuple[int, list[dict[str, Any]]]:
    """Write ``data`` to ``name``, run dedup cluster on it, return the code and the lines."""
    path = tmp_path / name
    path.write_bytes(data)
    out = tmp_path / "out.jsonl"
    out.unlink(missing_ok=True)
    code = main(["cluster", str(path), "-o", str(out), "-q", "--jobs", "1", *flags])
    found = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    return code, found


def test_responses_are_pages_and_other_records_are_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only 200 HTML responses are pages, with their target URI as id; the rest is counted."""
    data = b"".join(
        [
            record("https://ex.org/0", b"", [("Host", "ex.org")], kind="request"),
            GOOD[0],
            record("https://ex.org/0", b"", kind="revisit"),
            record("https://ex.org/m", b"{}", kind="metadata"),
            record("https://ex.org/404", page(9), status="404 Not Found"),
            record("https://ex.org/j", b"{}", [("Content-Type", "application/json")]),
            GOOD[1],
        ]
    )
    code, found = run(tmp_path, "crawl.warc", data)
    assert code == 0
    assert [(line["doc"], line["para"]) for line in found] == [
        ("https://ex.org/0", 0),
        ("https://ex.org/0", 1),
        ("https://ex.org/1", 0),
        ("https://ex.org/1", 1),
    ]
    assert found[1]["cluster"] == found[3]["cluster"] is not None
    assert found[1]["path"] == "body > p:nth-of-type(2)"
    err = capsys.readouterr().err
    assert (
        "WARC records left out: 1 metadata, 1 not HTML, 1 request, 1 revisit, 1 status 404" in err
    )


def test_transfer_and_content_encodings_are_undone(tmp_path: Path) -> None:
    """Chunked, gzip and deflate bodies are decoded; a stale "chunked" header reads as is."""
    body = page(7)
    chunked = b"%x\r\n%b\r\n0\r\n\r\n" % (len(body), body)
    deflated = zlib.compress(body)
    data = b"".join(
        [
            record("u:chunked", chunked, [*HTML, ("Transfer-Encoding", "chunked")]),
            record("u:stale", body, [*HTML, ("Transfer-Encoding", "chunked")]),
            record("u:gzip", gzip.compress(body), [*HTML, ("Content-Encoding", "gzip")]),
            record("u:deflate", deflated, [*HTML, ("Content-Encoding", "deflate")]),
        ]
    )
    path = tmp_path / "enc.warc"
    path.write_bytes(data)
    pages = list(PageReader([str(path)]))
    assert [p.id for p in pages] == ["u:chunked", "u:stale", "u:gzip", "u:deflate"]
    assert {p.text for p in pages} == {f"Story number 7 is its own.\n\n{BLURB}"}


def test_binary_response_is_refused_with_its_offset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A response labelled HTML whose body is binary names the file and the record's offset."""
    binary = record("https://ex.org/logo", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    code, _ = run(tmp_path, "bin.warc", GOOD[0] + binary + GOOD[1])
    assert code == 2
    err = capsys.readouterr().err
    assert f"bin.warc: byte {len(GOOD[0])}: binary data (NUL bytes), not HTML" in err
    code, found = run(tmp_path, "bin.warc", GOOD[0] + binary + GOOD[1], "--skip-bad")
    assert code == 0
    assert {line["doc"] for line in found} == {"https://ex.org/0", "https://ex.org/1"}


def test_a_truncated_record_left_out_is_still_caught(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A non-HTML record cut short is a truncated record, not a record quietly left out."""
    image = record("https://ex.org/big.png", b"\x89PNG" * 5000, [("Content-Type", "image/png")])
    code, _ = run(tmp_path, "img.warc", GOOD[0] + image[:-3000])
    assert code == 2
    assert f"img.warc: byte {len(GOOD[0])}: record cut short" in capsys.readouterr().err


def test_charset_of_the_http_header(tmp_path: Path) -> None:
    """The charset of the HTTP Content-Type decodes the page."""
    latin = "<p>Café crème</p>".encode("latin-1")
    data = record("u:latin", latin, [("Content-Type", "text/html; charset=ISO-8859-1")])
    path = tmp_path / "latin.warc.gz"
    path.write_bytes(members([data]))
    assert [p.text for p in PageReader([str(path)])] == ["Café crème"]


def test_zstd_warc(tmp_path: Path) -> None:
    """A .warc.zst is read like the others."""
    import fastwarc

    path = tmp_path / "crawl.warc.zst"
    writer = fastwarc.ZstdWriter(str(path))
    for data in GOOD:
        writer.write(data)
    writer.close()
    assert [p.id for p in PageReader([str(path)])] == [f"https://ex.org/{n}" for n in range(4)]


GARBAGE = b"this line is not a WARC record\r\n"
BAD = [
    pytest.param(
        (
            "crawl.warc",
            GOOD[0] + GOOD[1] + GARBAGE + GOOD[2] + GOOD[3],
            len(GOOD[0] + GOOD[1]),
            "malformed",
        ),
        id="garbage-between-records",
    ),
    pytest.param(
        (
            "crawl.warc.gz",
            members(GOOD[:2]) + GARBAGE + members(GOOD[2:]),
            len(members(GOOD[:2])),
            "malformed",
        ),
        id="garbage-between-gzip-members",
    ),
    pytest.param(
        (
            "crawl.warc.gz",
            members(GOOD)[:-25],
            len(members(GOOD[:3])),
            "truncated",
        ),
        id="truncated-gzip-member",
    ),
    pytest.param(
        (
            "crawl.warc",
            b"".join(GOOD)[:-30],
            len(b"".join(GOOD[:3])),
            "truncated",
        ),
        id="truncated-record",
    ),
    pytest.param(
        (
            "crawl.warc",
            GOOD[0] + record("https://ex.org/long", page(5), length_error=40) + GOOD[2] + GOOD[3],
            len(GOOD[0]),
            "wrong length",
        ),
        id="content-length-too-long",
    ),
    pytest.param(
        (
            "crawl.warc.gz",
            members([GOOD[0], record("https://ex.org/short", page(5), length_error=-9), *GOOD[2:]]),
            len(members(GOOD[:1])),
            "wrong length",
        ),
        id="content-length-too-short",
    ),
]


@pytest.mark.parametrize("case", BAD)
def test_malformed_warc_names_file_and_offset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: tuple[str, bytes, int, str]
) -> None:
    """Each malformed case stops with FILE: byte N and exit 2, and writes no output."""
    name, data, offset, _ = case
    code, found = run(tmp_path, name, data)
    assert code == 2
    assert found == []
    err = capsys.readouterr().err
    assert err.startswith(f"dedup: {tmp_path / name}: byte {offset}: ")
    assert "--skip-bad" in err


@pytest.mark.parametrize("case", BAD)
def test_skip_bad_goes_on_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: tuple[str, bytes, int, str]
) -> None:
    """With --skip-bad the good records are read, the bad one is never kept (even in part),
    and stderr says how many records were skipped and why."""
    name, data, offset, reason = case
    code, found = run(tmp_path, name, data, "--skip-bad")
    assert code == 0
    docs = {line["doc"] for line in found}
    assert docs <= {f"https://ex.org/{n}" for n in range(4)}
    assert "https://ex.org/0" in docs
    assert len(docs) >= 2
    for line in found:
        assert line["para"] in (0, 1)
    if reason == "truncated":  # the record cut short is the last one: it is not kept
        assert "https://ex.org/3" not in docs
    else:  # the records after the bad one are found again
        assert "https://ex.org/3" in docs
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"dedup: warning: skipped 1 bad WARC record (1 {reason})"
    assert err[1].startswith(f"dedup:   {tmp_path / name}: byte {offset}: ")
