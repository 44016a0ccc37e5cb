"""``dedup report``: one HTML page showing what repeats in a crawl or a service's store."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import time
from typing import TYPE_CHECKING, Any

from dedup.cli.options import (
    EXIT_OK,
    add_input_options,
    cluster_pages,
    config_from,
    two_pass_reader,
)
from dedup.errors import DedupError

if TYPE_CHECKING:
    from dedup.batch.result import Clustering
    from dedup.io.sources import PageReader
    from dedup.report.model import Report

__all__ = ["add_command", "require_extra", "run", "write_report"]


def add_command(commands: Any) -> None:
    """Add ``report`` to the subparsers ``commands``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "report",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="write one self-contained HTML page showing what repeats",
        description="Cluster the inputs (or read a service's store, read-only) and write one\n"
        "self-contained HTML page: totals, cluster sizes, the top repeated blocks, the repeated\n"
        "share per page and per site, and a filterable table of every cluster across pages.",
        epilog="Example: dedup report crawl.jsonl -o report.html\n"
        "         dedup report --data ./dedup-data -o report.html",
    )
    add_input_options(parser, nargs="*")
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the HTML report to write"
    )
    parser.add_argument(
        "--data", metavar="DIR", help="report on the store of `dedup serve --data DIR` instead"
    )
    parser.set_defaults(handler=run, outputs=("output",))


def run(args: argparse.Namespace) -> int:
    """Write the report of the inputs, or of the store in ``--data``."""
    started = time.perf_counter()
    require_extra()
    if args.data is not None:
        if args.inputs:
            raise DedupError("pass INPUT... or --data DIR, not both")
        if config_from(args) is not None:
            raise DedupError("--data reports the store as it is; leave out the matching flags")
        from dedup.report.store import report_of_store  # noqa: PLC0415 - loaded when it runs

        _render(report_of_store(args.data), args.output)
        return EXIT_OK
    if not args.inputs:
        raise DedupError(
            "nothing to report on: pass INPUT... (files, directories, -) or --data DIR"
        )
    with contextlib.ExitStack() as stack:
        reader = two_pass_reader(args, stack)
        result = cluster_pages(reader, args)
        write_report(args, reader, result, args.output, started=started)
    return EXIT_OK


def write_report(
    args: argparse.Namespace,
    reader: PageReader,
    result: Clustering,
    output: str,
    *,
    started: float,
) -> None:
    """Read the pages of ``result`` again and write their report to ``output``."""
    from dedup.config import DedupConfig  # noqa: PLC0415
    from dedup.report.clustering import report_of_clustering, report_pages  # noqa: PLC0415
    from dedup.report.model import RunInfo, params_of  # noqa: PLC0415
    from dedup.text.paragraphs import SplitMode  # noqa: PLC0415

    config = config_from(args) or DedupConfig()
    run = RunInfo(
        source=" ".join(name if name == "-" else os.path.abspath(name) for name in args.inputs),
        params=params_of(config),
        seconds=None,
        errors=tuple(line.strip() for line in reader.skip_report(limit=10)),
        skipped=reader.skipped,
    )
    split: SplitMode = getattr(args, "split", "blank")
    report = report_of_clustering(result, report_pages(reader, split), config, run, split)
    seconds = time.perf_counter() - started  # clustering and gathering, not the rendering
    _render(dataclasses.replace(report, run=dataclasses.replace(run, seconds=seconds)), output)


def require_extra() -> None:
    """Stop at once, before any clustering, when the report's libraries are not installed."""
    try:
        import dedup.report.render  # noqa: F401, PLC0415 - Jinja2 and matplotlib
    except ImportError as exc:
        raise DedupError(
            f"the report needs {exc.name}; install the report extra: pip install 'dedup[report]'"
        ) from exc


def _render(report: Report, output: str) -> None:
    from dedup.io.output import atomic_output  # noqa: PLC0415
    from dedup.report.render import render_html  # noqa: PLC0415

    html = render_html(report).encode("utf-8")
    with atomic_output(output) as stream:
        stream.write(html)
