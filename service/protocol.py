"""The HTTP parser's own refusals (too long a request line or headers, malformed HTTP) in the
one JSON error shape, logged at info like any client error.

aiohttp answers a request its parser cannot read before any middleware runs: a ``text/plain``
400 and an error-level traceback in the log. It offers no hook for that (aio-libs/aiohttp
#3287), so :class:`JsonErrorRunner` serves the app with a request handler (the protocol
object of one connection) whose :meth:`~JsonErrorRequestHandler.handle_error` answers those
refusals itself. Everything else is left to aiohttp.
"""

from __future__ import annotations

import logging
import re

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

from service.errors import error_body
from service.middleware import ACCESS_LOG

__all__ = ["MAX_FIELD_SIZE", "MAX_LINE_SIZE", "JsonErrorRequestHandler", "JsonErrorRunner"]

# aiohttp's limits, stated here so that the messages can name them.
MAX_LINE_SIZE = 8190
MAX_FIELD_SIZE = 8190
MAX_HEADERS = 128
# A request line as either parser reports it: the target alone ("/path...") or the line.
_REQUEST_LINE = re.compile(rb"/|https?:|[A-Z]+ \S")


def refusal(exc: BadHttpMessage) -> tuple[int, str, str]:
    """The status, code and message answering a request the parser refused.

    A line too long is the request line (414) when it starts as one, else a header (431).
    The message never echoes the request.
    """
    if isinstance(exc, LineTooLong):
        line = exc.args[0] if exc.args else b""
        start = bytes(line[:16]) if isinstance(line, bytes | bytearray) else str(line).encode()
        if _REQUEST_LINE.match(start):
            return (
                414,
                "limit_exceeded",
                f"the request line exceeds the limit of {MAX_LINE_SIZE} bytes; shorten the URL "
                "(documents go in the body, ids up to 512 characters in the path)",
            )
        return (
            431,
            "limit_exceeded",
            f"a header line exceeds the limit of {MAX_FIELD_SIZE} bytes; shorten it",
        )
    if "too many headers" in str(exc).lower():
        return (
            431,
            "limit_exceeded",
            f"the request has more than the limit of {MAX_HEADERS} headers; send fewer",
        )
    return (
        400,
        "bad_request",
        "the request is not valid HTTP/1.1; check the request line and the headers",
    )


class JsonErrorRequestHandler(RequestHandler):
    """A connection's protocol that answers the parser's refusals as JSON errors."""

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """Answer a request the parser refused with the JSON error shape; leave the rest."""
        if status != 400 or not isinstance(exc, BadHttpMessage):
            return super().handle_error(request, status, exc, message)
        status, code, text = refusal(exc)
        if ACCESS_LOG.isEnabledFor(logging.INFO):
            ACCESS_LOG.info(
                "refused an unreadable request: %d %s",
                status,
                code,
                extra={
                    "fields": {
                        "event": "request",
                        "status": status,
                        "code": code,
                        "remote": request.remote,
                    }
                },
            )
        response = web.Response(
            status=status, body=error_body(code, text), content_type="application/json"
        )
        response.force_close()
        return response


class _JsonErrorServer(Server):
    """aiohttp's low-level server, making :class:`JsonErrorRequestHandler` connections."""

    def __call__(self) -> RequestHandler:
        return JsonErrorRequestHandler(self, loop=self._loop, **self._kwargs)


class JsonErrorRunner(web.AppRunner):
    """An :class:`aiohttp.web.AppRunner` whose connections answer parser refusals as JSON."""

    async def _make_server(self) -> Server:
        server = await super()._make_server()
        # The server is built by aiohttp with the app's handler and settings; only the
        # class making each connection's protocol changes.
        server.__class__ = _JsonErrorServer
        return server
