"""The one middleware around every request: auth, the error shape, metrics and the access log.

One middleware instead of three stacked ones: each layer costs aiohttp a wrapper and a
coroutine frame per request, and the request path (POST /v1/match) is short enough for that
to show. The order of the former stack is kept: authorization is checked inside the error
handling, and the metrics and the access log see the final status, error answers included.
"""

from __future__ import annotations

import hmac
import logging
import time

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from service.errors import ApiError, failure_response
from service.handlers import QUERY_PARAMETERS, WRITE_ROUTES
from service.metrics import Metrics
from service.validation import check_query

__all__ = ["ACCESS_LOG", "middleware"]

ACCESS_LOG = logging.getLogger("service.access")
# Status recorded when the client went away before the answer (nginx's convention).
_CLIENT_CLOSED = 499
# Methods get their own label value; anything else is "OTHER", so clients cannot add series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_INFO = logging.INFO


def middleware(metrics: Metrics, token: str | None) -> Middleware:
    """Return the middleware of an app with these metrics and this write token (or none).

    With a token, write routes need ``Authorization: Bearer <token>`` (else 401; the scheme
    is case-insensitive, RFC 7235). A query parameter the route does not take is a 400. Every
    failure becomes the JSON error shape (see :func:`service.errors.failure_response`); every
    request is counted, timed and logged once, with status 499 when the client went away.
    """
    expected = b"" if token is None else token.encode()
    observe = metrics.observe

    @web.middleware
    async def envelope(request: web.Request, handler: Handler) -> web.StreamResponse:
        start = time.perf_counter()
        status = _CLIENT_CLOSED
        try:
            try:
                match_info = request.match_info
                if token is not None and match_info.handler in WRITE_ROUTES:
                    _authorize(request, expected)
                if request.query_string and match_info.http_exception is None:
                    check_query(request.query, QUERY_PARAMETERS.get(match_info.handler, ()))
                response = await handler(request)
            except Exception as exc:  # failure_response answers it, or re-raises a redirect
                response = failure_response(request, exc)
            status = response.status
            return response
        except web.HTTPException as exc:  # only redirects get past failure_response
            status = exc.status
            raise
        finally:
            elapsed = time.perf_counter() - start
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "unmatched"
            method = request.method
            observe(route, method if method in _METHODS else "OTHER", status, elapsed)
            if ACCESS_LOG.isEnabledFor(_INFO):
                _log_access(request, route, status, elapsed)

    return envelope


def _authorize(request: web.Request, expected: bytes) -> None:
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    given = credentials.strip().encode("utf-8", "surrogatepass")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given, expected):
        raise ApiError(
            401,
            "unauthorized",
            "this route needs the header 'Authorization: Bearer <token>' with the service's token",
        )


def _log_access(request: web.Request, route: str, status: int, elapsed: float) -> None:
    """Write the request's access-log line through the ``service.access`` logger.

    The record is made and handed to the logger directly: ``Logger.info`` would also walk
    the stack to find its caller, which costs more than the rest of the record.
    """
    method = request.method
    path = request.rel_url.raw_path
    ms = elapsed * 1000
    record = logging.LogRecord(
        ACCESS_LOG.name, _INFO, __file__, 0, "%s %s %d %.1fms", (method, path, status, ms), None
    )
    record.fields = {
        "event": "request",
        "method": method,
        "path": path,
        "route": route,
        "status": status,
        "duration_ms": round(ms, 3),
        "remote": request.remote,
    }
    ACCESS_LOG.handle(record)
