"""Shared fixtures: small corpora with known repeats and helpers that write input files."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# CI runs on a shared 2-core machine: no per-example deadline (timing is bench/'s business),
# and the same number of examples everywhere.
settings.register_profile(
    "dedup", deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("dedup")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# Three pages about unrelated things; BOILERPLATE is on all three, TEASER on the first two.
BOILERPLATE = (
    "Support independent journalism today. Your monthly donation keeps our reporters in the "
    "field and our archive free for everyone to read, with no paywall and no advertising."
)
TEASER = (
    "The river authority opened all six floodgates on Tuesday night after three days of heavy "
    "rain, and the villages downstream were told to move livestock to higher ground at once."
)
CORPUS: list[tuple[str, str]] = [
    (
        "page-a",
        "Rivers and Weather\n\n"
        + TEASER
        + "\n\nA new bakery on Mill Street sells rye bread made from a recipe its founder "
        "brought from her grandmother's village, and the queue starts before dawn.\n\n"
        + BOILERPLATE,
    ),
    (
        "page-b",
        "Regional News\n\n"
        + TEASER
        + "\n\nThe chess club in the old library celebrates its centenary with a simultaneous "
        "exhibition against forty players, all of them under sixteen years old.\n\n" + BOILERPLATE,
    ),
    (
        "page-c",
        "Science Desk\n\nAstronomers measured the slow wobble of a distant star and concluded "
        "that two giant planets orbit it, one of them every eleven years.\n\n" + BOILERPLATE,
    ),
]


@pytest.fixture
def corpus() -> list[tuple[str, str]]:
    """Three pages: a boilerplate paragraph on all three and a teaser on the first two."""
    return list(CORPUS)


@pytest.fixture
def boilerplate() -> str:
    """The boilerplate paragraph found on all three corpus pages (last paragraph)."""
    return BOILERPLATE


@pytest.fixture
def teaser() -> str:
    """The teaser paragraph found on the first two corpus pages (second paragraph)."""
    return TEASER


@pytest.fixture
def examples() -> Path:
    """The directory holding the two example pages peru.txt and coups.txt."""
    return EXAMPLES


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    """Return a helper writing records (dicts, or raw str/bytes lines) to a JSONL file."""

    def write(records: Iterable[dict[str, Any] | str | bytes], name: str = "pages.jsonl") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = []
        for record in records:
            line = json.dumps(record, ensure_ascii=False) if isinstance(record, dict) else record
            lines.append(line.encode("utf-8") if isinstance(line, str) else line)
        path.write_bytes(b"".join(line + b"\n" for line in lines))
        return path

    return write


@pytest.fixture
def corpus_file(write_jsonl: Callable[..., Path], corpus: list[tuple[str, str]]) -> Path:
    """The corpus as a JSONL file whose records also carry a "url" field."""
    return write_jsonl(
        {"id": doc, "url": f"https://example.org/{doc}", "text": text} for doc, text in corpus
    )


def pytest_report_header() -> list[str]:
    """Show the versions of the numerical dependencies in the test report header."""
    import numpy
    import xxhash

    return [f"numpy {numpy.__version__}, xxhash {xxhash.VERSION}"]
