"""Known-answer tests on the two real category pages in examples/."""

from __future__ import annotations

from pathlib import Path

import pytest

import dedup
from dedup.text.paragraphs import split_paragraphs

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SHARED_TITLES = [
    "Peru Coup: CIA Agent Turned US Ambassador",
    "Golpe In Peru: Castillo Under Arrest",
    "Peruvians Continue To Resist As Anti-Coup Protests",
    "The US Egged On The Coup In Peru",
    "Mexico, Argentina, Bolivia, Colombia Back",
    "Five Killed By Police During Anti-Coup Protests",
    "Massive Protests In Peru Force Boluarte",
    "Peru Rises Up After Coup Against Elected",
]


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, str]]:
    """The two example pages as (id, text)."""
    return [
        (name, (EXAMPLES / name).read_text(encoding="utf-8")) for name in ("peru.txt", "coups.txt")
    ]


@pytest.fixture(scope="module")
def result(pages: list[tuple[str, str]]) -> dedup.Clustering:
    """The clustering of the two pages at default settings."""
    return dedup.cluster(pages, jobs=1)


def _index_of(pages: list[tuple[str, str]], doc: int, prefix: str) -> int:
    paragraphs = split_paragraphs(pages[doc][1])
    matches = [i for i, p in enumerate(paragraphs) if p.startswith(prefix)]
    assert len(matches) == 1, prefix
    return matches[0]


def test_eight_shared_stories_give_sixteen_cross_page_clusters(
    pages: list[tuple[str, str]], result: dedup.Clustering
) -> None:
    """Each shared story's title and teaser form one two-page cluster each."""
    story_clusters = set()
    for title in SHARED_TITLES:
        for doc in (0, 1):
            t = _index_of(pages, doc, title)
            for para in (t, t + 1):  # the title and the teaser after it
                assignment = result.paragraphs[_flat(result, doc, para)]
                assert assignment.cluster is not None
                story_clusters.add(assignment.cluster)
        title_cluster = result.paragraphs[_flat(result, 0, _index_of(pages, 0, title))].cluster
        teaser_cluster = result.paragraphs[_flat(result, 0, _index_of(pages, 0, title) + 1)].cluster
        assert title_cluster != teaser_cluster
    assert len(story_clusters) == 16
    for cluster_id in story_clusters:
        cluster = result.by_id(cluster_id)
        assert (cluster.size, cluster.docs) == (2, 2)


def _flat(result: dedup.Clustering, doc: int, para: int) -> int:
    return next(
        i
        for i, (d, p) in enumerate(
            zip(result.doc_of.tolist(), result.para_of.tolist(), strict=True)
        )
        if d == doc and p == para
    )


def test_argentina_stories_stay_apart(
    pages: list[tuple[str, str]], result: dedup.Clustering
) -> None:
    """The Lawfare teaser (peru) and the Judicial Coup teaser (coups) share a topic, not a blurb."""
    lawfare = _index_of(pages, 0, "Lawfare: Judicial And Legislative") + 1
    judicial = _index_of(pages, 1, "Judicial Coup In Argentina") + 1
    first = result.paragraphs[_flat(result, 0, lawfare)]
    second = result.paragraphs[_flat(result, 1, judicial)]
    assert first.cluster is None
    assert second.cluster is None


def test_page_headings_stay_alone(pages: list[tuple[str, str]], result: dedup.Clustering) -> None:
    """The category headings "Peru" and "Coups" repeat nowhere."""
    for doc, heading in ((0, "Peru"), (1, "Coups")):
        para = split_paragraphs(pages[doc][1]).index(heading)
        assert result.paragraphs[_flat(result, doc, para)].cluster is None


def test_due_to_the_attacks_paragraphs_form_one_cluster(result: dedup.Clustering) -> None:
    """The four fundraising paragraphs "Due to the attacks…" are one cluster of four."""
    clusters = [c for c in result.clusters if c.text.startswith("Due to the attacks")]
    assert len(clusters) == 1
    assert (clusters[0].size, clusters[0].docs) == (4, 2)


def test_no_cluster_mixes_titles_and_teasers(
    pages: list[tuple[str, str]], result: dedup.Clustering
) -> None:
    """No cluster holds both a short line (a title) and a long paragraph (a teaser)."""
    texts = {doc: split_paragraphs(text) for doc, text in pages}
    for cluster in result.clusters:
        long_members = {len(texts[doc][para].split()) > 20 for doc, para in cluster.members}
        assert len(long_members) == 1, cluster.text


def test_same_ids_on_every_run(pages: list[tuple[str, str]], result: dedup.Clustering) -> None:
    """Cluster ids are a function of the input only."""
    again = dedup.cluster(pages, jobs=1)
    assert [c.id for c in again.clusters] == [c.id for c in result.clusters]
    assert [a.cluster for a in again.paragraphs] == [a.cluster for a in result.paragraphs]


def test_cluster_columns_agree_with_the_clusters(result: dedup.Clustering) -> None:
    """The columns the CLI writes from (ids, sizes, distinct pages) describe the clusters that
    are built on demand, and every member's assignment names its cluster."""
    clusters = result.clusters
    assert result.cluster_ids == [c.id for c in clusters]
    assert result.cluster_sizes == [c.size for c in clusters] == [len(c.members) for c in clusters]
    assert result.cluster_docs == [len({doc for doc, _ in c.members}) for c in clusters]
    where = {(a.doc, a.para): a.cluster for a in result}
    assert all(where[member] == c.id for c in clusters for member in c.members)
    rebuilt = dedup.Clustering(
        result.doc_ids, result.doc_of, result.para_of, result.cluster_of, list(clusters)
    )
    assert list(rebuilt) == list(result)
    assert rebuilt.cluster_docs == result.cluster_docs


def test_index_matches_coups_against_peru(pages: list[tuple[str, str]]) -> None:
    """The incremental index finds the same 16 shared paragraphs, and not the Argentina pair."""
    index = dedup.Index()
    index.add("peru.txt", pages[0][1])
    matches = index.match(pages[1][1])
    for title in SHARED_TITLES:
        t = _index_of(pages, 1, title)
        assert matches[t] is not None
        assert matches[t + 1] is not None
    judicial = _index_of(pages, 1, "Judicial Coup In Argentina") + 1
    assert matches[judicial] is None
