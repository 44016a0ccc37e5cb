"""The service's edges answer in the one JSON error shape: the parser's refusals, long ids,
unknown query parameters, every exceeded limit, and JSON bodies that end with a newline."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient

from service import create_app
from service.errors import ERROR_CODES
from service.protocol import JsonErrorRunner
from service.settings import ServiceSettings

pytestmark = pytest.mark.asyncio

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]
LONG_ID = "q" * 600


@pytest_asyncio.fixture
async def client(aiohttp_client: MakeClient, tmp_path: Path) -> Client:
    """A client of an app with the default limits, holding one document "doc"."""
    client = await aiohttp_client(create_app(ServiceSettings(data=tmp_path / "data")))
    response = await client.post("/v1/documents", json={"id": "doc", "text": "a\n\nb"})
    assert response.status == 200
    return client


async def error_of(response: Any, status: int, code: str) -> str:
    """Check a JSON error answer (newline included) and return its message."""
    body = await response.read()
    assert response.status == status, body
    assert response.content_type == "application/json"
    assert body.endswith(b"}\n")
    answer = orjson.loads(body)
    assert answer["error"]["code"] == code
    assert status in ERROR_CODES[code]
    return str(answer["error"]["message"])


@pytest.mark.parametrize("path", ["/v1/documents/{}", "/v1/clusters/{}"])
async def test_an_id_over_the_limit_is_refused_without_echo(client: Client, path: str) -> None:
    """An id of 600 characters in a path answers 400 limit_exceeded, naming the limit only."""
    message = await error_of(await client.get(path.format(LONG_ID)), 400, "limit_exceeded")
    assert "512" in message
    assert "qqqq" not in message
    if path.startswith("/v1/documents"):
        response = await client.delete(path.format(LONG_ID))
        assert "qqqq" not in await error_of(response, 400, "limit_exceeded")


async def test_unknown_query_parameters_are_refused(client: Client) -> None:
    """A query parameter a route does not take answers 400, listing the ones it takes."""
    message = await error_of(await client.get("/v1/clusters?minDocs=2"), 400, "invalid_parameter")
    assert "'minDocs'" in message
    assert "min_docs, min_size, limit, cursor" in message
    message = await error_of(await client.get("/healthz?verbose=1"), 400, "invalid_parameter")
    assert "takes none" in message
    twice = await client.get("/v1/clusters?min_docs=1&min_docs=2")
    assert "twice" in await error_of(twice, 400, "invalid_parameter")
    post = await client.post("/v1/documents?dry_run=1", json={"id": "x", "text": "t"})
    await error_of(post, 400, "invalid_parameter")
    assert (await client.get("/v1/documents/x")).status == 404  # refused before the write
    assert (await client.get("/v1/clusters?min_docs=1&limit=5")).status == 200
    assert (await client.get("/nowhere?x=1")).status == 404  # no route: still a 404


async def test_every_exceeded_limit_is_limit_exceeded(client: Client) -> None:
    """101 texts, 101 documents, a long id, deep meta and a large body: one code."""
    texts = await client.post("/v1/match", json={"texts": ["a"] * 101})
    assert "over the limit of 100" in await error_of(texts, 422, "limit_exceeded")
    batch = {"documents": [{"id": f"d{i}", "text": "t"} for i in range(101)]}
    await error_of(await client.post("/v1/documents:batch", json=batch), 422, "limit_exceeded")
    long_id = await client.post("/v1/documents", json={"id": LONG_ID, "text": "t"})
    await error_of(long_id, 422, "limit_exceeded")
    deep: object = 1
    for _ in range(40):
        deep = {"a": deep}
    meta = await client.post("/v1/documents", json={"id": "m", "text": "t", "meta": deep})
    await error_of(meta, 422, "limit_exceeded")
    big = await client.post(
        "/v1/match", data=io.BytesIO(b"x" * (9 << 20)), headers={"Content-Type": "text/plain"}
    )
    assert "8388608" in await error_of(big, 413, "limit_exceeded")
    empty = await client.post("/v1/match", json={"texts": []})
    await error_of(empty, 422, "invalid_request")  # too few is not a limit


async def test_json_bodies_end_with_a_newline(client: Client) -> None:
    """Every JSON answer ends with a newline, so a shell prompt never runs into it."""
    answers = [
        await client.get("/healthz"),
        await client.get("/v1/documents/doc"),
        await client.get("/v1/clusters?min_size=1"),
        await client.post("/v1/documents", json={"id": "n", "text": "a"}),
        await client.post("/v1/documents:batch", json={"documents": [{"id": "b", "text": "a"}]}),
        await client.post("/v1/match", json={"text": "a"}),
        await client.post("/v1/match", json={"texts": ["a", "b"]}),
        await client.get("/openapi.json"),
        await client.get("/v1/documents/none"),
    ]
    for response in answers:
        body = await response.read()
        assert response.content_type == "application/json"
        assert body.endswith(b"}\n"), body[-40:]
        orjson.loads(body)


@pytest_asyncio.fixture
async def served(tmp_path: Path) -> AsyncIterator[int]:
    """The app served by the service's own runner on a free loopback port; yields the port."""
    runner = JsonErrorRunner(create_app(ServiceSettings(data=tmp_path / "data")), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def raw_request(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the answer to the end; return the status, headers and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status", "word"),
    [
        (
            b"GET /v1/documents/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            414,
            "request line",
        ),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431, "header"),
        (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: 1\r\n" % i for i in range(200))
            + b"\r\n",
            431,
            "headers",
        ),
        (b"NOT HTTP AT ALL\r\n\r\n", 400, "not valid HTTP"),
    ],
    ids=["long-url", "long-header", "many-headers", "not-http"],
)
async def test_the_parser_refusals_are_json(
    served: int, caplog: pytest.LogCaptureFixture, request_bytes: bytes, status: int, word: str
) -> None:
    """Too long a request line or headers answer 414/431 as JSON errors, logged at info."""
    caplog.set_level(logging.INFO)
    got, headers, body = await raw_request(served, request_bytes)
    assert got == status
    assert headers["Content-Type"].startswith("application/json")
    assert body.endswith(b"}\n")
    error = orjson.loads(body)["error"]
    assert error["code"] == ("bad_request" if status == 400 else "limit_exceeded")
    assert word in error["message"]
    assert b"aaaa" not in body
    assert b"bbbb" not in body
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    refused = [r for r in caplog.records if r.name == "service.access"]
    assert [r.levelno for r in refused] == [logging.INFO]
    # The connection's next request is unaffected: the runner still serves.
    ok, _, health = await raw_request(
        served, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert ok == 200
    assert orjson.loads(health)["status"] == "ok"
