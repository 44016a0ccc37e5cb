"""Typed application keys shared by the app, its handlers and its middlewares."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from aiohttp import web

from dedup.index.index import Index
from service.jobs import ExecutorJobs
from service.metrics import Metrics, StatsCache
from service.settings import ServiceSettings

if TYPE_CHECKING:  # the batcher imports the errors, which import these keys
    from service.batcher import Batcher
    from service.rounds import MatchRequest, WriteRequest

__all__ = [
    "EXECUTOR",
    "INDEX",
    "JOBS",
    "MATCHER",
    "METRICS",
    "OPENAPI",
    "SETTINGS",
    "STATS",
    "WRITER",
]

SETTINGS = web.AppKey("settings", ServiceSettings)
INDEX = web.AppKey("index", Index)
EXECUTOR = web.AppKey("executor", ThreadPoolExecutor)
# The handlers' one-off core calls in the executor, counted while they run.
JOBS = web.AppKey("jobs", ExecutorJobs)
STATS = web.AppKey("stats", StatsCache)
METRICS = web.AppKey("metrics", Metrics)
OPENAPI = web.AppKey("openapi", bytes)
# The two batchers: concurrent writes share one commit, concurrent matches one match_many.
WRITER: web.AppKey[Batcher[WriteRequest]] = web.AppKey("writer")
MATCHER: web.AppKey[Batcher[MatchRequest]] = web.AppKey("matcher")
