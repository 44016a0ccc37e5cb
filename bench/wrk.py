"""Load windows driven by wrk, a load generator in C: the client takes little of the CPU the
servers need, so the figures are closer to the servers' own capacity than with a Python client.

wrk (Debian package ``wrk``) runs one thread and ``concurrency`` keep-alive connections. A Lua
script cycles through the request bodies in the order given, the same for every system, and
prints a JSON summary when the window ends.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.load_stats import LoadSummary, throughput

__all__ = ["available", "load_window", "parse_summary"]

MARK = "DEDUP_WRK "
SCRIPT = """\
local bodies = {}
for line in io.lines(os.getenv("DEDUP_WRK_BODIES")) do bodies[#bodies + 1] = line end
local next_body = tonumber(os.getenv("DEDUP_WRK_OFFSET"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "errors": %d, "status_errors": %d, '
    .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.3f}\\n',
    "DEDUP_WRK ", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean))
end
"""


def available() -> bool:
    """True when the ``wrk`` program is installed (``apt-get install wrk``)."""
    return shutil.which("wrk") is not None


def parse_summary(output: str, server_cpu: float, client_cpu: float) -> LoadSummary:
    """Turn the script's summary line in wrk's output into a :class:`LoadSummary`.

    Example:
        >>> line = ('DEDUP_WRK {"requests": 2000, "duration_us": 1000000, "errors": 0, '
        ...         '"status_errors": 0, "p50_us": 900, "p90_us": 1500, "p99_us": 4000, '
        ...         '"mean_us": 1000.5}')
        >>> s = parse_summary("Running 1s test\\n" + line, server_cpu=0.5, client_cpu=0.1)
        >>> s.rps, s.p99_ms, s.server_cpu_ms
        (2000.0, 4.0, 0.25)
    """
    lines = [line for line in output.splitlines() if line.startswith(MARK)]
    if not lines:
        raise RuntimeError(f"wrk printed no summary:\n{output[-2000:]}")
    raw = json.loads(lines[-1][len(MARK) :])
    errors = int(raw["errors"]) + int(raw["status_errors"])
    answered = int(raw["requests"]) - int(raw["status_errors"])
    seconds = raw["duration_us"] / 1e6
    per_request = 1000 / answered if answered else float("nan")
    return LoadSummary(
        requests=answered,
        errors=errors,
        seconds=seconds,
        rps=throughput(answered, seconds),
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        mean_ms=raw["mean_us"] / 1000,
        server_cpu_ms=server_cpu * per_request,
        client_cpu_ms=client_cpu * per_request,
    )


def _run(
    url: str, files: tuple[Path, Path], *, concurrency: int, seconds: float, offset: int
) -> tuple[str, float]:
    """Run wrk once with ``files`` (the bodies, the script); return its output and the CPU
    seconds it used."""
    bodies_file, script = files
    command = [
        "wrk", "--threads", "1", "--connections", str(concurrency),
        "--duration", f"{max(1, round(seconds))}s", "--timeout", "60s",
        "--script", str(script), url,
    ]  # fmt: skip
    env = {**os.environ, "DEDUP_WRK_BODIES": str(bodies_file), "DEDUP_WRK_OFFSET": str(offset)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=seconds + 120, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr[-2000:]}")
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result.stdout, used


def load_window(
    url: str,
    bodies: Sequence[bytes],
    *,
    concurrency: int,
    seconds: float,
    warmup: float,
    server_cpu: Callable[[], float],
) -> LoadSummary:
    """Warm up, then measure closed-loop load with wrk; the same contract as the aiohttp
    client's :func:`bench.load_client.load_window` (wrk rounds windows to whole seconds)."""
    if not available():
        raise RuntimeError("wrk is not installed: run 'make wrk' or pass --client aiohttp")
    with tempfile.TemporaryDirectory(prefix="dedup-wrk-") as tmp:
        bodies_file = Path(tmp) / "bodies.jsonl"
        bodies_file.write_bytes(b"\n".join(bodies) + b"\n")
        script = Path(tmp) / "match.lua"
        script.write_text(SCRIPT)
        if warmup > 0:
            _run(
                url,
                (bodies_file, script),
                concurrency=concurrency,
                seconds=warmup,
                offset=len(bodies) // 2,
            )
        cpu = server_cpu()
        output, client = _run(
            url, (bodies_file, script), concurrency=concurrency, seconds=seconds, offset=0
        )
        cpu = server_cpu() - cpu
    return parse_summary(output, cpu, client)
