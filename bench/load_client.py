"""The load benchmark's HTTP client: match workload, closed-loop load windows and ingest."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import aiohttp
import orjson

from bench.corpus import Page, split_paragraphs
from bench.load_stats import LoadSummary, summarize

JSON_HEADERS = {"Content-Type": "application/json"}
KIND_SHARES = (("exact", 0.4), ("truncated", 0.15), ("typo", 0.15), ("fresh", 0.3))
REQUEST_TIMEOUT = 60.0  # seconds; a request slower than this counts as an error


@dataclass(frozen=True, slots=True)
class Probe:
    """One single-paragraph match request.

    Attributes:
        kind: "exact" (a crawl paragraph), "truncated" (the last tenth of a paragraph's words
            cut), "typo" (two letters of one word swapped) or "fresh" (a paragraph's words
            shuffled: new 5-grams). Truncations and typos are of paragraphs of 12+ words.
        text: The paragraph sent.
        body: The encoded request body {"text": text}.
    """

    kind: str
    text: str
    body: bytes


def _typo(words: list[str], rng: random.Random) -> list[str]:
    long = [i for i, w in enumerate(words) if len(w) >= 4]
    if not long:
        return [*words, "x"]
    i = rng.choice(long)
    j = rng.randrange(len(words[i]) - 1)
    w = words[i]
    return [*words[:i], w[:j] + w[j + 1] + w[j] + w[j + 2 :], *words[i + 1 :]]


def match_workload(pages: Sequence[Page], count: int, seed: int = 0) -> list[Probe]:
    """Sample count single-paragraph probes from the crawl's paragraphs with a fixed seed.

    Paragraphs are drawn uniformly over occurrences, so boilerplate repeated on many pages is
    asked about as often as a crawler would meet it. Kinds follow KIND_SHARES.

    Example:
        >>> page = Page("p", "one two three four five six seven eight", [None], ["unique"])
        >>> sorted({p.kind for p in match_workload([page], 50)})
        ['exact', 'fresh', 'truncated', 'typo']
    """
    paragraphs = [p for page in pages for p in split_paragraphs(page.text)]
    if not paragraphs:
        raise ValueError("the crawl has no paragraphs")
    long = [p for p in paragraphs if len(p.split()) >= 12] or paragraphs
    rng = random.Random(seed)
    kinds = [kind for kind, _ in KIND_SHARES]
    weights = [share for _, share in KIND_SHARES]
    probes = []
    for _ in range(count):
        kind = rng.choices(kinds, weights)[0]
        paragraph = rng.choice(long if kind in {"truncated", "typo"} else paragraphs)
        words = paragraph.split()
        if kind == "truncated" and len(words) > 1:
            words = words[: len(words) - max(1, len(words) // 10)]
        elif kind == "typo":
            words = _typo(words, rng)
        elif kind == "fresh":
            rng.shuffle(words)
        text = paragraph if kind == "exact" else " ".join(words)
        probes.append(Probe(kind, text, orjson.dumps({"text": text})))
    return probes


async def match_rates(url: str, probes: Sequence[Probe], concurrency: int = 8) -> dict[str, float]:
    """Send each probe once and return the share answered with a match, by kind and overall."""
    asked: Counter[str] = Counter()
    matched: Counter[str] = Counter()
    queue = iter(probes)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            for probe in queue:  # shared iterator: each probe is sent once
                async with session.post(url, data=probe.body, headers=JSON_HEADERS) as answer:
                    answer.raise_for_status()
                    body = orjson.loads(await answer.read())
                hit = any(p["match"] is not None for p in body["paragraphs"])
                for kind in (probe.kind, "all"):
                    asked[kind] += 1
                    matched[kind] += hit

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {kind: matched[kind] / asked[kind] for kind in sorted(asked)}


async def _window(
    session: aiohttp.ClientSession,
    url: str,
    bodies: Sequence[bytes],
    *,
    concurrency: int,
    seconds: float,
    max_requests: int,
) -> tuple[list[float], int, float]:
    """Run concurrency closed-loop senders for seconds (at most max_requests in all)."""
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    start = time.perf_counter()
    deadline = start + seconds

    async def sender() -> None:
        nonlocal errors
        for i in counter:  # bounded: stops at max_requests or at the deadline
            if i >= max_requests or time.perf_counter() >= deadline:
                return
            sent = time.perf_counter()
            try:
                async with session.post(
                    url, data=bodies[i % len(bodies)], headers=JSON_HEADERS
                ) as answer:
                    await answer.read()
                    ok = answer.status == 200
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            if ok:
                latencies.append(time.perf_counter() - sent)
            else:
                errors += 1

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - start


async def load_window(
    url: str,
    bodies: Sequence[bytes],
    *,
    concurrency: int,
    seconds: float,
    warmup: float,
    server_cpu: Callable[[], float],
    max_rate: int = 20_000,
) -> LoadSummary:
    """Warm up, then measure closed-loop load on url with concurrency keep-alive connections.

    Args:
        url: The match route, e.g. http://127.0.0.1:8080/v1/match.
        bodies: Request bodies, sent in order and cycled; every system gets the same sequence.
        concurrency: Senders, and the connector's connection limit.
        seconds: Length of the measured window.
        warmup: Seconds of unmeasured load first, on the same connections.
        server_cpu: Returns the server's CPU seconds so far.
        max_rate: Bound on the requests per second of a window (a safety cap, never reached).

    Returns:
        The measured window's summary.
    """
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        shifted = [*bodies[len(bodies) // 2 :], *bodies[: len(bodies) // 2]]
        await _window(
            session,
            url,
            shifted,
            concurrency=concurrency,
            seconds=warmup,
            max_requests=int(max_rate * warmup) + 1,
        )
        cpu, client = server_cpu(), time.process_time()
        latencies, errors, elapsed = await _window(
            session,
            url,
            bodies,
            concurrency=concurrency,
            seconds=seconds,
            max_requests=int(max_rate * seconds) + 1,
        )
        cpu, client = server_cpu() - cpu, time.process_time() - client
    return summarize(latencies, errors, elapsed, cpu, client)


async def ingest(
    url: str, pages: Sequence[Page], concurrency: int, batch: int = 0, prefix: str = "load/"
) -> tuple[float, int]:
    """POST every page as a new document (ids prefix + page id); return (seconds, failures).

    Args:
        url: The service's base URL.
        pages: Pages to send, each once.
        concurrency: Requests in flight.
        batch: 0 for one ``POST /v1/documents`` per page, else pages per
            ``POST /v1/documents:batch``.
        prefix: Prepended to every page id.
    """
    if batch:
        route = url + "/v1/documents:batch"
        bodies = [
            orjson.dumps({"documents": [{"id": prefix + p.id, "text": p.text} for p in chunk]})
            for chunk in (pages[i : i + batch] for i in range(0, len(pages), batch))
        ]
    else:
        route = url + "/v1/documents"
        bodies = [orjson.dumps({"id": prefix + p.id, "text": p.text}) for p in pages]
    failures = 0
    queue = iter(bodies)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT * 5)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            nonlocal failures
            for body in queue:  # shared iterator: each body is sent once
                try:
                    async with session.post(route, data=body, headers=JSON_HEADERS) as answer:
                        await answer.read()
                        failures += answer.status != 200
                except (aiohttp.ClientError, TimeoutError):
                    failures += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - start
    return seconds, failures
