"""The Spark engine against the local engine on one generated crawl: time, stages, memory.

    python -m bench.spark --pages 5000 --runs 3
    python -m bench.spark --pages 50000 --runs 1 --memory 6g

Each run is a fresh process: ``dedup cluster FILE -o FILE -q`` (local engine), then the same
crawl through the Spark engine on ``local[2]`` (a child that calls the engine and prints its
report: the stages' times and the components' rounds). Peak memory is sampled every 0.2 s over
the child's process tree: the driver JVM (which is the executor in local mode), the Python
workers Spark starts, and the Python driver. The two engines' outputs are compared byte for
byte after every run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]  # no types-psutil in the lint group yet

from bench.corpus import default_path, generate, write_jsonl

_POLL = 0.2
_MIB = 1 << 20


@dataclass(slots=True)
class Peaks:
    """Peak RSS in MiB seen while a child ran."""

    tree: float = 0.0
    jvm: float = 0.0
    workers: float = 0.0
    driver: float = 0.0


@dataclass(slots=True)
class Timing:
    """One run of one engine."""

    engine: str
    wall: float
    peaks: Peaks
    report: dict[str, object] = field(default_factory=dict)


def _sample(proc: psutil.Process, peaks: Peaks, done: threading.Event) -> None:
    while not done.is_set():
        try:
            family = [proc, *proc.children(recursive=True)]
        except psutil.Error:
            return
        tree = jvm = workers = 0
        for member in family:
            try:
                rss = member.memory_info().rss
                name = member.name()
            except psutil.Error:
                continue
            tree += rss
            if name == "java":
                jvm += rss
            elif member.pid != proc.pid and name.startswith("python"):
                workers += rss
            elif member.pid == proc.pid:
                peaks.driver = max(peaks.driver, rss / _MIB)
        peaks.tree = max(peaks.tree, tree / _MIB)
        peaks.jvm = max(peaks.jvm, jvm / _MIB)
        peaks.workers = max(peaks.workers, workers / _MIB)
        done.wait(_POLL)


def _timed(engine: str, command: list[str]) -> Timing:
    peaks = Peaks()
    done = threading.Event()
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = threading.Thread(target=_sample, args=(psutil.Process(child.pid), peaks, done))
    sampler.start()
    out, err = child.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"{engine} failed ({child.returncode}): {err[-2000:]}")
    report = json.loads(out.splitlines()[-1]) if engine == "spark" else {}
    return Timing(engine, wall, peaks, report)


def _child(source: str, output: str, partitions: int, memory: str) -> int:
    """Run the Spark engine on ``source`` and print its report as one JSON line."""
    from dedup.config import DedupConfig
    from dedup.engines.spark import engine
    from dedup.engines.spark.session import SparkSettings, spark_session

    settings = SparkSettings(
        master="local[2]", shuffle_partitions=partitions, conf=(("spark.driver.memory", memory),)
    )
    with spark_session(settings) as spark:
        report = engine.cluster(
            spark,
            [source],
            DedupConfig(),
            output=output,
            clusters=output + "-clusters",
            measure=True,
        )
    print(json.dumps({k: v for k, v in asdict(report).items() if k != "first_skipped"}))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spark", description=__doc__)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=8, help="shuffle partitions")
    parser.add_argument("--memory", default="2g", help="spark.driver.memory")
    parser.add_argument("--no-local", action="store_true", help="time the Spark engine only")
    parser.add_argument("--child", nargs=2, metavar=("SOURCE", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child[0], args.child[1], args.partitions, args.memory)
    source = default_path(args.pages, 0)
    if not source.exists():
        write_jsonl(generate(args.pages, 0), source)
    megabytes = source.stat().st_size / 1e6
    timings: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as scratch:
        local_out = Path(scratch) / "local.jsonl"
        spark_out = Path(scratch) / "spark"
        for run in range(args.runs):
            if not args.no_local:
                local = [sys.executable, "-m", "dedup", "cluster", str(source), "-o"]
                timings.append(_timed("local", [*local, str(local_out), "-q"]))
            child = [sys.executable, "-m", "bench.spark", "--child", str(source), str(spark_out)]
            child += ["--partitions", str(args.partitions), "--memory", args.memory]
            timings.append(_timed("spark", child))
            same = None
            if local_out.exists():
                parts = sorted(spark_out.glob("part-*.jsonl"))
                same = b"".join(p.read_bytes() for p in parts) == local_out.read_bytes()
            last = timings[-1]
            print(
                f"run {run + 1}: spark {last.wall:.1f} s, stages "
                + ", ".join(f"{k} {v:.1f}" for k, v in dict(last.report["seconds"]).items())  # type: ignore[call-overload]
                + f"; rounds {last.report['rounds']}; identical to local: {same}",
                flush=True,
            )
    _summary(timings, megabytes, args.pages)
    return 0


def _summary(timings: list[Timing], megabytes: float, pages: int) -> None:
    print(f"\n{pages:,} pages, {megabytes:.1f} MB; medians over runs; local[2] on 2 cores\n")
    print("| engine | wall s | MB/s per core | peak tree MiB | JVM | Python workers | driver |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in ("local", "spark"):
        mine = [t for t in timings if t.engine == name]
        if not mine:
            continue
        wall = statistics.median(t.wall for t in mine)
        peak = {
            k: max(getattr(t.peaks, k) for t in mine) for k in ("tree", "jvm", "workers", "driver")
        }
        print(
            f"| {name} | {wall:.1f} | {megabytes / wall / 2:.2f} | {peak['tree']:.0f} | "
            f"{peak['jvm']:.0f} | {peak['workers']:.0f} | {peak['driver']:.0f} |"
        )
    spark = [t for t in timings if t.engine == "spark"]
    if spark:
        stages = list(dict(spark[0].report["seconds"]))  # type: ignore[call-overload]
        medians = {
            s: statistics.median(float(t.report["seconds"][s]) for t in spark)  # type: ignore[index]
            for s in stages
        }
        print("\n| stage | median s |\n|---|---:|")
        for stage, seconds in medians.items():
            print(f"| {stage} | {seconds:.1f} |")
        print(f"\nreport of the last run: {json.dumps(spark[-1].report)}")


if __name__ == "__main__":
    sys.exit(main())
