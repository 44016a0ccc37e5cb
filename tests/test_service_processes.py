"""``--processes 2``: two workers share the port and the store, and answer as one service."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from server_process import ROOT, ServerProcess, wait_until

WORDS = [
    "harbour",
    "grain",
    "strike",
    "council",
    "river",
    "border",
    "coast",
    "bridge",
    "museum",
    "festival",
]
REQUESTS = 40
SERVE = [sys.executable, "-m", "service", "--port", "0"]


def _text(seed: int) -> str:
    """A paragraph of 40 random words, the same for the same seed."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) + str(rng.randrange(10**6)) for _ in range(40))


def _pids(server: ServerProcess, path: str) -> set[object]:
    """The process ids that answered requests on ``path``, from the access log."""
    return {e["pid"] for e in server.events() if e.get("path") == path}


async def _write_then_read(url: str) -> None:
    """Every request on a new connection, so both workers take some; reads see every write."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        clusters = {}
        for n in range(REQUESTS):
            body = {"id": f"d{n}", "text": f"{_text(n)}\n\n{_text(n % 4 + 1000)}"}
            async with session.post(f"{url}/v1/documents", json=body) as response:
                assert response.status == 200, await response.text()
                clusters[n] = [p["cluster"] for p in (await response.json())["paragraphs"]]
        # Documents 0-3 founded the four shared clusters; later ones joined them, whichever
        # worker planned their write.
        assert {clusters[n][1] for n in range(REQUESTS)} == {clusters[n][1] for n in range(4)}
        for n in range(REQUESTS):
            async with session.post(f"{url}/v1/match", json={"text": _text(n).upper()}) as r:
                match = (await r.json())["paragraphs"][0]["match"]
            assert match is not None, f"d{n} is missing from one worker"
            assert match["cluster"] == clusters[n][0]
        for _ in range(100):  # a worker's cached sizes follow the other's writes within 1 s
            async with session.get(f"{url}/healthz") as response:
                if (await response.json())["documents"] == REQUESTS:
                    break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("/healthz does not count every document")


async def _metrics(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as response:
        return await response.text()


def _count(exposition: str, route: str, method: str) -> float:
    """The dedup_http_requests_total of one route and method, summed over statuses."""
    total = 0.0
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            labels = sample.labels
            if (sample.name, labels.get("route"), labels.get("method")) == (
                "dedup_http_requests_total",
                route,
                method,
            ):
                total += sample.value
    return total


def test_two_processes_answer_as_one_service(tmp_path: Path) -> None:
    """Writes taken by either worker are seen by both; SIGTERM stops every process with 0."""
    with ServerProcess(tmp_path / "data", "--processes", "2") as server:
        listening = [e for e in server.events() if e.get("event") == "listening"]
        assert listening[0]["processes"] == 2
        asyncio.run(_write_then_read(server.url))
        assert len(_pids(server, "/v1/documents")) == 2, "one worker took every write"
        assert len(_pids(server, "/v1/match")) == 2, "one worker took every match"
        scraped = asyncio.run(_metrics(server.url))
        assert _count(scraped, "/v1/documents", "POST") == REQUESTS  # both workers' requests
        assert _count(scraped, "/v1/match", "POST") == REQUESTS
        documents = [
            sample.value
            for family in text_string_to_metric_families(scraped)
            for sample in family.samples
            if sample.name == "dedup_index_documents"
        ]
        assert documents == [REQUESTS]
        workers = _pids(server, "/v1/match")
        assert server.terminate() == 0
        for pid in workers:
            assert isinstance(pid, int)
            wait_until(lambda pid=pid: not Path(f"/proc/{pid}").exists())


def test_a_killed_worker_is_replaced(tmp_path: Path) -> None:
    """SIGKILL one worker: the parent starts another, and the service keeps every document."""
    with ServerProcess(tmp_path / "data", "--processes", "2") as server:
        asyncio.run(_write_then_read(server.url))
        victim = next(iter(_pids(server, "/v1/match")))
        assert isinstance(victim, int)
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: any(e.get("event") == "worker_ready" for e in server.events()))
        exited = [e for e in server.events() if e.get("event") == "worker_exited"]
        assert [e["worker"] for e in exited] == [victim]
        before = len(server.events())
        asyncio.run(_write_then_read(server.url))  # rewrites the same ids: replacements
        later = {e["pid"] for e in server.events()[before:] if e.get("path") == "/v1/match"}
        assert victim not in later
        assert len(later) == 2, "the replacement worker took no request"
        assert server.terminate() == 0


def test_a_worker_that_cannot_start_fails_the_service(tmp_path: Path) -> None:
    """A store the workers cannot open: the service exits 2 with the workers' message."""
    data = tmp_path / "data"
    with ServerProcess(data, "--num-perm", "64"):
        pass  # creates the store with 64 permutations
    result = subprocess.run(
        [*SERVE, "--data", str(data), "--processes", "2", "--num-perm", "128"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "num_perm=64" in result.stderr
