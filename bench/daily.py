"""The daily crawl: `dedup index add` onto a filled store; `dedup match` against `dedup cluster`.

One generated crawl of 2N pages (same sites, stories and boilerplate throughout) is cut in two:
the first N pages fill a store (`dedup index build`), the last N are the day's crawl. Every
timing is a whole `dedup` process, wall clock, started fresh:

- `dedup index add DAILY --data COPY`, each run on a fresh copy of the filled store (the copy is
  not timed); optionally against the anchor of adding the same pages one by one with
  ``Index.add`` in one process (what posting them to the service does, without HTTP), whose
  store must come out identical;
- `dedup match DAILY --data STORE -o FILE` against `dedup cluster DAILY -o FILE2`, alternating
  run by run, each command replacing its own previous output, as a user's daily run does.

The filled store keeps the snapshot of its columns that `dedup index build` takes (as one that
`dedup index add` filled does); ``--no-snapshot`` drops it first, as a service's write would,
so that every load reads the tables.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.corpus import Page, default_path, generate, read_jsonl, write_jsonl
from bench.load_procs import dedup_command
from bench.report import OUT_DIR, write_json

REPO = Path(__file__).resolve().parent.parent


def _run(*args: str, timeout: float) -> float:
    """Run ``dedup ARGS``; return its wall seconds."""
    command, env = dedup_command(REPO, *args)
    start = time.monotonic()
    done = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError(f"dedup {args[0]} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def _crawl(pages: int, seed: int) -> list[Page]:
    path = default_path(pages, seed)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_jsonl(generate(pages, seed), path)
    return list(read_jsonl(path))


def _one_by_one(daily: list[Page], data: Path) -> float:
    """Add the pages one by one with Index.add on a copy of the store; return the seconds."""
    from dedup import Index

    index = Index.open(data)
    start = time.monotonic()
    for page in daily:
        index.add(page.id, page.text)
    seconds = time.monotonic() - start
    index.close()
    return seconds


def _dump(data: Path) -> list[tuple[str, tuple[str, ...]]]:
    from dedup.stores.sqlite import SQLiteStore

    store = SQLiteStore(data / "dedup.sqlite3", read_only=True)
    try:
        return [(d.id, d.clusters) for d in store.documents()]
    finally:
        store.close()


def _drop_snapshot(path: Path) -> None:
    """Delete the store's snapshot, as any write but `index build` and `index add` does."""
    db = sqlite3.connect(path)
    try:
        db.execute("DELETE FROM snapshot")
        db.commit()
    finally:
        db.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Time `dedup index add` and `dedup match` against `dedup cluster`.

    Example:
        python -m bench.daily --pages 5000 --runs 5
    """
    parser = argparse.ArgumentParser(prog="python -m bench.daily", description=__doc__)
    parser.add_argument("--pages", type=int, default=5000, help="pages stored, and pages added")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2, help="--jobs of every dedup command")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument(
        "--anchor", action="store_true", help="also add the pages one by one (slow; one run)"
    )
    parser.add_argument(
        "--no-snapshot",
        action="store_true",
        help="drop the filled store's snapshot first: loads read the tables",
    )
    parser.add_argument("--json", type=Path, default=OUT_DIR / "daily.json")
    args = parser.parse_args(argv)
    pages = _crawl(2 * args.pages, args.seed)
    common = ["--jobs", str(args.jobs), "-q"]

    def run(*command: str) -> float:
        return _run(*command, *common, timeout=args.timeout)

    with tempfile.TemporaryDirectory(prefix="dedup-daily-") as scratch_name:
        scratch = Path(scratch_name)
        stored, daily = scratch / "stored.jsonl", scratch / "daily.jsonl"
        write_jsonl(pages[: args.pages], stored)
        write_jsonl(pages[args.pages :], daily)
        store = scratch / "store"
        build = run("index", "build", str(stored), "--data", str(store))
        print(f"index build of {args.pages} pages: {build:.2f} s")
        if args.no_snapshot:
            _drop_snapshot(store / "dedup.sqlite3")
        adds = []
        for number in range(args.runs):
            copy = scratch / f"add-{number}"
            shutil.copytree(store, copy)
            adds.append(run("index", "add", str(daily), "--data", str(copy)))
            print(f"index add run {number + 1}: {adds[-1]:.2f} s")
        anchor = None
        if args.anchor:
            copy = scratch / "one-by-one"
            shutil.copytree(store, copy)
            anchor = _one_by_one(pages[args.pages :], copy)
            same = _dump(copy) == _dump(scratch / "add-0")
            print(f"Index.add one by one: {anchor:.2f} s; stores identical: {same}")
            if not same:
                raise RuntimeError("index add and Index.add one by one disagree")
        matches, clusters = [], []
        matched, clustered = str(scratch / "matched.jsonl"), str(scratch / "clustered.jsonl")
        for number in range(args.runs):
            first_match = number % 2 == 0  # alternate which command runs first
            if first_match:
                matches.append(run("match", str(daily), "--data", str(store), "-o", matched))
            clusters.append(run("cluster", str(daily), "-o", clustered))
            if not first_match:
                matches.append(run("match", str(daily), "--data", str(store), "-o", matched))
            print(f"run {number + 1}: match {matches[-1]:.2f} s, cluster {clusters[-1]:.2f} s")
    result = {
        "bench": "daily",
        "pages": args.pages,
        "seed": args.seed,
        "runs": args.runs,
        "jobs": args.jobs,
        "snapshot": not args.no_snapshot,
        "index_build_s": build,
        "index_add_s": adds,
        "median_index_add_s": statistics.median(adds),
        "one_by_one_s": anchor,
        "match_s": matches,
        "cluster_s": clusters,
        "median_match_s": statistics.median(matches),
        "median_cluster_s": statistics.median(clusters),
        "cluster_over_match": statistics.median(clusters) / statistics.median(matches),
    }
    print(
        f"index add {args.pages} onto {args.pages}: median {result['median_index_add_s']:.2f} s; "
        f"match median {result['median_match_s']:.2f} s, cluster median "
        f"{result['median_cluster_s']:.2f} s, cluster / match {result['cluster_over_match']:.2f}"
    )
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
