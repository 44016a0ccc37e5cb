"""Start-up of `dedup serve` to a 200 on /healthz with a large store, realistic or all distinct."""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.corpus import default_path, generate, write_jsonl
from bench.load_procs import index_build, start_dedup
from bench.report import OUT_DIR, write_json

REPO = Path(__file__).resolve().parent.parent


def distinct_crawl(path: Path, pages: int, per_page: int, seed: int) -> None:
    """Write a crawl whose paragraphs are all different (35 random words from 20,000)."""
    rng = np.random.default_rng(seed)
    vocabulary = np.array([f"w{i}" for i in range(20_000)])
    with path.open("w", encoding="utf-8") as out:
        for page in range(pages):
            paragraphs = [" ".join(rng.choice(vocabulary, 35)) for _ in range(per_page)]
            out.write(json.dumps({"id": f"p{page}", "text": "\n\n".join(paragraphs)}) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Build each store once, then start the service on it ``--runs`` times.

    Example:
        python -m bench.startup --runs 3
    """
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", type=Path, default=OUT_DIR / "startup.json")
    parser.add_argument("--serve-args", type=shlex.split, default=[], help="extra serve flags")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="dedup-startup-") as scratch_name:
        scratch = Path(scratch_name)
        crawl = default_path(5000, 0)
        if not crawl.exists():
            crawl.parent.mkdir(parents=True, exist_ok=True)
            write_jsonl(generate(5000, 0), crawl)
        distinct = scratch / "distinct.jsonl"
        distinct_crawl(distinct, pages=5000, per_page=40, seed=1)
        for name, source in (("5,000-page crawl", crawl), ("200k distinct paragraphs", distinct)):
            data = scratch / name.replace(" ", "-").replace(",", "")
            build = index_build(REPO, source, data, args.timeout)
            seconds = []
            for _ in range(args.runs):
                service, startup = start_dedup(REPO, data, scratch, args.serve_args, args.timeout)
                with service:
                    health = service.health()
                seconds.append(startup)
            row = {
                "store": name,
                "paragraphs": health["paragraphs"],
                "clusters": health["clusters"],
                "index_build_s": build,
                "startup_s": seconds,
                "median_startup_s": statistics.median(seconds),
            }
            results.append(row)
            print(
                f"{name}: {row['paragraphs']} paragraphs, {row['clusters']} clusters; "
                f"index build {build:.2f} s; start-up to /healthz 200: median "
                f"{row['median_startup_s']:.2f} s of {[round(s, 2) for s in seconds]}"
            )
    write_json(
        args.json,
        {"bench": "startup", "runs": args.runs, "serve_args": args.serve_args, "stores": results},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
