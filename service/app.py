"""Build the aiohttp application and serve it until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import orjson
from aiohttp import web

from dedup.errors import DedupError, StoreError
from dedup.index.index import Index
from dedup.stores.url import open_store
from service.batcher import Batcher, Bounds
from service.handlers import ROUTES
from service.jobs import ExecutorJobs
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
from service.metrics import Metrics, StatsCache
from service.middleware import middleware
from service.openapi import build_openapi
from service.protocol import JsonErrorRunner
from service.rounds import MatchRequest, WriteRequest, add_round, match_round, replaces
from service.settings import MIB, ServiceSettings
from service.validation import Limits

__all__ = ["create_app", "run", "serve"]

log = logging.getLogger("service")

# A group commit holds at most 256 documents (or one whole batch, which is never split) and
# 16 Mi characters; at most 4096 documents or 64 Mi characters wait for it.
WRITE_ROUND_DOCS = 256
WRITE_BOUNDS = Bounds(WRITE_ROUND_DOCS, 16 * MIB, 4096, 64 * MIB)
# A match round holds at most 256 texts or 1 Mi characters (a single paragraph is ~500); at
# most 8192 texts or 32 Mi characters wait for it.
MATCH_BOUNDS = Bounds(256, MIB, 8192, 32 * MIB)
# Allocations between young-generation collections (CPython's default is 700): a request
# allocates a few hundred objects, nearly all freed by reference counting.
GC_THRESHOLDS = (20_000, 20, 20)
# Seconds between two looks at the store for other processes' writes.
FOLLOW_INTERVAL = 1.0
# A match round of at most 32 Ki characters (some 64 paragraphs, a few ms) runs on the loop
# while no other core call runs: cheaper than the hop to a thread and back. 0 turns it off.
INLINE_MATCH_CHARS = 32 * 1024


def create_app(settings: ServiceSettings) -> web.Application:
    """Return the application; its index and executor open at start-up and close at cleanup.

    Example:
        >>> from pathlib import Path
        >>> app = create_app(ServiceSettings(data=Path("/tmp/dedup-doctest")))
        >>> sorted({r.method for r in app.router.routes()})
        ['DELETE', 'GET', 'HEAD', 'POST']
    """
    metrics = Metrics()
    app = web.Application(
        client_max_size=settings.max_body,
        middlewares=[middleware(metrics, settings.token)],
    )
    app[SETTINGS] = settings
    app[METRICS] = metrics
    app[OPENAPI] = orjson.dumps(
        build_openapi(settings), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
    )
    for method, path, handler, _ in ROUTES:
        if method == "GET":  # GET routes answer HEAD too, as HTTP expects
            app.router.add_get(path, handler)
        else:
            app.router.add_route(method, path, handler)
    app[JOBS] = ExecutorJobs()
    app.cleanup_ctx.append(_index_context)
    app.on_startup.append(_match_small_rounds_inline)  # runs once the batchers exist
    return app


async def _match_small_rounds_inline(app: web.Application) -> None:
    """Let the matcher run small rounds on the loop while the index lock cannot be held.

    Only core calls in the executor take the index lock: the writer's rounds and the
    handlers' jobs. While none runs (and the matcher runs its rounds one at a time), a match
    round on the loop never waits for the lock.
    """
    # A network store (Redis) is asked at every round: that round trip must not hold the loop.
    if INLINE_MATCH_CHARS > 0 and app[SETTINGS].store_location().kind == "sqlite":
        writer, jobs = app[WRITER], app[JOBS]
        app[MATCHER].run_inline(INLINE_MATCH_CHARS, lambda: not writer.running and jobs.idle)


async def _index_context(app: web.Application) -> AsyncIterator[None]:
    """Open the store and the executor together, and close both after the last request."""
    settings = app[SETTINGS]
    executor = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="dedup-index")
    loop = asyncio.get_running_loop()
    try:
        # Rebuilding the index from a large store takes seconds: keep the loop free meanwhile.
        index = await loop.run_in_executor(executor, _open_index, settings)
    except BaseException:
        executor.shutdown(wait=False)
        raise
    stats = StatsCache(index)
    limits = Limits.of(settings)
    writer = Batcher[WriteRequest](
        "writer",
        partial(add_round, index, stats, limits),
        executor,
        _write_bounds(settings),
        ends_round=partial(replaces, index),
    )
    matcher = Batcher[MatchRequest](
        "matcher", partial(match_round, index, limits), executor, MATCH_BOUNDS, drop_abandoned=True
    )
    app[INDEX] = index
    app[EXECUTOR] = executor
    app[STATS] = stats
    app[WRITER] = writer
    app[MATCHER] = matcher
    app[METRICS].watch(stats)
    writer.start()
    matcher.start()
    follower = asyncio.create_task(_follow(stats, executor, app[JOBS]), name="dedup-follow")
    try:
        yield
    finally:
        follower.cancel()
        # Run every queued write (and match), then finish whatever else the executor holds,
        # before the store closes: nothing accepted is dropped.
        await writer.close()
        await matcher.close()
        await asyncio.to_thread(executor.shutdown, wait=True)
        index.close()


async def _follow(stats: StatsCache, executor: ThreadPoolExecutor, jobs: ExecutorJobs) -> None:
    """Replay other processes' writes to the store every second, so that ``/healthz`` and
    ``/metrics`` (which read the cached sizes) lag by at most that, and requests rarely wait
    for a replay. Alone on the store, each look is one cheap query. It runs as a counted job:
    it takes the index lock. It also tells ``/healthz`` whether the store answers, and logs
    when it stops and starts answering again."""
    while True:
        await asyncio.sleep(FOLLOW_INTERVAL)
        was_reachable = stats.reachable
        try:
            await jobs.run(executor, stats.refresh)
        except StoreError as exc:
            if was_reachable:
                log.error(
                    "the store cannot be reached: %s",
                    exc,
                    extra={"fields": {"event": "store_down"}},
                )
        except DedupError:
            log.exception("cannot read the other workers' writes", extra={"fields": {}})
        else:
            if not was_reachable:
                log.info("the store answers again", extra={"fields": {"event": "store_up"}})


def _open_index(settings: ServiceSettings) -> Index:
    """Open the store, warn about server settings that can lose acknowledged writes, and
    load the index from it."""
    location = settings.store_location()
    store = open_store(location)
    try:
        for warning in store.durability():
            log.warning(
                "%s",
                warning,
                extra={"fields": {"event": "store_durability", "store": str(location)}},
            )
        return Index(settings.dedup_config(), store)
    except BaseException:
        store.close()
        raise


def _write_bounds(settings: ServiceSettings) -> Bounds:
    """The write bounds, with room in the queue for a few of the largest batches."""
    most = max(WRITE_ROUND_DOCS, settings.max_batch)
    return Bounds(
        WRITE_BOUNDS.round_units,
        WRITE_BOUNDS.round_chars,
        max(WRITE_BOUNDS.queue_units, 4 * most),
        WRITE_BOUNDS.queue_chars,
    )


def _urls(addresses: list[object]) -> list[str]:
    urls = []
    for address in addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            host = address[0]
            urls.append(
                f"http://[{host}]:{address[1]}" if ":" in host else f"http://{host}:{address[1]}"
            )
    return urls


def _log_listening(urls: list[str]) -> None:
    log.info(
        "listening on %s",
        ", ".join(urls),
        extra={"fields": {"event": "listening", "urls": urls}},
    )


def run(
    settings: ServiceSettings,
    *,
    sock: socket.socket | None = None,
    on_ready: Callable[[list[str]], None] = _log_listening,
) -> None:
    """Run :func:`serve` to its end on uvloop (a faster event loop, where it is installed:
    everywhere but on Windows), else on asyncio's own loop."""
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    try:
        import uvloop  # noqa: PLC0415 - optional: not on Windows
    except ImportError:
        pass
    else:
        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve(settings, sock=sock, on_ready=on_ready))


async def serve(
    settings: ServiceSettings,
    *,
    sock: socket.socket | None = None,
    on_ready: Callable[[list[str]], None] = _log_listening,
) -> None:
    """Serve until SIGTERM or SIGINT, then let in-flight requests finish and close the store.

    The signal handlers are installed first, so a signal during start-up (while a large store
    is loading) also ends in a clean shutdown rather than in the default abrupt exit.

    Args:
        settings: the service's settings.
        sock: a listening socket to serve on (a worker of several); None binds host and port.
        on_ready: called with the URLs once the index is loaded and requests are accepted.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = JsonErrorRunner(
        create_app(settings), access_log=None, shutdown_timeout=settings.shutdown_timeout
    )
    try:
        await runner.setup()
        site: web.BaseSite = (
            web.TCPSite(runner, settings.host, settings.port)
            if sock is None
            else web.SockSite(runner, sock)
        )
        await site.start()
        # What start-up made (the index, the app) lives as long as the process: keep the
        # collector from scanning it again and again, and collect young objects less often.
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        on_ready(_urls(runner.addresses))
        await stop.wait()
        log.info("stopping", extra={"fields": {"event": "stopping"}})
    finally:
        await runner.cleanup()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    log.info("stopped", extra={"fields": {"event": "stopped"}})
