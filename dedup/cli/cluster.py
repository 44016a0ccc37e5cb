"""``dedup cluster``: assign every paragraph to its cluster of near-duplicates."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from dedup.cli.options import (
    EXIT_OK,
    add_engine_options,
    add_input_options,
    add_min_docs,
    cluster_pages,
    one_pass_reader,
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
    parser.set_defaults(handler=run, outputs=("output", "clusters"))


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

    reader = one_pass_reader(args)
    paths: list[list[str] | None] = []
    result = cluster_pages(reader, args, paths)
    with contextlib.ExitStack() as outputs:
        paragraphs = outputs.enter_context(atomic_output(args.output))
        clusters = None
        if args.clusters is not None:
            clusters = JsonLinesWriter(outputs.enter_context(atomic_output(args.clusters)))
        for chunk in assignment_lines(result, paths):
            paragraphs.write(chunk)
        if clusters is not None:
            for record in cluster_records(result, args.min_docs):
                clusters.write(record)
    return EXIT_OK
