"""The report in a real browser: Debian's Chromium, driven by Playwright, offline."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dedup import cluster
from dedup.cli import main

ARTEFACT = Path(__file__).resolve().parent.parent / "bench" / "out" / "report-browser.png"

# Seven blurbs planted on 12, 5, 3, 2, 2, 2 and 2 of twelve pages: four doubling bins (2, 3-4,
# 5-8, 9-16) hold clusters, so the size plot draws four bars.
BLURBS = [
    "Sign up for the weekly harbour newsletter and never miss a ferry timetable change, a storm "
    "warning or the date of the next fish market on the quay.",
    "Scientists drilling into the glacier found layers of ash from three eruptions, which they "
    "say will date the ice more precisely than any method used so far.",
    "The orchard cooperative pressed its first cider in twenty years after the old mill was "
    "restored by volunteers who spent two summers rebuilding its wheel.",
    "A keeper who lived alone at the lighthouse for eleven winters has written a memoir about "
    "gulls, shipwrecks and the radio operator who became her closest friend.",
    "Frost in late April destroyed half the vineyard harvest across the valley, and growers are "
    "asking the ministry for emergency loans before the bottling season.",
    "Volunteers at the observatory will open the dome to the public every clear Friday night this "
    "autumn, weather permitting, with telescopes pointed at Saturn.",
    "The foundry that cast the town's church bells in 1890 is closing its doors, and the last "
    "workers plan a final pour of bronze as a farewell to the craft.",
]
SPREAD = [12, 5, 3, 2, 2, 2, 2]  # pages carrying each blurb
HEADINGS = [  # one per page, sharing no word
    "Weather", "Sports", "Markets", "Gardening", "Cinema", "Travel",
    "Recipes", "Science", "Letters", "Obituaries", "Puzzles", "Opinion",
]  # fmt: skip


def _pages() -> list[tuple[str, str]]:
    pages = []
    for number in range(12):
        paragraphs = [f"{HEADINGS[number]} this week"]
        paragraphs += [b for b, n in zip(BLURBS, SPREAD, strict=True) if number < n]
        if number == 11:  # one copy of the widest blurb with a typo: a second variant
            paragraphs[1] = paragraphs[1].replace("timetable", "timetabel")
        pages.append((f"site{number % 3}/section/page-{number}", "\n\n".join(paragraphs)))
    return pages


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The planted corpus's report, open in headless Chromium."""
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the playwright package is not installed (make test installs it)")
    from bench.report_browser import browser, chromium_missing, open_report

    if (why := chromium_missing()) is not None:
        pytest.skip(why)
    directory = tmp_path_factory.mktemp("report")
    source = directory / "pages.jsonl"
    source.write_text("".join(json.dumps({"id": d, "text": t}) + "\n" for d, t in _pages()))
    output = directory / "report.html"
    assert main(["report", str(source), "-o", str(output), "-q", "--jobs", "1"]) == 0
    with browser() as chrome:
        opened = open_report(chrome, output)
        yield opened
        opened.page.close()


def test_size_plot_has_one_bar_per_filled_bin(report_page: object) -> None:
    """The cluster-size plot draws a bar for each doubling bin that holds clusters."""
    page = report_page.page  # type: ignore[attr-defined]
    assert page.locator("#size-plot svg g[id^='size-bar-']").count() == 4
    assert page.locator("#share-plot svg g[id^='share-bar-']").count() == 10


def test_table_lists_the_planted_clusters(report_page: object) -> None:
    """The table shows the seven planted clusters, most pages first, with the library's ids."""
    page = report_page.page  # type: ignore[attr-defined]
    expected = [(c.id, c.docs) for c in cluster(_pages(), jobs=1).clusters if c.docs >= 2]
    assert [docs for _, docs in expected] == SPREAD
    rows = page.locator("#cluster-table tbody tr")
    assert rows.count() == 7
    seen = [
        (
            rows.nth(n).locator("td").nth(0).inner_text(),
            int(rows.nth(n).locator("td").nth(1).inner_text()),
        )
        for n in range(7)
    ]
    assert seen == expected


def test_filter_narrows_rows_and_a_click_shows_members(report_page: object) -> None:
    """Typing narrows the rows to the matching cluster; clicking it lists its three members."""
    page = report_page.page  # type: ignore[attr-defined]
    page.fill("#filter", "ORCHARD")
    page.wait_for_function("document.querySelectorAll('#cluster-table tbody tr').length === 1")
    assert "orchard" in page.locator("#cluster-table tbody tr td.text").inner_text()
    assert page.inner_text("#page-info") == "rows 1–1 of 1"
    page.click("#cluster-table tbody tr")
    detail = page.locator("#cluster-detail")
    detail.wait_for(state="visible")
    assert "3 pages, 3 paragraphs" in detail.locator("h3").inner_text()
    members = detail.locator("table").nth(1).locator("tbody tr")
    assert [members.nth(n).locator("td").nth(0).inner_text() for n in range(3)] == [
        "site0/section/page-0", "site1/section/page-1", "site2/section/page-2",
    ]  # fmt: skip
    assert "1.000" in detail.locator("table").nth(0).inner_text()  # the representative itself
    from bench.report_browser import screenshot  # the README's screenshot is made by this too

    screenshot(page, ARTEFACT, search="the", row=1)
    assert ARTEFACT.stat().st_size > 10_000
    page.fill("#filter", "")
    page.wait_for_function("document.querySelectorAll('#cluster-table tbody tr').length === 7")


def test_headings_sort_the_rows(report_page: object) -> None:
    """Clicking "pages" sorts ascending, clicking it again descending."""
    page = report_page.page  # type: ignore[attr-defined]
    first = page.locator("#cluster-table tbody tr").first.locator("td").nth(1)
    page.click("#cluster-table th[data-key='1']")
    assert first.inner_text() == "2"
    page.click("#cluster-table th[data-key='1']")
    assert first.inner_text() == "12"


def test_a_variant_shows_its_similarity(report_page: object) -> None:
    """The widest cluster's typo'd copy is listed as a second variant, less than identical."""
    page = report_page.page  # type: ignore[attr-defined]
    page.fill("#filter", "harbour")
    page.wait_for_function("document.querySelectorAll('#cluster-table tbody tr').length === 1")
    page.click("#cluster-table tbody tr")
    page.wait_for_selector("#cluster-detail h3:has-text('12 pages')")
    variants = page.locator("#cluster-detail table").nth(0).locator("tbody tr")
    assert variants.count() == 2
    cells = [variants.nth(1).locator("td").nth(n).inner_text() for n in range(5)]
    assert cells[1] == "1"
    assert 0.5 <= float(cells[2]) < 1.0
    assert "timetabel" in cells[4]
    page.fill("#filter", "")
    page.wait_for_function("document.querySelectorAll('#cluster-table tbody tr').length === 7")


def test_no_request_leaves_the_page(report_page: object) -> None:
    """Every request but the report's own file was intercepted: there were none."""
    assert report_page.blocked == []  # type: ignore[attr-defined]
    assert report_page.requests == 1  # type: ignore[attr-defined]
