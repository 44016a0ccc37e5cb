"""Prometheus metrics, the access log (one JSON line per request) and the cached index sizes."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from dedup.index import Index, Stats
from service.processes import MULTIPROCESS_DIR

__all__ = ["ACCESS_LOG", "Metrics", "StatsCache"]

ACCESS_LOG = logging.getLogger("service.access")
# Latency buckets in seconds, from a cached /healthz (~0.1 ms) to a large batch (seconds).
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Status recorded when the client went away before the answer (nginx's convention).
_CLIENT_CLOSED = 499
# Methods get their own label value; anything else is "OTHER", so clients cannot add series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class StatsCache:
    """The index sizes as of the last write, readable without the index lock.

    ``/healthz`` and ``/metrics`` read :attr:`current`, so they answer at once even while a
    large document holds the index lock. Writers call :meth:`refresh` after each write; the
    lock orders the refreshes, so a later refresh never stores an older snapshot.
    """

    def __init__(self, index: Index) -> None:
        self._index = index
        self._lock = threading.Lock()
        self.current: Stats = index.stats()
        self.listeners: list[Callable[[Stats], None]] = []

    def refresh(self) -> Stats:
        """Read the index sizes again (blocks while a write holds the index lock) and pass
        them to the listeners."""
        with self._lock:
            self.current = self._index.stats()
            for listener in self.listeners:
                listener(self.current)
            return self.current


class Metrics:
    """Request counts, latency histograms and index sizes in a registry of their own.

    Each application gets its own :class:`CollectorRegistry`, so several apps (tests) never
    collide in the process-wide default registry.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "dedup_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "dedup_http_request_duration_seconds",
            "Time from request to answer, by route template, method and status.",
            ["route", "method", "status"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        # With several workers, a scrape shows the size that a worker saw last.
        self.documents, self.paragraphs, self.clusters = (
            Gauge(name, text, registry=self.registry, multiprocess_mode="mostrecent")
            for name, text in (
                ("dedup_index_documents", "Documents indexed."),
                ("dedup_index_paragraphs", "Paragraphs indexed."),
                ("dedup_index_clusters", "Clusters in the index."),
            )
        )

    def watch(self, stats: StatsCache) -> None:
        """Report the index sizes that ``stats`` holds, now and after each refresh."""
        stats.listeners.append(self._sizes)
        self._sizes(stats.current)

    def _sizes(self, sizes: Stats) -> None:
        self.documents.set(sizes.documents)
        self.paragraphs.set(sizes.paragraphs)
        self.clusters.set(sizes.clusters)

    def exposition(self) -> bytes:
        """Return the metrics in the Prometheus text format.

        Under ``dedup serve --processes N`` every worker writes its metrics to files in
        ``$PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode), and a scrape
        sums the requests of all workers.
        """
        if os.environ.get(MULTIPROCESS_DIR):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Time the request, count it, and write one JSON access-log line."""
        start = time.perf_counter()
        status = _CLIENT_CLOSED
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:  # only redirects get past the error middleware
            status = exc.status
            raise
        except asyncio.CancelledError:
            raise
        finally:
            elapsed = time.perf_counter() - start
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "unmatched"
            method = request.method if request.method in _METHODS else "OTHER"
            labels = (route, method, str(status))
            self.requests.labels(*labels).inc()
            self.latency.labels(*labels).observe(elapsed)
            fields = {
                "event": "request",
                "method": request.method,
                "path": request.rel_url.raw_path,
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 3),
                "remote": request.remote,
            }
            ACCESS_LOG.info(
                "%s %s %d %.1fms",
                request.method,
                fields["path"],
                status,
                elapsed * 1000,
                extra={"fields": fields},
            )
