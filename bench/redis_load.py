"""Replicas on one Redis against the SQLite single process and datasketch's LSH on Redis.

One durable redis-server (appendonly yes, appendfsync always) on a loopback port serves:

- match throughput and latency (wrk, closed loop) of ``dedup serve`` on SQLite, one replica on
  Redis, two replicas on Redis (``--processes 2``: two processes, each with its own index in
  memory, sharing the port) and the anchor (:mod:`bench.anchor_redis`);
- ingest throughput and latency (``POST /v1/documents``, one page a request) on fresh stores;
- Redis memory per stored paragraph (``used_memory`` before and after ``dedup index build``);
- how long a new replica takes to answer ``/healthz`` 200 on an index of 200k+ paragraphs.

Example:
    python -m bench.redis_load --pages 1000 --join-pages 5000 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

import aiohttp
import orjson
import redis

from bench import wrk
from bench.corpus import Page, default_path, generate, read_jsonl, split_paragraphs, write_jsonl
from bench.load_client import JSON_HEADERS, load_window, match_rates, match_workload
from bench.load_procs import HOST, Service, dedup_command, free_port
from bench.load_stats import percentile
from bench.redis_report import render
from bench.redis_server import RedisServer, find_redis_server
from bench.report import OUT_DIR

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 900.0  # the anchor bulk-loads the crawl into Redis before it answers
DB_MATCH, DB_ANCHOR, DB_INGEST, DB_JOIN = 1, 2, 3, 4


def _crawl(pages: int, seed: int) -> Path:
    path = default_path(pages, seed)
    if not path.exists():
        write_jsonl(generate(pages, seed), path)
    return path


def _serve(store: list[str], scratch: Path, *extra: str) -> Service:
    """``dedup serve`` on the store: one process unless ``extra`` asks for more."""
    port = free_port()
    extra = extra if "--processes" in extra else ("--processes", "1", *extra)
    command, env = dedup_command(REPO, "serve", *store, "--host", HOST, "--port", str(port), *extra)
    log = scratch / f"serve-{port}.log"
    return Service("dedup serve", command, port=port, log=log, cwd=REPO, env=env)


def _anchor(server: RedisServer, db: int, scratch: Path, crawl: Path | None) -> Service:
    port = free_port()
    command = [sys.executable, "-m", "bench.anchor_redis", "--port", str(port)]
    command += ["--redis-port", str(server.port), "--db", str(db)]
    command += [] if crawl is None else ["--data", str(crawl)]
    log = scratch / f"anchor-{port}.log"
    return Service("anchor", command, port=port, log=log, cwd=REPO, env={**os.environ})


def _build(crawl: Path, store: list[str]) -> float:
    command, env = dedup_command(REPO, "index", "build", str(crawl), *store, "-q")
    start = time.monotonic()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dedup index build failed:\n{done.stderr[-2000:]}")
    return time.monotonic() - start


def _used_memory(client: redis.Redis) -> int:
    info: dict[str, Any] = client.info("memory")
    return int(info["used_memory"])


def _memory(server: RedisServer, crawl: Path, db: int) -> dict[str, float]:
    """Build ``crawl`` into database ``db``; Redis memory it took, per stored paragraph."""
    client = redis.Redis(port=server.port, db=db)
    before = _used_memory(client)
    seconds = _build(crawl, ["--store", server.url(db)])
    time.sleep(0.5)
    grown = _used_memory(client) - before
    stored = len(client.zrange("dedup:docs", 0, -1))
    entries = int(client.hlen("dedup:e"))
    with crawl.open(encoding="utf-8") as lines:
        paragraphs = sum(len(split_paragraphs(json.loads(line)["text"])) for line in lines)
    client.close()
    return {
        "documents": stored,
        "paragraphs": paragraphs,
        "fingerprints": entries,
        "build_s": seconds,
        "used_memory_bytes": grown,
        "bytes_per_paragraph": grown / paragraphs,
        "bytes_per_fingerprint": grown / max(1, entries),
    }


def _distinct_crawl(paragraphs: int, scratch: Path) -> Path:
    """Pages of ten distinct 40-word paragraphs of random words: no paragraph repeats."""
    rng = random.Random(1)
    words = [f"{rng.choice('bcdfgklmnprst')}{rng.choice('aeiou')}{n}" for n in range(5000)]
    path = scratch / f"distinct-{paragraphs}.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for page in range(paragraphs // 10):
            paras = (" ".join(rng.choice(words) for _ in range(40)) for _ in range(10))
            out.write(json.dumps({"id": f"d{page}", "text": "\n\n".join(paras)}) + "\n")
    return path


def _window(service: Service, bodies: list[bytes], args: argparse.Namespace) -> dict[str, float]:
    url = service.url + "/v1/match"
    if wrk.available():
        summary = wrk.load_window(
            url,
            bodies,
            concurrency=args.concurrency,
            seconds=args.duration,
            warmup=args.warmup,
            server_cpu=service.cpu_seconds,
        )
    else:
        summary = asyncio.run(
            load_window(
                url,
                bodies,
                concurrency=args.concurrency,
                seconds=args.duration,
                warmup=args.warmup,
                server_cpu=service.cpu_seconds,
            )
        )
    return {"rps": summary.rps, "p50_ms": summary.p50_ms, "p99_ms": summary.p99_ms}


def _matching(
    args: argparse.Namespace, server: RedisServer, crawl: Path, pages: list[Page], scratch: Path
) -> dict[str, Any]:
    """Match windows on every system, in rotating order; medians per system."""
    probes = match_workload(pages, 30_000, args.seed)
    bodies = [p.body for p in probes]
    _build(crawl, ["--data", str(scratch / "sqlite-match")])
    redis_store = ["--store", server.url(DB_MATCH)]  # built by the memory step
    services = {
        "sqlite": _serve(["--data", str(scratch / "sqlite-match")], scratch),
        "redis-1": _serve(redis_store, scratch),
        "redis-2": _serve(redis_store, scratch, "--processes", "2"),
        "anchor": _anchor(server, DB_ANCHOR, scratch, crawl),
    }
    try:
        for service in services.values():
            service.wait_healthy(START_TIMEOUT)
        rates = {
            name: asyncio.run(match_rates(s.url + "/v1/match", probes[:300]))["all"]
            for name, s in services.items()
        }
        windows: dict[str, list[dict[str, float]]] = {name: [] for name in services}
        names = list(services)
        for run in range(args.runs):
            for name in names[run % len(names) :] + names[: run % len(names)]:
                row = _window(services[name], bodies, args)
                windows[name].append(row)
                print(f"match run {run} {name:>8}: {row}", file=sys.stderr)
    finally:
        for service in services.values():
            service.stop()
    return {
        "concurrency": args.concurrency,
        "match_rate": rates,
        "windows": windows,
        "medians": {
            name: {k: median(r[k] for r in rows) for k in rows[0]} for name, rows in windows.items()
        },
    }


async def _ingest_pages(
    url: str, pages: list[Page], concurrency: int, tag: str
) -> dict[str, float]:
    """POST each page once, ``concurrency`` at a time; throughput and latency percentiles."""
    bodies = iter(orjson.dumps({"id": f"{tag}/{p.id}", "text": p.text}) for p in pages)
    latencies: list[float] = []
    failures = 0
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency), timeout=timeout
    ) as session:

        async def worker() -> None:
            nonlocal failures
            for body in bodies:
                sent = time.perf_counter()
                async with session.post(
                    url + "/v1/documents", data=body, headers=JSON_HEADERS
                ) as answer:
                    await answer.read()
                    if answer.status != 200:
                        failures += 1
                        continue
                latencies.append(time.perf_counter() - sent)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - start
    paragraphs = sum(len(split_paragraphs(p.text)) for p in pages)
    return {
        "pages": len(pages),
        "failures": failures,
        "pages_per_s": len(pages) / seconds,
        "paragraphs_per_s": paragraphs / seconds,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


def _ingesting(
    args: argparse.Namespace, server: RedisServer, pages: list[Page], scratch: Path
) -> dict[str, Any]:
    """Ingest into fresh stores of every system; the anchor gets the first anchor_pages."""
    rows: dict[str, list[dict[str, float]]] = {}
    for run in range(args.runs):
        for name in ("sqlite", "redis-1", "redis-2", "anchor", "anchor-everysec"):
            for db in (DB_INGEST, DB_ANCHOR + 10):
                with redis.Redis(port=server.port, db=db) as client:
                    client.flushdb()
                    # datasketch sends one command per band: with appendfsync always, each is
                    # an fsync. The anchor is also measured with everysec, and the faster counts.
                    fsync = "everysec" if name == "anchor-everysec" else "always"
                    client.config_set("appendfsync", fsync)
            if name == "sqlite":
                service = _serve(["--data", str(scratch / f"sqlite-ingest-{run}")], scratch)
            elif name.startswith("anchor"):
                service = _anchor(server, DB_ANCHOR + 10, scratch, None)
            else:
                extra = ["--processes", "2"] if name == "redis-2" else []
                service = _serve(["--store", server.url(DB_INGEST)], scratch, *extra)
            try:
                service.wait_healthy(START_TIMEOUT)
                chosen = pages[: args.anchor_pages] if name.startswith("anchor") else pages
                row = asyncio.run(
                    _ingest_pages(service.url, chosen, args.ingest_concurrency, f"r{run}")
                )
            finally:
                service.stop()
            rows.setdefault(name, []).append(row)
            print(f"ingest run {run} {name:>8}: {row}", file=sys.stderr)
    with redis.Redis(port=server.port) as client:
        client.config_set("appendfsync", "always")
    return {
        "concurrency": args.ingest_concurrency,
        "runs": rows,
        "medians": {
            name: {k: median(r[k] for r in runs) for k in runs[0]} for name, runs in rows.items()
        },
    }


def _join(args: argparse.Namespace, server: RedisServer, scratch: Path) -> dict[str, Any]:
    """Seconds from a new replica's start to its first /healthz 200 on a large index."""
    crawl = _crawl(args.join_pages, args.seed)
    memory = _memory(server, crawl, DB_JOIN)
    seconds: list[float] = []
    rss: list[int] = []
    paragraphs = 0
    for _ in range(args.runs):
        service = _serve(["--store", server.url(DB_JOIN)], scratch)
        try:
            seconds.append(service.wait_healthy(START_TIMEOUT))
            paragraphs = int(service.health()["paragraphs"])
            rss.append(service.rss())
        finally:
            service.stop()
    print(f"join: {seconds} s for {paragraphs} paragraphs", file=sys.stderr)
    return {
        "paragraphs": paragraphs,
        "seconds": seconds,
        "median_s": median(seconds),
        "replica_rss_bytes": median(rss),
        "memory": memory,
    }


def _replica_memory(
    server: RedisServer, scratch: Path, stores: dict[str, list[str]]
) -> dict[str, Any]:
    """RSS growth per stored paragraph of one replica, against a replica on an empty store."""
    sizes: dict[str, tuple[int, int]] = {}
    for name, store in {"empty": ["--store", server.url(DB_JOIN + 2)], **stores}.items():
        service = _serve(store, scratch)
        try:
            service.wait_healthy(START_TIMEOUT)
            time.sleep(1.0)
            sizes[name] = (service.rss(), int(service.health()["paragraphs"]))
        finally:
            service.stop()
    empty = sizes.pop("empty")[0]
    return {
        name: {"paragraphs": p, "rss_bytes": rss, "bytes_per_paragraph": (rss - empty) / p}
        for name, (rss, p) in sizes.items()
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write its JSON; print the figures as Markdown."""
    parser = argparse.ArgumentParser(prog="python -m bench.redis_load", description=__doc__)
    parser.add_argument("--pages", type=int, default=1000, help="crawl to index and query")
    parser.add_argument("--join-pages", type=int, default=5000, help="crawl a new replica joins")
    parser.add_argument("--anchor-pages", type=int, default=20, help="pages the anchor ingests")
    parser.add_argument("--runs", type=int, default=3, help="runs; medians are reported")
    parser.add_argument("--concurrency", type=int, default=32, help="match connections")
    parser.add_argument("--ingest-concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per match window")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--distinct", type=int, default=50_000, help="distinct paragraphs")
    parser.add_argument(
        "--parts", default="match,ingest,join,replica", help="what to run beside the memory"
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR / "redis-load.json")
    parser.add_argument("--render", type=Path, help="print the tables of a result file, only")
    args = parser.parse_args(argv)
    if args.render is not None:
        print(render(json.loads(args.render.read_text())))
        return 0
    # SIGTERM ends the run through the finally blocks, which stop every server started.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
    binary = find_redis_server()
    if binary is None:
        print("redis-server is not installed: run 'make redis-server'", file=sys.stderr)
        return 2
    crawl = _crawl(args.pages, args.seed)
    pages = list(read_jsonl(crawl))
    with tempfile.TemporaryDirectory(prefix="dedup-redis-bench-") as tmp:
        scratch = Path(tmp)
        with RedisServer(scratch / "redis", binary=binary) as server:
            results: dict[str, Any] = {"pages": args.pages}
            results["memory"] = _memory(server, crawl, DB_MATCH)
            print(f"memory: {results['memory']}", file=sys.stderr)
            if args.distinct:
                distinct = _distinct_crawl(args.distinct, scratch)
                results["memory_distinct"] = _memory(server, distinct, DB_JOIN + 1)
                print(f"memory, distinct: {results['memory_distinct']}", file=sys.stderr)
            parts = args.parts.split(",")
            if "match" in parts:
                results["match"] = _matching(args, server, crawl, pages, scratch)
            if "ingest" in parts:
                results["ingest"] = _ingesting(args, server, pages, scratch)
            if "join" in parts:
                results["join"] = _join(args, server, scratch)
            if "replica" in parts:
                stores = {"crawl": ["--store", server.url(DB_MATCH)]}
                if args.distinct:
                    # the same paragraphs loaded from SQLite: what stays of the load's buffers
                    sqlite = scratch / "distinct-sqlite"
                    _build(_distinct_crawl(args.distinct, scratch), ["--data", str(sqlite)])
                    stores["distinct"] = ["--store", server.url(DB_JOIN + 1)]
                    stores["distinct, from SQLite"] = ["--data", str(sqlite)]
                results["replica_memory"] = _replica_memory(server, scratch, stores)
                print(f"replica memory: {results['replica_memory']}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
