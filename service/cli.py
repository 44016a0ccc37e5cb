"""The ``serve`` command (``dedup serve``, ``python -m service``); aiohttp loads only to run it."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

import orjson

from dedup.errors import DedupError
from service.settings import ServiceSettings, add_arguments, settings_from_args

__all__ = ["JsonFormatter", "add_serve_command", "build_parser", "main", "run_serve"]

EXIT_OK = 0
EXIT_ERROR = 2
DESCRIPTION = "Serve the index over HTTP: POST pages, ask which paragraphs repeat."
EPILOG = """\
Every flag can also be set by its environment variable; a flag wins over the environment.

Example:
  dedup serve --data ./dedup-data --port 8080
  curl -s localhost:8080/healthz
"""


class JsonFormatter(logging.Formatter):
    """Format each record as one JSON line: time, level, logger, message and its fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a single line of JSON (a traceback goes into ``exc``)."""
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure_logging(settings: ServiceSettings) -> None:
    """Send the service's logs to stderr as JSON lines at the configured level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("service", "aiohttp"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(settings.log_level.upper())
        logger.propagate = False


def add_serve_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``serve`` subcommand to a parser's subparsers; it calls :func:`run_serve`."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="serve the index over HTTP",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(handler=run_serve)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """Build the parser of ``python -m service``."""
    parser = argparse.ArgumentParser(
        prog="python -m service",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return parser


def run_serve(args: argparse.Namespace) -> int:
    """Run the service with the parsed flags (and the environment) until SIGTERM; return 0.

    Returns:
        0 after a clean shutdown, 2 when a setting is invalid or the store or port cannot be used.
    """
    try:
        settings = settings_from_args(args)
    except DedupError as exc:
        print(f"dedup serve: {exc}", file=sys.stderr)
        return EXIT_ERROR
    configure_logging(settings)
    try:
        if settings.processes > 1:
            from service.processes import serve_processes  # noqa: PLC0415

            return serve_processes(settings)
        from service.app import run  # noqa: PLC0415 - aiohttp loads only when the service runs

        run(settings)
    except DedupError as exc:
        print(f"dedup serve: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # the port is taken, or the address does not exist
        print(
            f"dedup serve: cannot listen on {settings.host}:{settings.port}: {exc}", file=sys.stderr
        )
        return EXIT_ERROR
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m service`` and return its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or a usage error
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    return run_serve(args)
