"""The Redis store's health checks: the server settings that decide durability, and the scan
of the keys against each other that ``dedup store check`` runs.

See :mod:`dedup.stores.redis` for the keys and the design.
"""

from __future__ import annotations

from collections.abc import Callable

import redis
from redis.exceptions import RedisError, ResponseError

from dedup.errors import StoreError
from dedup.stores.redis_connection import call, where

__all__ = ["durability", "layout_problems"]


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def durability(client: redis.Redis) -> list[str]:
    """Say which server settings can lose acknowledged writes (CONFIG GET)."""
    try:
        config = {_text(k): _text(v) for k, v in client.config_get("append*").items()}
    except ResponseError as exc:
        return [
            f"cannot read the Redis server's persistence settings ({exc}); make sure it runs "
            "with appendonly yes and appendfsync always, or acknowledged writes can be lost"
        ]
    except RedisError as exc:
        raise StoreError(f"the Redis store at {where(client)} cannot be used: {exc}") from exc
    warnings = []
    if config.get("appendonly") != "yes":
        warnings.append(
            "the Redis server runs with appendonly no: acknowledged writes since its last "
            "snapshot are lost if it stops; set appendonly yes and appendfsync always"
        )
    elif config.get("appendfsync") != "always":
        warnings.append(
            f"the Redis server runs with appendfsync {config.get('appendfsync')}: up to a "
            "second of acknowledged writes is lost if its machine stops; set appendfsync "
            "always"
        )
    return warnings


def layout_problems(
    client: redis.Redis, prefix: str, docs: str, changes: str, current: Callable[[], int]
) -> list[str]:
    """Check the keys under ``prefix`` (``P:``) against each other: every document listed in
    ``docs`` has its two records and an entry in the log ``changes``, no record lies outside
    the list, and the log's top is not past ``current()`` (``P:seq``)."""

    def scan(kind: str) -> set[str]:
        start = len(prefix) + len(kind) + 1
        names = call(client, lambda: list(client.scan_iter(f"{prefix}{kind}:*", 1000)))
        return {name[start:].decode() for name in names}

    listed: dict[str, float] = {
        k.decode(): v for k, v in call(client, lambda: client.zrange(docs, 0, -1, withscores=True))
    }
    logged: dict[str, float] = {
        k.decode(): v
        for k, v in call(client, lambda: client.zrange(changes, 0, -1, withscores=True))
    }
    records, texts = scan("d"), scan("t")
    problems = [f"document {i!r} is listed but has no record" for i in listed.keys() - records]
    problems += [f"document {i!r} has no texts record" for i in records - texts]
    problems += [f"orphan record: document {i!r} is not listed" for i in records - listed.keys()]
    problems += [f"orphan texts record of {i!r}" for i in texts - records]
    problems += [
        f"document {i!r} is not in the change log at its put"
        for i, put in listed.items()
        if logged.get(i, -1.0) < put
    ]
    top = max(logged.values(), default=0.0)
    seq: int = call(client, current)
    if seq < top:
        problems.append(f"the change log's top {int(top)} is past its counter {seq}")
    return problems
