"""Latency percentiles, throughput and medians of runs for the service load benchmark."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0..100) of values, interpolating linearly between ranks.

    This is numpy's default ("linear") method: rank q/100 * (n - 1) of the sorted values.

    Args:
        values: Samples; need not be sorted.
        q: Percentile in [0, 100].

    Returns:
        The percentile, or NaN when values is empty.

    Example:
        >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
        2.5
        >>> percentile(range(1, 101), 99)
        99.01
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be in [0, 100], got {q}")
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = q / 100 * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (rank - low), 12)


def throughput(completed: int, seconds: float) -> float:
    """Return completed operations per second (0 for an empty or zero-length window).

    Example:
        >>> throughput(2500, 2.0)
        1250.0
    """
    return completed / seconds if seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """One measured window of closed-loop load against one service.

    Attributes:
        requests: Requests answered 200 within the window.
        errors: Requests that failed (status other than 200, connection error, timeout).
        seconds: Wall time from the first request sent to the last answer read.
        rps: Answered requests per second.
        p50_ms: Median latency in milliseconds.
        p90_ms: 90th percentile latency in milliseconds.
        p99_ms: 99th percentile latency in milliseconds.
        mean_ms: Mean latency in milliseconds.
        server_cpu_ms: Server CPU time (user + system, all threads) per answered request.
        client_cpu_ms: Load-driver CPU time per answered request.
    """

    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    server_cpu_ms: float
    client_cpu_ms: float


def summarize(
    latencies: Sequence[float],
    errors: int,
    seconds: float,
    server_cpu: float = 0.0,
    client_cpu: float = 0.0,
) -> LoadSummary:
    """Summarize the latencies (in seconds) of one window.

    Args:
        latencies: Latency of every answered request, in seconds.
        errors: Number of failed requests.
        seconds: Length of the window.
        server_cpu: CPU seconds the server used during the window.
        client_cpu: CPU seconds the load driver used during the window.

    Returns:
        The window's throughput and latency percentiles in milliseconds.

    Example:
        >>> s = summarize([0.001, 0.002, 0.003, 0.004], errors=0, seconds=0.5, server_cpu=0.002)
        >>> s.rps, s.p50_ms, s.server_cpu_ms
        (8.0, 2.5, 0.5)
    """
    n = len(latencies)
    per_request = 1000 / n if n else math.nan
    return LoadSummary(
        requests=n,
        errors=errors,
        seconds=seconds,
        rps=throughput(n, seconds),
        p50_ms=percentile(latencies, 50) * 1000,
        p90_ms=percentile(latencies, 90) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        mean_ms=statistics.fmean(latencies) * 1000 if n else math.nan,
        server_cpu_ms=server_cpu * per_request,
        client_cpu_ms=client_cpu * per_request,
    )


def median_of(values: Sequence[float]) -> float:
    """Return the median of runs, ignoring NaN (NaN if nothing is left).

    Example:
        >>> median_of([3.0, float("nan"), 1.0, 2.0])
        2.0
    """
    kept = [v for v in values if not math.isnan(v)]
    return statistics.median(kept) if kept else math.nan


def ratio(a: float, b: float) -> float:
    """Return a / b, or NaN when b is zero or either is NaN.

    Example:
        >>> ratio(3.0, 1.5), math.isnan(ratio(1.0, 0.0))
        (2.0, True)
    """
    if b == 0 or math.isnan(a) or math.isnan(b):
        return math.nan
    return a / b
