"""The Redis anchor a user would deploy: aiohttp over datasketch's MinHashLSH on Redis.

The buckets live in Redis through ``storage_config={'type': 'redis', ...}``, so several
replicas could share them; the signatures, which datasketch's LSH does not keep, go to a Redis
hash beside them. A match queries the LSH, reads the candidates' signatures and answers the
most similar one. An ingest does what datasketch offers, one step after the other: query (to
find the paragraph's cluster), insert, store the signature. Nothing makes the steps atomic.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import redis
from aiohttp import web
from datasketch import MinHash, MinHashLSH

from bench.anchor_service import minhash
from bench.anchors import NUM_PERM, THRESHOLD
from bench.corpus import read_jsonl, split_paragraphs

LSH = web.AppKey("lsh", MinHashLSH)
CLIENT = web.AppKey("client", redis.Redis)
SIGNATURES = "anchor:signatures"  # hash: paragraph key -> its signature's bytes
CLUSTERS = "anchor:clusters"  # hash: paragraph key -> its cluster (the first key it matched)


def create_app(
    host: str, port: int, db: int, crawl: Path | None, threshold: float = THRESHOLD
) -> web.Application:
    """Open the LSH on Redis (filled from ``crawl`` when given) and return the app."""
    lsh = MinHashLSH(
        threshold=threshold,
        num_perm=NUM_PERM,
        storage_config={
            "type": "redis",
            "basename": b"anchor",
            "redis": {"host": host, "port": port, "db": db},
        },
    )
    client = redis.Redis(host=host, port=port, db=db)
    if crawl is not None:
        with lsh.insertion_session() as session:
            pipe = client.pipeline(transaction=False)
            for page in read_jsonl(crawl):
                for n, paragraph in enumerate(split_paragraphs(page.text)):
                    key = f"{page.id}#{n}"
                    m = minhash(paragraph)
                    session.insert(key, m, check_duplication=False)
                    pipe.hset(SIGNATURES, key, m.hashvalues.tobytes())
                    if len(pipe) >= 1000:
                        pipe.execute()
            pipe.execute()
    app = web.Application()
    app[LSH], app[CLIENT] = lsh, client
    app.router.add_post("/v1/match", match)
    app.router.add_post("/v1/documents", add_document)
    app.router.add_get("/healthz", healthz)
    return app


def _best(app: web.Application, paragraph: str) -> tuple[MinHash, str | None, float]:
    """The paragraph's MinHash, its most similar indexed paragraph and their similarity."""
    m = minhash(paragraph)
    candidates = app[LSH].query(m)
    if not candidates:
        return m, None, 0.0
    blobs: list[bytes | None] = app[CLIENT].hmget(SIGNATURES, candidates)  # type: ignore[assignment]
    best, score = None, 0.0
    for key, blob in zip(candidates, blobs, strict=True):
        if blob is not None:
            mine = m.hashvalues
            similarity = float((np.frombuffer(blob, dtype=mine.dtype) == mine).mean())
            if similarity > score:
                best, score = key, similarity
    return m, best, score


async def match(request: web.Request) -> web.Response:
    """Answer {"paragraphs": [{"index", "match": null | {"cluster", "similarity"}}]}."""
    body = await request.json()
    answers = []
    for index, paragraph in enumerate(split_paragraphs(body["text"])):
        _, best, score = _best(request.app, paragraph)
        found = {"cluster": best, "similarity": score} if best is not None else None
        answers.append({"index": index, "match": found})
    return web.json_response({"paragraphs": answers})


async def add_document(request: web.Request) -> web.Response:
    """Index each paragraph of {"id", "text"}: query, insert, store the signature."""
    body = await request.json()
    app, answers = request.app, []
    for n, paragraph in enumerate(split_paragraphs(body["text"])):
        key = f"{body['id']}#{n}"
        m, best, score = _best(app, paragraph)
        cluster = key
        if best is not None and score >= THRESHOLD:
            known: bytes | None = app[CLIENT].hget(CLUSTERS, best)  # type: ignore[assignment]
            cluster = known.decode() if known is not None else best
        app[LSH].insert(key, m)
        app[CLIENT].hset(SIGNATURES, key, m.hashvalues.tobytes())
        app[CLIENT].hset(CLUSTERS, key, cluster)
        answers.append({"index": n, "cluster": cluster, "new_cluster": cluster == key})
    return web.json_response({"id": body["id"], "paragraphs": answers})


async def healthz(request: web.Request) -> web.Response:
    """Answer {"status": "ok"} once the index is loaded."""
    return web.json_response({"status": "ok"})


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the Redis-backed anchor on a loopback port until interrupted.

    Example:
        python -m bench.anchor_redis --redis-port 6379 --db 2 --data crawl.jsonl --port 8082
    """
    parser = argparse.ArgumentParser(prog="python -m bench.anchor_redis", description=__doc__)
    parser.add_argument("--data", type=Path, help="crawl JSONL to index first (bulk insert)")
    parser.add_argument("--port", type=int, default=8082, help="TCP port on 127.0.0.1")
    parser.add_argument("--redis-port", type=int, default=6379)
    parser.add_argument("--db", type=int, default=2)
    args = parser.parse_args(argv)
    app = create_app("127.0.0.1", args.redis_port, args.db, args.data)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
