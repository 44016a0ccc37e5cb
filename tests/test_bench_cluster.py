"""Tests of the one-site crawl, the anchor scripts and the whole-process timing of bench.cluster."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

# bench/ is not an installed package (only dedup and service are): import it from the work tree.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import anchor_run
from bench.cluster import check_rows, load_truth, run_system
from bench.corpus import generate, read_jsonl, write_jsonl

SITE_KEYS = ("ledger", "courier", "review")


def _site_labels(labels: list[str | None]) -> set[str]:
    return {key for label in labels if label for key in SITE_KEYS if f":{key}-" in label}


def test_one_site_crawl_prints_its_boilerplate_on_every_page() -> None:
    """With sites=1 every page carries the one site's skip link, appeal, sign-up and footer."""
    pages = generate(40, seed=1, sites=1)
    for page in pages:
        labels = set(page.labels)
        assert _site_labels(page.labels) == {"ledger"}, page.id
        assert {"boiler:skip-to-content", "boiler:ledger-footer"} <= labels
        assert {"boiler:ledger-signup-0", "boiler:ledger-signup-1"} <= labels
        assert any(label and label.startswith("boiler:ledger-appeal-") for label in labels)
    # The renderings still differ: more than one template prints the same site.
    assert len({page.id.split("/")[0] for page in pages}) > 1


def test_three_site_crawl_is_the_default_and_unchanged() -> None:
    """sites=3 is the default, spreads pages over the three sites and skips boilerplate on
    some pages."""
    pages = generate(40, seed=1)
    assert pages == generate(40, seed=1, sites=3)
    assert set().union(*(_site_labels(p.labels) for p in pages)) == set(SITE_KEYS)
    assert not all("boiler:ledger-footer" in p.labels for p in pages)
    assert any(not any(label and "-signup-" in label for label in p.labels) for p in pages), (
        "some three-site pages have no sign-up box"
    )


def test_generator_knows_one_or_three_sites() -> None:
    """Any other number of sites is refused."""
    with pytest.raises(ValueError, match="sites=2"):
        generate(5, seed=0, sites=2)


def _labels(path: Path) -> list[str | None]:
    return [label for page in read_jsonl(path) for label in page.labels]


@pytest.fixture(scope="module")
def small_crawl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 30-page one-site crawl on disk."""
    path = tmp_path_factory.mktemp("crawl") / "crawl.jsonl"
    write_jsonl(generate(30, seed=2, sites=1), path)
    return path


def test_anchor_script_writes_one_line_per_paragraph(small_crawl: Path, tmp_path: Path) -> None:
    """python -m bench.anchor_run writes the assignments in input order, the same shape as
    dedup cluster's; the footer, identical on every page, is one cluster of 30."""
    pytest.importorskip("rensa", reason="rensa is in the bench dependency group")
    out = tmp_path / "rensa.jsonl"
    assert anchor_run.main(["rensa", str(small_crawl), "-o", str(out)]) == 0
    truth = load_truth(small_crawl)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["doc"], r["para"]) for r in lines] == truth.rows
    labels = _labels(small_crawl)
    footers = {
        r["cluster"]
        for r, label in zip(lines, labels, strict=True)
        if label == "boiler:ledger-footer"
    }
    sizes = {
        r["size"] for r, label in zip(lines, labels, strict=True) if label == "boiler:ledger-footer"
    }
    assert len(footers) == 1
    assert None not in footers
    assert sizes == {30}


def test_run_system_times_the_whole_dedup_process(small_crawl: Path, tmp_path: Path) -> None:
    """A dedup run is a fresh `dedup cluster` process: its time is the process's life, its
    CPU time and RSS are measured, and its output lines up with the crawl's paragraphs."""
    pytest.importorskip("psutil", reason="psutil is in the bench dependency group")
    truth = load_truth(small_crawl)
    run = run_system("dedup", small_crawl, jobs=1, timeout=120, scratch=tmp_path)
    check_rows(run, truth)
    assert run.status == "ok", run.message
    assert run.seconds == run.wall
    assert run.wall > 0
    assert run.cpu > 0
    assert run.rss_mib > 10
    assert run.clusters is not None
    assert run.clusters.shape == truth.labels.shape
    # The footer of every page is one cluster in dedup's output too.
    footer = np.asarray(_labels(small_crawl)) == "boiler:ledger-footer"
    assert footer.sum() == 30
    assert np.unique(run.clusters[footer]).size == 1


def test_floor_writes_every_paragraph_alone(small_crawl: Path, tmp_path: Path) -> None:
    """The floor system reads, splits and writes the crawl in input order and clusters nothing:
    every paragraph comes out alone, one line each, as bench.cluster checks for any system."""
    pytest.importorskip("psutil", reason="psutil is in the bench dependency group")
    truth = load_truth(small_crawl)
    run = run_system("floor", small_crawl, jobs=1, timeout=120, scratch=tmp_path)
    check_rows(run, truth)
    assert run.status == "ok", run.message
    assert run.clusters is not None
    assert run.clusters.shape == truth.labels.shape
    assert np.unique(run.clusters).size == truth.labels.size  # nobody shares a cluster
