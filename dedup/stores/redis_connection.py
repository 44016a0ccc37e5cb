"""The Redis store's connection plumbing: the client with its timeouts and retries, and the
wrapper that turns a Redis failure into a :class:`dedup.errors.StoreError` saying what to check.

See :mod:`dedup.stores.redis` for the store itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from dedup.errors import StoreError, WriteConflictError

__all__ = ["call", "connect", "where"]


def connect(url: str) -> redis.Redis:
    """Make the client of ``url`` (it connects on its first command).

    Raises:
        StoreError: the URL cannot be used.
    """
    try:
        client: redis.Redis = redis.Redis.from_url(
            url,
            socket_timeout=10.0,
            socket_connect_timeout=2.0,
            retry=Retry(ExponentialBackoff(cap=0.25, base=0.01), 3),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
            health_check_interval=5,
        )
    except (ValueError, RedisError) as exc:
        raise StoreError(f"cannot use the Redis URL: {exc}; use redis://HOST:PORT/DB") from exc
    return client


def where(client: redis.Redis) -> str:
    """Say which server and database ``client`` uses: ``host:port/db``."""
    kwargs = client.connection_pool.connection_kwargs
    return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"


def call(client: redis.Redis, fn: Callable[[], object]) -> Any:
    """Run a Redis operation; a failure becomes a StoreError that says what to check.

    redis-py types its replies as unions of what every decoding may give; this client
    never decodes, so callers annotate the bytes they get.
    """
    try:
        return fn()
    except WriteConflictError:
        raise
    except RedisError as exc:
        raise StoreError(
            f"the Redis store at {where(client)} cannot be used: {exc}; check that the "
            "server runs and is reachable"
        ) from exc
