"""Route handlers: validate, run the core in the executor, shape the JSON answer.

Writes and matches are validated here, on the event loop, then queued for their batcher,
which runs concurrent requests together in one executor job (service/batcher.py); a small
match round runs on the loop instead while no other core call runs (service/app.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, TypeVarTuple, Unpack

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST

from dedup.errors import DuplicateKeyError
from dedup.index.index import ClusterInfo, ClusterSummary, Index
from service.keys import (
    EXECUTOR,
    INDEX,
    JOBS,
    MATCHER,
    METRICS,
    OPENAPI,
    SETTINGS,
    STATS,
    WRITER,
)
from service.metrics import StatsCache
from service.rounds import MatchRequest, WriteRequest
from service.validation import (
    JSON,
    TEXT,
    DocumentIn,
    check_path_id,
    decode_json,
    decode_text,
    parse_batch,
    parse_document,
    parse_match,
    query_cursor,
    query_int,
    read_body,
    read_json,
)

__all__ = ["QUERY_PARAMETERS", "ROUTES", "WRITE_ROUTES"]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
Json = dict[str, object]
# Most clusters one page of GET /v1/clusters may hold.
MAX_PAGE = 1000
# Largest min_docs accepted: far above any real index, small enough to parse for free.
MAX_MIN_DOCS = 1_000_000_000


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(
        body=orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE), status=status, content_type=JSON
    )


async def _run(request: web.Request, fn: Callable[[Unpack[Ts]], T], *args: *Ts) -> T:
    """Run ``fn(*args)`` in the app's executor so the event loop never waits on the core."""
    app = request.app
    return await app[JOBS].run(app[EXECUTOR], fn, *args)


# -- jobs run in the executor ------------------------------------------------------------
# (the writes and matches run in rounds: see service/rounds.py and service/batcher.py)


def _remove(index: Index, stats: StatsCache, doc_id: str) -> None:
    index.remove(doc_id)
    stats.refresh()


def _get(index: Index, doc_id: str) -> Json:
    doc = index.get(doc_id)
    return {
        "id": doc.id,
        "meta": doc.meta,
        "paragraphs": [{"index": i, "text": t, "cluster": c} for i, t, c in doc.paragraphs],
    }


def _summary(info: ClusterInfo | ClusterSummary) -> Json:
    return {"id": info.id, "size": info.size, "docs": info.docs, "text": info.text}


def _cluster(index: Index, cluster_id: str) -> Json:
    info = index.cluster_info(cluster_id)
    members = [{"doc": doc, "para": para} for doc, para in info.members]
    return {**_summary(info), "members": members}


def _clusters(index: Index, min_docs: int, min_size: int, limit: int, cursor: str | None) -> Json:
    page, next_cursor = index.clusters(
        min_docs=min_docs, limit=limit, cursor=cursor, min_size=min_size
    )
    return {"clusters": [_summary(c) for c in page], "next_cursor": next_cursor}


# -- handlers ------------------------------------------------------------------------------


def _answer(body: bytes) -> web.Response:
    return web.Response(body=body, content_type=JSON)


async def _write(request: web.Request, docs: list[DocumentIn], batched: bool) -> web.Response:
    """Queue validated documents for the next group commit; answer once they are durable."""
    seen: set[str] = set()
    for doc in docs:  # checked here, or add_many would fail the whole round with a 409
        if doc.id in seen:
            raise DuplicateKeyError(f"document {doc.id!r} appears twice in one batch; send it once")
        seen.add(doc.id)
    chars = sum(len(d.text) for d in docs)
    body = await request.app[WRITER].submit(WriteRequest(docs, batched), len(docs), chars, seen)
    return _answer(body)


async def create_document(request: web.Request) -> web.Response:
    """POST /v1/documents: add or replace one document."""
    return await _write(request, [parse_document(await read_json(request))], False)


async def create_documents(request: web.Request) -> web.Response:
    """POST /v1/documents:batch: add or replace several documents in one atomic write."""
    docs = parse_batch(await read_json(request), request.app[SETTINGS].max_batch)
    return await _write(request, docs, True)


async def get_document(request: web.Request) -> web.Response:
    """GET /v1/documents/{id}: a document with its paragraphs and their clusters."""
    doc_id = check_path_id(request.match_info["id"], "document id")
    return _json(await _run(request, _get, request.app[INDEX], doc_id))


async def delete_document(request: web.Request) -> web.Response:
    """DELETE /v1/documents/{id}: remove a document (204)."""
    app = request.app
    doc_id = check_path_id(request.match_info["id"], "document id")
    await _run(request, _remove, app[INDEX], app[STATS], doc_id)
    return web.Response(status=204)


async def match(request: web.Request) -> web.Response:
    """POST /v1/match: the best cluster of each paragraph of one text or several. Read-only."""
    media, body = await read_body(request, (JSON, TEXT))
    if media == TEXT:
        texts, batched = [decode_text(body)], False
    else:
        texts, batched = parse_match(decode_json(body), request.app[SETTINGS].max_batch)
    chars = sum(len(t) for t in texts)
    answer = await request.app[MATCHER].submit(MatchRequest(texts, batched), len(texts), chars)
    return _answer(answer)


async def list_clusters(request: web.Request) -> web.Response:
    """GET /v1/clusters: a page of clusters by documents, descending."""
    query = request.query
    min_docs = query_int(query, "min_docs", 1, 1, MAX_MIN_DOCS)
    min_size = query_int(query, "min_size", 2, 1, MAX_MIN_DOCS)
    limit = query_int(query, "limit", 100, 1, MAX_PAGE)
    cursor = query_cursor(query)
    page = await _run(request, _clusters, request.app[INDEX], min_docs, min_size, limit, cursor)
    return _json(page)


async def get_cluster(request: web.Request) -> web.Response:
    """GET /v1/clusters/{id}: one cluster with its members."""
    cluster_id = check_path_id(request.match_info["id"], "cluster id")
    return _json(await _run(request, _cluster, request.app[INDEX], cluster_id))


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: liveness, index sizes and the store's kind and reachability, without
    waiting for the index lock; 503 while the store cannot be reached."""
    cache = request.app[STATS]
    stats = cache.current
    body = {
        "status": "ok" if cache.reachable else "store_unavailable",
        "documents": stats.documents,
        "paragraphs": stats.paragraphs,
        "clusters": stats.clusters,
        "singletons": stats.singletons,
        "store": {
            "kind": request.app[SETTINGS].store_location().kind,
            "reachable": cache.reachable,
        },
    }
    return _json(body) if cache.reachable else _json(body, status=503)


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics: Prometheus text."""
    body = request.app[METRICS].exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def openapi(request: web.Request) -> web.Response:
    """GET /openapi.json: the OpenAPI 3.1 document of this service."""
    return web.Response(body=request.app[OPENAPI], content_type=JSON)


# (method, path, handler, operationId): the single list of routes, also read by the OpenAPI test.
ROUTES: tuple[tuple[str, str, Handler, str], ...] = (
    ("POST", "/v1/documents", create_document, "create_document"),
    ("POST", "/v1/documents:batch", create_documents, "create_documents"),
    ("GET", "/v1/documents/{id:.+}", get_document, "get_document"),
    ("DELETE", "/v1/documents/{id:.+}", delete_document, "delete_document"),
    ("POST", "/v1/match", match, "match"),
    ("GET", "/v1/clusters", list_clusters, "list_clusters"),
    ("GET", "/v1/clusters/{id}", get_cluster, "get_cluster"),
    ("GET", "/healthz", healthz, "healthz"),
    ("GET", "/metrics", metrics, "metrics"),
    ("GET", "/openapi.json", openapi, "openapi"),
)
# The query parameters each route takes; any other is refused (400), as unknown body fields are.
QUERY_PARAMETERS: dict[Handler, tuple[str, ...]] = {
    list_clusters: ("min_docs", "min_size", "limit", "cursor"),
}
# Routes that change the index: with a token configured, they need `Authorization: Bearer`.
WRITE_ROUTES: frozenset[Handler] = frozenset({create_document, create_documents, delete_document})
