"""Tests of dedup clean: the removal plan, the rewritten pages, stats and pass-through."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dedup import cluster
from dedup.batch.clean import CleanStats, PageCleaner, clean_page, plan_removals
from dedup.cli import main
from dedup.errors import ConfigError, InputError

WriteJsonl = Callable[..., Path]


def lines(path: Path) -> list[dict[str, Any]]:
    """Parse a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def texts(path: Path) -> dict[str, str]:
    """Map each cleaned page id to its text."""
    return {row["id"]: row["text"] for row in lines(path)}


def paragraphs_of(text: str) -> list[str]:
    """Split a cleaned text on its blank lines."""
    return text.split("\n\n") if text else []


def test_keep_first_keeps_each_clusters_first_occurrence(
    corpus_file: Path, corpus: list[tuple[str, str]], tmp_path: Path, boilerplate: str, teaser: str
) -> None:
    """--keep first (the default) keeps the first member of each cluster, in input order."""
    out = tmp_path / "clean.jsonl"
    assert main(["clean", str(corpus_file), "-o", str(out), "--jobs", "1"]) == 0
    cleaned = texts(out)
    assert paragraphs_of(cleaned["page-a"]) == [p.strip() for p in corpus[0][1].split("\n\n")]
    assert teaser not in cleaned["page-b"]
    assert boilerplate not in cleaned["page-b"]
    assert boilerplate not in cleaned["page-c"]
    assert cleaned["page-b"].startswith("Regional News\n\nThe chess club")
    assert len(paragraphs_of(cleaned["page-c"])) == 2


def test_keep_none_removes_every_member(
    corpus_file: Path, tmp_path: Path, boilerplate: str, teaser: str
) -> None:
    """--keep none removes every paragraph of every cluster."""
    out = tmp_path / "clean.jsonl"
    assert main(["clean", str(corpus_file), "-o", str(out), "--keep", "none", "-q"]) == 0
    cleaned = texts(out)
    assert all(boilerplate not in text and teaser not in text for text in cleaned.values())
    assert [len(paragraphs_of(text)) for text in cleaned.values()] == [2, 2, 2]


def test_min_docs_removes_only_widespread_clusters(
    corpus_file: Path, tmp_path: Path, boilerplate: str, teaser: str
) -> None:
    """--min-docs 3 removes the boilerplate on three pages but not the teaser on two."""
    out = tmp_path / "clean.jsonl"
    argv = ["clean", str(corpus_file), "-o", str(out), "--keep", "none", "--min-docs", "3"]
    assert main(argv) == 0
    cleaned = texts(out)
    assert all(boilerplate not in text for text in cleaned.values())
    assert teaser in cleaned["page-a"]
    assert teaser in cleaned["page-b"]


def test_other_fields_pass_through_in_order(write_jsonl: WriteJsonl, tmp_path: Path) -> None:
    """Ids and every other field come back unchanged, in their order, only the text changes."""
    records: list[dict[str, Any]] = [
        {"url": "u1", "id": "a", "text": "Same\n\nSame", "meta": {"n": [1, 2.5, None]}},
        {"id": "b", "text": "Other", "big": 2**70, "odd": "\udc80", "nul": "\x00"},
    ]
    path = write_jsonl(
        [json.dumps(record) for record in records]  # ASCII escapes keep the lone surrogate
    )
    out = tmp_path / "clean.jsonl"
    assert main(["clean", str(path), "-o", str(out), "--jobs", "1", "--skip-bad"]) == 0
    raw = out.read_bytes()
    raw.decode("utf-8")  # the output is valid UTF-8 even with a lone surrogate in a field
    rows = lines(out)
    assert rows[0] == {**records[0], "text": "Same"}
    assert list(rows[0]) == ["url", "id", "text", "meta"]
    assert rows[1] == records[1]


def test_txt_inputs_become_id_and_text(tmp_path: Path) -> None:
    """A .txt page is written as {"id": path, "text": cleaned}."""
    (tmp_path / "a.txt").write_text("Menu\n\nStory one\n\nMenu\n", encoding="utf-8")
    out = tmp_path / "clean.jsonl"
    assert main(["clean", str(tmp_path / "a.txt"), "-o", str(out), "--jobs", "1"]) == 0
    assert lines(out) == [{"id": str(tmp_path / "a.txt"), "text": "Menu\n\nStory one"}]


def test_stdin_is_read_twice_through_a_spool(
    corpus_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """clean - reads stdin once, spooled, and writes the same as for the file."""
    stream = io.TextIOWrapper(io.BytesIO(corpus_file.read_bytes()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stream)
    assert main(["clean", "-", "-o", "-", "--jobs", "1"]) == 0
    from_stdin = capsys.readouterr().out
    assert main(["clean", str(corpus_file), "-o", "-", "--jobs", "1"]) == 0
    assert capsys.readouterr().out == from_stdin
    assert from_stdin.count("\n") == 3


def test_stats_count_paragraphs_and_bytes(
    corpus_file: Path, tmp_path: Path, boilerplate: str, teaser: str
) -> None:
    """--stats writes totals and per-page counts of paragraphs and UTF-8 bytes removed."""
    out, stats_path = tmp_path / "clean.jsonl", tmp_path / "stats.json"
    argv = ["clean", str(corpus_file), "-o", str(out), "--stats", str(stats_path), "--jobs", "1"]
    assert main(argv) == 0
    stats = json.loads(stats_path.read_text(encoding="utf-8"))
    boiler, teased = len(boilerplate.encode()), len(teaser.encode())
    assert stats["pages"] == 3
    assert stats["paragraphs"] == 11
    assert stats["paragraphs_removed"] == 3
    assert stats["bytes_removed"] == 2 * boiler + teased
    assert (
        stats["bytes_in"] - stats["bytes_removed"] - stats["bytes_whitespace"]
        == (stats["bytes_out"])
    )
    layout = [page.pop("bytes_whitespace") for page in stats["per_page"]]
    assert sum(layout) == stats["bytes_whitespace"]
    assert stats["per_page"] == [
        {
            "id": "page-a",
            "paragraphs": 4,
            "paragraphs_removed": 0,
            "bytes_removed": 0,
            "emptied": False,
        },
        {
            "id": "page-b",
            "paragraphs": 4,
            "paragraphs_removed": 2,
            "bytes_removed": boiler + teased,
            "emptied": False,
        },
        {
            "id": "page-c",
            "paragraphs": 3,
            "paragraphs_removed": 1,
            "bytes_removed": boiler,
            "emptied": False,
        },
    ]
    assert (stats["pages_emptied"], stats["emptied"]) == (0, [])


def test_repeated_ids_and_empty_pages_keep_their_place(
    write_jsonl: WriteJsonl, tmp_path: Path
) -> None:
    """Pages without paragraphs are cleaned in place; a repeated id is skipped under --skip-bad."""
    path = write_jsonl(
        [
            {"id": "w", "text": ""},
            {"id": "x", "text": "Alpha\n\nShared line here"},
            {"id": "x", "text": "Shared line here"},
            {"id": "y", "text": "  \n\n "},
            {"id": "z", "text": "Shared line here\n\nBeta"},
        ]
    )
    out = tmp_path / "clean.jsonl"
    assert main(["clean", str(path), "-o", str(out), "--jobs", "1", "--skip-bad"]) == 0
    assert [row["text"] for row in lines(out)] == ["", "Alpha\n\nShared line here", "", "Beta"]
    assert [row["id"] for row in lines(out)] == ["w", "x", "y", "z"]


def test_plan_removals_modes(corpus: list[tuple[str, str]]) -> None:
    """plan_removals flags later members for keep=first, all for keep=none, per min_docs."""
    result = cluster(corpus, jobs=1)
    first = plan_removals(result).tolist()
    assert [index for index, flag in enumerate(first) if flag] == [5, 7, 10]
    none = plan_removals(result, keep="none").tolist()
    assert [index for index, flag in enumerate(none) if flag] == [1, 3, 5, 7, 10]
    wide = plan_removals(result, keep="none", min_docs=3).tolist()
    assert [index for index, flag in enumerate(wide) if flag] == [3, 7, 10]
    assert not plan_removals(result, min_docs=4).any()
    with pytest.raises(ConfigError, match="keep="):
        plan_removals(result, keep="last")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="min_docs=0"):
        plan_removals(result, min_docs=0)


def test_plan_removals_on_nothing() -> None:
    """An empty clustering gives an empty plan."""
    assert plan_removals(cluster([], jobs=1)).size == 0


def test_clean_page_joins_with_one_blank_line() -> None:
    """clean_page keeps the unflagged paragraphs, joined by one blank line, and counts bytes."""
    page = clean_page(["Caf\u00e9", "Gone", "End"], [False, True, False])
    assert (page.text, page.paragraphs, page.removed, page.bytes_removed) == (
        "Caf\u00e9\n\nEnd",
        3,
        1,
        4,
    )
    assert clean_page(["All gone"], [True]).text == ""


def test_cleaner_detects_a_changed_second_pass(corpus: list[tuple[str, str]]) -> None:
    """PageCleaner refuses pages that differ from the first pass, and a pass that ends early."""
    result = cluster(corpus, jobs=1)
    cleaner = PageCleaner(result, plan_removals(result))
    cleaner.clean(*corpus[0])
    with pytest.raises(InputError, match=r"crawl\.jsonl:9: the input changed"):
        cleaner.clean("page-b", "only one paragraph now", source="crawl.jsonl", line=9)
    with pytest.raises(InputError, match="changed"):
        cleaner.clean("page-z", corpus[1][1])
    with pytest.raises(InputError, match="changed"):
        cleaner.finish()


def test_stats_to_dict_starts_empty() -> None:
    """A fresh CleanStats reports zeros and no pages."""
    assert CleanStats().to_dict() == {
        "pages": 0,
        "pages_emptied": 0,
        "paragraphs": 0,
        "paragraphs_removed": 0,
        "bytes_in": 0,
        "bytes_removed": 0,
        "bytes_whitespace": 0,
        "bytes_out": 0,
        "emptied": [],
        "per_page": [],
    }
