"""The incremental Index: add, match, replace, remove, persistence and thread safety."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import dedup
import dedup.index.index
from dedup.errors import DuplicateKeyError, IncompatibleSignatureError, UnknownKeyError
from dedup.sketch import fingerprint

TEASER = (
    "The river authority opened all six floodgates on Tuesday night after three days of heavy "
    "rain, and the villages downstream were told to move livestock to higher ground at once. "
    "Engineers said the old dam had held through worse storms, but the forecast for the weekend "
    "promised another band of rain from the west and nobody wanted to take the risk."
)
OTHER = (
    "A new bakery on Mill Street sells rye bread made from a recipe its founder brought from "
    "her grandmother's village, and the queue starts well before dawn every single day."
)


def test_add_founds_then_joins_clusters() -> None:
    """The first copy founds a cluster; an exact and a truncated copy join it with estimates."""
    index = dedup.Index()
    first = index.add("a", f"Rivers\n\n{TEASER}")
    assert [p.new_cluster for p in first.paragraphs] == [True, True]
    assert first.paragraphs[1].similarity is None
    second = index.add("b", f"News\n\n{TEASER.upper()}")
    assert second.paragraphs[1].cluster == first.paragraphs[1].cluster
    assert (second.paragraphs[1].similarity, second.paragraphs[1].containment) == (1.0, 1.0)
    truncated = " ".join(TEASER.split()[:34]) + "…"
    third = index.add("c", truncated)
    assert third.paragraphs[0].cluster == first.paragraphs[1].cluster
    assert third.paragraphs[0].similarity is not None
    assert third.paragraphs[0].similarity < 1.0
    assert third.paragraphs[0].containment is not None
    assert third.paragraphs[0].containment > 0.7
    info = index.cluster_info(first.paragraphs[1].cluster)
    assert (info.size, info.docs, info.text) == (3, 3, TEASER)
    assert info.members == [("a", 1), ("b", 1), ("c", 0)]


def test_match_is_read_only() -> None:
    """match() reports clusters and changes nothing."""
    index = dedup.Index()
    index.add("a", TEASER)
    before = index.stats()
    found = index.match(f"{TEASER}\n\n{OTHER}")
    assert found[0] is not None
    assert found[1] is None
    assert index.stats() == before


def test_replace_is_atomic_and_keeps_cluster_ids() -> None:
    """Re-adding an id replaces it; clusters with other members keep their ids."""
    index = dedup.Index()
    a = index.add("a", TEASER)
    index.add("b", TEASER)
    replaced = index.add("a", OTHER)
    assert replaced.replaced
    assert index.stats() == dedup.Stats(documents=2, paragraphs=2, clusters=0, singletons=2)
    assert index.cluster_info(a.paragraphs[0].cluster).members == [("b", 0)]


def test_remove_drops_empty_clusters_only() -> None:
    """Removing a document deletes the clusters it alone held."""
    index = dedup.Index()
    a = index.add("a", f"{TEASER}\n\n{OTHER}")
    index.add("b", TEASER)
    index.remove("a")
    with pytest.raises(UnknownKeyError):
        index.cluster_info(a.paragraphs[1].cluster)
    assert index.cluster_info(a.paragraphs[0].cluster).members == [("b", 0)]
    with pytest.raises(UnknownKeyError, match="no document 'a'"):
        index.remove("a")
    assert index.match(OTHER) == [None]


def test_batch_rejects_repeated_ids() -> None:
    """A batch naming one id twice is refused before anything is written."""
    index = dedup.Index()
    with pytest.raises(DuplicateKeyError, match="twice"):
        index.add_many([("a", TEASER, None), ("a", OTHER, None)])
    assert index.stats().documents == 0


def test_store_survives_reopen(tmp_path: Path) -> None:
    """Everything acknowledged is there after reopening, with the same cluster ids."""
    index = dedup.Index.open(tmp_path)
    a = index.add("a", f"Rivers\n\n{TEASER}", {"url": "https://example.org/a"})
    index.add("b", TEASER)
    index.add("c", OTHER)
    index.remove("c")
    index.close()
    again = dedup.Index.open(tmp_path)
    assert again.stats() == dedup.Stats(documents=2, paragraphs=3, clusters=1, singletons=1)
    doc = again.get("a")
    assert doc.meta == {"url": "https://example.org/a"}
    assert doc.paragraphs == [
        (0, "Rivers", a.paragraphs[0].cluster),
        (1, TEASER, a.paragraphs[1].cluster),
    ]
    found = again.match(TEASER)[0]
    assert found is not None
    assert found.cluster == a.paragraphs[1].cluster
    again.close()


def test_save_and_load(tmp_path: Path) -> None:
    """save() writes a file that load() reads back."""
    index = dedup.Index()
    index.add("a", TEASER)
    index.save(tmp_path / "copy.sqlite3")
    loaded = dedup.Index.load(tmp_path / "copy.sqlite3")
    assert loaded.stats() == index.stats()
    loaded.close()
    with pytest.raises(dedup.StoreError, match="already holds an index"):
        index.save(tmp_path / "copy.sqlite3")


def test_store_refuses_other_signature_parameters(tmp_path: Path) -> None:
    """A store built with num_perm 128 cannot be opened with num_perm 64."""
    dedup.Index.open(tmp_path).close()
    with pytest.raises(IncompatibleSignatureError, match="num_perm=128"):
        dedup.Index.open(tmp_path, dedup.DedupConfig(num_perm=64))


def test_cluster_pages_cover_everything_once() -> None:
    """Paging with the cursor visits each cluster once, by documents descending."""
    index = dedup.Index()
    for i in range(12):
        index.add(f"d{i}", f"{TEASER}\n\nUnique line number {i} of the test.")
    seen, cursor = [], None
    while True:
        page, cursor = index.clusters(limit=5, cursor=cursor)
        seen += page
        if cursor is None:
            break
    assert len(seen) == len({c.id for c in seen}) == index.stats().clusters
    assert [c.docs for c in seen] == sorted((c.docs for c in seen), reverse=True)
    assert index.clusters(min_docs=2)[0][0].docs == 12


def test_concurrent_writers_leave_a_consistent_index() -> None:
    """Threads adding different and identical ids leave every paragraph in exactly one cluster."""
    index = dedup.Index()

    def work(worker: int) -> None:
        for i in range(15):
            index.add(f"shared-{i % 3}", f"{TEASER}\n\nworker {worker} item {i} says hello there")
            index.add(f"w{worker}-{i}", f"{OTHER}\n\nline {i} from worker {worker} only")

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = index.stats()
    assert stats.documents == 3 + 60
    members = [
        m
        for c in index.clusters(limit=10_000, min_size=1)[0]
        for m in index.cluster_info(c.id).members
    ]
    assert len(members) == len(set(members)) == stats.paragraphs
    for doc_id in [f"shared-{i}" for i in range(3)]:
        doc = index.get(doc_id)
        for para, _, cluster in doc.paragraphs:
            assert (doc_id, para) in index.cluster_info(cluster).members


def test_a_paragraph_removed_while_matching_is_matched_by_similarity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """match() leaves paragraphs that the index holds exactly unsigned; when a write removes
    the exact copy before the lookup, the paragraph is signed then and matched by similarity."""
    index = dedup.Index()
    index.add("a", TEASER)
    cluster = index.add("b", " ".join(TEASER.split()[:40])).paragraphs[0].cluster

    def racing(*args: Any, **kwargs: Any) -> Any:
        prints = fingerprint.fingerprint(*args, **kwargs)
        if kwargs.get("known") is not None and "a" in index:
            index.remove("a")  # a write lands between the fingerprinting and the lookup
        return prints

    monkeypatch.setattr(dedup.index.index, "fingerprint", racing)
    found = index.match(TEASER)[0]
    assert found is not None
    assert found.cluster == cluster
    assert found.similarity < 1.0
    assert found.containment is not None
    assert found.containment > 0.9


def test_cluster_summaries_read_several_clusters_at_once() -> None:
    """cluster_summaries() gives what cluster_summary() gives, and leaves unknown ids out."""
    index = dedup.Index()
    added = index.add("a", f"{TEASER}\n\n{OTHER}")
    ids = [p.cluster for p in added.paragraphs]
    found = index.cluster_summaries([*ids, ids[0], "no-such-cluster"])
    assert found == {cid: index.cluster_summary(cid) for cid in ids}
    assert index.cluster_summaries([]) == {}
