"""The ``serve`` command (``dedup serve``, ``python -m service``); aiohttp loads only to run it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from dedup.errors import DedupError
from service.arguments import add_arguments, settings_from_args

__all__ = ["add_serve_command", "build_parser", "main", "run_serve"]

EXIT_OK = 0
EXIT_ERROR = 2
DESCRIPTION = "Serve the index over HTTP: POST pages, ask which paragraphs repeat."
EPILOG = """\
Every flag can also be set by its environment variable; a flag wins over the environment.

Example:
  dedup serve --data ./dedup-data --port 8080
  curl -s localhost:8080/healthz
"""


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
    from service.logs import configure_logging  # noqa: PLC0415 - loaded when serving

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
