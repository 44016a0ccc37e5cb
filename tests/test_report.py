"""``dedup report``: what the report gathers, how it renders, and the commands that write it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup import DedupConfig, Index, cluster
from dedup.errors import InputError
from dedup.report.clustering import report_of_clustering
from dedup.report.model import Report, RunInfo
from dedup.report.plots import size_bins
from dedup.report.render import render_html
from dedup.report.store import report_of_store
from dedup.sketch.fingerprint import fingerprint
from dedup.sketch.minhash import containment_estimate, jaccard_estimate

RUN = RunInfo("test", {}, 1.5)


def _report(pages: list[tuple[str, str]]) -> Report:
    result = cluster(pages, jobs=1)
    return report_of_clustering(result, [(d, t, None) for d, t in pages], DedupConfig(), RUN)


def test_totals_agree_with_the_clustering(corpus: list[tuple[str, str]]) -> None:
    """Pages, paragraphs, repeated paragraphs and bytes are those of the clustering."""
    result = cluster(corpus, jobs=1)
    report = report_of_clustering(result, [(d, t, None) for d, t in corpus], DedupConfig(), RUN)
    totals = report.totals
    assert (totals.pages, totals.paragraphs) == (3, len(result))
    assert totals.repeated_paragraphs == int(np.count_nonzero(result.cluster_of >= 0)) == 5
    repeated = sum(len(c.text.encode()) * c.size for c in result.clusters)  # verbatim copies
    assert totals.repeated_bytes == repeated
    assert [(v.id, v.docs, v.size) for v in report.clusters] == [
        (c.id, c.docs, c.size) for c in result.clusters if c.docs >= 2
    ]
    assert report.page_shares[2] == pytest.approx(
        repeated / 2 / 3 / len(corpus[2][1].encode()), 0.5
    )
    assert [(s.site, s.pages) for s in report.sites] == [
        ("page-a", 1),
        ("page-b", 1),
        ("page-c", 1),
    ]


def test_variants_are_scored_against_the_representative(teaser: str) -> None:
    """Each variant's similarity and containment are the MinHash estimates of the core."""
    typo = teaser.replace("livestock", "livestok")
    pages = [("s/1", teaser), ("s/2", teaser), ("t/3", typo)]
    (view,) = _report(pages).clusters
    assert (view.docs, view.size, view.n_variants) == (3, 3, 2)
    first, second = view.variants
    assert (first.text, first.count, first.similarity, first.containment) == (teaser, 2, 1.0, 1.0)
    prints = fingerprint([teaser, typo], DedupConfig())
    expected = jaccard_estimate(prints.signatures[0], prints.signatures[1])
    assert (second.text, second.count) == (typo, 1)
    assert second.similarity == pytest.approx(expected)
    assert 0.5 < second.similarity < 1.0
    contained = containment_estimate(expected, abs(prints.counts[0]), abs(prints.counts[1]))
    assert second.containment == pytest.approx(float(contained))
    assert view.members == (("s/1", 0, 0), ("s/2", 0, 0), ("t/3", 0, 1))


def test_title_variants_are_scored_on_their_character_shingles() -> None:
    """A title-like line (negative shingle count) gets a containment between 0 and 1."""
    title = "Castillo Under Arrest, People Demand A Constituent Assembly"
    pages = [("a/1", title), ("b/2", title), ("c/3", title.replace("Arrest", "Arest"))]
    (view,) = _report(pages).clusters
    assert [v.count for v in view.variants] == [2, 1]
    assert view.variants[0].containment == 1.0
    assert 0.5 < view.variants[1].similarity < 1.0
    assert 0.5 < view.variants[1].containment <= 1.0


def test_element_paths_show_the_most_common(teaser: str) -> None:
    """A page's per-paragraph paths (HTML input) give each cluster its most common path."""
    pages = [
        (f"p{n}", f"{title}\n\n{teaser}") for n, title in enumerate(["Rain", "Chess", "Stars"])
    ]
    paths = [["h1", "main > p.teaser"], ["h1", "main > p.teaser"], ["h1", "aside > p"]]
    result = cluster(pages, jobs=1)
    triples = [(d, t, p) for (d, t), p in zip(pages, paths, strict=True)]
    (view,) = report_of_clustering(result, triples, DedupConfig(), RUN).clusters
    assert view.path == "main > p.teaser"


def test_changed_input_is_refused(corpus: list[tuple[str, str]]) -> None:
    """A second read that differs from the first stops the report with the page named."""
    result = cluster(corpus, jobs=1)
    changed = [(d, t + "\n\nan extra paragraph", None) for d, t in corpus]
    with pytest.raises(InputError, match="page-a"):
        report_of_clustering(result, changed, DedupConfig(), RUN)
    with pytest.raises(InputError, match="page-c"):
        report_of_clustering(result, [(d, t, None) for d, t in corpus[:2]], DedupConfig(), RUN)


@given(st.lists(st.integers(min_value=2, max_value=5000), max_size=50))
def test_size_bins_count_every_cluster_once(docs: list[int]) -> None:
    """The doubling bins hold every cluster once and end at the bin of the largest."""
    bins = size_bins(docs)
    assert sum(count for _, count in bins) == len(docs)
    if docs:
        low, _, high = bins[-1][0].partition("–")
        assert int(low) <= max(docs) <= int(high or low)
        assert bins[-1][1] >= 1


def test_html_is_self_contained_and_escapes_page_text() -> None:
    """The page names no outside resource, and page text cannot close its script elements."""
    hostile = "</script><script>alert(1)</script> <img src=https://x.example/a.png> " * 3
    pages = [("x/1", f"{hostile}\n\nunique one"), ("y/2", f"{hostile}\n\nunique two")]
    html = render_html(_report(pages))
    assert html.count("<script") == 3  # the rows, the packed details, the table's script
    assert "alert(1)</script>" not in html
    assert not re.search(r"<[a-zA-Z][^>]*\s(src|href|action)\s*=", html)  # no tag loads anything
    assert "@import" not in html
    assert "<link" not in html
    rows = re.search(r'<script type="application/json" id="cluster-rows">(.*?)</script>', html)
    assert rows is not None
    assert json.loads(rows.group(1))[0][4].startswith("</script>")


def test_report_of_a_store_reads_it_without_writing(
    tmp_path: Path, corpus: list[tuple[str, str]]
) -> None:
    """`--data DIR`: the store's clusters are reported and its files are left untouched."""
    index = Index.open(tmp_path)
    for doc, text in corpus:
        index.add(doc, text)
    expected = {c.id: c.docs for c in index.clusters(min_docs=2)[0]}
    index.close()
    store = tmp_path / "dedup.sqlite3"
    before = (store.read_bytes(), store.stat().st_mtime_ns)
    report = report_of_store(tmp_path)
    assert (store.read_bytes(), store.stat().st_mtime_ns) == before
    wal = tmp_path / "dedup.sqlite3-wal"  # a WAL reader's index may appear, never a write
    assert not wal.exists() or wal.stat().st_size == 0
    assert {v.id: v.docs for v in report.clusters} == expected
    assert (report.totals.pages, report.totals.repeated_paragraphs) == (3, 5)
    assert report.run.params["threshold"] == "0.5"
    assert report.run.seconds is None
