"""Typed application keys shared by the app, its handlers and its middlewares."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from dedup.index import Index
from service.metrics import Metrics, StatsCache
from service.settings import ServiceSettings

__all__ = ["EXECUTOR", "INDEX", "METRICS", "OPENAPI", "SETTINGS", "STATS"]

SETTINGS = web.AppKey("settings", ServiceSettings)
INDEX = web.AppKey("index", Index)
EXECUTOR = web.AppKey("executor", ThreadPoolExecutor)
STATS = web.AppKey("stats", StatsCache)
METRICS = web.AppKey("metrics", Metrics)
OPENAPI = web.AppKey("openapi", bytes)
