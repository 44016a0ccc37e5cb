"""In-process tests of every route of the HTTP service, through aiohttp's test client."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient

from service import create_app
from service.handlers import MAX_PAGE, ROUTES
from service.openapi import _MAX_MIN_DOCS, _MAX_PAGE, build_openapi
from service.settings import ServiceSettings

pytestmark = pytest.mark.asyncio

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WORDS = [
    "river",
    "harbour",
    "council",
    "market",
    "winter",
    "station",
    "garden",
    "letter",
    "silver",
    "morning",
    "bridge",
    "teacher",
    "engine",
    "village",
    "summer",
    "mountain",
    "painter",
    "doctor",
    "museum",
    "festival",
    "island",
    "orchard",
    "lantern",
    "kitchen",
    "ferry",
    "violin",
    "compass",
    "meadow",
    "tunnel",
    "quarry",
    "beacon",
    "canyon",
]


def words(rng: random.Random, n: int) -> str:
    """Return ``n`` random words: paragraphs made this way never match each other."""
    return " ".join(rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(n))


@pytest.fixture
def settings(tmp_path: Path) -> ServiceSettings:
    """Settings with a fresh data directory and small limits that tests can reach."""
    return ServiceSettings(data=tmp_path / "data", max_batch=5, max_paragraphs=50)


@pytest_asyncio.fixture
async def client(aiohttp_client: MakeClient, settings: ServiceSettings) -> Client:
    """A test client of an app on a fresh store."""
    return await aiohttp_client(create_app(settings))


async def post(client: Client, doc_id: str, text: str, **extra: Any) -> dict[str, Any]:
    """POST one document and return the JSON answer, checking for a 200."""
    response = await client.post("/v1/documents", json={"id": doc_id, "text": text, **extra})
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def get_json(client: Client, path: str, status: int = 200) -> dict[str, Any]:
    """GET a path and return its JSON answer, checking the status."""
    response = await client.get(path)
    assert response.status == status, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def test_healthz_on_an_empty_store(client: Client) -> None:
    """/healthz answers ok with zero sizes and the store's kind on a new store."""
    assert await get_json(client, "/healthz") == {
        "status": "ok",
        "documents": 0,
        "paragraphs": 0,
        "clusters": 0,
        "singletons": 0,
        "store": {"kind": "sqlite", "reachable": True},
    }


async def test_post_get_and_replace_a_document(client: Client, teaser: str) -> None:
    """A posted document reads back; posting its id again replaces it atomically."""
    first = await post(client, "a", f"Title\n\n{teaser}", meta={"url": "https://x.org/a"})
    assert first["id"] == "a"
    assert first["replaced"] is False
    assert [p["index"] for p in first["paragraphs"]] == [0, 1]
    assert all(p["new_cluster"] and p["similarity"] is None for p in first["paragraphs"])
    doc = await get_json(client, "/v1/documents/a")
    assert doc["meta"] == {"url": "https://x.org/a"}
    assert [(p["index"], p["text"]) for p in doc["paragraphs"]] == [(0, "Title"), (1, teaser)]
    second = await post(client, "a", teaser)
    assert second["replaced"] is True
    assert second["paragraphs"][0]["cluster"] == first["paragraphs"][1]["cluster"]
    doc = await get_json(client, "/v1/documents/a")
    assert doc["meta"] is None
    assert [p["text"] for p in doc["paragraphs"]] == [teaser]
    assert (await get_json(client, "/healthz"))["documents"] == 1


async def test_a_repeated_paragraph_joins_the_cluster(client: Client, teaser: str) -> None:
    """The same teaser in a second document joins the first one's cluster with its scores."""
    first = await post(client, "a", f"One\n\n{teaser}")
    second = await post(client, "b", f"Two\n\n{teaser.upper()} Read more")
    joined = second["paragraphs"][1]
    assert joined["cluster"] == first["paragraphs"][1]["cluster"]
    assert joined["new_cluster"] is False
    assert joined["similarity"] == 1.0
    cluster = await get_json(client, f"/v1/clusters/{joined['cluster']}")
    assert cluster["docs"] == 2
    assert cluster["size"] == 2
    assert cluster["members"] == [{"doc": "a", "para": 1}, {"doc": "b", "para": 1}]


async def test_batch_adds_every_document(client: Client, corpus: list[tuple[str, str]]) -> None:
    """POST /v1/documents:batch answers one result per document, in order."""
    body = {"documents": [{"id": doc_id, "text": text} for doc_id, text in corpus]}
    response = await client.post("/v1/documents:batch", json=body)
    assert response.status == 200
    results = (await response.json())["documents"]
    assert [r["id"] for r in results] == [doc_id for doc_id, _ in corpus]
    boilerplate = {r["paragraphs"][-1]["cluster"] for r in results}
    assert len(boilerplate) == 1
    health = await get_json(client, "/healthz")
    assert health["documents"] == 3
    assert health["paragraphs"] == 11


async def test_delete_keeps_other_cluster_ids(
    client: Client, teaser: str, boilerplate: str
) -> None:
    """DELETE answers 204; a cluster left empty disappears and the others keep their ids."""
    a = await post(client, "a", f"Only in a\n\n{teaser}")
    await post(client, "b", f"{teaser}\n\n{boilerplate}")
    only_a, shared = a["paragraphs"][0]["cluster"], a["paragraphs"][1]["cluster"]
    response = await client.delete("/v1/documents/a")
    assert response.status == 204
    assert await response.read() == b""
    await get_json(client, "/v1/documents/a", 404)
    await get_json(client, f"/v1/clusters/{only_a}", 404)
    cluster = await get_json(client, f"/v1/clusters/{shared}")
    assert cluster["members"] == [{"doc": "b", "para": 0}]
    assert (await get_json(client, "/v1/documents/b"))["paragraphs"][0]["cluster"] == shared


async def test_match_json_texts_and_plain_text(client: Client, teaser: str) -> None:
    """/v1/match takes {text}, {texts} and text/plain, and changes nothing."""
    added = await post(client, "a", f"Heading\n\n{teaser}")
    cluster = added["paragraphs"][1]["cluster"]
    before = await get_json(client, "/healthz")
    response = await client.post("/v1/match", json={"text": f"Nothing alike here\n\n{teaser}"})
    assert response.status == 200
    paragraphs = (await response.json())["paragraphs"]
    assert paragraphs[0] == {"index": 0, "match": None}
    match = paragraphs[1]["match"]
    assert match["cluster"] == cluster
    assert match["docs"] == 1
    assert match["text"] == teaser
    assert match["similarity"] == 1.0
    assert match["containment"] == 1.0
    response = await client.post("/v1/match", json={"texts": [teaser, "Heading", "zzz"]})
    results = (await response.json())["results"]
    assert [r["paragraphs"][0]["match"] is not None for r in results] == [True, True, False]
    response = await client.post(
        "/v1/match", data=teaser.encode(), headers={"Content-Type": "text/plain"}
    )
    assert (await response.json())["paragraphs"][0]["match"]["cluster"] == cluster
    assert await get_json(client, "/healthz") == before


async def test_clusters_page_through_every_cluster(client: Client) -> None:
    """Following next_cursor visits every cluster once, by documents descending then id."""
    rng = random.Random(7)
    shared = [words(rng, 20) for _ in range(4)]
    for i in range(5):
        own = words(rng, 20)
        await post(client, f"d{i}", "\n\n".join([own, *shared[: i % 4 + 1]]))
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(20):  # bounded: 9 clusters (5 of a single paragraph), 2 per page
        query = "min_size=1&limit=2" + (f"&cursor={quote(cursor)}" if cursor else "")
        page = await get_json(client, f"/v1/clusters?{query}")
        seen.extend(page["clusters"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 9 == len({c["id"] for c in seen})
    assert [(-c["docs"], c["id"]) for c in seen] == sorted((-c["docs"], c["id"]) for c in seen)
    repeats = await get_json(client, "/v1/clusters")  # by default, no single paragraphs
    assert sorted(c["docs"] for c in repeats["clusters"]) == [2, 3, 5]
    assert all(c["size"] >= 2 for c in repeats["clusters"])
    health = await get_json(client, "/healthz")
    assert (health["clusters"], health["singletons"]) == (3, 6)
    wide = await get_json(client, "/v1/clusters?min_docs=3&limit=1000")
    assert [c["docs"] for c in wide["clusters"]] == [5, 3]
    assert wide["next_cursor"] is None
    assert {"id", "size", "docs", "text"} == set(wide["clusters"][0])


async def test_document_ids_may_hold_slashes_and_any_text(client: Client) -> None:
    """Ids with '/', spaces, '%' and non-ASCII round-trip through percent-encoded paths."""
    for doc_id in ["pages/a.txt", "ünï cödé ✓", "50%/x?y#z", "x" * 512]:
        await post(client, doc_id, "Some paragraph of text")
        path = f"/v1/documents/{quote(doc_id, safe='')}"
        assert (await get_json(client, path))["id"] == doc_id
        assert (await client.delete(path)).status == 204


async def test_nul_zero_width_and_control_text_is_accepted(client: Client) -> None:
    """NUL, zero-width, right-to-left and combining characters never cause a 5xx."""
    odd = ["a\x00b\x00c", "\u200b\u200b\u200b", "\u202eevil\u202c text", "e\u0301" * 500, "\ufeff"]
    for i, text in enumerate(odd):
        await post(client, f"odd{i}", text)
        response = await client.post("/v1/match", json={"text": text})
        assert response.status == 200
        doc = await get_json(client, f"/v1/documents/odd{i}")
        assert [p["text"] for p in doc["paragraphs"]] == [p for p in [text.strip()] if p]


async def test_metrics_count_requests_and_report_sizes(client: Client) -> None:
    """/metrics has request counts and latency by route and status, and the index sizes."""
    await post(client, "a", "one\n\ntwo")
    await client.get("/v1/documents/missing")
    await client.get("/nowhere")
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    text = await response.text()
    assert 'dedup_http_requests_total{method="POST",route="/v1/documents",status="200"} 1.0' in text
    assert 'route="/v1/documents/{id}",status="404"' in text
    assert 'route="unmatched",status="404"' in text
    assert "dedup_http_request_duration_seconds_bucket" in text
    assert "dedup_index_documents 1.0" in text
    assert "dedup_index_paragraphs 2.0" in text


async def test_two_apps_keep_separate_metrics(aiohttp_client: MakeClient, tmp_path: Path) -> None:
    """Each app has its own registry: two apps in one process never collide."""
    one = await aiohttp_client(create_app(ServiceSettings(data=tmp_path / "one")))
    two = await aiohttp_client(create_app(ServiceSettings(data=tmp_path / "two")))
    await one.get("/healthz")
    text = await (await two.get("/metrics")).text()
    assert 'route="/healthz"' not in text


async def test_openapi_describes_every_route(client: Client, settings: ServiceSettings) -> None:
    """/openapi.json is OpenAPI 3.1 and documents exactly the routes the app serves."""
    document = await get_json(client, "/openapi.json")
    assert document == json.loads(json.dumps(build_openapi(settings)))
    assert document["openapi"] == "3.1.0"
    served = {(m.lower(), p.replace("{id:.+}", "{id}")) for m, p, _, _ in ROUTES}
    documented = {
        (m, p) for p, item in document["paths"].items() for m in item if m != "parameters"
    }
    assert served == documented
    ids = {
        op["operationId"]
        for item in document["paths"].values()
        for k, op in item.items()
        if k != "parameters"
    }
    assert ids == {name for _, _, _, name in ROUTES}
    batch = document["components"]["schemas"]["BatchIn"]["properties"]["documents"]
    assert batch["maxItems"] == settings.max_batch
    assert (_MAX_PAGE, _MAX_MIN_DOCS) == (MAX_PAGE, 1_000_000_000)


async def test_access_log_is_one_json_line_per_request(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    """Every request logs one line with method, path, status and duration."""
    with caplog.at_level(logging.INFO, logger="service.access"):
        await client.get("/healthz")
        await client.get("/v1/documents/nope")
    records = [r for r in caplog.records if r.name == "service.access"]
    fields = [r.fields for r in records]  # type: ignore[attr-defined]
    assert [(f["method"], f["path"], f["status"]) for f in fields] == [
        ("GET", "/healthz", 200),
        ("GET", "/v1/documents/nope", 404),
    ]
    assert all(f["duration_ms"] >= 0 and json.dumps(f) for f in fields)


async def test_data_survives_a_restart(
    aiohttp_client: MakeClient, settings: ServiceSettings
) -> None:
    """A second app on the same data directory serves what the first acknowledged."""
    first = await aiohttp_client(create_app(settings))
    added = await post(first, "kept", "Alpha paragraph\n\nBeta paragraph")
    await first.close()
    second = await aiohttp_client(create_app(settings))
    doc = await get_json(second, "/v1/documents/kept")
    assert [p["cluster"] for p in doc["paragraphs"]] == [p["cluster"] for p in added["paragraphs"]]
    assert (await get_json(second, "/healthz"))["documents"] == 1


async def test_concurrent_posts_leave_a_consistent_index(client: Client) -> None:
    """Concurrent POSTs of many ids and of one id: no lost update, each member in one cluster."""
    rng = random.Random(3)
    shared = [words(rng, 25) for _ in range(3)]
    texts = {f"d{i}": "\n\n".join([words(rng, 25), shared[i % 3]]) for i in range(24)}
    same = ["\n\n".join([words(rng, 25), shared[i % 3], words(rng, 8)]) for i in range(12)]
    jobs = [post(client, doc_id, text) for doc_id, text in texts.items()]
    jobs += [post(client, "same", text) for text in same]
    await asyncio.gather(*jobs)
    health = await get_json(client, "/healthz")
    assert health["documents"] == 25
    final = await get_json(client, "/v1/documents/same")
    assert "\n\n".join(p["text"] for p in final["paragraphs"]) in same
    page = await get_json(client, "/v1/clusters?limit=1000&min_size=1")
    members: list[tuple[str, int]] = []
    for summary in page["clusters"]:
        cluster = await get_json(client, f"/v1/clusters/{summary['id']}")
        members += [(m["doc"], m["para"]) for m in cluster["members"]]
        for m in cluster["members"]:
            doc = await get_json(client, f"/v1/documents/{m['doc']}")
            assert doc["paragraphs"][m["para"]]["cluster"] == summary["id"]
    assert len(members) == len(set(members)) == health["paragraphs"]


async def test_examples_peru_then_coups(client: Client) -> None:
    """The 8 shared stories of coups.txt match peru.txt; the two Argentina teasers do not."""
    peru = (EXAMPLES / "peru.txt").read_text(encoding="utf-8")
    coups = (EXAMPLES / "coups.txt").read_text(encoding="utf-8")
    added = await post(client, "peru", peru)
    clusters = [p["cluster"] for p in added["paragraphs"]]
    response = await client.post(
        "/v1/match", data=coups.encode(), headers={"Content-Type": "text/plain"}
    )
    matches = [p["match"] for p in (await response.json())["paragraphs"]]
    # The 16 paragraphs 2..17 of coups.txt are the titles and teasers 12..27 of peru.txt.
    for offset in range(16):
        match = matches[2 + offset]
        assert match is not None, f"coups paragraph {2 + offset} found no match"
        assert match["cluster"] == clusters[12 + offset]
    lawfare_teaser, judicial_teaser = clusters[11], matches[19]
    assert judicial_teaser is None or judicial_teaser["cluster"] != lawfare_teaser
    assert matches[18] is None or matches[18]["cluster"] != clusters[10]
    assert matches[1] is None  # the page headings "Coups" and "Peru" stay apart


async def test_healthz_is_answered_while_a_5_mb_document_is_ingested(
    aiohttp_client: MakeClient, tmp_path: Path
) -> None:
    """The ingest runs off the event loop: /healthz answers during a 5 MB ingest, each probe in
    a small fraction of the ingest's time (the 50 ms figure: ``bench.healthz_ingest``)."""
    client = await aiohttp_client(create_app(ServiceSettings(data=tmp_path / "big")))
    rng = random.Random(11)
    paragraphs = [words(rng, 1100) for _ in range(460)]
    text = "\n\n".join(paragraphs)
    assert len(text.encode()) >= 5_000_000
    body = io.BytesIO(json.dumps({"id": "big", "text": text}).encode())
    headers = {"Content-Type": "application/json"}
    started = time.perf_counter()
    ingest = asyncio.create_task(client.post("/v1/documents", data=body, headers=headers))
    latencies: list[float] = []
    await asyncio.sleep(0.05)
    while not ingest.done() and len(latencies) < 200:
        start = time.perf_counter()
        response = await client.get("/healthz")
        assert response.status == 200
        latencies.append(time.perf_counter() - start)
        await asyncio.sleep(0.01)
    response = await ingest
    ingest_seconds = time.perf_counter() - started
    assert response.status == 200, await response.text()
    assert len(latencies) >= 5, "the ingest finished before /healthz could be probed"
    assert statistics.median(latencies) < ingest_seconds / 20, (ingest_seconds, latencies)
