"""Every refusal of the HTTP service: its status, its code, and the one JSON error shape."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient

from dedup.errors import StoreError
from dedup.index.index import Index
from service import create_app
from service.errors import ERROR_CODES
from service.settings import ServiceSettings

pytestmark = pytest.mark.asyncio

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]
JSON = {"Content-Type": "application/json"}
TOKEN = "s3cret-token"
MAX_BODY = 64 * 1024


@pytest.fixture
def settings(tmp_path: Path) -> ServiceSettings:
    """Small limits, so that each one can be exceeded cheaply."""
    return ServiceSettings(
        data=tmp_path / "data",
        max_body=MAX_BODY,
        max_batch=3,
        max_paragraphs=4,
        max_paragraph_chars=200,
    )


@pytest_asyncio.fixture
async def client(aiohttp_client: MakeClient, settings: ServiceSettings) -> Client:
    """A client of an app without a token, holding one document "doc"."""
    client = await aiohttp_client(create_app(settings))
    response = await client.post("/v1/documents", json={"id": "doc", "text": "a\n\nb"})
    assert response.status == 200
    return client


@pytest_asyncio.fixture
async def secured(aiohttp_client: MakeClient, tmp_path: Path) -> Client:
    """A client of an app that requires a bearer token on write routes."""
    return await aiohttp_client(create_app(ServiceSettings(data=tmp_path / "s", token=TOKEN)))


async def expect_error(response: Any, status: int, code: str) -> str:
    """Check the status, the content type and the exact error shape; return the message."""
    text = await response.text()
    assert response.status == status, text
    assert response.content_type == "application/json"
    body = await response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert status in ERROR_CODES[code]
    assert text.endswith("}\n")  # JSON bodies end with a newline
    message = body["error"]["message"]
    assert isinstance(message, str)
    assert message
    assert "Traceback" not in message
    return str(message)


def doc(doc_id: str = "x", text: str = "t", **extra: object) -> dict[str, object]:
    """A document body."""
    return {"id": doc_id, "text": text, **extra}


BAD_REQUESTS: list[tuple[str, str, dict[str, str], bytes, int, str]] = [
    ("POST", "/v1/documents", JSON, b"{not json", 400, "invalid_json"),
    ("POST", "/v1/documents", JSON, b"", 400, "invalid_json"),
    ("POST", "/v1/documents", JSON, b'{"id": "x", "text": "\\ud800"}', 400, "invalid_json"),
    ("POST", "/v1/documents", JSON, b'{"id": "x", "text": "caf\xe9"}', 400, "invalid_utf8"),
    ("POST", "/v1/documents", JSON, b"[1, 2]", 422, "invalid_request"),
    ("POST", "/v1/documents", JSON, b'{"id": "x"}', 422, "invalid_request"),
    ("POST", "/v1/documents", JSON, b'{"text": "t"}', 422, "invalid_request"),
    ("POST", "/v1/documents", JSON, b'{"id": 5, "text": "t"}', 422, "invalid_request"),
    ("POST", "/v1/documents", JSON, b'{"id": "x", "text": ["t"]}', 422, "invalid_request"),
    ("POST", "/v1/documents", JSON, b'{"id": "x", "text": "t", "meta": 1}', 422, "invalid_request"),
    ("POST", "/v1/documents", JSON, b'{"id": "x", "text": "t", "txt": 1}', 422, "invalid_request"),
    ("POST", "/v1/documents", JSON, b'{"id": "", "text": "t"}', 422, "invalid_request"),
    (
        "POST",
        "/v1/documents",
        JSON,
        b'{"id": "x", "text": "t", "meta": %s}' % (b'{"a":' * 40 + b"1" + b"}" * 40),
        422,
        "limit_exceeded",
    ),
    (
        "POST",
        "/v1/documents",
        JSON,
        b'{"id": "x", "text": "t", "meta": %s}' % (b'{"a":[' * 500 + b"1" + b"]}" * 500),
        422,
        "limit_exceeded",
    ),
    ("POST", "/v1/documents", JSON, b"[" * 5000 + b"]" * 5000, 400, "invalid_json"),
    (
        "POST",
        "/v1/documents",
        JSON,
        b'{"id": "%s", "text": "t"}' % (b"x" * 513),
        422,
        "limit_exceeded",
    ),
    (
        "POST",
        "/v1/documents",
        {"Content-Type": "text/plain"},
        b"hello",
        415,
        "unsupported_media_type",
    ),
    ("POST", "/v1/documents", {}, b'{"id": "x", "text": "t"}', 415, "unsupported_media_type"),
    (
        "POST",
        "/v1/documents",
        {"Content-Type": "application/json; charset=latin-1"},
        b"{}",
        415,
        "unsupported_media_type",
    ),
    (
        "POST",
        "/v1/documents",
        JSON,
        b'{"id": "x", "text": "%s"}' % (b"w " * 150),
        422,
        "limit_exceeded",
    ),
    (
        "POST",
        "/v1/documents",
        JSON,
        b'{"id": "x", "text": "%s"}' % (b"p\\n\\n" * 5),
        422,
        "limit_exceeded",
    ),
    ("POST", "/v1/documents:batch", JSON, b'{"documents": []}', 422, "invalid_request"),
    ("POST", "/v1/documents:batch", JSON, b'{"documents": {}}', 422, "invalid_request"),
    ("POST", "/v1/documents:batch", JSON, b'{"documents": [1]}', 422, "invalid_request"),
    ("POST", "/v1/documents:batch", JSON, b'{"docs": []}', 422, "invalid_request"),
    (
        "POST",
        "/v1/documents:batch",
        JSON,
        b'{"documents": [%s]}' % b",".join([b'{"id": "a", "text": "t"}'] * 4),
        422,
        "limit_exceeded",
    ),
    (
        "POST",
        "/v1/documents:batch",
        JSON,
        b'{"documents": [{"id": "a", "text": "t"}, {"id": "a", "text": "u"}]}',
        409,
        "conflict",
    ),
    ("POST", "/v1/match", JSON, b'{"text": "a", "texts": ["b"]}', 422, "invalid_request"),
    ("POST", "/v1/match", JSON, b"{}", 422, "invalid_request"),
    ("POST", "/v1/match", JSON, b'{"texts": "a"}', 422, "invalid_request"),
    ("POST", "/v1/match", JSON, b'{"texts": ["a", 1]}', 422, "invalid_request"),
    ("POST", "/v1/match", JSON, b'{"texts": ["a", "b", "c", "d"]}', 422, "limit_exceeded"),
    ("POST", "/v1/match", JSON, b'{"text": null}', 422, "invalid_request"),
    ("POST", "/v1/match", {"Content-Type": "text/plain"}, b"caf\xe9", 400, "invalid_utf8"),
    ("POST", "/v1/match", {"Content-Type": "text/plain"}, b"p\n\n" * 5, 422, "limit_exceeded"),
    ("POST", "/v1/match", {"Content-Type": "text/html"}, b"<p>", 415, "unsupported_media_type"),
    ("GET", "/v1/documents/missing", {}, b"", 404, "not_found"),
    ("DELETE", "/v1/documents/missing", {}, b"", 404, "not_found"),
    ("GET", "/v1/clusters/missing", {}, b"", 404, "not_found"),
    ("GET", "/v1/clusters?limit=0", {}, b"", 400, "invalid_parameter"),
    ("GET", "/v1/clusters?limit=1001", {}, b"", 400, "invalid_parameter"),
    ("GET", "/v1/clusters?limit=abc", {}, b"", 400, "invalid_parameter"),
    ("GET", "/v1/clusters?limit=-1", {}, b"", 400, "invalid_parameter"),
    ("GET", "/v1/clusters?min_docs=0", {}, b"", 400, "invalid_parameter"),
    ("GET", "/v1/clusters?min_docs=99999999999999999999", {}, b"", 400, "invalid_parameter"),
    ("GET", "/v1/clusters?cursor=nonsense", {}, b"", 400, "invalid_parameter"),
    ("GET", "/v1/clusters?cursor=%C2%B9%C2%B2:abc", {}, b"", 400, "invalid_parameter"),
    ("GET", "/v1/clusters?cursor=" + "9" * 5000 + ":a", {}, b"", 400, "invalid_parameter"),
    ("GET", "/nowhere", {}, b"", 404, "not_found"),
    ("GET", "/v1/documents", {}, b"", 405, "method_not_allowed"),
    ("PUT", "/v1/documents/doc", {}, b"", 405, "method_not_allowed"),
    ("PATCH", "/v1/match", JSON, b"{}", 405, "method_not_allowed"),
    ("DELETE", "/healthz", {}, b"", 405, "method_not_allowed"),
]


@pytest.mark.parametrize("bad", BAD_REQUESTS, ids=lambda bad: f"{bad[0]} {bad[1][:40]} {bad[5]}")
async def test_bad_request_gets_the_error_shape(
    client: Client, bad: tuple[str, str, dict[str, str], bytes, int, str]
) -> None:
    """Each bad request gets its 4xx status, its code and the one JSON error shape."""
    method, path, headers, body, status, code = bad
    response = await client.request(method, path, data=body, headers={**headers})
    await expect_error(response, status, code)


async def test_405_lists_the_allowed_methods(client: Client) -> None:
    """A wrong method answers 405 with an Allow header."""
    response = await client.put("/v1/documents/doc")
    await expect_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(",")) == {"GET", "HEAD", "DELETE"}


async def test_body_over_max_body_gets_413(client: Client) -> None:
    """A body over --max-body answers 413, with Content-Length and chunked alike."""
    big = b'{"id": "x", "text": "' + b"a" * MAX_BODY + b'"}'
    response = await client.post("/v1/documents", data=big, headers=JSON)
    message = await expect_error(response, 413, "limit_exceeded")
    assert str(MAX_BODY) in message

    async def chunks() -> Any:
        for _ in range(MAX_BODY // 4096 + 2):
            yield b"a" * 4096

    response = await client.post("/v1/match", data=chunks(), headers={"Content-Type": "text/plain"})
    await expect_error(response, 413, "limit_exceeded")
    assert (await client.get("/healthz")).status == 200


async def test_unexpected_error_is_a_generic_500(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected exception answers 500 with a generic message, and the log has the trace."""

    def boom(*args: object) -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(Index, "match_many", boom)
    response = await client.post("/v1/match", json={"text": "hello"})
    message = await expect_error(response, 500, "internal_error")
    assert "secret" not in message
    assert "RuntimeError" not in message
    assert any("secret internal detail" in (r.exc_text or "") for r in caplog.records)


async def test_store_failure_is_a_503_without_paths(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A store that cannot be written answers 503 and does not show server paths; the server
    log says why in one line per failure, with no traceback (an outage fails every request)."""

    def full(*args: object) -> None:
        raise StoreError("cannot write to /srv/private/dedup.sqlite3: disk full")

    monkeypatch.setattr(Index, "add_many", full)
    for _ in range(3):
        response = await client.post("/v1/documents", json=doc())
        message = await expect_error(response, 503, "store_unavailable")
        assert "/srv" not in message
    told = [r for r in caplog.records if "dedup.sqlite3" in r.getMessage()]
    assert told, "the log does not say why the store failed"
    assert all(r.exc_info is None and r.levelno == logging.WARNING for r in told)
    assert len(told) <= 2 * 3  # the round's line and the answer's line, per request


async def test_write_routes_need_the_token(secured: Client) -> None:
    """With a token, POST and DELETE on documents need the bearer token; reads stay open."""
    writes = [
        ("POST", "/v1/documents", doc("a")),
        ("POST", "/v1/documents:batch", {"documents": [doc("b")]}),
        ("DELETE", "/v1/documents/a", None),
    ]
    for header in [
        None,
        "Bearer wrong",
        f"Basic {TOKEN}",
        TOKEN,
        f"Bearer {TOKEN}x",
        "Bearer ünï",
    ]:
        headers = {} if header is None else {"Authorization": header}
        for method, path, body in writes:
            response = await secured.request(method, path, json=body, headers=headers)
            await expect_error(response, 401, "unauthorized")
            assert response.headers["WWW-Authenticate"] == "Bearer"
    # The scheme is case-insensitive (RFC 7235): "bearer" and "BEARER" are "Bearer".
    for scheme in ("Bearer", "bearer", "BEARER"):
        good = {"Authorization": f"{scheme} {TOKEN}"}
        for method, path, body in writes:
            response = await secured.request(method, path, json=body, headers=good)
            assert response.status in {200, 204}, await response.text()
    assert (await secured.get("/v1/documents/b")).status == 200
    assert (await secured.post("/v1/match", json={"text": "t"})).status == 200
    assert (await secured.get("/v1/clusters")).status == 200
    document = await (await secured.get("/openapi.json")).json()
    assert document["paths"]["/v1/documents"]["post"]["security"] == [{"bearer": []}]
    assert "401" in document["paths"]["/v1/documents/{id}"]["delete"]["responses"]


async def test_every_error_code_is_documented(client: Client) -> None:
    """The OpenAPI Error schema lists every code, and each error status has a response."""
    document = await (await client.get("/openapi.json")).json()
    schema = document["components"]["schemas"]["Error"]["properties"]["error"]
    assert set(schema["properties"]["code"]["enum"]) == set(ERROR_CODES)
    responses = document["components"]["responses"]
    statuses = {status for codes in ERROR_CODES.values() for status in codes}
    assert {f"E{status}" for status in statuses} <= set(responses)


async def test_no_request_leaves_the_server_dead(client: Client) -> None:
    """After every bad request above, the server still answers and holds its document."""
    for method, path, headers, body, _, _ in BAD_REQUESTS:
        await client.request(method, path, data=body, headers={**headers})
    assert (await client.get("/healthz")).status == 200
    assert (await client.get("/v1/documents/doc")).status == 200
