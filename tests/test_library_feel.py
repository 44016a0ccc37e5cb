"""The library feels like a library: a context-managed, sized Index, named tuples, short reprs."""

from __future__ import annotations

from pathlib import Path

import pytest

import dedup
from dedup.batch.result import Member
from dedup.errors import StoreError
from dedup.index.index import Paragraph

TEASER = "Peru's Congress removed the president on Wednesday, and protests spread to the capital."


def test_index_is_a_context_manager_with_a_length(tmp_path: Path) -> None:
    """`with Index.open(...)` closes the store at the end; len() counts documents."""
    with dedup.Index.open(tmp_path) as index:
        assert len(index) == 0
        index.add("a", f"Peru\n\n{TEASER}")
        index.add("b", TEASER)
        assert len(index) == 2
    with pytest.raises(StoreError, match="closed"):  # closed: the index refuses to be used
        index.add("c", "more")
    with pytest.raises(StoreError, match="closed"):
        len(index)
    assert repr(index).startswith("<Index: closed, in ")
    with dedup.Index.open(tmp_path) as again:
        assert len(again) == 2
        again.remove("b")
        assert len(again) == 1


def test_documents_and_clusters_hold_named_tuples() -> None:
    """Document.paragraphs are Paragraph(index, text, cluster); members are Member(doc, para)."""
    index = dedup.Index()
    index.add("a", f"Peru\n\n{TEASER}")
    index.add("b", TEASER)
    paragraphs = index.get("a").paragraphs
    assert all(isinstance(p, Paragraph) for p in paragraphs)
    assert [(p.index, p.text) for p in paragraphs] == [(0, "Peru"), (1, TEASER)]
    info = index.cluster_info(paragraphs[1].cluster)
    assert info.members == [Member("a", 1), Member("b", 0)]
    assert [(m.doc, m.para) for m in info.members] == [("a", 1), ("b", 0)]
    batch = dedup.cluster([("a", f"Peru\n\n{TEASER}"), ("b", TEASER)], jobs=1)
    assert batch.clusters[0].members == (Member("a", 1), Member("b", 0))
    assert batch.clusters[0].members[0].doc == "a"


def test_reprs_are_short_and_useful(tmp_path: Path) -> None:
    """Reprs name the sizes and cut long texts, rather than dumping every member."""
    pages = [(f"p{i}", f"Page {i}\n\n{TEASER}") for i in range(50)]
    result = dedup.cluster(pages, jobs=1)
    assert repr(result) == "<Clustering: 100 paragraphs of 50 pages, 1 clusters of repeats>"
    cluster = result.clusters[0]
    assert repr(cluster) == (
        f"Cluster(id={cluster.id!r}, size=50, docs=50, text=\"Peru's Congress removed the "
        'president o…")'
    )
    with dedup.Index.open(tmp_path) as index:
        index.add_many([(doc, text, None) for doc, text in pages[:3]])
        assert repr(index) == (
            "<Index: 3 documents, 6 paragraphs, 1 clusters of repeats, 3 single paragraphs, "
            f"in {str(tmp_path / 'dedup.sqlite3')!r}>"
        )
        match = index.match(TEASER.lower())[0]
        assert repr(match) == (
            f"Match(cluster={cluster.id!r}, similarity=1.000, containment=1.000)"
        )
        assert "Peru's Congress removed the president o…" in repr(index.cluster_info(cluster.id))
    assert repr(dedup.Index()).endswith("in memory>")
