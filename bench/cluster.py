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
import threading
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import psutil  # type: ignore[import-untyped]  # no types-psutil in the lint group yet

from bench.anchors import SYSTEMS
from bench.bytecode import compile_tree
from bench.corpus import KINDS, TITLE_VARIANTS, default_path, generate, read_jsonl, write_jsonl
from bench.metrics import PairScores, dense_ids, pair_scores, pair_scores_touching, singletons_apart
from bench.report import OUT_DIR, markdown_table, write_json

REPO = Path(__file__).resolve().parent.parent
_POLL = 0.05  # seconds between RSS samples of the child's process tree


@dataclass(slots=True)
class Run:
    """One system run in its own process.

    Attributes:
        status: "ok", "timeout", "error" or "misaligned".
        seconds: The time compared: the process's whole life (``wall``), or with
            ``--in-process`` the region the child timed (read JSONL .. clusters, no imports).
        wall: Child process lifetime seen from here (interpreter start, imports, output).
        cpu: User + system CPU seconds of the child and the processes it reaped (dedup's
            worker): less moved than ``wall`` by other jobs on a shared machine.
        rss_mib: Peak RSS of the child process (wait4 ru_maxrss).
        workers_rss_mib: Peak RSS of the largest process the child itself started.
        tree_mib: Peak of the summed RSS of the child and its descendants, sampled.
        message: Error detail.
        clusters: (n_paragraphs,) cluster ids, when status is "ok".
        rows: (doc, para) of each output line, in order (whole-process runs).
    """

    status: str
    seconds: float | None = None
    wall: float = 0.0
    cpu: float = 0.0
    rss_mib: float = 0.0
    workers_rss_mib: float = 0.0
    tree_mib: float = 0.0
    message: str = ""
    clusters: npt.NDArray[np.int64] | None = field(default=None, repr=False)
    rows: list[tuple[str, int]] | None = field(default=None, repr=False)


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


FLOOR = "floor"  # bench.floor_run: read, split, write; no clustering


def _command(system: str, data: Path, out: Path, jobs: int, in_process: bool) -> list[str]:
    """Return the command that runs one system on a crawl, as a user would run it.

    dedup is ``dedup cluster CRAWL -o OUT`` (the console script next to this interpreter); an
    anchor is ``python -m bench.anchor_run SYSTEM CRAWL -o OUT``. With ``in_process``, every
    system runs under :mod:`bench.worker`, which times its library call from inside.
    """
    if in_process:
        return [sys.executable, "-m", "bench.worker", system, str(data), str(out), f"--jobs={jobs}"]
    if system == "dedup":
        compile_tree(REPO)  # as installed: the anchors' libraries have their bytecode too
        dedup = Path(sys.executable).with_name("dedup")
        return [str(dedup), "cluster", "-q", f"--jobs={jobs}", str(data), "-o", str(out)]
    if system == FLOOR:
        return [sys.executable, "-m", "bench.floor_run", str(data), "-o", str(out)]
    return [sys.executable, "-m", "bench.anchor_run", system, str(data), "-o", str(out)]


def run_system(
    system: str, data: Path, jobs: int, timeout: float, scratch: Path, *, in_process: bool = False
) -> Run:
    """Run one system in a fresh process and collect its time, memory and clusters.

    The time is the process's whole life, from starting it to its exit, seen from here:
    interpreter start, imports, reading, clustering and writing the output. A thread blocks in
    ``wait4`` so that the exit is seen at once, while this one samples the process tree's RSS.
    """
    out = scratch / f"{system}.jsonl"
    err = scratch / f"{system}.err"
    cmd = _command(system, data, out, jobs, in_process)
    exited = threading.Event()
    result: dict[str, Any] = {}

    def reap(pid: int) -> None:
        _, status, usage = os.wait4(pid, 0)
        result.update(end=time.perf_counter(), status=status, usage=usage)
        exited.set()

    with err.open("wb") as stderr:
        start = time.perf_counter()
        # Own session, so that a timeout kills the child's worker pool with it.
        proc = subprocess.Popen(
            cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
        )
    reaper = threading.Thread(target=reap, args=(proc.pid,), daemon=True)
    reaper.start()
    watched = psutil.Process(proc.pid)
    tree = 0
    timed_out = False
    while not exited.wait(_POLL):
        tree = max(tree, _tree_rss(watched))
        if time.perf_counter() - start > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            exited.wait()
            timed_out = True
    reaper.join()
    proc.returncode = os.waitstatus_to_exitcode(result["status"])
    usage = result["usage"]
    run = Run("ok", wall=result["end"] - start, rss_mib=usage.ru_maxrss / 1024)
    run.cpu = usage.ru_utime + usage.ru_stime
    run.tree_mib = max(tree / 2**20, run.rss_mib)
    if timed_out:
        run.status = "timeout"
        return run
    if proc.returncode != 0:
        lines = err.read_text(errors="replace").strip().splitlines() or [f"exit {proc.returncode}"]
        run.status, run.message = "error", lines[-1]
        return run
    if in_process:
        meta = json.loads(out.with_suffix(".json").read_text())
        run.seconds = meta["seconds"]
        run.workers_rss_mib = meta["children_maxrss_kib"] / 1024
        if meta["misaligned"]:
            run.status, run.message = "misaligned", meta["misaligned"]
            return run
        run.clusters = np.load(out.with_suffix(".npy"))
        return run
    run.seconds = run.wall
    run.rows, run.clusters = read_assignments(out)
    return run


def read_assignments(path: Path) -> tuple[list[tuple[str, int]], npt.NDArray[np.int64]]:
    """Return the (doc, para) rows of an assignments file and a cluster id per row.

    Rows of one cluster share an id; a row whose cluster is null gets an id of its own.
    """
    rows: list[tuple[str, int]] = []
    labels: list[Hashable | None] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            rows.append((record["doc"], record["para"]))
            labels.append(record["cluster"])
    return rows, dense_ids(labels)


@dataclass(slots=True)
class Truth:
    """Ground truth of a crawl, flattened to one row per paragraph."""

    labels: npt.NDArray[np.int64]
    kinds: npt.NDArray[np.str_]
    title_teaser: npt.NDArray[np.bool_]
    pages: int
    variants: npt.NDArray[np.str_]
    rows: list[tuple[str, int]]


def load_truth(path: Path) -> Truth:
    """Return the per-paragraph label ids and the title+teaser mask of a crawl file."""
    labels: list[str | None] = []
    kinds: list[str] = []
    variants: list[str] = []
    rows: list[tuple[str, int]] = []
    pages = 0
    for page in read_jsonl(path):
        labels += page.labels
        kinds += page.kind
        variants += page.variants
        rows += [(page.id, i) for i in range(len(page.labels))]
        pages += 1
    kind = np.asarray(kinds)
    title_teaser = np.isin(kind, ["title", "teaser"])
    return Truth(dense_ids(labels), kind, title_teaser, pages, np.asarray(variants), rows)


def check_rows(run: Run, truth: Truth) -> None:
    """Mark a run "misaligned" unless its output has one row per paragraph, in input order."""
    if run.rows is None or run.status != "ok":
        return
    if len(run.rows) != len(truth.rows):
        run.status, run.message = "misaligned", f"{len(run.rows)} rows for {len(truth.rows)}"
    else:
        pairs = enumerate(zip(run.rows, truth.rows, strict=True))
        wrong = next((i for i, (a, b) in pairs if a != b), None)
        if wrong is not None:
            run.status = "misaligned"
            run.message = f"row {wrong} is {run.rows[wrong]}, not {truth.rows[wrong]}"
    run.rows = None  # checked: no need to keep 200k tuples per run


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
        "cpu_seconds": [r.cpu for r in runs],
        "median_cpu_seconds": statistics.median(r.cpu for r in ok) if ok else None,
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
        cpu, cpu_ratio = s["median_cpu_seconds"], s.get("cpu_vs_dedup")
        status = s["status"] if s["status"] != "timeout" else ">timeout"
        scores = s.get("scores", {})
        cells = [s["system"], status if status == "ok" else f"{status} {s['message']}".strip()[:60]]
        cells += [_fmt(secs, ".2f"), _fmt(ratio, ".2f"), _fmt(cpu, ".2f"), _fmt(cpu_ratio, ".2f")]
        cells.append(f"{s['rss_mib']:.0f}")
        cells.append(f"{s['tree_peak_mib']:.0f}")
        for part in _SCORED:
            got = scores.get(part, {})
            cells += [_fmt(got.get(k), ".4f") for k in ("precision", "recall")]
        rows.append(cells)
    headers = ["system", "status", "time s", "time / dedup", "CPU s", "CPU / dedup"]
    headers += ["RSS MiB", "tree MiB"]
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
    parser.add_argument(
        "--anchor-runs",
        type=int,
        help="runs per anchor, when fewer than --runs (the anchors take minutes on 5,000 "
        "one-site pages); they run in the first rounds, alternating with dedup",
    )
    parser.add_argument("--seed", type=int, default=0, help="crawl seed")
    parser.add_argument(
        "--sites", type=int, choices=(1, 3), default=3, help="1: a one-site crawl (default 3)"
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="time each system from inside its process (bench.worker: libraries imported "
        "first, no output file) rather than the whole process as a user runs it; the CPU "
        "column stays the whole process's",
    )
    parser.add_argument(
        "--only",
        default="dedup,datasketch,rensa",
        help=f"comma-separated systems out of {','.join(SYSTEMS)},{FLOOR} (default: "
        "%(default)s); floor reads, splits and writes the crawl and clusters nothing "
        "(bench.floor_run), a lower bound on any Python process's time",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="dedup jobs")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per system run")
    parser.add_argument("--data", type=Path, help="use this crawl instead of generating one")
    parser.add_argument("--json", type=Path, help="default: bench/out/cluster-N.json")
    args = parser.parse_args(argv)
    systems = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(systems) - {*SYSTEMS, FLOOR})
    if unknown or not systems:
        parser.error(f"--only takes a subset of {','.join(SYSTEMS)},{FLOOR}; got {args.only!r}")
    if args.in_process and FLOOR in systems:
        parser.error(f"{FLOOR} is a whole process by definition; leave it out of --in-process")

    data = args.data
    if data is None:
        data = default_path(args.pages, args.seed, args.sites)
        write_jsonl(generate(args.pages, args.seed, sites=args.sites), data)
    truth = load_truth(data)
    n = truth.labels.size
    print(f"crawl {data}: {truth.pages:,} pages, {n:,} paragraphs", file=sys.stderr)

    runs: dict[str, list[Run]] = {s: [] for s in systems}
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as scratch:
        for number in range(1, args.runs + 1):
            for system in systems:  # interleaved, so drift hits every system alike
                if system not in ("dedup", FLOOR) and number > (args.anchor_runs or args.runs):
                    continue
                run = run_system(
                    system, data, args.jobs, args.timeout, Path(scratch), in_process=args.in_process
                )
                check_rows(run, truth)
                runs[system].append(run)
                took = _fmt(run.seconds, ".2f")
                print(f"run {number} {system}: {run.status} {took}s {run.message}", file=sys.stderr)

    summaries = [summarise(s, runs[s], truth) for s in systems]
    dedup = next((s for s in summaries if s["system"] == "dedup"), None)
    for s in summaries:  # anchor time / dedup time, both measured in this invocation
        for key, ratio in (
            ("median_seconds", "time_vs_dedup"),
            ("median_cpu_seconds", "cpu_vs_dedup"),
        ):
            base, secs = dedup[key] if dedup else None, s[key]
            s[ratio] = secs / base if secs is not None and base else None
    for part in ("all", "title_teaser"):
        ref = pair_scores(truth.labels, truth.labels, None if part == "all" else truth.title_teaser)
        print(f"true pairs ({part}): {ref.true_pairs:,}", file=sys.stderr)
    print(table(summaries))
    for s in summaries:
        if s.get("scores"):
            print(f"\n{s['system']}, title pairs by variant:\n{variant_table(s)}")
    name = f"cluster-{truth.pages}{'-1site' if args.sites == 1 else ''}"
    path = args.json or OUT_DIR / f"{name}{'-inprocess' if args.in_process else ''}.json"
    payload = {
        "bench": "cluster",
        "timing": "in-process" if args.in_process else "whole process",
        "data": str(data),
        "pages": truth.pages,
        "paragraphs": n,
        "title_teaser_paragraphs": int(truth.title_teaser.sum()),
        "runs": args.runs,
        "anchor_runs": min(args.anchor_runs or args.runs, args.runs),
        "jobs": args.jobs,
        "timeout": args.timeout,
        "systems": summaries,
    }
    print(f"wrote {write_json(path, payload)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
