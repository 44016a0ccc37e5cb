"""The ``dedup`` command: its parser, its commands and its exit codes.

Each command's module adds its own parser and imports the library only when it runs, so
``dedup --help`` and ``dedup --version`` load neither numpy nor the core.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence

from dedup import __version__
from dedup.cli import clean, cluster, index, match, report, store
from dedup.cli.options import EXIT_ERROR, warn
from dedup.cli.outputs import check_outputs
from dedup.errors import DedupError

__all__ = ["build_parser", "main"]

EXIT_BROKEN_PIPE = 1
EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Exit codes: 0 on success, 2 for bad usage, bad input or any other dedup error (the message
    goes to stderr), 1 when stdout is closed early, 130 on Ctrl-C.
    """
    # dedup makes no BLAS call, but when numpy loads, OpenBLAS starts a thread for each other
    # core, which spins before it sleeps: `import numpy` took 0.29-0.32 s of CPU on 2 cores,
    # 0.16-0.18 s with one thread. Each dedup process and worker imports numpy.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        check_outputs(parser, args)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    except DedupError as exc:  # an output that would overwrite an input
        warn(str(exc))
        return EXIT_ERROR
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except DedupError as exc:
        warn(str(exc))
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except OSError as exc:  # e.g. a full disk while writing an output
        warn(f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}")
    return EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``dedup`` command."""
    parser = argparse.ArgumentParser(
        prog="dedup",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Find near-duplicate paragraphs across pages with MinHash-LSH.",
        epilog="Example: dedup cluster crawl.jsonl -o paragraphs.jsonl --clusters clusters.jsonl",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    cluster.add_command(commands)
    clean.add_command(commands)
    index.add_command(commands)
    match.add_command(commands)
    report.add_command(commands)
    store.add_command(commands)

    # The service is optional at import time: aiohttp loads only when `serve` runs.
    from service.cli import add_serve_command  # noqa: PLC0415

    add_serve_command(commands)
    return parser


def _silence_stdout() -> None:
    # The reader went away: point stdout at /dev/null so the interpreter's final flush is quiet.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
