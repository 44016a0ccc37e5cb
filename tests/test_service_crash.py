"""Process-level tests: SIGKILL mid-ingest loses no acknowledged document; SIGTERM is graceful."""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import signal
import time
from pathlib import Path

import aiohttp
import pytest
from server_process import ServerProcess

WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
]
WORKERS = 8
ROUNDS = 3
# Writes acknowledged before each kill: enough to have many requests in flight at the kill.
ACKS_PER_ROUND = 60
ROUND_DEADLINE = 8.0


def page(rng: random.Random, shared: list[str]) -> str:
    """A page of a few own paragraphs and one paragraph shared with other pages."""
    own = [
        " ".join(rng.choice(WORDS) + str(rng.randrange(10**6)) for _ in range(30)) for _ in range(3)
    ]
    return "\n\n".join([*own, rng.choice(shared)])


class Ledger:
    """What the client was told: the acknowledged text of each id, and texts still in flight."""

    def __init__(self) -> None:
        self.acked: dict[str, str] = {}
        self.pending: dict[str, set[str]] = {}

    def send(self, doc_id: str, text: str) -> None:
        """Record a write about to be sent."""
        self.pending.setdefault(doc_id, set()).add(text)

    def ack(self, doc_id: str, text: str) -> None:
        """Record a 200: this text is now the document's content."""
        self.acked[doc_id] = text
        self.pending[doc_id].discard(text)


async def ingest_until_killed(server: ServerProcess, ledger: Ledger, round_no: int) -> None:
    """Post pages from several clients at once and SIGKILL the server while they are in flight."""
    rng = random.Random(round_no)
    shared = [f"Shared boilerplate number {i}: " + " ".join(WORDS) * 2 for i in range(4)]
    stop = asyncio.Event()
    acks = 0
    in_flight = 0
    in_flight_at_kill = -1

    async def worker(session: aiohttp.ClientSession, number: int) -> None:
        nonlocal acks, in_flight
        for n in range(10_000):  # bounded; the kill or the deadline ends it much sooner
            if stop.is_set():
                return
            # Every fourth write replaces a document of an earlier round.
            doc_id = (
                f"r{rng.randrange(round_no)}w{number}n{n}"
                if round_no and n % 4 == 3
                else f"r{round_no}w{number}n{n}"
            )
            batch = [(doc_id, page(rng, shared))]
            if n % 5 == 4:
                batch.append((f"{doc_id}b", page(rng, shared)))
            for one_id, text in batch:
                ledger.send(one_id, text)
            body = {"documents": [{"id": i, "text": t} for i, t in batch]}
            url = f"{server.url}/v1/documents:batch"
            in_flight += 1
            try:
                async with session.post(url, json=body) as response:
                    if response.status != 200:
                        raise AssertionError(await response.text())
                    await response.read()
            except (aiohttp.ClientError, ConnectionError):
                return  # the server is gone: this write was never acknowledged
            finally:
                in_flight -= 1
            for one_id, text in batch:
                ledger.ack(one_id, text)
            acks += 1

    async def killer() -> None:
        nonlocal in_flight_at_kill
        deadline = time.monotonic() + ROUND_DEADLINE
        while acks < ACKS_PER_ROUND and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        await asyncio.sleep(random.Random(round_no).random() * 0.05)
        in_flight_at_kill = in_flight
        os.killpg(server.process.pid, signal.SIGKILL)  # every process, requests in flight
        stop.set()

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
        await asyncio.gather(killer(), *(worker(session, k) for k in range(WORKERS)))
    assert acks >= ACKS_PER_ROUND // 2, "too few writes were acknowledged before the kill"
    assert in_flight_at_kill > 0, "no write was in flight at the kill"


async def check_everything_acknowledged(url: str, ledger: Ledger) -> None:
    """Every acknowledged document is there, with its acknowledged (or a later) text."""
    async with aiohttp.ClientSession() as session:
        for doc_id, text in ledger.acked.items():
            async with session.get(f"{url}/v1/documents/{doc_id}") as response:
                assert response.status == 200, f"acknowledged {doc_id} is lost"
                doc = await response.json()
            stored = "\n\n".join(p["text"] for p in doc["paragraphs"])
            assert stored == text or stored in ledger.pending[doc_id], doc_id
        async with session.get(f"{url}/healthz") as response:
            health = await response.json()
        assert health["documents"] >= len(ledger.acked)
        async with session.get(f"{url}/v1/clusters?min_docs=2&limit=20") as response:
            clusters = (await response.json())["clusters"]
        for summary in clusters:  # the shared paragraphs: members point back to their cluster
            async with session.get(f"{url}/v1/clusters/{summary['id']}") as response:
                members = (await response.json())["members"]
            for member in members[:50]:
                async with session.get(f"{url}/v1/documents/{member['doc']}") as response:
                    doc = await response.json()
                assert doc["paragraphs"][member["para"]]["cluster"] == summary["id"]


@pytest.mark.parametrize("processes", [1, 2])
def test_sigkill_mid_ingest_loses_no_acknowledged_document(tmp_path: Path, processes: int) -> None:
    """Kill the server with SIGKILL during concurrent ingest, restart: every ack survived."""
    data = tmp_path / "data"
    ledger = Ledger()
    for round_no in range(ROUNDS):
        with ServerProcess(data, "--processes", str(processes)) as server:
            if ledger.acked:
                asyncio.run(check_everything_acknowledged(server.url, ledger))
            asyncio.run(ingest_until_killed(server, ledger, round_no))
            assert server.process.wait(10) == -9
    with ServerProcess(data) as server:
        asyncio.run(check_everything_acknowledged(server.url, ledger))
    assert len(ledger.acked) >= ROUNDS * ACKS_PER_ROUND // 2


def test_sigterm_lets_the_in_flight_request_finish(tmp_path: Path) -> None:
    """SIGTERM during a large write: the write is answered 200, then the process exits 0."""
    data = tmp_path / "data"
    rng = random.Random(5)
    text = "\n\n".join(
        " ".join(rng.choice(WORDS) + str(rng.randrange(10**6)) for _ in range(1000))
        for _ in range(1600)  # ~13 MB: a write of a second or more
    )

    async def write_then_terminate(server: ServerProcess) -> tuple[int, float, float]:
        async with aiohttp.ClientSession() as session:
            body = io.BytesIO(json.dumps({"id": "big", "text": text}).encode())
            headers = {"Content-Type": "application/json"}
            request = asyncio.ensure_future(
                session.post(f"{server.url}/v1/documents", data=body, headers=headers)
            )
            await asyncio.sleep(0.25)
            signalled = time.monotonic()
            server.process.terminate()
            response = await request
            answered = time.monotonic()
            await response.read()
            return response.status, signalled, answered

    with ServerProcess(data, "--max-body", str(32 * 2**20)) as server:
        status, signalled, answered = asyncio.run(write_then_terminate(server))
        assert status == 200
        assert answered > signalled, "the write finished before SIGTERM; make it larger"
        assert server.process.wait(20) == 0
        server.kill()
        events = [json.loads(line).get("event") for line in server.lines if line.startswith("{")]
        assert "stopping" in events
        assert events[-1] == "stopped"
        assert events.index("stopping") < events.index("request")  # answered after SIGTERM
    with ServerProcess(data) as server:

        async def read_back() -> int:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{server.url}/v1/documents/big") as response,
            ):
                return response.status

        assert asyncio.run(read_back()) == 200
        assert server.terminate() == 0
