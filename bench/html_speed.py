"""Speed of cutting the generator's HTML pages (about 50 KB each) into paragraph blocks.

The figures, medians over ``--runs``:
- ``PageReader(jobs=J)`` over the pages as JSONL lines ``{"id", "html"}``: pages per second by
  wall clock, what a user times (JSON decode, charset, parse, blocks and CSS paths, in J
  worker processes, in input order), and that divided by J, the per-core rate the target
  judges; and ``PageReader(jobs=1)``, all of it in one process;
- one process: pages per second of ``dedup.io.extract.extract`` alone (decode, parse, blocks
  and CSS paths), by wall clock and by CPU time (the CPU figure is unaffected by other jobs
  sharing the machine);
- the workers' own CPU time: pages per CPU second inside J worker processes reading chunks
  of lines as ``PageReader`` sends them;
- where ``PageReader(jobs=J)`` spends CPU: microseconds per page in the reading process (its
  threads included: reading, sending chunks, taking results, the first pages it extracts
  itself) and in its workers (``RUSAGE_CHILDREN``), summed over the runs; per-page CPU grows
  with the load of a shared machine, their ratio much less;
- the anchor, measured in the same run: lexbor alone parsing each page and reading its body's
  text (``LexborHTMLParser(html).body.text()``), the floor any lexbor-based reader pays.

The target, >= 500 pages/s per core under ``--jobs``, is judged by the wall clock of
``PageReader(jobs=J)`` divided by J; the CPU rows are for information.

    python -m bench.html_speed --pages 1000 --runs 5 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from bench.corpus import generate
from bench.render import render_page, write_html_jsonl
from dedup.io.extract import RawHtml, extract
from dedup.io.sources import PageReader
from dedup.io.workers import RawLine, Refused, read_line

TARGET = 500.0
_ROWS = (
    "reader wall",
    "reader 1 wall",
    "extract wall",
    "extract cpu",
    "anchor cpu",
    "workers cpu",
)


def _timed(run: Callable[[], int]) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    count = run()
    return time.perf_counter() - wall, time.process_time() - cpu, count


def _parse_and_text(html: bytes | str) -> bool:
    body = LexborHTMLParser(html).body
    return body is not None and bool(body.text())


def _chunk_cpu(chunk: list[RawLine]) -> tuple[int, float]:
    """Read a chunk of lines in a worker; return the pages done and the worker's CPU seconds."""
    start = time.process_time()
    done = sum(1 for line in chunk if not isinstance(read_line(line), Refused))
    return done, time.process_time() - start


def _workers_cpu_rate(lines: list[RawLine], jobs: int) -> float:
    """Pages per CPU second inside ``jobs`` worker processes, as PageReader runs them."""
    chunks = [lines[i : i + 32] for i in range(0, len(lines), 32)]
    with ProcessPoolExecutor(jobs, mp_context=get_context("forkserver")) as pool:
        results = list(pool.map(_chunk_cpu, chunks))
    return sum(done for done, _ in results) / sum(cpu for _, cpu in results)


def _children_cpu() -> float:
    """CPU seconds of the reaped child processes (the PageReader workers, once they exit)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _reap(timeout: float = 5.0) -> None:
    """Wait for the worker processes a pass left exiting, so their CPU time is counted."""
    deadline = time.monotonic() + timeout
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.02)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print a table and write bench/results/html_speed.json."""
    parser = argparse.ArgumentParser(prog="python -m bench.html_speed", description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("-o", "--output", type=Path, default=Path("bench/results/html_speed.json"))
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    rendered = [render_page(page) for page in generate(args.pages, 0)]
    raws = [RawHtml(p.id, p.html.encode(), None, None, "bench", None) for p in rendered]
    kb = sum(len(raw.html) for raw in raws) / len(raws) / 1000

    def one_process() -> int:
        return sum(1 for raw in raws if extract(raw).error is None)

    def anchor() -> int:
        return sum(1 for raw in raws if _parse_and_text(raw.html))

    rows: dict[str, list[float]] = {name: [] for name in _ROWS}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pages.jsonl"
        write_html_jsonl(rendered, path)
        with path.open("rb") as stream:
            lines = [RawLine(raw, str(path), n, False) for n, raw in enumerate(stream, 1)]

        def pooled() -> int:
            return sum(1 for _ in PageReader([str(path)], jobs=args.jobs))

        def alone() -> int:
            return sum(1 for _ in PageReader([str(path)], jobs=1))

        reader_cpu = workers_cpu = 0.0
        pooled_pages = 0
        for _ in range(args.runs):
            _reap()
            children = _children_cpu()
            wall, cpu, count = _timed(pooled)
            _reap()
            reader_cpu += cpu
            workers_cpu += _children_cpu() - children
            pooled_pages += count
            rows["reader wall"].append(count / wall)
            wall, _, count = _timed(alone)
            rows["reader 1 wall"].append(count / wall)
            wall, cpu, count = _timed(one_process)
            rows["extract wall"].append(count / wall)
            rows["extract cpu"].append(count / cpu)
            _, cpu, count = _timed(anchor)
            rows["anchor cpu"].append(count / cpu)
            rows["workers cpu"].append(_workers_cpu_rate(lines, args.jobs))
    medians = {name: statistics.median(values) for name, values in rows.items()}
    per_core = medians["reader wall"] / args.jobs
    jobs = args.jobs
    load_after = os.getloadavg()
    print(f"{args.pages} pages, {kb:.1f} KB of HTML each; medians of {args.runs} runs")
    print(f"load average (1, 5, 15 min) before {load_before}, after {load_after}")
    print("| measure | pages/s |\n|---|---:|")
    print(f"| PageReader jobs={jobs}, wall | {medians['reader wall']:.0f} |")
    print(f"| PageReader jobs={jobs}, wall / jobs (per core) | {per_core:.0f} |")
    print(f"| PageReader jobs=1, wall | {medians['reader 1 wall']:.0f} |")
    print(f"| extract alone, one process, wall | {medians['extract wall']:.0f} |")
    print(f"| extract alone, one process, CPU time | {medians['extract cpu']:.0f} |")
    print(f"| {jobs} workers reading lines, CPU time per worker | {medians['workers cpu']:.0f} |")
    print(f"| anchor: lexbor parse + body text, CPU time | {medians['anchor cpu']:.0f} |")
    reader_us = 1e6 * reader_cpu / pooled_pages
    workers_us = 1e6 * workers_cpu / pooled_pages
    print(f"\n| PageReader jobs={jobs}, CPU per page | µs |\n|---|---:|")
    print(f"| reading process (threads included) | {reader_us:.0f} |")
    print(f"| its {jobs} workers | {workers_us:.0f} |")
    print(f"reading process / workers (CPU): {reader_us / workers_us:.3f}")
    ratio = medians["extract cpu"] / medians["anchor cpu"]
    print(f"extract / anchor (CPU): {ratio:.2f}")
    met = per_core >= TARGET
    verdict = "met" if met else "NOT met"
    print(f"target {TARGET:.0f} pages/s per core, wall clock under --jobs {jobs}: {verdict}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "pages": args.pages,
        "kb_per_page": round(kb, 1),
        "jobs": args.jobs,
        "runs": {name: [round(v, 1) for v in values] for name, values in rows.items()},
        "medians": {name: round(v, 1) for name, v in medians.items()},
        "per_core_wall": round(per_core, 1),
        "reader_cpu_us_per_page": round(reader_us, 1),
        "workers_cpu_us_per_page": round(workers_us, 1),
        "target_met": met,
        "load_average": {"before": list(load_before), "after": list(load_after)},
    }
    args.output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
