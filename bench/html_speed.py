"""Speed of cutting the generator's HTML pages (about 50 KB each) into paragraph blocks.

Three figures, medians over ``--runs``:
- one process: pages per second of ``dedup.io.extract.extract`` (decode, parse, blocks and
  CSS paths), by wall clock and by CPU time (the CPU figure is the per-core rate, unaffected
  by other jobs sharing the machine);
- ``PageReader(jobs=J)``: pages per second through the worker processes that ``--jobs``
  starts, wall clock, and that divided by J (a floor for the per-core rate on a shared
  machine);
- the same workers' own CPU time: pages per CPU second inside each worker process;
- the anchor, measured in the same run: lexbor alone parsing each page and reading its body's
  text (``LexborHTMLParser(html).body.text()``), the floor any lexbor-based reader pays.

    python -m bench.html_speed --pages 1000 --runs 5 --jobs 2
"""

from __future__ import annotations

import argparse
import json
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

TARGET = 500.0


def _timed(run: Callable[[], int]) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    count = run()
    return time.perf_counter() - wall, time.process_time() - cpu, count


def _parse_and_text(html: bytes | str) -> bool:
    body = LexborHTMLParser(html).body
    return body is not None and bool(body.text())


def _chunk_cpu(chunk: list[RawHtml]) -> tuple[int, float]:
    """Extract a chunk in a worker; return the pages done and the worker's CPU seconds."""
    start = time.process_time()
    done = sum(1 for raw in chunk if extract(raw).error is None)
    return done, time.process_time() - start


def _workers_cpu_rate(raws: list[RawHtml], jobs: int) -> float:
    """Pages per CPU second inside ``jobs`` worker processes, as PageReader runs them."""
    chunks = [raws[i : i + 32] for i in range(0, len(raws), 32)]
    with ProcessPoolExecutor(jobs, mp_context=get_context("forkserver")) as pool:
        results = list(pool.map(_chunk_cpu, chunks))
    return sum(done for done, _ in results) / sum(cpu for _, cpu in results)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print a table and write bench/results/html_speed.json."""
    parser = argparse.ArgumentParser(prog="python -m bench.html_speed", description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("-o", "--output", type=Path, default=Path("bench/results/html_speed.json"))
    args = parser.parse_args(argv)
    rendered = [render_page(page) for page in generate(args.pages, 0)]
    raws = [RawHtml(p.id, p.html.encode(), None, None, "bench", None) for p in rendered]
    kb = sum(len(raw.html) for raw in raws) / len(raws) / 1000

    def one_process() -> int:
        return sum(1 for raw in raws if extract(raw).error is None)

    def anchor() -> int:
        return sum(1 for raw in raws if _parse_and_text(raw.html))

    rows: dict[str, list[float]] = {"extract wall": [], "extract cpu": [], "anchor cpu": []}
    rows["reader wall"] = []
    rows["workers cpu"] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pages.jsonl"
        write_html_jsonl(rendered, path)

        def pooled() -> int:
            return sum(1 for _ in PageReader([str(path)], jobs=args.jobs))

        for _ in range(args.runs):
            wall, cpu, count = _timed(one_process)
            rows["extract wall"].append(count / wall)
            rows["extract cpu"].append(count / cpu)
            _, cpu, count = _timed(anchor)
            rows["anchor cpu"].append(count / cpu)
            wall, _, count = _timed(pooled)
            rows["reader wall"].append(count / wall)
            rows["workers cpu"].append(_workers_cpu_rate(raws, args.jobs))
    medians = {name: statistics.median(values) for name, values in rows.items()}
    per_core_floor = medians["reader wall"] / args.jobs
    print(f"{args.pages} pages, {kb:.1f} KB of HTML each; medians of {args.runs} runs")
    print("| measure | pages/s |\n|---|---:|")
    print(f"| one process, wall | {medians['extract wall']:.0f} |")
    print(f"| one process, CPU time (per core) | {medians['extract cpu']:.0f} |")
    print(f"| PageReader jobs={args.jobs}, wall | {medians['reader wall']:.0f} |")
    print(f"| PageReader jobs={args.jobs}, wall / jobs | {per_core_floor:.0f} |")
    print(f"| {args.jobs} workers, CPU time (per core) | {medians['workers cpu']:.0f} |")
    print(f"| anchor: lexbor parse + body text, CPU time | {medians['anchor cpu']:.0f} |")
    ratio = medians["extract cpu"] / medians["anchor cpu"]
    print(f"extract / anchor (CPU): {ratio:.2f}")
    met = medians["workers cpu"] >= TARGET
    print(f"target {TARGET:.0f} pages/s per core in workers: {'met' if met else 'NOT met'}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "pages": args.pages,
        "kb_per_page": round(kb, 1),
        "jobs": args.jobs,
        "runs": {name: [round(v, 1) for v in values] for name, values in rows.items()},
        "medians": {name: round(v, 1) for name, v in medians.items()},
    }
    args.output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
