"""Server CPU per single-paragraph POST /v1/match: two source trees, alternating windows.

A quicker, less noisy figure than ``bench.service_load``: both trees serve the same store at
once, and load windows alternate between them, so a neighbour's load hits both alike. The
figure is the server process's user + system CPU time over a window divided by the requests
it answered (``server_cpu_ms`` of :class:`bench.load_stats.LoadSummary`). On a shared
machine the minimum over windows is the least disturbed figure: other load only adds to it.

Example:
    git archive HEAD~3 | tar -x -C /tmp/base
    python -m bench.server_cpu --root /tmp/base --root . --runs 5 --concurrency 32
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.corpus import default_path, read_jsonl
from bench.load_client import load_window, match_workload
from bench.load_procs import Service, index_build, start_dedup

START_TIMEOUT = 120.0  # seconds a service may take to answer /healthz
BUILD_TIMEOUT = 1800.0  # seconds `dedup index build` may take


def main(argv: Sequence[str] | None = None) -> int:
    """Print each window's server CPU per request, then the median (and min) per tree."""
    parser = argparse.ArgumentParser(prog="python -m bench.server_cpu", description=__doc__)
    parser.add_argument("--root", type=Path, action="append", required=True, help="source tree")
    parser.add_argument("--pages", type=int, default=1000, help="crawl to index and query")
    parser.add_argument("--runs", type=int, default=5, help="windows per tree")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per window")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--seed", type=int, default=0, help="workload seed")
    args = parser.parse_args(argv)
    roots: list[Path] = [root.resolve() for root in args.root]
    crawl = default_path(args.pages, args.seed)
    bodies = [p.body for p in match_workload(list(read_jsonl(crawl)), 30_000, args.seed)]
    cpu: dict[int, list[float]] = {i: [] for i in range(len(roots))}
    rps: dict[int, list[float]] = {i: [] for i in range(len(roots))}
    with tempfile.TemporaryDirectory(prefix="dedup-cpu-") as tmp:
        scratch = Path(tmp)
        store = scratch / "store"
        index_build(roots[0], crawl, store, BUILD_TIMEOUT)
        services: list[Service] = []
        try:
            for root in roots:
                services.append(start_dedup(root, store, scratch, [], START_TIMEOUT)[0])
            for run in range(args.runs):
                order = range(len(roots)) if run % 2 == 0 else reversed(range(len(roots)))
                for i in order:
                    summary = asyncio.run(
                        load_window(
                            services[i].url + "/v1/match",
                            bodies,
                            concurrency=args.concurrency,
                            seconds=args.duration,
                            warmup=args.warmup,
                            server_cpu=services[i].cpu_seconds,
                        )
                    )
                    cpu[i].append(summary.server_cpu_ms)
                    rps[i].append(summary.rps)
                    print(
                        f"run {run} {roots[i]}: {summary.server_cpu_ms:.3f} ms CPU/req "
                        f"{summary.rps:.0f} req/s p99 {summary.p99_ms:.1f} ms "
                        f"errors {summary.errors}",
                        file=sys.stderr,
                    )
        finally:
            for service in services:
                service.stop()
    for i, root in enumerate(roots):
        print(
            f"{root}: median {statistics.median(cpu[i]):.3f} ms CPU/req "
            f"(min {min(cpu[i]):.3f}), {statistics.median(rps[i]):.0f} req/s "
            f"over {args.runs} windows"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
