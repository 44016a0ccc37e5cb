"""Child process of bench.cluster: time one system on one crawl and save its clusters."""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.anchors import SYSTEMS, page_paragraphs, run_anchor, run_dedup
from bench.corpus import split_paragraphs


def _read_pages(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as f:
        return [(r["id"], r["text"]) for r in map(json.loads, f)]


def _misaligned(pages: Sequence[tuple[str, str]], rows: Sequence[tuple[str, int]]) -> str | None:
    expected = [(doc, i) for doc, text in pages for i in range(len(split_paragraphs(text)))]
    if len(expected) != len(rows):
        return f"{len(rows)} rows for {len(expected)} paragraphs"
    for want, got in zip(expected, rows, strict=True):
        if want != got:
            return f"row (doc, para) {got} where {want} was expected"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one system from reading the JSONL to per-paragraph clusters; write OUT.npy/.json.

    The timed region is exactly that (the system's library is imported before it starts):
    read and parse the JSONL, split paragraphs (dedup splits
    inside ``dedup.cluster``), sign, index, query and join. OUT.npy holds one int64 cluster id
    per paragraph (ids < 0 or equal to no other row mean unique); OUT.json the seconds, the
    peak RSS of this process and of its own children (dedup's worker pool), in KiB.

    Example:
        python -m bench.worker datasketch bench/data/crawl-50-g2.jsonl /tmp/ds --jobs 1
    """
    parser = argparse.ArgumentParser(prog="python -m bench.worker", description=__doc__)
    parser.add_argument("system", choices=SYSTEMS)
    parser.add_argument("data", type=Path, help="crawl JSONL")
    parser.add_argument("out", type=Path, help="output path prefix")
    parser.add_argument("--jobs", type=int, default=2, help="dedup worker processes")
    args = parser.parse_args(argv)

    # Import the system's library before the clock starts: the timed region is reading the
    # JSONL to having labels, the same for every system, not interpreter start-up.
    importlib.import_module(args.system.partition("+")[0])
    start = time.perf_counter()
    pages = _read_pages(args.data)
    problem = None
    if args.system == "dedup":
        clusters, assignments = run_dedup(pages, args.jobs)
        seconds = time.perf_counter() - start
        problem = _misaligned(pages, [(a.doc, a.para) for a in assignments])  # untimed
    else:
        clusters = run_anchor(args.system, page_paragraphs(pages))
        seconds = time.perf_counter() - start

    np.save(args.out.with_suffix(".npy"), clusters)
    meta = {
        "system": args.system,
        "seconds": seconds,
        "paragraphs": int(clusters.size),
        "misaligned": problem,
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "children_maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }
    args.out.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
