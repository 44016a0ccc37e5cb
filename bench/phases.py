"""Where dedup.cluster spends its time on a crawl: parse, read and fingerprint, link, assemble."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import dedup
from bench.corpus import default_path
from dedup.batch.pipeline import link_distinct
from dedup.batch.reader import read_batch


def main(argv: Sequence[str] | None = None) -> int:
    """Time each phase of :func:`dedup.cluster` in one warm process; print medians.

    Example:
        python -m bench.phases --pages 5000 --runs 3
    """
    parser = argparse.ArgumentParser(prog="python -m bench.phases", description=__doc__)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    path: Path = default_path(args.pages, 0)
    config = dedup.DedupConfig()
    times: dict[str, list[float]] = {"parse JSONL": [], "read + fingerprint": [], "link": []}
    times["cluster (all phases, pages in memory)"] = []
    for _ in range(args.runs):
        start = time.perf_counter()
        with path.open(encoding="utf-8") as lines:
            pages = [(r["id"], r["text"]) for r in map(json.loads, lines)]
        times["parse JSONL"].append(time.perf_counter() - start)
        start = time.perf_counter()
        batch = read_batch(pages, config, jobs=args.jobs)
        times["read + fingerprint"].append(time.perf_counter() - start)
        start = time.perf_counter()
        link_distinct(batch.distinct.prints, config, threads=args.jobs)
        times["link"].append(time.perf_counter() - start)
        start = time.perf_counter()
        dedup.cluster(pages, config, jobs=args.jobs)
        times["cluster (all phases, pages in memory)"].append(time.perf_counter() - start)
    print(f"{path.name}, jobs {args.jobs}, median of {args.runs} runs")
    for name, seconds in times.items():
        print(f"{name}: {statistics.median(seconds):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
