"""Reading HTML pages in worker processes gives what reading them in one process gives."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from dedup.errors import InputError
from dedup.io.page import Page
from dedup.io.sources import PageReader
from dedup.io.workers import RawLine, Refused, read_line

WriteJsonl = Callable[..., Path]


def _lines(bad_from: int = 0) -> list[bytes]:
    """150 HTML lines (past the pages read before workers start) among text lines and bad
    lines (after page 9, 59 and 109, from ``bad_from`` on)."""
    lines = []
    for n in range(150):
        body = f"<title>Page {n}</title><main><p>Shared blurb.</p><p>Page {n} only é.</p></main>"
        lines.append(json.dumps({"id": f"p{n}", "html": body, "n": 2**70 + n}).encode())
        if n % 40 == 7:
            lines.append(b'{"id": "t' + str(n).encode() + b'", "text": "plain text"}')
        if n % 50 == 9 and n >= bad_from:
            lines.append(b'{"id": "bad", "html": "<p>cut')  # not JSON: a bad HTML line
        if n == 100:  # an escaped key: parsed by the reader, still an HTML page
            lines.append(b'{"id": "esc", "\\u0068tml": "<p>escaped key</p>"}')
    return lines


@pytest.mark.parametrize("keep_html", [False, True])
def test_workers_give_the_pages_of_one_process(write_jsonl: WriteJsonl, keep_html: bool) -> None:
    """jobs=2 yields the same pages (text, paths, record, line, HTML) in the same order, and
    skips and reports the same bad lines, as jobs=1."""
    path = write_jsonl(_lines())
    results = []
    for jobs in (1, 2):
        reader = PageReader([str(path)], skip_bad=True, jobs=jobs, keep_html=keep_html)
        pages = list(reader)
        results.append((pages, reader.skipped, [str(e) for e in reader.first_skipped]))
    assert results[0] == results[1]
    pages, skipped, errors = results[1]
    assert len(pages) == 150 + 4 + 1
    assert skipped == 3
    assert errors[0].startswith(f"{path}:12: not valid JSON")
    escaped = next(page for page in pages if page.id == "esc")
    assert escaped.paths == ("body > p",)
    page = pages[0]
    assert page.record is not None
    assert page.record["n"] == 2**70  # exact, beyond 64 bits
    # The HTML is not sent back inside the record, but its key keeps its place for clean.
    assert list(page.record.items())[:2] == [("id", "p0"), ("html", None)]
    assert escaped.record is not None
    assert escaped.record["html"] is None
    assert (page.html is not None) == keep_html
    assert page.paths == (
        "head > title",
        "body > main > p:nth-of-type(1)",
        "body > main > p:nth-of-type(2)",
    )


def test_a_bad_line_read_in_a_worker_names_its_file_and_line(write_jsonl: WriteJsonl) -> None:
    """Without --skip-bad, the first bad line stops the pass with its file and line number,
    after the pages before it, when a worker read it too."""
    path = write_jsonl(_lines(bad_from=100))
    read: list[str] = []
    with pytest.raises(InputError, match=r"pages\.jsonl:115: not valid JSON") as caught:
        read.extend(page.id for page in PageReader([str(path)], jobs=2))
    assert caught.value.line == 115
    assert read[-1] == "p109"
    assert len(read) == 110 + 3 + 1  # the HTML pages, 3 text pages and the escaped key


def test_read_line_keeps_the_error_fields() -> None:
    """A line's error comes back with its reason, file and line, which an exception sent
    from a worker would lose."""
    done = read_line(RawLine(b'{"id": 1, "html": "<p>x</p>"}', "in.jsonl", 4, html=False))
    assert isinstance(done, Refused)
    error = done.error()
    assert (error.source, error.line) == ("in.jsonl", 4)
    assert (
        str(error)
        == 'in.jsonl:4: "id" must be a string, got int; fix the line or pass --skip-bad to skip it'
    )


def test_workers_read_files_by_span_and_gzip_and_stdin_by_bytes(
    write_jsonl: WriteJsonl, tmp_path: Path
) -> None:
    """jobs=2 gives what jobs=1 gives, whether the workers read lines by span (a regular file,
    and a second one starting with a byte order mark) or get their bytes (.gz, stdin)."""
    first = write_jsonl(_lines())
    second = tmp_path / "marked.jsonl"
    second.write_bytes(b"\xef\xbb\xbf" + first.read_bytes().replace(b'"id": "p', b'"id": "q'))
    packed = tmp_path / "packed.jsonl.gz"
    packed.write_bytes(gzip.compress(first.read_bytes().replace(b'"id": "p', b'"id": "r')))
    stdin = first.read_bytes().replace(b'"id": "p', b'"id": "s')
    results = []
    for jobs in (1, 2):
        inputs = [str(first), str(second), str(packed), "-"]
        reader = PageReader(inputs, skip_bad=True, jobs=jobs, stdin=io.BytesIO(stdin))
        pages = list(reader)
        results.append((pages, reader.skipped, [str(e) for e in reader.first_skipped]))
    assert results[0] == results[1]
    pages = results[1][0]
    assert [page.id for page in pages if page.id[1:] == "0"] == ["p0", "q0", "r0", "s0"]
    marked = next(page for page in pages if page.id == "q0")
    assert (marked.source, marked.line) == (str(second), 1)


def test_a_line_read_by_span_names_its_file_and_line_when_it_cannot(tmp_path: Path) -> None:
    """A worker reading a line by span refuses it, with the file and line, when the file is
    gone or was cut short since the reading process saw the line."""
    path = tmp_path / "cut.jsonl"
    path.write_bytes(b'{"id": "a", "html": "<p>x</p>"}\n')
    whole = read_line(RawLine(b"", "cut.jsonl", 1, False, (str(path), 0, path.stat().st_size)))
    assert isinstance(whole, Page)
    assert whole.text == "x"
    cut = read_line(RawLine(b"", "cut.jsonl", 1, False, (str(path), 0, 100)))
    assert isinstance(cut, Refused)
    assert str(cut.error()).startswith("cut.jsonl:1: the file was cut short while it was read")
    gone = read_line(RawLine(b"", "gone.jsonl", 3, False, (str(tmp_path / "gone.jsonl"), 0, 9)))
    assert isinstance(gone, Refused)
    assert str(gone.error()).startswith("gone.jsonl:3: cannot read (No such file or directory)")
