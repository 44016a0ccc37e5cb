"""Load benchmark of ``dedup serve`` against the aiohttp + datasketch anchor: match, ingest, RSS."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import wrk
from bench.corpus import Page, default_path, generate, read_jsonl, split_paragraphs, write_jsonl
from bench.load_client import ingest, load_window, match_rates, match_workload
from bench.load_procs import Service, index_build, start_anchor, start_dedup
from bench.load_stats import LoadSummary, median_of, ratio
from bench.report import OUT_DIR, markdown_table, write_json

REPO = Path(__file__).resolve().parent.parent
SYSTEMS = ("dedup", "anchor")
METRICS = ("rps", "p50_ms", "p90_ms", "p99_ms", "mean_ms", "server_cpu_ms", "client_cpu_ms")
RATIOS = ("rps", "p99_ms", "server_cpu_ms")  # dedup / anchor columns
WORKLOAD = 30_000  # match requests, cycled: more than one window sends at 3,000 req/s
START_TIMEOUT = 120.0  # seconds a service may take to answer /healthz
BUILD_TIMEOUT = 1800.0  # seconds `dedup index build` may take
CAVEAT = (
    "The load driver ({client}, one process) runs on the same machine as the server and competes "
    "with it for the CPU cores; figures are a lower bound on server capacity."
)


def _tree(root: Path) -> dict[str, Any]:
    """Return the commit and dirtiness of the source tree served, when it is a git work tree."""

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )

    try:
        head, dirty = git("rev-parse", "HEAD"), git("status", "--porcelain", "dedup", "service")
    except (OSError, subprocess.SubprocessError):
        return {"root": str(root), "commit": None}
    commit = head.stdout.strip() if head.returncode == 0 else None
    return {"root": str(root), "commit": commit, "dirty": bool(dirty.stdout.strip())}


def _crawl(pages: int, seed: int) -> Path:
    """Return the crawl file of pages pages, generating it when missing."""
    path = default_path(pages, seed)
    if not path.exists():
        write_jsonl(generate(pages, seed), path)
    return path


def _matching(
    args: argparse.Namespace, crawl: Path, pages: list[Page], store: Path, scratch: Path
) -> dict[str, Any]:
    """Measure match throughput and latency of dedup and the anchor, alternating them."""
    probes = match_workload(pages, WORKLOAD, args.seed)
    bodies = [p.body for p in probes]
    dedup, dedup_start = start_dedup(
        args.dedup_root, store, scratch, args.serve_args, START_TIMEOUT
    )
    try:
        anchor, anchor_start = start_anchor(crawl, scratch, START_TIMEOUT)
        try:
            services: dict[str, Service] = {"dedup": dedup, "anchor": anchor}
            sample = probes[: args.validate]
            rates = {
                name: asyncio.run(match_rates(s.url + "/v1/match", sample))
                for name, s in services.items()
            }
            windows: list[dict[str, Any]] = []
            for run in range(args.runs):
                for step, concurrency in enumerate(args.concurrency):
                    order = SYSTEMS if (run + step) % 2 == 0 else SYSTEMS[::-1]
                    for name in order:
                        summary = _window(args, services[name], bodies, concurrency)
                        row = {"system": name, "run": run, "concurrency": concurrency}
                        windows.append(row | dataclasses.asdict(summary))
                        print(
                            f"run {run} c={concurrency:>3} {name:>6}: {summary.rps:8.0f} req/s "
                            f"p50 {summary.p50_ms:6.1f} p99 {summary.p99_ms:6.1f} ms "
                            f"errors {summary.errors}",
                            file=sys.stderr,
                        )
        finally:
            anchor.stop()
    finally:
        dedup.stop()
    medians: dict[str, dict[str, dict[str, float]]] = {name: {} for name in SYSTEMS}
    for name in SYSTEMS:
        for c in args.concurrency:
            mine = [w for w in windows if w["system"] == name and w["concurrency"] == c]
            medians[name][str(c)] = {m: median_of([w[m] for w in mine]) for m in METRICS}
            medians[name][str(c)]["errors"] = sum(w["errors"] for w in mine)
    return {
        "workload": {"requests": len(probes), "kinds": dict(_count(p.kind for p in probes))},
        "match_rate": rates,
        "start_seconds": {"dedup": dedup_start, "anchor": anchor_start},
        "windows": windows,
        "medians": medians,
    }


def _window(
    args: argparse.Namespace, service: Service, bodies: list[bytes], concurrency: int
) -> LoadSummary:
    """One measured window of match load on ``service``, driven by the chosen client."""
    window = (
        wrk.load_window
        if args.client == "wrk"
        else lambda *a, **kw: asyncio.run(load_window(*a, **kw))
    )
    return window(
        service.url + "/v1/match",
        bodies,
        concurrency=concurrency,
        seconds=args.duration,
        warmup=args.warmup,
        server_cpu=service.cpu_seconds,
    )


def _count(items: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def _stored(service: Service, expected: int, patience: float = 5.0) -> int:
    """The documents /healthz counts, once it counts ``expected`` or ``patience`` runs out (with
    several processes, the worker that answers follows the others' writes within a second)."""
    deadline = time.monotonic() + patience
    while True:
        stored = int(service.health()["documents"])
        if stored == expected or time.monotonic() > deadline:
            return stored
        time.sleep(0.1)


def _ingest(
    args: argparse.Namespace, crawl: Path, pages: list[Page], scratch: Path
) -> dict[str, Any]:
    """Time `dedup index build`, POST /v1/documents and the batch route on fresh stores."""
    runs: list[dict[str, float]] = []
    for run in range(args.runs):
        build = index_build(args.dedup_root, crawl, scratch / f"build-{run}", BUILD_TIMEOUT)
        row = {"index_build": len(pages) / build}
        for route, batch in (("post", 0), ("batch", args.batch_size)):
            store = scratch / f"{route}-{run}"
            service, _ = start_dedup(args.dedup_root, store, scratch, args.serve_args, 60.0)
            try:
                seconds, failures = asyncio.run(
                    ingest(service.url, pages, args.ingest_concurrency, batch, f"run{run}/")
                )
                stored = _stored(service, len(pages))
            finally:
                service.stop()
            if failures or stored != len(pages):
                raise RuntimeError(f"{route}: {failures} failures, {stored} documents stored")
            row[route] = len(pages) / seconds
        print(f"run {run} ingest pages/s: {row}", file=sys.stderr)
        runs.append(row)
    return {"runs": runs, "medians": {k: median_of([r[k] for r in runs]) for k in runs[0]}}


def _memory(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    """RSS growth from an empty store to the memory crawl's store, and start-up time."""
    crawl = _crawl(args.memory_pages, args.seed)
    store = scratch / "memory-store"
    build = index_build(args.dedup_root, crawl, store, BUILD_TIMEOUT)
    runs = []
    for run in range(args.runs):
        sizes: dict[str, float] = {}
        for name, data in (("empty", scratch / f"empty-{run}"), ("full", store)):
            service, seconds = start_dedup(
                args.dedup_root, data, scratch, args.serve_args, START_TIMEOUT
            )
            try:
                time.sleep(args.settle)
                sizes[f"{name}_rss"] = service.rss()
                sizes[f"{name}_start_s"] = seconds
                sizes[f"{name}_paragraphs"] = service.health()["paragraphs"]
            finally:
                service.stop()
        growth = sizes["full_rss"] - sizes["empty_rss"]
        sizes["bytes_per_paragraph"] = growth / max(1, sizes["full_paragraphs"])
        print(f"run {run} memory: {sizes}", file=sys.stderr)
        runs.append(sizes)
    return {
        "pages": args.memory_pages,
        "index_build_pages_per_s": args.memory_pages / build,
        "runs": runs,
        "medians": {k: median_of([r[k] for r in runs]) for k in runs[0]},
    }


def _plot(matching: dict[str, Any], concurrency: list[int], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, color in zip(SYSTEMS, ("tab:blue", "tab:orange"), strict=True):
        for metric, style in (("p50_ms", "-o"), ("p99_ms", "--s")):
            ys = [matching["medians"][name][str(c)][metric] for c in concurrency]
            ax.plot(concurrency, ys, style, color=color, label=f"{name} {metric[:3]}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(concurrency, [str(c) for c in concurrency])
    ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.set_xlabel("concurrent connections")
    ax.set_ylabel("latency (ms)")
    ax.set_title("POST /v1/match, one paragraph: latency against concurrency", fontsize=11)
    fig.text(0.01, 0.01, "client and servers share the machine's cores", fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _tables(result: dict[str, Any], concurrency: list[int]) -> str:
    med = result["matching"]["medians"]
    rows = []
    for c in concurrency:
        for name in SYSTEMS:
            m = med[name][str(c)]
            rows.append(
                [c, name, f"{m['rps']:,.0f}", *(f"{m[k]:.2f}" for k in METRICS[1:]), m["errors"]]
            )
    headers = ["concurrency", "system", "req/s", "p50 ms", "p90 ms", "p99 ms", "mean ms"]
    headers += ["server CPU ms/req", "client CPU ms/req", "errors"]
    out = ["### Matching (medians over runs)", markdown_table(headers, rows)]
    ratios = [
        [c, *(f"{ratio(med['dedup'][str(c)][k], med['anchor'][str(c)][k]):.2f}" for k in RATIOS)]
        for c in concurrency
    ]
    out += [
        "### dedup / anchor",
        markdown_table(
            ["concurrency", "throughput ratio", "p99 ratio", "server CPU ratio"], ratios
        ),
    ]
    rates = result["matching"]["match_rate"]
    kinds = sorted(rates["dedup"])
    out += [
        "### Share of probes matched",
        markdown_table(
            ["system", *kinds], [[n, *(f"{rates[n][k]:.2f}" for k in kinds)] for n in SYSTEMS]
        ),
    ]
    ing = result.get("ingest", {}).get("medians")
    out += (
        []
        if ing is None
        else [
            "### Ingest (pages/s, medians over runs)",
            markdown_table(
                ["path", "pages/s"],
                [
                    [
                        f"POST /v1/documents, concurrency {result['config']['ingest_concurrency']}",
                        f"{ing['post']:,.0f}",
                    ],
                    [
                        f"POST /v1/documents:batch ({result['config']['batch_size']} per batch)",
                        f"{ing['batch']:,.0f}",
                    ],
                    [
                        "dedup index build (wall, incl. interpreter start)",
                        f"{ing['index_build']:,.0f}",
                    ],
                ],
            ),
        ]
    )
    if "memory" in result:
        mem = result["memory"]
        m = mem["medians"]
        out += [
            f"### Memory and start-up ({mem['pages']:,}-page crawl)",
            markdown_table(
                ["metric", "value"],
                [
                    ["paragraphs stored", f"{m['full_paragraphs']:,.0f}"],
                    ["RSS, empty store (MiB)", f"{m['empty_rss'] / 2**20:.1f}"],
                    ["RSS, full store (MiB)", f"{m['full_rss'] / 2**20:.1f}"],
                    ["RSS growth per paragraph (bytes)", f"{m['bytes_per_paragraph']:,.0f}"],
                    ["start-up to /healthz 200, full store (s)", f"{m['full_start_s']:.2f}"],
                    ["start-up to /healthz 200, empty store (s)", f"{m['empty_start_s']:.2f}"],
                    ["dedup index build (pages/s)", f"{mem['index_build_pages_per_s']:,.0f}"],
                ],
            ),
        ]
    out.append(f"Note: {result['caveat']}")
    return "\n\n".join(out)


def _ints(text: str) -> list[int]:
    return sorted({int(part) for part in text.split(",") if part.strip()})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the load benchmark and write JSON, Markdown tables and the latency plot.

    Example:
        python -m bench.service_load --pages 1000 --runs 3 --concurrency 1,8,32,64 --duration 10
    """
    parser = argparse.ArgumentParser(prog="python -m bench.service_load", description=__doc__)
    parser.add_argument("--pages", type=int, default=1000, help="crawl to index and query")
    parser.add_argument("--runs", type=int, default=3, help="runs; medians are reported")
    parser.add_argument("--concurrency", type=_ints, default=[1, 8, 32, 64], help="e.g. 1,8,32")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load window")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--validate", type=int, default=400, help="probes checked for matches")
    parser.add_argument("--ingest-concurrency", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=50, help="documents per batch")
    parser.add_argument("--memory-pages", type=int, default=5000, help="0 skips memory")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds before reading RSS")
    parser.add_argument("--seed", type=int, default=0, help="crawl and workload seed")
    parser.add_argument("--dedup-root", type=Path, default=REPO, help="source tree to serve")
    parser.add_argument("--serve-args", type=shlex.split, default=[], help="extra serve flags")
    parser.add_argument(
        "--client",
        choices=("wrk", "aiohttp"),
        default="wrk",
        help="load generator of the match windows (wrk: 'make wrk' installs it)",
    )
    parser.add_argument("--skip-ingest", action="store_true", help="only matching (and memory)")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "service-load.json")
    parser.add_argument("--plot", type=Path, default=OUT_DIR / "latency-vs-concurrency.png")
    args = parser.parse_args(argv)
    args.dedup_root = args.dedup_root.resolve()
    if args.client == "wrk" and not wrk.available():
        parser.error("wrk is not installed: run 'make wrk', or pass --client aiohttp")
    crawl = _crawl(args.pages, args.seed)
    pages = list(read_jsonl(crawl))
    config = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "out"}
    config["tree"] = _tree(args.dedup_root)
    config["paragraphs"] = sum(len(split_paragraphs(p.text)) for p in pages)
    result: dict[str, Any] = {"config": config, "caveat": CAVEAT.format(client=args.client)}
    with tempfile.TemporaryDirectory(prefix="dedup-load-") as tmp:
        scratch = Path(tmp)
        store = scratch / "match-store"
        result["match_store_build_s"] = index_build(args.dedup_root, crawl, store, BUILD_TIMEOUT)
        if not args.skip_ingest:
            result["ingest"] = _ingest(args, crawl, pages, scratch)
        result["matching"] = _matching(args, crawl, pages, store, scratch)
        if args.memory_pages:
            result["memory"] = _memory(args, scratch)
    write_json(args.out, result)
    _plot(result["matching"], args.concurrency, args.plot)
    print(_tables(result, args.concurrency))
    print(f"\nwrote {args.out} and {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
