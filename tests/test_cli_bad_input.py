"""Tests of the dedup command line on bad input: file and line in errors, --skip-bad, bounded
time on pathological pages, atomic outputs and exit code 2."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dedup.cli import main
from dedup.errors import DedupError
from dedup.io.output import assignment_lines, atomic_output, dumps

WriteJsonl = Callable[..., Path]


def lines(path: Path) -> list[dict[str, Any]]:
    """Parse a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def feed_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """Make ``data`` the process's stdin for the duration of the test."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


BAD_LINES = [
    pytest.param(b'{"id": "a", "text": "t"', "not valid JSON", id="malformed"),
    pytest.param(b'{"text": "t"}', 'missing "id"', id="missing-id"),
    pytest.param(b'{"id": 5, "text": "t"}', '"id" must be a string, got int', id="id-not-string"),
    pytest.param(b'{"id": "a"}', 'missing "text"', id="missing-text"),
    pytest.param(b'{"id": "a", "text": 1}', '"text" must be a string, got int', id="text-int"),
    pytest.param(b'{"id": "a", "text": "\xff"}', "invalid UTF-8 byte(s) ff", id="not-utf8"),
    pytest.param(b'"just a string"', "expected a JSON object", id="not-object"),
]


@pytest.mark.parametrize("command", ["cluster", "clean"])
@pytest.mark.parametrize(("bad", "message"), BAD_LINES)
def test_bad_line_exits_2_with_file_and_line(
    write_jsonl: WriteJsonl,
    capsys: pytest.CaptureFixture[str],
    command: str,
    bad: bytes,
    message: str,
) -> None:
    """Every bad JSONL line stops the run with exit 2 and FILE:LINE: what and what to do."""
    path = write_jsonl([{"id": "ok", "text": "Fine"}, bad, {"id": "ok2", "text": "Fine"}])
    out = path.parent / "out.jsonl"
    assert main([command, str(path), "-o", str(out), "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"dedup: {path}:2: ")
    assert message in err
    assert err.rstrip().endswith("fix the line or pass --skip-bad to skip it")
    assert err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize("command", ["cluster", "clean"])
def test_skip_bad_goes_on_and_reports_the_count(
    write_jsonl: WriteJsonl, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """--skip-bad skips every bad line, writes the good pages and says how many it skipped."""
    bad = [param.values[0] for param in BAD_LINES]
    path = write_jsonl([*bad, {"id": "good", "text": "Kept\n\nKept"}], name="crawl.jsonl")
    out = tmp_path / "out.jsonl"
    argv = [command, str(path), "-o", str(out), "--skip-bad", "-q", "--jobs", "1"]
    assert main(argv) == 0
    first = lines(out)[0]
    assert first.get("doc", first.get("id")) == "good"
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"dedup: warning: skipped {len(bad)} bad lines"
    assert err[1].startswith(f"dedup:   {path}:1: not valid JSON")


def test_unreadable_and_missing_inputs_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing file or a corrupt .gz stops the run with exit 2, even with --skip-bad."""
    out = tmp_path / "out.jsonl"
    assert main(["cluster", str(tmp_path / "gone.jsonl"), "-o", str(out), "--skip-bad"]) == 2
    assert f"dedup: {tmp_path / 'gone.jsonl'}: no such file" in capsys.readouterr().err
    corrupt = tmp_path / "bad.jsonl.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00garbage")
    assert main(["cluster", str(corrupt), "-o", str(out), "--skip-bad"]) == 2
    assert f"dedup: {corrupt}:1: cannot read" in capsys.readouterr().err
    assert not out.exists()


def test_failed_run_leaves_outputs_untouched(
    write_jsonl: WriteJsonl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run failing while writing keeps the previous outputs and leaves no temporary file."""
    path = write_jsonl([{"id": "a", "text": "x\n\nx"}, {"id": "b", "text": "x"}])
    out, groups = tmp_path / "out" / "p.jsonl", tmp_path / "out" / "c.jsonl"
    out.parent.mkdir()
    out.write_text("previous\n", encoding="utf-8")

    def explode(result: object, paths: object = None) -> Iterator[bytes]:
        yield b'{"doc":"a","para":0,'
        raise DedupError("disk on fire")

    monkeypatch.setattr("dedup.io.output.assignment_lines", explode)
    assert main(["cluster", str(path), "-o", str(out), "--clusters", str(groups)]) == 2
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["p.jsonl"]


def test_bad_line_in_stdin_for_clean(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad stdin line is reported as <stdin>:LINE."""
    feed_stdin(monkeypatch, b'{"id": "a", "text": "t"}\n{"id": "b"}\n')
    assert main(["clean", "-", "-o", str(tmp_path / "o.jsonl")]) == 2
    assert capsys.readouterr().err.startswith('dedup: <stdin>:2: missing "text"')


@pytest.mark.timeout(120)
def test_ten_megabyte_paragraph_in_bounded_time(write_jsonl: WriteJsonl, tmp_path: Path) -> None:
    """A single 10 MB paragraph is clustered in bounded time."""
    words = " ".join(f"w{index}" for index in range(1_500_000))[: 10 * 2**20]
    path = write_jsonl([{"id": "big", "text": words}, {"id": "big2", "text": words}])
    out, groups = tmp_path / "p.jsonl", tmp_path / "c.jsonl"
    assert (
        main(["cluster", str(path), "-o", str(out), "--clusters", str(groups), "--jobs", "1"]) == 0
    )
    assert [c["docs"] for c in lines(groups)] == [2]


@pytest.mark.timeout(300)
def test_page_of_100k_paragraphs_in_bounded_time(write_jsonl: WriteJsonl, tmp_path: Path) -> None:
    """A page of 100,000 short paragraphs is clustered and cleaned in bounded time."""
    text = "\n\n".join(f"Item number {index % 50_000} of the list" for index in range(100_000))
    path = write_jsonl([{"id": "long", "text": text}])
    out = tmp_path / "p.jsonl"
    assert main(["cluster", str(path), "-o", str(out), "--jobs", "1"]) == 0
    assert main(["clean", str(path), "-o", str(tmp_path / "c.jsonl"), "--jobs", "1"]) == 0
    assigned = lines(out)
    assert len(assigned) == 100_000
    # The lines differ by a number only: title-like lines that close are one template line,
    # so the cleaned page keeps one paragraph per cluster (and each unique line).
    kept = {row["cluster"] for row in assigned if row["cluster"] is not None}
    kept_unique = sum(row["cluster"] is None for row in assigned)
    (cleaned,) = lines(tmp_path / "c.jsonl")
    assert cleaned["text"].count("\n\n") == len(kept) + kept_unique - 1


@pytest.mark.timeout(120)
def test_strange_characters_survive(write_jsonl: WriteJsonl, tmp_path: Path) -> None:
    """Zero-width, right-to-left, combining and NUL characters are clustered and written back."""
    weird = (
        "\u200b\u200c\u200d\ufeff \u202e\u05e9\u05dc\u05d5\u05dd\u202c e\u0301\u0301\u0301 \x00\x00"
    )
    pages = [
        {"id": "w1", "text": f"{weird}\n\n{weird * 1000}\n\n\x00"},
        {"id": "w2", "text": f"{weird}\n\n\u200b" * 3},
        {"id": "\x00\u202e", "text": "\u0301" * 100_000},
    ]
    path = write_jsonl(pages)
    out, cleaned = tmp_path / "p.jsonl", tmp_path / "c.jsonl"
    assert main(["cluster", str(path), "-o", str(out), "--jobs", "1"]) == 0
    assert main(["clean", str(path), "-o", str(cleaned), "--jobs", "1"]) == 0
    assert {row["doc"] for row in lines(out)} == {"w1", "w2", "\x00\u202e"}
    assert [row["id"] for row in lines(cleaned)] == ["w1", "w2", "\x00\u202e"]


def test_atomic_output_leaves_nothing_on_failure(tmp_path: Path) -> None:
    """An exception inside atomic_output keeps the old file and removes the temporary one."""
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"old\n")

    def write_half() -> None:
        with atomic_output(str(target)) as stream:
            stream.write(b"half")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_half()
    assert target.read_bytes() == b"old\n"
    assert [path.name for path in tmp_path.iterdir()] == ["out.jsonl"]


def test_atomic_output_keeps_the_usual_file_mode(tmp_path: Path) -> None:
    """A new output gets the mode open() would give it, and a replaced one keeps its mode."""
    fresh, existing = tmp_path / "fresh.jsonl", tmp_path / "existing.jsonl"
    existing.write_bytes(b"")
    existing.chmod(0o640)
    for target in (fresh, existing):
        with atomic_output(str(target)) as stream:
            stream.write(b"{}\n")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask
    assert existing.stat().st_mode & 0o777 == 0o640


def test_output_into_a_missing_directory_exits_2(
    corpus_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An output path whose directory does not exist is an error with exit 2, not a traceback."""
    out = tmp_path / "missing" / "p.jsonl"
    assert main(["cluster", str(corpus_file), "-o", str(out), "--jobs", "1"]) == 2
    assert capsys.readouterr().err.startswith(f"dedup: {out}: cannot write")


def test_assignment_lines_match_one_dict_per_paragraph(write_jsonl: WriteJsonl) -> None:
    """The fast paragraph lines equal orjson dumps of one dict per paragraph."""
    from dedup import cluster

    pages = [
        ('caf\u00e9 "quoted" \\ id', "Shared blurb\n\nOwn text\n\n\u200bShared blurb"),
        ("", ""),
        ("x", "Shared blurb"),
        ("y", "\x00 nul page"),
    ]
    result = cluster(pages, jobs=1)
    expected = b"".join(
        dumps({"doc": a.doc, "para": a.para, "cluster": a.cluster, "size": a.size})
        for a in result.paragraphs
    )
    assert b"".join(assignment_lines(result)) == expected


def test_permission_denied_exits_2(
    corpus_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file the process may not read stops the run with exit 2 and the reason (even as root)."""
    from dedup.io import sources

    def denied(path: str) -> object:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(sources, "_open", denied)
    assert main(["cluster", str(corpus_file), "-o", "-", "--skip-bad"]) == 2
    assert capsys.readouterr().err == (
        f"dedup: {corpus_file}: cannot read (Permission denied); check the path, its "
        "permissions and that a .gz is complete\n"
    )
