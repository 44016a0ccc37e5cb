"""dedup index build: the batch bulk load gives the clusters the service would have given."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import dedup
from dedup.errors import InputError, StoreError
from dedup.index.build import build_index
from dedup.stores.sqlite import SQLiteStore
from dedup.stores.store import MemoryStore

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _crawl(pages: int, seed: int = 5) -> list[tuple[str, str]]:
    """Pages listing variants of a few stories: truncations, typos, case, shared boilerplate."""
    rng = np.random.default_rng(seed)
    vocabulary = [f"word{i}" for i in range(400)]
    stories = [list(rng.choice(vocabulary, 120)) for _ in range(12)]
    crawl = []
    for page in range(pages):
        paragraphs = [f"Category {page % 4}"]
        for story in rng.choice(len(stories), 5, replace=False).tolist():
            words = list(stories[story])
            cut = int(rng.choice([45, 70, 90, 120]))
            words = words[:cut]
            if rng.random() < 0.3:
                spot = int(rng.integers(len(words)))
                words[spot] = words[spot][:-1]
            text = " ".join(words)
            paragraphs += [f"Story {story} headline", text.upper() if rng.random() < 0.2 else text]
        paragraphs.append("Support our work. Donate today to keep this site free.")
        crawl.append((f"page-{page}", "\n\n".join(paragraphs)))
    return crawl


def _assignments(index: dedup.Index, doc_ids: list[str]) -> dict[str, list[str]]:
    return {d: [c for _, _, c in index.get(d).paragraphs] for d in doc_ids}


@pytest.mark.parametrize("pages", [_crawl(40), _crawl(25, seed=9)])
def test_build_equals_adding_one_by_one(pages: list[tuple[str, str]]) -> None:
    """Every paragraph lands in the same cluster, with the same id, as sequential Index.add."""
    sequential = dedup.Index()
    for doc_id, text in pages:
        sequential.add(doc_id, text)
    store = MemoryStore()
    stats = build_index(pages, store, jobs=1)
    built = dedup.Index(store=store)
    ids = [d for d, _ in pages]
    assert _assignments(built, ids) == _assignments(sequential, ids)
    assert stats == sequential.stats() == built.stats()
    assert stats.clusters < stats.paragraphs


def test_build_examples_then_match(tmp_path: Path) -> None:
    """A store built from peru.txt serves matches for coups.txt."""
    pages = [("peru.txt", (EXAMPLES / "peru.txt").read_text(encoding="utf-8"))]
    build_index(pages, SQLiteStore(tmp_path / "dedup.sqlite3"), jobs=1)
    index = dedup.Index.open(tmp_path)
    matches = index.match((EXAMPLES / "coups.txt").read_text(encoding="utf-8"))
    assert sum(m is not None for m in matches) >= 16 + 10
    index.close()


def test_build_refuses_a_store_with_documents() -> None:
    """Building over existing documents would bypass their clusters: refused."""
    store = MemoryStore()
    dedup.Index(store=store).add("a", "Some text here.")
    with pytest.raises(StoreError, match="already holds 1 documents"):
        build_index([("b", "Other text.")], store)


def test_build_refuses_repeated_ids() -> None:
    """An index holds one document per id."""
    with pytest.raises(InputError, match="already given to page 1"):
        build_index([("a", "One."), ("a", "Two.")], MemoryStore())


def test_cli_index_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`dedup index build` fills a store the Index opens; a second build into it exits 2."""
    from dedup.cli import main

    inputs = [str(EXAMPLES / "peru.txt"), str(EXAMPLES / "coups.txt")]
    assert main(["index", "build", *inputs, "--data", str(tmp_path), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "indexed 2 documents" in out
    index = dedup.Index.open(tmp_path)
    stats = index.stats()
    assert stats.documents == 2
    assert f"({stats.clusters} clusters of repeats, {stats.singletons} single paragraphs)" in out
    # "Clusters" are groups of two or more paragraphs; the singletons are counted apart.
    repeats = index.clusters(limit=1000)[0]
    everything = index.clusters(limit=1000, min_size=1)[0]
    assert len(repeats) == stats.clusters
    assert all(c.size >= 2 for c in repeats)
    assert len(everything) - len(repeats) == stats.singletons
    assert sum(c.size for c in everything) == stats.paragraphs
    assert len(index.clusters(min_docs=2)[0]) >= 16
    index.close()
    assert main(["index", "build", inputs[0], "--data", str(tmp_path), "-q"]) == 2
    assert "already holds 2 documents" in capsys.readouterr().err
