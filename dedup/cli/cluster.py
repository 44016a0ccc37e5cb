"""``dedup cluster``: assign every paragraph to its cluster of near-duplicates."""

from __future__ import annotations

import argparse
import contextlib
import time
from typing import Any

from dedup.cli.options import (
    EXIT_OK,
    add_engine_options,
    add_input_options,
    add_min_docs,
    add_summary,
    cluster_pages,
    one_pass_reader,
    show_summary,
    two_pass_reader,
)

__all__ = ["add_command", "run"]


def add_command(commands: Any) -> None:
    """Add ``cluster`` to the subparsers ``commands``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "cluster",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="assign every paragraph to its cluster of near-duplicates",
        description="Assign every paragraph to its cluster of near-duplicates.\n"
        "--min-docs filters the --clusters output only.",
        epilog="Example: dedup cluster crawl.jsonl -o paragraphs.jsonl --clusters - --min-docs 2",
    )
    add_input_options(parser)
    add_min_docs(parser)
    add_engine_options(parser)
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help='one JSON line per paragraph, in input order: {"doc", "para", "cluster", "size"}'
        ' and "path" (its element\'s CSS path) for a paragraph of an HTML page (- for stdout)',
    )
    parser.add_argument(
        "--clusters",
        metavar="FILE",
        help='one JSON line per cluster of 2+ paragraphs, most pages first: {"id", "size",'
        ' "docs", "text", "members": [{"doc", "para"}]} (- for stdout)',
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="also write the HTML report of this run (reads the input a second time)",
    )
    add_summary(parser)
    parser.set_defaults(handler=run, outputs=("output", "clusters", "report"))


def run(args: argparse.Namespace) -> int:
    """Cluster the inputs and write the per-paragraph and per-cluster lines."""
    if args.engine == "spark":
        from dedup.cli.engine import run_spark  # noqa: PLC0415 - loaded when the command runs

        return run_spark(args, clean=False)
    from dedup.io.output import (  # noqa: PLC0415 - loaded when the command runs
        JsonLinesWriter,
        assignment_lines,
        atomic_output,
        cluster_records,
    )

    started = time.perf_counter()
    if args.report is not None:
        from dedup.cli.report import require_extra, write_report  # noqa: PLC0415

        require_extra()
    paths: list[list[str] | None] = []
    with contextlib.ExitStack() as outputs:
        reader = one_pass_reader(args) if args.report is None else two_pass_reader(args, outputs)
        result = cluster_pages(reader, args, paths)
        paragraphs = outputs.enter_context(atomic_output(args.output))
        clusters = None
        if args.clusters is not None:
            clusters = JsonLinesWriter(outputs.enter_context(atomic_output(args.clusters)))
        for chunk in assignment_lines(result, paths):
            paragraphs.write(chunk)
        if clusters is not None:
            for record in cluster_records(result, args.min_docs):
                clusters.write(record)
        if args.report is not None:
            write_report(args, reader, result, args.report, started=started)
    show_summary(args, result, time.perf_counter() - started, args.report)
    return EXIT_OK
