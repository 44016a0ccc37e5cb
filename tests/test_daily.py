"""The daily crawl from the command line: `dedup index add` and `dedup match` on one store."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from server_process import ServerProcess, wait_until

import dedup
from dedup.cli import main
from dedup.stores.sqlite import SQLiteStore

# bench/ is not an installed package (only dedup and service are): import it from the work tree.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import generate

Pages = list[tuple[str, str]]


@pytest.fixture(scope="module")
def crawl() -> Pages:
    """A generated crawl: the store takes the first 60 pages, the daily crawl the next 40."""
    return [(page.id, page.text) for page in generate(100, seed=8)]


def _jsonl(path: Path, pages: Pages) -> Path:
    path.write_text("".join(json.dumps({"id": d, "text": t}) + "\n" for d, t in pages), "utf-8")
    return path


def _built(tmp_path: Path, pages: Pages, name: str = "data") -> Path:
    data = tmp_path / name
    pages_file = _jsonl(tmp_path / f"{name}.jsonl", pages)
    assert main(["index", "build", str(pages_file), "--data", str(data), "-q", "--jobs", "1"]) == 0
    return data


def _documents(data: Path) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    store = SQLiteStore(data / "dedup.sqlite3", read_only=True)
    try:
        return [(d.id, d.texts, d.clusters) for d in store.documents()]
    finally:
        store.close()


def _digest(data: Path) -> list[str]:
    """The bytes of the store's database and its write-ahead log (a missing log is empty: a
    reader may create it empty)."""
    files = [data / "dedup.sqlite3", data / "dedup.sqlite3-wal"]
    return [hashlib.sha256(p.read_bytes() if p.exists() else b"").hexdigest() for p in files]


def test_index_add_equals_posting_one_by_one(
    tmp_path: Path, crawl: Pages, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dedup index add` leaves the store as Index.add page by page would, replacements too."""
    daily = crawl[60:] + crawl[:5]  # five recrawled pages replace their stored versions
    data = _built(tmp_path, crawl[:60])
    copy = tmp_path / "copy"
    shutil.copytree(data, copy)
    capsys.readouterr()
    added = _jsonl(tmp_path / "daily.jsonl", daily)
    assert main(["index", "add", str(added), "--data", str(data), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "added 45 pages (5 replacing stored ones)" in out
    assert "holds 100 documents" in out
    index = dedup.Index.open(copy)
    for doc_id, text in daily:
        index.add(doc_id, text)
    index.close()
    assert _documents(data) == _documents(copy)


def test_index_add_needs_an_existing_store(
    tmp_path: Path, corpus_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --data is refused rather than silently made into a new store."""
    assert main(["index", "add", str(corpus_file), "--data", str(tmp_path / "nope"), "-q"]) == 2
    assert "no index store here" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists()


def test_index_add_bad_input_names_file_and_line_and_writes_nothing(
    tmp_path: Path,
    crawl: Pages,
    write_jsonl: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A malformed line stops the run with FILE:LINE, exit 2, and the store is untouched."""
    data = _built(tmp_path, crawl[:10])
    before = _documents(data)
    bad = write_jsonl([{"id": "x", "text": "Fine."}, "{not json"], name="bad.jsonl")
    assert main(["index", "add", str(bad), "--data", str(data), "-q"]) == 2
    assert f"{bad}:2:" in capsys.readouterr().err
    assert _documents(data) == before


def _match_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_match_answers_as_index_match_and_writes_nothing(tmp_path: Path, crawl: Pages) -> None:
    """Per paragraph, the stored cluster Index.match gives (or null); the store's files keep
    every byte."""
    data = _built(tmp_path, crawl[:60])
    before = _digest(data)
    daily = _jsonl(tmp_path / "daily.jsonl", crawl[60:])
    out = tmp_path / "matches.jsonl"
    assert main(["match", str(daily), "--data", str(data), "-o", str(out), "-q"]) == 0
    assert _digest(data) == before
    lines = _match_lines(out)
    index = dedup.Index.open(data)
    expected = []
    for doc_id, text in crawl[60:]:
        for para, match in enumerate(index.match(text)):
            record = None
            if match is not None:
                summary = index.cluster_summary(match.cluster)
                record = {
                    "cluster": match.cluster,
                    "similarity": match.similarity,
                    "containment": match.containment,
                    "docs": summary.docs,
                    "text": summary.text,
                }
            expected.append({"doc": doc_id, "para": para, "match": record})
    index.close()
    assert lines == expected
    assert 0 < sum(line["match"] is not None for line in lines) < len(lines)


def test_match_refuses_to_overwrite_an_input_or_the_store(
    tmp_path: Path, crawl: Pages, capsys: pytest.CaptureFixture[str]
) -> None:
    """-o naming an input, a file in an input directory, or the store: exit 2, nothing lost."""
    data = _built(tmp_path, crawl[:10])
    daily = _jsonl(tmp_path / "daily.jsonl", crawl[10:20])
    text = daily.read_bytes()
    before = _digest(data)
    folder = tmp_path / "pages"
    folder.mkdir()
    _jsonl(folder / "a.jsonl", crawl[20:22])
    for output, inputs, message in [
        (daily, [daily], "names the input file"),
        (folder / "a.jsonl", [folder], "names the input file"),
        (data / "dedup.sqlite3", [daily], "would overwrite the store"),
    ]:
        args = ["match", *map(str, inputs), "--data", str(data), "-o", str(output), "-q"]
        assert main(args) == 2
        assert message in capsys.readouterr().err
    assert daily.read_bytes() == text
    assert _digest(data) == before


def test_match_bad_input_and_missing_store(
    tmp_path: Path,
    crawl: Pages,
    write_jsonl: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Bad input names its file and line; a directory without a store is named; exit 2."""
    data = _built(tmp_path, crawl[:10])
    bad = write_jsonl([{"id": "x", "text": "Fine."}, {"id": 3, "text": "No."}], name="bad.jsonl")
    out = tmp_path / "out.jsonl"
    assert main(["match", str(bad), "--data", str(data), "-o", str(out), "-q"]) == 2
    assert f"{bad}:2:" in capsys.readouterr().err
    assert not out.exists()
    assert main(["match", str(bad), "--data", str(tmp_path), "-o", str(out), "-q"]) == 2
    assert "no index store here" in capsys.readouterr().err


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _post(url: str, body: dict[str, object]) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_a_running_service_sees_index_add_and_agrees_with_match(
    tmp_path: Path, crawl: Pages
) -> None:
    """While `dedup serve` runs on the store, `index add` appends to it: the service serves the
    new pages at once, and its /v1/match answers as `dedup match` does."""
    data = _built(tmp_path, crawl[:40])
    with ServerProcess(data) as server:
        url = server.url
        posted = _post(f"{url}/v1/documents", {"id": "posted", "text": crawl[40][1]})
        assert posted["id"] == "posted"
        daily = crawl[41:70] + crawl[:3]
        added = _jsonl(tmp_path / "d.jsonl", daily)
        assert main(["index", "add", str(added), "--data", str(data), "-q", "--jobs", "1"]) == 0
        wait_until(lambda: _get(f"{url}/healthz")["documents"] == 70)
        stored = {d: clusters for d, _, clusters in _documents(data)}
        for doc_id, _ in daily:
            served = _get(f"{url}/v1/documents/{urllib.parse.quote(doc_id, safe='')}")
            assert [p["cluster"] for p in served["paragraphs"]] == list(stored[doc_id])
        probe = crawl[70:75]
        out = tmp_path / "m.jsonl"
        probe_file = str(_jsonl(tmp_path / "p.jsonl", probe))
        assert main(["match", probe_file, "--data", str(data), "-o", str(out), "-q"]) == 0
        lines = _match_lines(out)
        answers = _post(f"{url}/v1/match", {"texts": [text for _, text in probe]})["results"]
        served_matches = [p["match"] for result in answers for p in result["paragraphs"]]
        assert [line["match"] for line in lines] == served_matches
        assert any(match is not None for match in served_matches)


def test_match_crawl_signs_a_held_paragraph_that_a_write_removed() -> None:
    """A paragraph left unsigned because the index held it is signed after all when a write
    removes it before the match: it then matches its near-duplicate by similarity."""
    from dedup.batch.reader import read_batch

    blurb = (
        "The river authority opened all six floodgates on Tuesday night after three days of "
        "heavy rain, and the villages downstream were told to move livestock to higher ground "
        "at once, before the water reached the old bridge near the market square."
    )
    index = dedup.Index()
    index.add("a", blurb)
    batch = read_batch([("p", blurb)], index.config, jobs=1, known=index.held_keys())
    assert batch.distinct.prints.counts.tolist() == [0]  # held: left unsigned
    index.remove("a")
    cluster = index.add("b", blurb.replace("heavy", "heavyy")).paragraphs[0].cluster
    [match] = index.match_fingerprints([blurb], batch.distinct.prints)
    assert match is not None
    assert match.cluster == cluster
    assert match.similarity < 1.0
