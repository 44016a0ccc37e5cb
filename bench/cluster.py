"""Cluster one labelled crawl with dedup, datasketch and rensa: time, peak RSS, pair P/R/F1."""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import psutil  # type: ignore[import-untyped]  # no types-psutil in the lint group yet

from bench.anchors import SYSTEMS
from bench.corpus import KINDS, TITLE_VARIANTS, default_path, generate, read_jsonl, write_jsonl
from bench.metrics import PairScores, dense_ids, pair_scores, pair_scores_touching, singletons_apart
from bench.report import OUT_DIR, markdown_table, write_json

REPO = Path(__file__).resolve().parent.parent
_POLL = 0.1  # seconds between RSS samples of the child's process tree


@dataclass(slots=True)
class Run:
    """One system run in its own process.

    Attributes:
        status: "ok", "timeout", "error" or "misaligned".
        seconds: Timed region reported by the child (read JSONL .. clusters).
        wall: Child process lifetime seen from here (includes interpreter start, imports).
        rss_mib: Peak RSS of the child process (wait4 ru_maxrss).
        workers_rss_mib: Peak RSS of the largest process the child itself started.
        tree_mib: Peak of the summed RSS of the child and its descendants, sampled.
        message: Error detail.
        clusters: (n_paragraphs,) cluster ids, when status is "ok".
    """

    status: str
    seconds: float | None = None
    wall: float = 0.0
    rss_mib: float = 0.0
    workers_rss_mib: float = 0.0
    tree_mib: float = 0.0
    message: str = ""
    clusters: npt.NDArray[np.int64] | None = field(default=None, repr=False)


def _tree_rss(proc: psutil.Process) -> int:
    try:
        family = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for member in family:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


def run_system(system: str, data: Path, jobs: int, timeout: float, scratch: Path) -> Run:
    """Run bench.worker for one system in a fresh process and collect time, memory, clusters."""
    out = scratch / system
    err = scratch / f"{system}.err"
    cmd = [sys.executable, "-m", "bench.worker", system, str(data), str(out), f"--jobs={jobs}"]
    start = time.monotonic()
    with err.open("wb") as stderr:
        # Own session, so that a timeout kills the child's worker pool with it.
        proc = subprocess.Popen(
            cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
        )
    watched = psutil.Process(proc.pid)
    tree = 0
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        tree = max(tree, _tree_rss(watched))
        if time.monotonic() - start > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            timed_out = True
            break
        time.sleep(_POLL)
    proc.returncode = os.waitstatus_to_exitcode(status)
    run = Run("ok", wall=time.monotonic() - start, rss_mib=usage.ru_maxrss / 1024)
    run.tree_mib = max(tree / 2**20, run.rss_mib)
    if timed_out:
        run.status = "timeout"
        return run
    if proc.returncode != 0:
        lines = err.read_text(errors="replace").strip().splitlines() or [f"exit {proc.returncode}"]
        run.status, run.message = "error", lines[-1]
        return run
    meta = json.loads(out.with_suffix(".json").read_text())
    run.seconds = meta["seconds"]
    run.workers_rss_mib = meta["children_maxrss_kib"] / 1024
    if meta["misaligned"]:
        run.status, run.message = "misaligned", meta["misaligned"]
        return run
    run.clusters = np.load(out.with_suffix(".npy"))
    return run


@dataclass(slots=True)
class Truth:
    """Ground truth of a crawl, flattened to one row per paragraph."""

    labels: npt.NDArray[np.int64]
    kinds: npt.NDArray[np.str_]
    title_teaser: npt.NDArray[np.bool_]
    pages: int
    variants: npt.NDArray[np.str_]


def load_truth(path: Path) -> Truth:
    """Return the per-paragraph label ids and the title+teaser mask of a crawl file."""
    labels: list[str | None] = []
    kinds: list[str] = []
    variants: list[str] = []
    pages = 0
    for page in read_jsonl(path):
        labels += page.labels
        kinds += page.kind
        variants += page.variants
        pages += 1
    kind = np.asarray(kinds)
    title_teaser = np.isin(kind, ["title", "teaser"])
    return Truth(dense_ids(labels), kind, title_teaser, pages, np.asarray(variants))


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def summarise(system: str, runs: Sequence[Run], truth: Truth) -> dict[str, Any]:
    """Return the median time, peak memory and pair scores of one system's runs."""
    ok = [r for r in runs if r.status == "ok"]
    summary: dict[str, Any] = {
        "system": system,
        "status": "ok" if ok else runs[-1].status,
        "message": "" if ok else runs[-1].message,
        "seconds": [r.seconds for r in runs],
        "median_seconds": statistics.median(r.seconds for r in ok if r.seconds is not None)
        if ok
        else None,
        "wall_seconds": [r.wall for r in runs],
        "rss_mib": max(r.rss_mib for r in runs),
        "workers_rss_mib": max(r.workers_rss_mib for r in runs),
        "tree_peak_mib": max(r.tree_mib for r in runs),
    }
    if ok and ok[-1].clusters is not None:
        clusters = ok[-1].clusters
        if clusters.shape != truth.labels.shape:
            summary["status"] = "misaligned"
            summary["message"] = f"{clusters.size} rows for {truth.labels.size} paragraphs"
            return summary
        predicted = singletons_apart(clusters)
        scores: dict[str, PairScores] = {
            "all": pair_scores(predicted, truth.labels),
            "title_teaser": pair_scores(predicted, truth.labels, truth.title_teaser),
        }
        for kind in KINDS:  # pairs within one kind: where the misses and false merges are
            scores[f"kind:{kind}"] = pair_scores(predicted, truth.labels, truth.kinds == kind)
        titles = truth.kinds == "title"
        for variant in TITLE_VARIANTS:  # title pairs with at least one copy of this variant
            tagged = np.char.find(truth.variants, variant) >= 0
            scores[f"title:{variant}"] = pair_scores_touching(
                predicted, truth.labels, titles, tagged
            )
        summary["scores"] = {k: v.as_dict() for k, v in scores.items()}
        summary["clusters"] = int(np.unique(predicted).size)
    return summary


def table(summaries: Sequence[dict[str, Any]]) -> str:
    """Return the Markdown table of the summaries (anchor time / dedup time as "x dedup")."""
    rows = []
    for s in summaries:
        secs, ratio = s["median_seconds"], s.get("time_vs_dedup")
        status = s["status"] if s["status"] != "timeout" else ">timeout"
        scores = s.get("scores", {})
        cells = [s["system"], status if status == "ok" else f"{status} {s['message']}".strip()[:60]]
        cells += [_fmt(secs, ".2f"), _fmt(ratio, ".2f"), f"{s['rss_mib']:.0f}"]
        cells.append(f"{s['tree_peak_mib']:.0f}")
        for part in _SCORED:
            got = scores.get(part, {})
            cells += [_fmt(got.get(k), ".4f") for k in ("precision", "recall")]
        rows.append(cells)
    headers = ["system", "status", "time s", "time / dedup", "RSS MiB", "tree MiB"]
    headers += [f"{k} {name}" for name in _SCORED.values() for k in ("P", "R")]
    return markdown_table(headers, rows)


# The pair scores the table shows: all paragraphs, then pairs within titles, teasers and
# boilerplate alone (the JSON has every kind, title+teaser and each title variant).
_SCORED = {"all": "all", "kind:title": "title", "kind:teaser": "teaser", "kind:boiler": "boiler"}


def variant_table(summary: dict[str, Any]) -> str:
    """Return the Markdown table of one system's title scores by variant."""
    rows = []
    for part in ("kind:title", *(f"title:{v}" for v in TITLE_VARIANTS)):
        got = summary.get("scores", {}).get(part, {})
        cells = [part, f"{got.get('true_pairs', 0):,}"]
        rows.append(cells + [_fmt(got.get(k), ".4f") for k in ("precision", "recall")])
    return markdown_table(["title pairs", "true pairs", "P", "R"], rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every system on one crawl, print a Markdown table and write the JSON results.

    Example:
        python -m bench.cluster --pages 1000 --runs 3 --json bench/out/cluster-1000.json
    """
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__)
    parser.add_argument("--pages", type=int, default=1000, help="crawl size (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per system (median time)")
    parser.add_argument("--seed", type=int, default=0, help="crawl seed")
    parser.add_argument(
        "--only",
        default="dedup,datasketch,rensa",
        help=f"comma-separated systems out of {','.join(SYSTEMS)} (default: %(default)s)",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="dedup jobs")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per system run")
    parser.add_argument("--data", type=Path, help="use this crawl instead of generating one")
    parser.add_argument("--json", type=Path, help="default: bench/out/cluster-N.json")
    args = parser.parse_args(argv)
    systems = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown or not systems:
        parser.error(f"--only takes a subset of {','.join(SYSTEMS)}; got {args.only!r}")

    data = args.data
    if data is None:
        data = default_path(args.pages, args.seed)
        write_jsonl(generate(args.pages, args.seed), data)
    truth = load_truth(data)
    n = truth.labels.size
    print(f"crawl {data}: {truth.pages:,} pages, {n:,} paragraphs", file=sys.stderr)

    runs: dict[str, list[Run]] = {s: [] for s in systems}
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as scratch:
        for number in range(1, args.runs + 1):
            for system in systems:  # interleaved, so drift hits every system alike
                run = run_system(system, data, args.jobs, args.timeout, Path(scratch))
                runs[system].append(run)
                took = _fmt(run.seconds, ".2f")
                print(f"run {number} {system}: {run.status} {took}s {run.message}", file=sys.stderr)

    summaries = [summarise(s, runs[s], truth) for s in systems]
    base = next((s["median_seconds"] for s in summaries if s["system"] == "dedup"), None)
    for s in summaries:  # anchor time / dedup time, both measured in this invocation
        secs = s["median_seconds"]
        s["time_vs_dedup"] = secs / base if secs is not None and base else None
    for part in ("all", "title_teaser"):
        ref = pair_scores(truth.labels, truth.labels, None if part == "all" else truth.title_teaser)
        print(f"true pairs ({part}): {ref.true_pairs:,}", file=sys.stderr)
    print(table(summaries))
    for s in summaries:
        if s.get("scores"):
            print(f"\n{s['system']}, title pairs by variant:\n{variant_table(s)}")
    path = args.json or OUT_DIR / f"cluster-{truth.pages}.json"
    payload = {
        "bench": "cluster",
        "data": str(data),
        "pages": truth.pages,
        "paragraphs": n,
        "title_teaser_paragraphs": int(truth.title_teaser.sum()),
        "runs": args.runs,
        "jobs": args.jobs,
        "timeout": args.timeout,
        "systems": summaries,
    }
    print(f"wrote {write_json(path, payload)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
