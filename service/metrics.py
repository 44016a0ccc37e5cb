"""Prometheus metrics (request counts, latencies, index sizes) and the cached index sizes."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from dedup.errors import StoreError
from dedup.index.index import Index, Stats
from service.settings import MULTIPROCESS_DIR

__all__ = ["Metrics", "StatsCache"]

# Latency buckets in seconds, from a cached /healthz (~0.1 ms) to a large batch (seconds).
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


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
        # Whether the store answered the last refresh (the service refreshes every second).
        self.reachable = True
        self.listeners: list[Callable[[Stats], None]] = []

    def refresh(self) -> Stats:
        """Read the index sizes again (blocks while a write holds the index lock) and pass
        them to the listeners.

        Raises:
            StoreError: the store cannot be reached (:attr:`reachable` turns False).
        """
        with self._lock:
            try:
                self.current = self._index.stats()
            except StoreError:
                self.reachable = False
                raise
            self.reachable = True
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
        self.documents, self.paragraphs, self.clusters, self.singletons = (
            Gauge(name, text, registry=self.registry, multiprocess_mode="mostrecent")
            for name, text in (
                ("dedup_index_documents", "Documents indexed."),
                ("dedup_index_paragraphs", "Paragraphs indexed."),
                ("dedup_index_clusters", "Clusters of two or more paragraphs in the index."),
                ("dedup_index_singletons", "Paragraphs in the index that repeat nothing."),
            )
        )
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def watch(self, stats: StatsCache) -> None:
        """Report the index sizes that ``stats`` holds, now and after each refresh."""
        stats.listeners.append(self._sizes)
        self._sizes(stats.current)

    def _sizes(self, sizes: Stats) -> None:
        self.documents.set(sizes.documents)
        self.paragraphs.set(sizes.paragraphs)
        self.clusters.set(sizes.clusters)
        self.singletons.set(sizes.singletons)

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

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency.

        The labelled children are looked up once per (route, method, status) and kept: the
        labels come from bounded sets (route templates, known methods, statuses), and a
        child lookup costs a lock and a tuple check on every request otherwise.
        """
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            labels = (route, method, str(status))
            children = (self.requests.labels(*labels), self.latency.labels(*labels))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)
