"""The one error shape: each failure becomes a status and {"error": {"code", "message"}}."""

from __future__ import annotations

import logging

import orjson
from aiohttp import web

from dedup.errors import (
    ConfigError,
    DedupError,
    DuplicateKeyError,
    IncompatibleSignatureError,
    InputError,
    StorageFullError,
    StoreError,
    UnknownKeyError,
)
from service.keys import SETTINGS

__all__ = [
    "ERROR_CODES",
    "STORAGE_FULL_RETRY",
    "ApiError",
    "error_body",
    "error_response",
    "failure_response",
]

log = logging.getLogger("service.errors")

# Seconds a client is asked to wait after a full disk refused its write.
STORAGE_FULL_RETRY = 30
_STORAGE_FULL_MESSAGE = (
    "the store's disk is full, so nothing was written; retry after the Retry-After seconds"
)

# Core errors in the order they are tried (subclasses first): status, code, and whether the
# core's message may be shown. A store error's message names server paths, so it stays hidden.
_CORE_ERRORS: tuple[tuple[type[DedupError], int, str, bool], ...] = (
    (UnknownKeyError, 404, "not_found", True),
    (DuplicateKeyError, 409, "conflict", True),
    (IncompatibleSignatureError, 422, "invalid_input", True),
    (ConfigError, 400, "invalid_parameter", True),
    (InputError, 422, "invalid_input", True),
    (StoreError, 503, "store_unavailable", False),
)

# Every code the service answers with, and the statuses it comes with: the OpenAPI document
# lists these. The code says why; the status is the HTTP class of the refusal. One rule:
# every exceeded limit is limit_exceeded, whatever its status (a body, a request line, the
# headers, an id in a path, a batch, a text).
ERROR_CODES: dict[str, tuple[int, ...]] = {
    "bad_request": (400,),
    "invalid_json": (400,),
    "invalid_utf8": (400,),
    "invalid_parameter": (400,),
    "unauthorized": (401,),
    "not_found": (404,),
    "method_not_allowed": (405,),
    "conflict": (409,),
    "limit_exceeded": (400, 413, 414, 422, 431),
    "unsupported_media_type": (415,),
    "invalid_request": (422,),
    "invalid_input": (422,),
    "internal_error": (500,),
    "store_unavailable": (503,),
    "overloaded": (503,),
    "storage_full": (507,),
}
# Headers sent with an error code: how to authenticate, when to retry.
_HEADERS: dict[str, dict[str, str]] = {
    "unauthorized": {"WWW-Authenticate": "Bearer"},
    "overloaded": {"Retry-After": "1"},
    "storage_full": {"Retry-After": str(STORAGE_FULL_RETRY)},
    "store_unavailable": {"Retry-After": "1"},
}


class ApiError(Exception):
    """A request the service refuses, with the HTTP status and error code to answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_body(code: str, message: str) -> bytes:
    """Return the one JSON error body (ending with a newline, as every JSON body does)."""
    return orjson.dumps(
        {"error": {"code": code, "message": message}}, option=orjson.OPT_APPEND_NEWLINE
    )


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """Return a JSON error response."""
    return web.Response(
        status=status,
        body=error_body(code, message),
        content_type="application/json",
        headers=headers,
    )


def _from_http(request: web.Request, exc: web.HTTPException) -> web.Response:
    """Turn aiohttp's own 4xx (no route, wrong method, body too large...) into the JSON shape."""
    status = exc.status
    headers: dict[str, str] = {}
    if status == 404:
        code, message = "not_found", f"no route {request.path!r}; see /openapi.json for the API"
    elif status == 405:
        allowed = exc.headers.get("Allow", "")
        headers["Allow"] = allowed
        code = "method_not_allowed"
        message = f"{request.method} is not allowed on {request.path!r}; use {allowed}"
    elif status == 413:
        limit = request.app[SETTINGS].max_body
        code = "limit_exceeded"
        message = f"the body exceeds the limit of {limit} bytes; split it or raise --max-body"
    else:
        code = (exc.reason or "error").lower().replace(" ", "_")
        message = exc.text or exc.reason or "the request failed"
    return error_response(status, code, message, headers)


def failure_response(request: web.Request, exc: Exception) -> web.Response:
    """Answer a failure with the one JSON error shape; never show a stack trace.

    Raises:
        web.HTTPException: ``exc`` itself when it is a redirect (status below 400).
    """
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.message, _HEADERS.get(exc.code))
    if isinstance(exc, web.HTTPException):
        if exc.status < 400:
            raise exc
        return _from_http(request, exc)
    if isinstance(exc, StorageFullError):  # expected on a full disk: one line, no traceback
        log.warning(
            "disk full: refused %s %s: %s",
            request.method,
            request.path,
            exc,
            extra={"fields": {"event": "storage_full"}},
        )
        return error_response(507, "storage_full", _STORAGE_FULL_MESSAGE, _HEADERS["storage_full"])
    if isinstance(exc, DedupError):
        for kind, status, code, shown in _CORE_ERRORS:
            if isinstance(exc, kind):
                if not shown:  # an outage is expected and may last: one line, no traceback
                    log.warning(
                        "store unavailable on %s %s: %s",
                        request.method,
                        request.path,
                        exc,
                        extra={"fields": {"event": "store_unavailable"}},
                    )
                message = str(exc) if shown else "the store cannot be used now; try again later"
                return error_response(status, code, message, _HEADERS.get(code))
    # the last line of defence: log, answer 500
    return _internal(request, exc)


def _internal(request: web.Request, exc: BaseException) -> web.Response:
    log.error("unexpected error on %s %s", request.method, request.rel_url.raw_path, exc_info=exc)
    return error_response(500, "internal_error", "internal error; the server log has the details")
