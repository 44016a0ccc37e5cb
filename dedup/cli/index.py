"""``dedup index``: manage the index store that ``dedup serve`` serves."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dedup.cli.options import (
    EXIT_OK,
    add_input_options,
    config_from,
    one_pass_reader,
    progress,
    report_skipped,
)

__all__ = ["add_command", "run_build"]


def add_command(commands: Any) -> None:
    """Add ``index`` and its subcommands to the subparsers ``commands``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "index",
        help="manage a service's index store",
        description="Manage the index store that `dedup serve` serves.",
    )
    index_commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    build = index_commands.add_parser(
        "build",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="bulk-load a crawl into an empty store with the batch core",
        description="Bulk-load a crawl into an empty store in one transaction. The clusters and\n"
        "their ids are those the service would give when sent the pages one by one, in\n"
        "input order; the batch core gets there far faster.",
        epilog="Example: dedup index build crawl.jsonl --data ./dedup-data && "
        "dedup serve --data ./dedup-data",
    )
    add_input_options(build)
    build.add_argument(
        "--data", required=True, metavar="DIR", help="the store directory (created if missing)"
    )
    build.set_defaults(handler=run_build, outputs=("data",))


def run_build(args: argparse.Namespace) -> int:
    """Bulk-load the inputs into the (empty) store in ``--data``."""
    from dedup.index.build import build_index  # noqa: PLC0415 - loaded when the command runs
    from dedup.index.index import STORE_FILE  # noqa: PLC0415
    from dedup.stores.sqlite import SQLiteStore  # noqa: PLC0415

    reader = one_pass_reader(args)
    store = SQLiteStore(Path(args.data) / STORE_FILE)
    try:
        with progress(args, "indexing") as step:
            pages = ((page.id, page.text) for page in reader)
            stats = build_index(pages, store, config_from(args), jobs=args.jobs, progress=step)
    finally:
        store.close()
    report_skipped(reader)
    if not args.quiet:
        print(
            f"indexed {stats.documents} documents, {stats.paragraphs} paragraphs "
            f"({stats.clusters} clusters of repeats, {stats.singletons} single paragraphs) "
            f"into {args.data}"
        )
    return EXIT_OK
