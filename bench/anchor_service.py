"""The baseline a user would deploy: aiohttp, a datasketch MinHash per request, an in-memory LSH."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from aiohttp import web
from datasketch import MinHash, MinHashLSH

from bench.anchors import NUM_PERM, THRESHOLD, word_shingles
from bench.corpus import read_jsonl, split_paragraphs

LSH = web.AppKey("lsh", MinHashLSH)
KEYS = web.AppKey("keys", list)  # paragraph keys, in insertion order
ROWS = web.AppKey("rows", dict)  # key -> row of SIGNATURES
SIGNATURES = web.AppKey("signatures", np.ndarray)  # (n, num_perm) hash values
CUTOFF = web.AppKey("threshold", float)  # least estimated Jaccard similarity of a match
_PROTOTYPE = MinHash(num_perm=NUM_PERM)  # its permutations are drawn once, shared by every MinHash


def minhash(paragraph: str) -> MinHash:
    """Return the datasketch MinHash of a paragraph's lower-cased word 5-grams."""
    m = MinHash(num_perm=NUM_PERM, permutations=_PROTOTYPE.permutations, scheme=_PROTOTYPE.scheme)
    m.update_batch([s.encode("utf-8") for s in word_shingles(paragraph)])
    return m


def create_app(pages: Iterable[tuple[str, str]], threshold: float = THRESHOLD) -> web.Application:
    """Index every paragraph of (id, text) pages under the key "id#n" and return the app."""
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    keys: list[str] = []
    signatures: list[np.ndarray] = []
    with lsh.insertion_session() as session:
        for page_id, text in pages:
            for n, paragraph in enumerate(split_paragraphs(text)):
                m = minhash(paragraph)
                keys.append(f"{page_id}#{n}")
                signatures.append(m.hashvalues)
                session.insert(keys[-1], m, check_duplication=False)
    app = web.Application()
    app[LSH], app[KEYS] = lsh, keys
    app[ROWS] = {key: row for row, key in enumerate(keys)}
    app[SIGNATURES] = np.vstack(signatures) if signatures else np.zeros((0, NUM_PERM), np.uint64)
    app[CUTOFF] = threshold
    app.router.add_post("/v1/match", match)
    app.router.add_get("/healthz", healthz)
    return app


async def match(request: web.Request) -> web.Response:
    """Answer {"paragraphs": [{"index", "match": null | {"cluster", "similarity"}}]}."""
    body = await request.json()
    app, answers = request.app, []
    for index, paragraph in enumerate(split_paragraphs(body["text"])):
        m = minhash(paragraph)
        found = None
        candidates = app[LSH].query(m)
        if candidates:
            rows = np.fromiter((app[ROWS][key] for key in candidates), np.int64, len(candidates))
            similarity = (app[SIGNATURES][rows] == m.hashvalues).mean(axis=1)
            best = int(similarity.argmax())
            if similarity[best] >= app[CUTOFF]:
                found = {"cluster": candidates[best], "similarity": float(similarity[best])}
        answers.append({"index": index, "match": found})
    return web.json_response({"paragraphs": answers})


async def healthz(request: web.Request) -> web.Response:
    """Answer {"status": "ok", "paragraphs": n} once the index is built."""
    return web.json_response({"status": "ok", "paragraphs": len(request.app[KEYS])})


def main(argv: Sequence[str] | None = None) -> int:
    """Build the index from a crawl JSONL and serve it on a loopback port until interrupted.

    Example:
        python -m bench.anchor_service --data bench/data/crawl-1000-g2.jsonl --port 8081
    """
    parser = argparse.ArgumentParser(prog="python -m bench.anchor_service", description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="crawl JSONL to index")
    parser.add_argument("--port", type=int, default=8081, help="TCP port on 127.0.0.1")
    parser.add_argument("--threshold", type=float, default=THRESHOLD, help="LSH threshold")
    args = parser.parse_args(argv)
    pages = ((page.id, page.text) for page in read_jsonl(args.data))
    web.run_app(create_app(pages, args.threshold), host="127.0.0.1", port=args.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
