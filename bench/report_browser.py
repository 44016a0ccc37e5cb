"""Open a dedup report in headless Chromium: load time, screenshots, and the browser test's driver.

Debian's ``chromium`` is driven through Playwright (``executable_path``; Playwright's own browser
download is never used). Every request the page makes is intercepted: the page's own file is
served, anything else is recorded and aborted, so a report that reaches out is caught.

Usage:
    python -m bench.report_browser --pages 5000 --runs 5      # size and load time (RESULTS.md)
    python -m bench.report_browser --screenshot docs/report.png  # the README's screenshot
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, Route, sync_playwright

from bench.corpus import default_path

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("examples/peru.txt", "examples/coups.txt")  # relative to ROOT, as make demo names them


def chromium_missing() -> str | None:
    """Say why the browser cannot run here, or None when it can."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (make chromium installs Debian's package as root)"
    return None


@contextlib.contextmanager
def browser() -> Iterator[Browser]:
    """Launch Debian's Chromium headless, and close it after.

    Playwright gives every launch a fresh temporary profile (its own ``--user-data-dir``).
    """
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(FLAGS))
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Opened:
    """A report open in a page, and what it asked the network for."""

    page: Page
    seconds: float
    """From navigation to the table's first rows drawn (the page is usable)."""
    details_seconds: float = 0.0
    """From navigation to the members and variants inflated (a click shows them at once)."""
    blocked: list[str] = field(default_factory=list)
    """Every request other than the report's own file (all aborted)."""
    requests: int = 0
    """Every request the page made, its own file included: proof that interception ran."""


def open_report(chrome: Browser, report: Path, *, width: int = 1200, height: int = 900) -> Opened:
    """Open ``report`` from disk in a new page; wait until its cluster table is drawn."""
    page = chrome.new_page(viewport={"width": width, "height": height})
    own = report.resolve().as_uri()
    opened = Opened(page, 0.0)

    def route(request: Route) -> None:
        opened.requests += 1
        if request.request.url == own:
            request.continue_()
        else:
            opened.blocked.append(request.request.url)
            request.abort()

    page.route("**/*", route)
    started = time.perf_counter()
    page.goto(own)
    page.wait_for_selector("body[data-ready='true']", timeout=30_000)
    opened.seconds = time.perf_counter() - started
    page.wait_for_selector("body[data-details='ready']", timeout=30_000)
    opened.details_seconds = time.perf_counter() - started
    return opened


def demo_report(directory: Path) -> Path:
    """Write the report of the two example pages into ``directory``, as ``make demo`` does."""
    directory.mkdir(parents=True, exist_ok=True)
    output = directory / "report.html"
    subprocess.run(
        [sys.executable, "-m", "dedup", "report", *EXAMPLES, "-o", str(output), "-q"],
        check=True,
        cwd=ROOT,
    )
    return output


def screenshot(page: Page, png: Path, *, search: str, row: int = 1) -> None:
    """Type ``search`` in the filter, open the ``row``-th cluster and save the totals and the
    table as ``png``: the browser test's artefact and the README's screenshot."""
    page.fill("#filter", search)
    # The filter applies after a short pause in typing: wait until the rows show it.
    page.wait_for_function("wanted => document.body.dataset.filter === wanted", arg=search.lower())
    page.click(f"#cluster-table tbody tr:nth-child({row})")
    page.wait_for_selector("#cluster-detail:not([hidden])")
    page.mouse.move(0, 0)  # no hover highlight in the picture
    png.parent.mkdir(parents=True, exist_ok=True)
    page.locator("#clusters").screenshot(path=str(png))


def measure(pages: int, runs: int, jobs: int | None) -> dict[str, object]:
    """Time ``dedup report`` on the crawl of ``pages`` pages and the report's load in Chromium."""
    crawl = default_path(pages, 0)
    if not crawl.exists():
        subprocess.run([sys.executable, "-m", "bench.corpus", "--pages", str(pages)], check=True)
    with tempfile.TemporaryDirectory() as temp:
        report = Path(temp) / "report.html"
        command = [sys.executable, "-m", "dedup", "report", str(crawl), "-o", str(report), "-q"]
        plain = [sys.executable, "-m", "dedup", "cluster", str(crawl), "-o", os.devnull, "-q"]
        if jobs is not None:
            command += ["--jobs", str(jobs)]
            plain += ["--jobs", str(jobs)]
        report_times: list[float] = []
        cluster_times: list[float] = []
        loads: list[float] = []
        details: list[float] = []
        clicks: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(plain, check=True)
            cluster_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            subprocess.run(command, check=True)
            report_times.append(time.perf_counter() - started)
        small = demo_report(Path(temp) / "demo")  # the anchor: the two example pages' report
        anchors: list[float] = []
        with browser() as chrome:
            for _ in range(runs):
                anchor = open_report(chrome, small)
                anchors.append(anchor.seconds)
                anchor.page.close()
                opened = open_report(chrome, report)
                loads.append(opened.seconds)
                details.append(opened.details_seconds)
                if opened.blocked:
                    raise SystemExit(f"the report asked for {opened.blocked}")
                rows = opened.page.locator("#cluster-table tbody tr").count()
                started = time.perf_counter()  # filter, then open the first matching cluster
                opened.page.fill("#filter", "appeal")
                opened.page.wait_for_function(
                    "document.getElementById('page-info').textContent.includes(' of ')"
                    " && document.querySelectorAll('#cluster-table tbody tr').length < 50"
                )
                opened.page.click("#cluster-table tbody tr")
                opened.page.wait_for_selector("#cluster-detail:not([hidden])")
                clicks.append(time.perf_counter() - started)
                clusters = opened.page.evaluate(
                    "JSON.parse(document.getElementById('cluster-rows').textContent).length"
                )
                opened.page.close()
        return {
            "pages": pages,
            "runs": runs,
            "report_bytes": report.stat().st_size,
            "clusters_in_table": clusters,
            "rows_in_dom": rows,
            "load_seconds_median": statistics.median(loads),
            "load_seconds": loads,
            "anchor_load_seconds_median": statistics.median(anchors),
            "load_over_anchor_median": statistics.median(
                [load / anchor for load, anchor in zip(loads, anchors, strict=True)]
            ),
            "details_ready_seconds_median": statistics.median(details),
            "filter_and_click_seconds_median": statistics.median(clicks),
            "dedup_report_seconds_median": statistics.median(report_times),
            "dedup_cluster_seconds_median": statistics.median(cluster_times),
        }


def main(argv: list[str] | None = None) -> int:
    """Measure the report, or save the README's screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pages", type=int, default=5000, help="crawl size (bench.corpus)")
    parser.add_argument("--runs", type=int, default=5, help="repetitions; medians are reported")
    parser.add_argument("--jobs", type=int, default=None, help="dedup --jobs")
    parser.add_argument("--screenshot", type=Path, help="save the examples' report as this PNG")
    args = parser.parse_args(argv)
    if (why := chromium_missing()) is not None:
        print(why, file=sys.stderr)
        return 2
    if args.screenshot is not None:
        with tempfile.TemporaryDirectory() as temp:
            report = demo_report(Path(temp))
            with browser() as chrome:
                opened = open_report(chrome, report, width=1000, height=900)
                screenshot(opened.page, args.screenshot, search="castillo", row=2)
        print(f"wrote {args.screenshot}")
        return 0
    print(json.dumps(measure(args.pages, args.runs, args.jobs), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
