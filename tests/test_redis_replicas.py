"""Replica processes (``dedup serve --store redis://...``) sharing one real redis-server.

Read-your-write across replicas, racing ingests that found one cluster, a replica SIGKILLed
mid-ingest while the other keeps answering, and Redis itself SIGKILLed and restarted from its
AOF while the replicas carry on. ``dedup store check`` runs after each.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from server_process import ServerProcess
from test_shared_store import _story

from bench.redis_server import RedisServer, find_redis_server
from dedup.cli import main

WRITERS = 4


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    """A durable redis-server of this test's own (appendonly yes, appendfsync always)."""
    binary = find_redis_server()
    if binary is None:
        pytest.skip(
            "redis-server is not installed: apt-get install redis-server "
            "(make test installs it when run as root with apt)"
        )
    with RedisServer(tmp_path / "redis", binary=binary) as running:
        yield running


def page(seed: int) -> str:
    """A page of two paragraphs of its own."""
    return f"{_story(seed)}\n\n{_story(seed + 500_000)}"


async def post(session: aiohttp.ClientSession, url: str, doc_id: str, text: str) -> Any:
    """POST a document; return its JSON answer (a 200 is asserted)."""
    async with session.post(f"{url}/v1/documents", json={"id": doc_id, "text": text}) as answer:
        assert answer.status == 200, await answer.text()
        return await answer.json()


async def found_everywhere(urls: list[str], acked: dict[str, str]) -> None:
    """Every acknowledged document is stored, with its paragraphs, on every replica."""
    async with aiohttp.ClientSession() as session:
        for url in urls:
            for doc_id, text in acked.items():
                async with session.get(f"{url}/v1/documents/{doc_id}") as answer:
                    assert answer.status == 200, f"acknowledged {doc_id} is lost on {url}"
                    stored = [p["text"] for p in (await answer.json())["paragraphs"]]
                assert stored == text.split("\n\n")


def test_replicas_read_each_others_writes_and_race_to_one_cluster(server: RedisServer) -> None:
    """A document acknowledged by one replica is matched by the other at once (30 times),
    and two replicas posting near-duplicates of one new paragraph at once found one cluster
    (20 races)."""
    with ServerProcess(server.url()) as a, ServerProcess(server.url()) as b:

        async def scenario() -> None:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{b.url}/healthz") as answer:
                    health = await answer.json()
                assert health["store"] == {"kind": "redis", "reachable": True}
                for n in range(30):
                    text = _story(2000 + n)
                    added = await post(session, a.url, f"ryw-{n}", text)
                    async with session.post(f"{b.url}/v1/match", json={"text": text}) as answer:
                        match = (await answer.json())["paragraphs"][0]["match"]
                    assert match is not None, f"replica b misses ryw-{n} right after its 200"
                    assert match["cluster"] == added["paragraphs"][0]["cluster"]
                for n in range(20):
                    text = _story(3000 + n)
                    answers = await asyncio.gather(
                        post(session, a.url, f"race-{n}-a", text),
                        post(session, b.url, f"race-{n}-b", text.upper() + " Read more"),
                    )
                    assigned = [answer["paragraphs"][0] for answer in answers]
                    assert assigned[0]["cluster"] == assigned[1]["cluster"], n
                    assert sorted(p["new_cluster"] for p in assigned) == [False, True], n

        asyncio.run(scenario())
    assert main(["store", "check", "--store", server.url()]) == 0


def test_a_replica_warns_when_redis_can_lose_acknowledged_writes(server: RedisServer) -> None:
    """At start-up a replica reads the server's persistence settings and logs a warning when
    they can lose acknowledged writes (here appendfsync everysec); none when they cannot."""
    import redis

    client = redis.Redis(port=server.port)
    try:
        client.config_set("appendfsync", "everysec")
        with ServerProcess(server.url()) as weak:
            warned = [e for e in weak.events() if e.get("event") == "store_durability"]
        client.config_set("appendfsync", "always")
        with ServerProcess(server.url()) as durable:
            quiet = [e for e in durable.events() if e.get("event") == "store_durability"]
    finally:
        client.config_set("appendfsync", "always")
        client.close()
    assert len(warned) == 1
    assert "appendfsync everysec" in str(warned[0]["message"])
    assert warned[0]["level"] == "warning"
    assert quiet == []


def test_a_replica_killed_mid_ingest_leaves_the_other_answering(server: RedisServer) -> None:
    """SIGKILL one replica while both ingest: the other keeps acknowledging writes, and every
    document either acknowledged is found afterwards, on the survivor and on a new replica."""
    acked: dict[str, str] = {}
    rng = random.Random(7)
    with ServerProcess(server.url()) as a, ServerProcess(server.url()) as b:
        killed = asyncio.Event()
        after_kill: list[int] = []  # the status of every answer replica b gave after the kill

        async def writer(session: aiohttp.ClientSession, url: str, name: str) -> None:
            count = 0
            while len(after_kill) < 40:  # a runs until it dies; b until 40 answers follow it
                doc_id, text = f"{name}-{count}", page(rng.randrange(10**9))
                count += 1
                was_killed = killed.is_set()
                try:
                    async with session.post(
                        f"{url}/v1/documents", json={"id": doc_id, "text": text}
                    ) as answer:
                        if answer.status == 200:
                            acked[doc_id] = text
                        if url == b.url and was_killed:
                            after_kill.append(answer.status)
                except aiohttp.ClientError:
                    if url == a.url:
                        return  # the killed replica stops answering
                    raise

        async def killer() -> None:
            while sum(1 for d in acked if d.startswith("a")) < 40:
                await asyncio.sleep(0.01)
            a.kill()
            killed.set()

        async def scenario() -> None:
            timeout = aiohttp.ClientTimeout(total=20)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                jobs = [writer(session, a.url, f"a{w}") for w in range(WRITERS)]
                jobs += [writer(session, b.url, f"b{w}") for w in range(WRITERS)]
                await asyncio.gather(*jobs, killer())

        asyncio.run(scenario())
        assert a.process.poll() is not None  # killed mid-ingest
        assert set(after_kill) == {200}, "replica b refused writes after a was killed"
        asyncio.run(found_everywhere([b.url], acked))
        with ServerProcess(server.url()) as c:
            asyncio.run(found_everywhere([c.url], acked))
    assert main(["store", "check", "--store", server.url()]) == 0


def test_redis_killed_and_restarted_loses_nothing_and_replicas_carry_on(
    server: RedisServer,
) -> None:
    """SIGKILL redis-server: writes answer 503 with a JSON error and Retry-After, /healthz says
    the store is unreachable; restarted from its AOF, nothing acknowledged is lost and both
    replicas carry on without a restart."""
    acked: dict[str, str] = {}
    with ServerProcess(server.url()) as a, ServerProcess(server.url()) as b:

        async def scenario() -> None:
            async with aiohttp.ClientSession() as session:
                for n in range(30):
                    url = (a.url, b.url)[n % 2]
                    await post(session, url, f"d{n}", page(4000 + n))
                    acked[f"d{n}"] = page(4000 + n)
                server.kill()
                async with session.post(
                    f"{a.url}/v1/documents", json={"id": "down", "text": page(1)}
                ) as answer:
                    assert answer.status == 503
                    assert answer.headers["Retry-After"] == "1"
                    assert (await answer.json())["error"]["code"] == "store_unavailable"
                health: dict[str, Any] = {}
                for _ in range(100):  # /healthz follows the store within a second or so
                    async with session.get(f"{b.url}/healthz") as answer:
                        health = await answer.json()
                        if answer.status == 503:
                            break
                    await asyncio.sleep(0.05)
                assert health["store"] == {"kind": "redis", "reachable": False}
                server.start()
                for _ in range(200):  # the replica reconnects by itself
                    async with session.post(
                        f"{a.url}/v1/documents", json={"id": "back", "text": page(2)}
                    ) as answer:
                        if answer.status == 200:
                            acked["back"] = page(2)
                            break
                    await asyncio.sleep(0.05)
                assert "back" in acked, "replica a did not recover once redis was back"
                async with session.post(f"{b.url}/v1/match", json={"text": page(2)}) as answer:
                    paragraphs = (await answer.json())["paragraphs"]
                assert all(p["match"] is not None for p in paragraphs)

        asyncio.run(scenario())
        asyncio.run(found_everywhere([a.url, b.url], acked))
    assert main(["store", "check", "--store", server.url()]) == 0
