"""Smoke tests of the service load benchmark: the anchor service and the load statistics."""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

# bench/ is not an installed package (only dedup and service are): import it from the work tree.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import wrk
from bench.anchor_service import create_app
from bench.corpus import generate, split_paragraphs
from bench.load_client import match_workload
from bench.load_stats import median_of, percentile, ratio, summarize, throughput

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[[web.Application], Awaitable[Client]]


@pytest.mark.asyncio
async def test_anchor_matches_an_indexed_paragraph(aiohttp_client: MakeClient) -> None:
    """The anchor finds a crawl paragraph at similarity 1 and nothing for unseen text."""
    pages = generate(6, seed=0)
    client = await aiohttp_client(create_app((p.id, p.text) for p in pages))
    paragraph = max(split_paragraphs(pages[2].text), key=len)
    unseen = "zebra quartz lantern orbit meadow tunnel quarry beacon canyon marble velvet"
    response = await client.post("/v1/match", json={"text": f"{paragraph}\n\n{unseen}"})
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    first, second = answer["paragraphs"]
    assert first["index"] == 0
    assert first["match"]["similarity"] == pytest.approx(1.0)
    assert first["match"]["cluster"].split("#")[0] in {p.id for p in pages}
    assert second == {"index": 1, "match": None}
    health = await (await client.get("/healthz")).json()
    assert health["paragraphs"] == sum(len(split_paragraphs(p.text)) for p in pages)


def test_percentiles_and_throughput_on_a_fixed_sample() -> None:
    """Percentiles interpolate linearly between ranks (numpy's default), throughput is n/s."""
    sample = [float(v) for v in range(100, 0, -1)]  # 1..100, unsorted on purpose
    assert percentile(sample, 0) == 1.0
    assert percentile(sample, 50) == 50.5
    assert percentile(sample, 90) == pytest.approx(90.1)
    assert percentile(sample, 99) == pytest.approx(99.01)
    assert percentile(sample, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match="percentile"):
        percentile(sample, 101)
    assert throughput(3000, 2.0) == 1500.0
    assert throughput(5, 0.0) == 0.0
    latencies = [v / 1000 for v in sample]  # 1..100 ms
    summary = summarize(latencies, errors=2, seconds=4.0, server_cpu=0.5, client_cpu=0.1)
    assert summary.requests == 100
    assert summary.errors == 2
    assert summary.rps == 25.0
    assert summary.p50_ms == pytest.approx(50.5)
    assert summary.p99_ms == pytest.approx(99.01)
    assert summary.mean_ms == pytest.approx(50.5)
    assert summary.server_cpu_ms == pytest.approx(5.0)
    assert summary.client_cpu_ms == pytest.approx(1.0)
    assert median_of([3.0, math.nan, 1.0, 2.0]) == 2.0
    assert ratio(3.0, 1.5) == 2.0
    assert math.isnan(ratio(1.0, 0.0))


def test_match_workload_is_seeded_and_mixed() -> None:
    """The same seed gives the same probes; every kind of probe is present."""
    pages = generate(3, seed=0)
    first, again = match_workload(pages, 200, seed=1), match_workload(pages, 200, seed=1)
    assert first == again
    assert {p.kind for p in first} == {"exact", "truncated", "typo", "fresh"}
    paragraphs = {p for page in pages for p in split_paragraphs(page.text)}
    assert all(p.text in paragraphs for p in first if p.kind == "exact")


@pytest.mark.skipif(not wrk.available(), reason="wrk is not installed: run 'make wrk'")
@pytest.mark.asyncio
async def test_wrk_window_counts_what_the_server_answered(aiohttp_client: MakeClient) -> None:
    """A short wrk window against the anchor: every answer counted, none lost or invented."""
    pages = generate(6, seed=0)
    app = create_app((p.id, p.text) for p in pages)
    answered = 0

    async def count(request: web.Request, response: web.StreamResponse) -> None:
        nonlocal answered
        answered += request.path == "/v1/match" and response.status == 200

    app.on_response_prepare.append(count)
    client = await aiohttp_client(app)
    bodies = [p.body for p in match_workload(pages, 50, seed=0)]
    summary = await asyncio.to_thread(
        wrk.load_window,
        str(client.make_url("/v1/match")),
        bodies,
        concurrency=4,
        seconds=1.0,
        warmup=0.0,
        server_cpu=time.process_time,
    )
    assert summary.errors == 0
    assert 0 < summary.requests <= answered <= summary.requests + 4  # + those cut off at the end
    assert 0 < summary.p50_ms <= summary.p99_ms
    assert summary.rps == pytest.approx(summary.requests / summary.seconds)
    assert summary.server_cpu_ms > 0
