"""/healthz latency while `dedup serve` ingests a 5 MB document (issue 3: within 50 ms).

A real server process on a free loopback port; one client posts a 5 MB page of 460 distinct
paragraphs while another probes /healthz every 10 ms until the post is answered. Each run posts
a new page under a new id, so every run does the whole ingest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from bench.load_procs import start_dedup
from bench.report import OUT_DIR, write_json

REPO = Path(__file__).resolve().parent.parent
_WORDS = [f"word{index}" for index in range(50_000)]


def big_page(seed: int, paragraphs: int = 460, words: int = 1200) -> str:
    """Return a page of at least 5 MB: ``paragraphs`` paragraphs of ``words`` random words."""
    rng = random.Random(seed)
    text = "\n\n".join(" ".join(rng.choices(_WORDS, k=words)) for _ in range(paragraphs))
    if len(text.encode()) < 5_000_000:
        raise ValueError("the page is under 5 MB: give it more words")
    return text


async def probe_during_ingest(url: str, body: bytes) -> tuple[list[float], float]:
    """Post ``body`` and probe /healthz until it is answered; return latencies and post seconds."""
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        post = asyncio.ensure_future(
            session.post(
                f"{url}/v1/documents", data=body, headers={"Content-Type": "application/json"}
            )
        )
        latencies: list[float] = []
        while not post.done():
            start = time.perf_counter()
            async with session.get(f"{url}/healthz") as answer:
                await answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"/healthz answered {answer.status}")
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(0.01)
        response = await post
        if response.status != 200:
            raise RuntimeError(f"the ingest answered {response.status}: {await response.text()}")
        return latencies, time.perf_counter() - started


def _row(latencies: list[float], ingest: float) -> dict[str, float]:
    return {
        "ingest_s": ingest,
        "probes": len(latencies),
        "median_ms": 1000 * statistics.median(latencies),
        "max_ms": 1000 * max(latencies),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Start the service once; ingest one 5 MB page, then ``--runs`` more, timing /healthz.

    The first ingest after start-up is reported on its own: it also pays for the first use of
    the service's worker processes. The medians are over the later runs, each a new document.

    Example:
        python -m bench.healthz_ingest --runs 5
    """
    parser = argparse.ArgumentParser(prog="python -m bench.healthz_ingest", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", type=Path, default=OUT_DIR / "healthz_ingest.json")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dedup-healthz-") as scratch_name:
        scratch = Path(scratch_name)
        service, _ = start_dedup(REPO, scratch / "store", scratch, [], args.timeout)
        with service:
            for run in range(args.runs + 1):
                body = json.dumps({"id": f"big-{run}", "text": big_page(run)}).encode()
                row = _row(*asyncio.run(probe_during_ingest(service.url, body)))
                rows.append(row)
                label = "first ingest after start-up" if run == 0 else f"run {run}"
                print(
                    f"{label}: 5 MB ingest {row['ingest_s']:.2f} s; {row['probes']} probes, "
                    f"median {row['median_ms']:.1f} ms, max {row['max_ms']:.1f} ms"
                )
    later = rows[1:]
    medians = {
        key: statistics.median(row[key] for row in later)
        for key in ("ingest_s", "median_ms", "max_ms")
    }
    print(
        f"medians over runs 1-{args.runs}: ingest {medians['ingest_s']:.2f} s, /healthz median "
        f"{medians['median_ms']:.1f} ms, max {medians['max_ms']:.1f} ms"
    )
    write_json(
        args.json, {"bench": "healthz_ingest", "first": rows[0], "runs": later, "medians": medians}
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
