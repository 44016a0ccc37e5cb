"""Group commit and micro-batching: concurrent requests share one core call, with equal answers."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient

import service.app
from dedup.errors import StoreError
from dedup.index.index import Index
from service import create_app
from service.batcher import Bounds
from service.keys import INDEX, MATCHER, WRITER
from service.rounds import added_json
from service.settings import MIB, ServiceSettings

pytestmark = pytest.mark.asyncio

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]
# How long a test waits for the service to reach a state before it fails.
PATIENCE = 10.0


class Gate:
    """Wrap an Index method: record each call on one index, and hold the first until released.

    While the first round waits in the executor, the test queues more requests, so the next
    round holds all of them.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        self.index: Index | None = None
        self.calls: list[list[Any]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail_call: int | None = None  # 1-based number of a call that raises StoreError
        original = getattr(Index, name)
        gate = self

        def wrapper(index: Index, items: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
            if index is not gate.index:
                return original(index, items, *args, **kwargs)
            gate.calls.append(list(items))
            if not gate.entered.is_set():
                gate.entered.set()
                assert gate.release.wait(PATIENCE), "the test never released the gate"
            if len(gate.calls) == gate.fail_call:
                raise StoreError("cannot write to /srv/private/dedup.sqlite3: disk full")
            return original(index, items, *args, **kwargs)

        monkeypatch.setattr(Index, name, wrapper)

    async def wait_entered(self) -> None:
        """Wait until the first round holds the gate."""
        await _until(self.entered.is_set)


async def _until(condition: Callable[[], bool]) -> None:
    deadline = asyncio.get_running_loop().time() + PATIENCE
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the service never got there"
        await asyncio.sleep(0.005)


def para(rng: random.Random, n: int = 60) -> str:
    """A paragraph of ``n`` random words: two of them never match by chance."""
    return " ".join(f"w{rng.randrange(5000)}" for _ in range(n))


def variant(rng: random.Random, text: str, changes: int) -> str:
    """``text`` with ``changes`` words replaced: a near-duplicate of it."""
    words = text.split()
    for _ in range(changes):
        words[rng.randrange(len(words))] = f"v{rng.randrange(10**6)}"
    return " ".join(words)


def page(rng: random.Random, shared: list[str]) -> str:
    """A page: near-duplicates of shared paragraphs around a paragraph of its own."""
    paragraphs = [variant(rng, rng.choice(shared), rng.randrange(4)) for _ in range(2)]
    return "\n\n".join([*paragraphs, para(rng, 20)])


@pytest.fixture
def settings(tmp_path: Path) -> ServiceSettings:
    """A fresh data directory and small limits."""
    return ServiceSettings(data=tmp_path / "data", max_batch=5, max_paragraphs=50)


@pytest_asyncio.fixture
async def client(aiohttp_client: MakeClient, settings: ServiceSettings) -> Client:
    """A test client of an app on a fresh store."""
    return await aiohttp_client(create_app(settings))


async def call(
    client: Client, path: str, *, json: Any = None, text: str | None = None
) -> tuple[int, Any]:
    """POST a JSON body (or a text/plain one) and return the status and the JSON answer."""
    if text is not None:
        headers = {"Content-Type": "text/plain"}
        response = await client.post(path, data=text.encode(), headers=headers)
    else:
        response = await client.post(path, json=json)
    return response.status, await response.json()


async def test_concurrent_writes_equal_sequential_application(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent POSTs (distinct ids, one id, a batch) end as if applied one by one in order."""
    rng = random.Random(7)
    shared = [para(rng) for _ in range(5)]
    setup = [("same", page(rng, shared)), ("old", page(rng, shared))]
    for doc_id, text in setup:
        assert (await call(client, "/v1/documents", json={"id": doc_id, "text": text}))[0] == 200
    gate = Gate(monkeypatch, "add_many")
    gate.index = client.app[INDEX]
    singles = [(f"d{i}", page(rng, shared)) for i in range(24)]
    singles += [("same", page(rng, shared)) for _ in range(5)]
    singles += [("old", page(rng, shared))]
    rng.shuffle(singles)
    batch = [(f"b{i}", page(rng, shared)) for i in range(3)]
    first_text = page(rng, shared)
    first = asyncio.create_task(
        call(client, "/v1/documents", json={"id": "first", "text": first_text})
    )
    await gate.wait_entered()
    jobs = [call(client, "/v1/documents", json={"id": i, "text": t}) for i, t in singles]
    body = {"documents": [{"id": i, "text": t} for i, t in batch]}
    jobs.insert(10, call(client, "/v1/documents:batch", json=body))
    tasks = [asyncio.create_task(job) for job in jobs]
    await _until(lambda: client.app[WRITER].waiting == len(tasks))
    gate.release.set()
    answers = [await first, *await asyncio.gather(*tasks)]
    assert all(status == 200 for status, _ in answers), answers

    # Group commits happened, never with one id twice, and the batch stayed in one commit.
    assert max(len(docs) for docs in gate.calls) > 4
    assert all(len({d[0] for d in docs}) == len(docs) for docs in gate.calls)
    assert any({"b0", "b1", "b2"} <= {d[0] for d in docs} for docs in gate.calls)
    # Replay the commits' documents one by one, in arrival order, on a fresh index.
    replay = Index()
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for doc_id, text in setup:
        replay.add(doc_id, text)
    for doc_id, text, meta in (d for docs in gate.calls for d in docs):
        results[(doc_id, text)] = added_json(replay.add(doc_id, text, meta))
    # Each request got its own result, equal to the replay's.
    assert answers[0][1] == results[("first", first_text)]
    for (doc_id, text), (_, answer) in zip(singles, answers[1:11] + answers[12:], strict=True):
        assert answer == results[(doc_id, text)]
    assert answers[11][1] == {"documents": [results[d] for d in batch]}
    # The final state is the replay's.
    health = await (await client.get("/healthz")).json()
    stats = replay.stats()
    assert (health["documents"], health["paragraphs"], health["clusters"]) == (
        stats.documents,
        stats.paragraphs,
        stats.clusters,
    )
    for doc_id in {d for d, _ in [*setup, *singles, *batch]} | {"first"}:
        doc = await (await client.get(f"/v1/documents/{doc_id}")).json()
        assert [(p["text"], p["cluster"]) for p in doc["paragraphs"]] == [
            (t, c) for _, t, c in replay.get(doc_id).paragraphs
        ]
    page_ = await (await client.get("/v1/clusters?limit=1000")).json()
    expected, _ = replay.clusters(limit=1000)
    assert [(c["id"], c["size"], c["docs"]) for c in page_["clusters"]] == [
        (c.id, c.size, c.docs) for c in expected
    ]


async def test_a_replacement_ends_its_group_commit(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document queued after a replacement does not see the replaced paragraphs."""
    rng = random.Random(1)
    old = para(rng, 80)
    assert (await call(client, "/v1/documents", json={"id": "x", "text": old}))[0] == 200
    gate = Gate(monkeypatch, "add_many")
    gate.index = client.app[INDEX]
    first = asyncio.create_task(call(client, "/v1/documents", json={"id": "f", "text": "f"}))
    await gate.wait_entered()
    replace = asyncio.create_task(
        call(client, "/v1/documents", json={"id": "x", "text": para(rng, 50)})
    )
    near = asyncio.create_task(
        call(client, "/v1/documents", json={"id": "y", "text": variant(rng, old, 1)})
    )
    await _until(lambda: client.app[WRITER].waiting == 2)
    gate.release.set()
    await first
    assert (await replace)[1]["replaced"] is True
    # Applied one by one, x's old paragraph is gone before y arrives: y founds a cluster.
    [paragraph] = (await near)[1]["paragraphs"]
    assert paragraph["new_cluster"] is True
    assert [[d[0] for d in docs] for docs in gate.calls] == [["f"], ["x"], ["y"]]


async def test_a_failing_commit_fails_each_of_its_requests(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the shared add_many fails, each request of that round gets the JSON 503."""
    gate = Gate(monkeypatch, "add_many")
    gate.index = client.app[INDEX]
    gate.fail_call = 2
    first = asyncio.create_task(call(client, "/v1/documents", json={"id": "a", "text": "one"}))
    await gate.wait_entered()
    tasks = [
        asyncio.create_task(call(client, "/v1/documents", json={"id": f"n{i}", "text": f"t{i}"}))
        for i in range(6)
    ]
    tasks.append(
        asyncio.create_task(
            call(client, "/v1/documents:batch", json={"documents": [{"id": "m", "text": "t"}]})
        )
    )
    await _until(lambda: client.app[WRITER].waiting == len(tasks))
    gate.release.set()
    assert (await first)[0] == 200
    for status, answer in await asyncio.gather(*tasks):
        assert status == 503
        assert answer["error"]["code"] == "store_unavailable"
        assert "/srv" not in answer["error"]["message"]
    assert len(gate.calls) == 2
    # Nothing of the failed round was written, and the service keeps working.
    assert (await client.get("/v1/documents/n0")).status == 404
    assert (await call(client, "/v1/documents", json={"id": "n0", "text": "t0"}))[0] == 200
    health = await (await client.get("/healthz")).json()
    assert health["documents"] == 2


async def test_concurrent_matches_answer_as_alone(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent matches share one match_many, and each answer equals the one given alone."""
    rng = random.Random(5)
    shared = [para(rng) for _ in range(6)]
    for start in range(0, 10, 5):
        docs = [{"id": f"p{i}", "text": page(rng, shared)} for i in range(start, start + 5)]
        assert (await call(client, "/v1/documents:batch", json={"documents": docs}))[0] == 200
    requests: list[dict[str, Any]] = []
    for i in range(30):
        kind = i % 4
        if kind == 0:
            requests.append({"json": {"text": variant(rng, rng.choice(shared), 2)}})
        elif kind == 1:
            requests.append({"text": page(rng, shared)})
        elif kind == 2:
            texts = [variant(rng, rng.choice(shared), 1), para(rng), "", "short words"]
            requests.append({"json": {"texts": texts[: 1 + i % 4]}})
        else:
            requests.append({"json": {"text": para(rng)}})
    requests.insert(7, {"text": "\n\n".join(para(rng, 3) for _ in range(60))})  # over the limit
    alone = [await call(client, "/v1/match", **r) for r in requests]
    assert alone[7][0] == 422
    assert sum(1 for status, _ in alone if status == 200) == len(requests) - 1

    # The gate holds a round in an executor thread: a round on the loop would hold the loop.
    client.app[MATCHER].run_inline(-1, lambda: False)
    gate = Gate(monkeypatch, "match_many")
    gate.index = client.app[INDEX]
    summaries: list[set[str]] = []
    original = Index.cluster_summaries

    def summary(index: Index, clusters: Iterable[str], **options: bool) -> Any:
        summaries.append(set(clusters))
        return original(index, summaries[-1], **options)

    monkeypatch.setattr(Index, "cluster_summaries", summary)
    first = asyncio.create_task(call(client, "/v1/match", json={"text": "nothing like it"}))
    await gate.wait_entered()
    tasks = [asyncio.create_task(call(client, "/v1/match", **r)) for r in requests]
    await _until(lambda: client.app[MATCHER].waiting == len(tasks))
    gate.release.set()
    assert (await first)[0] == 200
    together = await asyncio.gather(*tasks)
    assert together == alone
    # One match_many for all of them (but the refused one), each cluster read once.
    assert len(gate.calls) == 2
    matched = [
        p["match"]["cluster"]
        for status, answer in together
        if status == 200
        for result in answer.get("results", [answer])
        for p in result["paragraphs"]
        if p["match"] is not None
    ]
    assert len(matched) > len(set(matched)) > 1
    assert summaries == [set(), set(matched)]  # one read of the clusters per round


async def test_small_match_rounds_run_on_the_loop_only_while_no_core_call_runs(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small match round runs on the loop's thread, unless a write may hold the index lock."""
    loop_thread = threading.current_thread()
    threads: list[threading.Thread] = []
    original = Index.match_many

    def match_many(index: Index, texts: Sequence[str]) -> Any:
        threads.append(threading.current_thread())
        return original(index, texts)

    monkeypatch.setattr(Index, "match_many", match_many)
    assert (await call(client, "/v1/match", json={"text": "alone"}))[0] == 200
    assert threads == [loop_thread]
    # While a commit holds the lock, a match waits in an executor thread: the loop serves on.
    gate = Gate(monkeypatch, "add_many")
    gate.index = client.app[INDEX]
    write = asyncio.create_task(call(client, "/v1/documents", json={"id": "w", "text": "w"}))
    await gate.wait_entered()
    matching = asyncio.create_task(call(client, "/v1/match", json={"text": "while writing"}))
    await _until(lambda: len(threads) == 2)
    assert threads[1] is not loop_thread
    assert (await client.get("/healthz")).status == 200
    gate.release.set()
    assert [(await write)[0], (await matching)[0]] == [200, 200]
    # A round over the bound runs in the executor too.
    long_text = " ".join(["word"] * (service.app.INLINE_MATCH_CHARS // 4))
    assert (await call(client, "/v1/match", json={"text": long_text}))[0] == 200
    assert threads[2] is not loop_thread


async def test_a_full_queue_answers_503_overloaded(
    aiohttp_client: MakeClient, settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the queue's bound, a request gets 503 overloaded with Retry-After at once."""
    monkeypatch.setattr(service.app, "MATCH_BOUNDS", Bounds(256, MIB, 2, MIB))
    # The gate holds a round in an executor thread: a round on the loop would hold the loop.
    monkeypatch.setattr(service.app, "INLINE_MATCH_CHARS", 0)
    client = await aiohttp_client(create_app(settings))
    gate = Gate(monkeypatch, "match_many")
    gate.index = client.app[INDEX]
    first = asyncio.create_task(call(client, "/v1/match", json={"text": "a"}))
    await gate.wait_entered()
    queued = [asyncio.create_task(call(client, "/v1/match", json={"text": "b"})) for _ in range(2)]
    await _until(lambda: client.app[MATCHER].waiting == 2)
    response = await client.post("/v1/match", json={"text": "c"})
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    assert (await response.json())["error"]["code"] == "overloaded"
    gate.release.set()
    assert [status for status, _ in [await first, *await asyncio.gather(*queued)]] == [200] * 3
    assert (await call(client, "/v1/match", json={"text": "d"}))[0] == 200


async def test_shutdown_commits_every_queued_write(
    settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shutdown runs every queued write before the store closes, even if its client is gone."""
    app = create_app(settings)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    gate = Gate(monkeypatch, "add_many")
    gate.index = app[INDEX]
    ids = [f"q{i}" for i in range(12)]

    async def post(session: aiohttp.ClientSession, doc_id: str) -> int | None:
        url = f"http://{host}:{port}/v1/documents"
        try:
            async with session.post(url, json={"id": doc_id, "text": f"text of {doc_id}"}) as r:
                return r.status
        except aiohttp.ClientError:
            return None  # the server stopped before answering

    async with aiohttp.ClientSession() as session:
        first = asyncio.create_task(post(session, ids[0]))
        await gate.wait_entered()
        tasks = [asyncio.create_task(post(session, doc_id)) for doc_id in ids[1:]]
        await _until(lambda: app[WRITER].waiting == len(tasks))
        # Stop the server while every request but the first is queued; its handlers are
        # cancelled after 0.1 s, and the gate opens only later.
        asyncio.get_running_loop().call_later(0.5, gate.release.set)
        await runner.cleanup()
        statuses = [await first, *await asyncio.gather(*tasks)]
    assert all(status in {200, None} for status in statuses), statuses
    assert settings.data is not None
    reopened = Index.open(settings.data)
    try:
        assert all(doc_id in reopened for doc_id in ids)
    finally:
        reopened.close()
