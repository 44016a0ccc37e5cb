"""The CLI never destroys or silently misreads its input: outputs, repeated ids, empty inputs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

import dedup
from dedup.cli import main
from dedup.errors import InputError

WriteJsonl = Callable[..., Path]


@pytest.mark.parametrize(
    "case",
    [
        f"{command} {flag} {link}"
        for command, flag in [
            ("cluster", "-o"),
            ("cluster", "--clusters"),
            ("clean", "-o"),
            ("clean", "--stats"),
            ("index", "--data"),
        ]
        for link in ("same", "symlink", "hardlink")
    ],
)
def test_an_output_that_is_an_input_is_refused(
    corpus_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    """Naming an input (or a link to it) as any output exits 2 and leaves every file as it was."""
    command, flag, link = case.split()
    before = corpus_file.read_bytes()
    target = corpus_file
    if link == "symlink":
        target = tmp_path / "link.jsonl"
        target.symlink_to(corpus_file)
    elif link == "hardlink":
        target = tmp_path / "hard.jsonl"
        os.link(corpus_file, target)
    argv = {
        "cluster": ["cluster", str(corpus_file), "-o", str(tmp_path / "p.jsonl")],
        "clean": ["clean", str(corpus_file), "-o", str(tmp_path / "c.jsonl")],
        "index": ["index", "build", str(corpus_file)],
    }[command]
    if flag == "-o":
        argv[argv.index("-o") + 1] = str(target)
    else:
        argv += [flag, str(target)]
    assert main([*argv, "-q", "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert f"names the input file {corpus_file}" in err
    assert "nothing was written" in err
    assert corpus_file.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({corpus_file.name, target.name})


def test_an_output_inside_an_input_directory_is_refused(
    write_jsonl: WriteJsonl, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A directory input is expanded before the check: its files are inputs too."""
    page = write_jsonl([{"id": "a", "text": "Hello there"}])
    assert main(["cluster", str(tmp_path), "-o", str(page), "-q"]) == 2
    assert "names the input file" in capsys.readouterr().err
    assert json.loads(page.read_text(encoding="utf-8"))["id"] == "a"


def test_outputs_are_checked_by_declaration(corpus_file: Path) -> None:
    """Every command with a file output declares it, so the check reaches it."""
    from dedup.cli.main import build_parser

    parser = build_parser()
    for argv, outputs in [
        (["cluster", "x", "-o", "y"], ("output", "clusters", "report")),
        (["report", "x", "-o", "y"], ("output",)),
        (["clean", "x", "-o", "y"], ("output", "stats")),
        (["index", "build", "x", "--data", "d"], ("data",)),
    ]:
        assert parser.parse_args(argv).outputs == outputs


@pytest.mark.parametrize("command", ["cluster", "clean", "index"])
def test_repeated_ids_name_both_places(
    write_jsonl: WriteJsonl, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """Two pages with one id stop every command with both FILE:LINE places."""
    first = write_jsonl([{"id": "a", "text": "One"}, {"id": "b", "text": "Two"}], "one.jsonl")
    second = write_jsonl([{"id": "c", "text": "Three"}, {"id": "a", "text": "Four"}], "two.jsonl")
    out = tmp_path / "out"
    argv = {
        "cluster": ["cluster", str(first), str(second), "-o", str(out)],
        "clean": ["clean", str(first), str(second), "-o", str(out)],
        "index": ["index", "build", str(first), str(second), "--data", str(out)],
    }[command]
    assert main([*argv, "-q", "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert f"{second}:2: id 'a' was already given to the page at {first}:1" in err
    assert not out.exists() or command == "index"


def test_skip_bad_keeps_the_first_of_a_repeated_id(
    write_jsonl: WriteJsonl, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under --skip-bad the first page with an id is kept and the others are counted."""
    blurb = "Sign up for our newsletter and get the best stories every morning."
    pages = write_jsonl(
        [
            {"id": "a", "text": blurb},
            {"id": "a", "text": blurb},
            {"id": "b", "text": "Something else"},
            {"id": "a", "text": "Third"},
        ]
    )
    groups, cleaned = tmp_path / "c.jsonl", tmp_path / "clean.jsonl"
    argv = ["cluster", str(pages), "-o", "-", "--clusters", str(groups), "--skip-bad", "-q"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert [json.loads(line)["doc"] for line in captured.out.splitlines()] == ["a", "b"]
    assert groups.read_text() == ""  # the repeat of a is not a second page
    assert "skipped 2 bad lines" in captured.err
    assert f"{pages}:2: id 'a' was already given to the page at {pages}:1" in captured.err
    assert main(["clean", str(pages), "-o", str(cleaned), "--skip-bad", "-q"]) == 0
    kept = [json.loads(line) for line in cleaned.read_text().splitlines()]
    assert kept == [{"id": "a", "text": blurb}, {"id": "b", "text": "Something else"}]


def test_the_library_refuses_repeated_ids_too() -> None:
    """dedup.cluster names the two pages that share an id."""
    with pytest.raises(InputError, match="page 3: id 'a' was already given to page 1"):
        dedup.cluster([("a", "x"), ("b", "y"), ("a", "z")], jobs=1)


def test_a_directory_without_page_files_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty directory, or one of other files, exits 2 and says what was looked for."""
    (tmp_path / "notes.md").write_text("# notes", encoding="utf-8")
    assert main(["cluster", str(tmp_path), "-o", "-", "-q"]) == 2
    err = capsys.readouterr().err
    assert f"dedup: {tmp_path}: no page files in this directory" in err
    assert ".jsonl or .txt files (optionally .gz)" in err


def test_clean_names_the_pages_it_empties(
    write_jsonl: WriteJsonl, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A page whose every paragraph is a repeat is counted in --stats and named on stderr."""
    blurb = "Sign up for our newsletter and get the best stories every morning."
    pages = write_jsonl(
        [
            {"id": "a", "text": f"Story A\n\n{blurb}"},
            {"id": "b", "text": f"  {blurb}  \n\n\n"},
            {"id": "c", "text": ""},
        ]
    )
    out, stats_path = tmp_path / "out.jsonl", tmp_path / "stats.json"
    assert main(["clean", str(pages), "-o", str(out), "--stats", str(stats_path), "-q"]) == 0
    err = capsys.readouterr().err
    assert err == "dedup: warning: 1 page left empty, every paragraph a repeat: 'b'\n"
    stats = json.loads(stats_path.read_text(encoding="utf-8"))
    assert (stats["pages_emptied"], stats["emptied"]) == (1, ["b"])
    assert [page["emptied"] for page in stats["per_page"]] == [False, True, False]
    assert (
        stats["bytes_in"] - stats["bytes_removed"] - stats["bytes_whitespace"]
        == (stats["bytes_out"])
    )
    for page, record in zip(stats["per_page"], out.read_text().splitlines(), strict=True):
        original = {"a": f"Story A\n\n{blurb}", "b": f"  {blurb}  \n\n\n", "c": ""}[page["id"]]
        written = json.loads(record)["text"]
        assert len(original.encode()) - page["bytes_removed"] - page["bytes_whitespace"] == len(
            written.encode()
        )


def test_containment_zero_suggests_off(capsys: pytest.CaptureFixture[str]) -> None:
    """--containment 0 is refused in the CLI's words: off, not None."""
    assert main(["cluster", "-", "-o", "-", "--containment", "0"]) == 2
    err = capsys.readouterr().err
    assert "or off to match on Jaccard alone" in err
    assert "None" not in err


def test_serve_containment_zero_suggests_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """dedup serve --containment 0 says off too, before anything starts."""
    assert main(["serve", "--data", str(tmp_path), "--containment", "0"]) == 2
    err = capsys.readouterr().err
    assert "or off to match on Jaccard alone" in err
    assert "None" not in err


def test_the_library_says_text_is_missing() -> None:
    """A mapping without "text" is named as such, not as a NoneType."""
    with pytest.raises(InputError, match="page 1: text is missing"):
        dedup.cluster([{"id": "a"}], jobs=1)


def test_data_pointing_at_a_file_says_so(
    corpus_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--data naming a file (not an input) says it is a file, not a raw errno."""
    plain = tmp_path / "notes.txt.bak"
    plain.write_text("x", encoding="utf-8")
    argv = ["index", "build", str(corpus_file), "--data", str(plain), "-q", "--jobs", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{plain} is a file, not a directory" in err
    assert "Errno" not in err
