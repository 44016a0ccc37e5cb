"""Tests of reading pages (dedup.io.sources, .discovery, .jsonl): every input kind, every bad
line, and pathological sizes."""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.errors import InputError
from dedup.io.discovery import expand_inputs
from dedup.io.jsonl import parse_line, read_lines
from dedup.io.page import Page
from dedup.io.sources import PageReader

WriteJsonl = Callable[..., Path]


def read(*inputs: str, stdin: bytes | None = None, skip_bad: bool = False) -> list[Page]:
    """Read every page of ``inputs``."""
    stream = io.BytesIO(stdin) if stdin is not None else None
    return list(PageReader(inputs, skip_bad=skip_bad, stdin=stream))


def test_jsonl_pages_keep_their_record_and_line(write_jsonl: WriteJsonl) -> None:
    """A JSONL page carries its id, text, whole record, source and 1-based line."""
    path = write_jsonl([{"id": "a", "text": "one", "url": "u"}, "", "   ", {"id": "b", "text": ""}])
    pages = read(str(path))
    assert pages == [
        Page("a", "one", {"id": "a", "text": "one", "url": "u"}, str(path), 1),
        Page("b", "", {"id": "b", "text": ""}, str(path), 4),
    ]


def test_txt_page_id_is_the_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A .txt file is one page whose id is the path exactly as given."""
    (tmp_path / "story.txt").write_text("Title\n\nBody\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert read("./story.txt") == [Page("./story.txt", "Title\n\nBody\n", None, "./story.txt", 1)]


def test_gzip_inputs(tmp_path: Path) -> None:
    """.jsonl.gz and .txt.gz files are decompressed while reading."""
    with gzip.open(tmp_path / "a.jsonl.gz", "wb") as stream:
        stream.write(b'{"id": "x", "text": "zipped"}\n')
    with gzip.open(tmp_path / "b.txt.gz", "wb") as stream:
        stream.write("caf\u00e9".encode())
    pages = read(str(tmp_path / "a.jsonl.gz"), str(tmp_path / "b.txt.gz"))
    assert [(page.id, page.text) for page in pages] == [
        ("x", "zipped"),
        (str(tmp_path / "b.txt.gz"), "caf\u00e9"),
    ]


def test_directory_is_walked_in_sorted_order(tmp_path: Path) -> None:
    """A directory yields every .jsonl/.txt(.gz) below it, sorted, and ignores other files."""
    for name in ["b.txt", "a/z.txt", "a/b/c.txt", "c.jsonl", "notes.md", "a.txt"]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".jsonl"):
            path.write_text('{"id": "j", "text": "t"}\n', encoding="utf-8")
        else:
            path.write_text(name, encoding="utf-8")
    found = [os.path.relpath(path, tmp_path) for path in expand_inputs([str(tmp_path)])]
    assert found == ["a/b/c.txt", "a/z.txt", "a.txt", "b.txt", "c.jsonl"]


def test_empty_directory_and_empty_file_give_no_pages(tmp_path: Path) -> None:
    """An empty file and empty stdin give no pages; a directory without page files is an
    error that says what was looked for."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty.jsonl").write_bytes(b"")
    assert read(str(tmp_path / "empty.jsonl"), "-", stdin=b"") == []
    with pytest.raises(InputError, match=r"looked for \.jsonl or \.txt files"):
        read(str(tmp_path / "empty"))


def test_stdin_is_jsonl_and_read_once() -> None:
    """ "-" reads JSONL from stdin, named <stdin> in messages, and may be given only once."""
    pages = read("-", stdin=b'{"id": "s", "text": "from stdin"}\n')
    assert [(page.id, page.source) for page in pages] == [("s", "<stdin>")]
    with pytest.raises(InputError, match="only once"):
        read("-", "-", stdin=b"")


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    """A UTF-8 byte order mark at the start of a file is not part of the first page."""
    (tmp_path / "bom.jsonl").write_bytes(b'\xef\xbb\xbf{"id": "a", "text": "t"}\n')
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfhello")
    pages = read(str(tmp_path / "bom.jsonl"), str(tmp_path / "bom.txt"))
    assert [page.text for page in pages] == ["t", "hello"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"id": "a", "text": 3}', '"text" must be a string, got int'),
        (b'{"id": 7, "text": "t"}', '"id" must be a string, got int'),
        (b'{"text": "t"}', 'missing "id"'),
        (b'{"id": "a"}', 'missing "text"'),
        (b'{"id": "a", "text": null}', '"text" must be a string, got null'),
        (b'["a", "t"]', "expected a JSON object"),
        (b'{"id": "a", "text": "t"', "not valid JSON"),
        (b'{"id": "a", "text": NaN}', "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b'{"id": "a", "text": "caf\xe9"}', "invalid UTF-8 byte(s) e9 at byte 25"),
        (b'{"id": "a", "text": "x\\ud800"}', "lone surrogate (U+D800) at character 1"),
    ],
)
def test_bad_line_names_file_line_and_remedy(
    write_jsonl: WriteJsonl, line: bytes, message: str
) -> None:
    """Each kind of bad line raises InputError with FILE:LINE, what is wrong and what to do."""
    path = write_jsonl([{"id": "ok", "text": "fine"}, b"", line], name="crawl.jsonl")
    with pytest.raises(InputError) as caught:
        read(str(path))
    assert str(caught.value).startswith(f"{path}:3: ")
    assert message in str(caught.value)
    assert str(caught.value).endswith("fix the line or pass --skip-bad to skip it")
    assert (caught.value.source, caught.value.line) == (str(path), 3)


def test_error_message_reads_as_documented() -> None:
    """The message for a non-string text is exactly the documented one."""
    with pytest.raises(InputError) as caught:
        parse_line(b'{"id": "a", "text": 1}', "crawl.jsonl", 3)
    assert str(caught.value) == (
        'crawl.jsonl:3: "text" must be a string, got int; fix the line or pass --skip-bad to '
        "skip it"
    )


def test_skip_bad_skips_counts_and_reports(write_jsonl: WriteJsonl) -> None:
    """With skip_bad, bad lines are skipped and counted, and the good ones still come through."""
    path = write_jsonl(
        [b"{oops", {"id": "a", "text": "t"}, b'{"id": 1, "text": "t"}', b"\xff\xfe", "[]", "7"]
    )
    reader = PageReader([str(path)], skip_bad=True)
    assert [page.id for page in reader] == ["a"]
    assert reader.skipped == 5
    assert [error.line for error in reader.first_skipped] == [1, 3, 4, 5, 6]
    report = reader.skip_report(limit=2)
    assert report[0] == "skipped 5 bad lines"
    assert report[1].startswith(f"  {path}:1: not valid JSON")
    assert "--skip-bad" not in "".join(report)
    assert report[-1] == "  ... and 3 more"
    assert [page.id for page in reader] == ["a"]  # a second pass counts afresh
    assert reader.skipped == 5


def test_large_integers_and_surrogates_in_other_fields_are_kept(write_jsonl: WriteJsonl) -> None:
    """Fields other than id and text keep exact big integers and escaped lone surrogates."""
    path = write_jsonl([b'{"id": "a", "text": "t", "n": 123456789012345678901234567890}'])
    path2 = write_jsonl([b'{"id": "b", "text": "t", "title": "\\udc80"}'], name="b.jsonl")
    pages = read(str(path), str(path2))
    assert pages[0].record is not None
    assert pages[0].record["n"] == 123456789012345678901234567890
    assert pages[1].record is not None
    assert pages[1].record["title"] == "\udc80"


def test_missing_file_and_unsupported_name_are_fatal(tmp_path: Path) -> None:
    """A missing input or one that is neither .jsonl nor .txt is an error before any page."""
    with pytest.raises(InputError, match="no such file or directory"):
        expand_inputs([str(tmp_path / "nope.jsonl")])
    (tmp_path / "page.pdf").write_text("<p>hi</p>", encoding="utf-8")
    with pytest.raises(InputError, match=r"page\.pdf: unsupported input"):
        expand_inputs([str(tmp_path / "page.pdf")])


def test_truncated_gzip_is_unreadable_even_with_skip_bad(tmp_path: Path) -> None:
    """A corrupt .gz file is fatal, with the line where reading broke, even with skip_bad."""
    data = gzip.compress(b'{"id": "a", "text": "t"}\n' * 10_000)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.jsonl\.gz:\d+: cannot read"):
        read(str(path), skip_bad=True)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a file whatever its mode")
def test_unreadable_file(tmp_path: Path) -> None:
    """A file without read permission is fatal with its path in the message."""
    path = tmp_path / "locked.jsonl"
    path.write_text('{"id": "a", "text": "t"}\n', encoding="utf-8")
    path.chmod(0)
    with pytest.raises(InputError, match=r"locked\.jsonl: cannot read"):
        read(str(path))


def test_txt_with_invalid_utf8_reports_its_line(tmp_path: Path) -> None:
    """A .txt page with non-UTF-8 bytes names the line and the byte within it."""
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"Title\n\nCaf\xe9 au lait\n")
    with pytest.raises(InputError) as caught:
        read(str(path))
    assert str(caught.value).startswith(f"{path}:3: invalid UTF-8 byte(s) e9 at byte 4")
    assert "re-encode the file as UTF-8" in str(caught.value)


def test_skip_bad_skips_a_txt_that_is_not_utf8(tmp_path: Path) -> None:
    """Under skip_bad a .txt file that is not UTF-8 is one bad page, skipped and counted, as
    the Spark engine skips it; the other files are read."""
    (tmp_path / "a.txt").write_bytes(b"Caf\xe9 au lait\n")
    (tmp_path / "b.txt").write_text("fine\n", encoding="utf-8")
    reader = PageReader([str(tmp_path)], skip_bad=True)
    assert [page.text for page in reader] == ["fine\n"]
    assert reader.skipped == 1
    assert "a.txt:1: invalid UTF-8" in str(reader.first_skipped[0])


@pytest.mark.timeout(60)
def test_ten_megabyte_line_reads_in_linear_time(write_jsonl: WriteJsonl) -> None:
    """A single 10 MB JSONL line is read whole and quickly."""
    text = "lorem ipsum dolor sit amet " * 400_000
    path = write_jsonl([{"id": "big", "text": text}])
    pages = read(str(path))
    assert pages[0].text == text


@given(st.binary(max_size=200), st.integers(1, 16))
def test_read_lines_splits_as_iterating_a_file_does(data: bytes, block_size: int) -> None:
    """Reading lines in blocks gives the lines iterating the binary stream gives, whatever the
    block size (lines longer than a block, a last line without a newline, blank lines)."""
    data = data.replace(b"\x00", b"\n")  # many more line breaks than random bytes hold
    assert list(read_lines(io.BytesIO(data), block_size)) == list(io.BytesIO(data))


def test_big_integers_and_surrogates_on_html_lines(write_jsonl: WriteJsonl) -> None:
    """An HTML line (read in a worker's way: parsed where it is extracted) keeps an integer
    beyond 64 bits exact and refuses a lone surrogate in its "html" like a text line."""
    path = write_jsonl(
        [
            b'{"id": "a", "html": "<p>x</p>", "n": 123456789012345678901234567890}',
            b'{"id": "b", "html": "<p>\\ud800</p>"}',
        ]
    )
    reader = PageReader([str(path)], skip_bad=True)
    pages = list(reader)
    assert [page.id for page in pages] == ["a"]
    assert pages[0].record is not None
    assert pages[0].record["n"] == 123456789012345678901234567890
    assert pages[0].paths == ("body > p",)
    assert reader.skipped == 1
    assert "lone surrogate (U+D800)" in reader.first_skipped[0].reason
    assert reader.first_skipped[0].line == 2
