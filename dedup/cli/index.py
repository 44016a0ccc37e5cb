"""``dedup index``: manage the index store that ``dedup serve`` serves."""

from __future__ import annotations

import argparse
from typing import Any

from dedup.cli.options import (
    EXIT_OK,
    add_input_options,
    add_store_options,
    config_from,
    existing_store,
    one_pass_reader,
    report_skipped,
    store_from,
)
from dedup.cli.progress import progress

__all__ = ["add_command", "run_add", "run_build"]


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
        "dedup serve --data ./dedup-data\n"
        "         dedup index build crawl.jsonl --store redis://127.0.0.1:6379/0",
    )
    add_input_options(build)
    add_store_options(build)
    build.set_defaults(handler=run_build, outputs=("data",))
    add = index_commands.add_parser(
        "add",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="append a crawl to a store that already holds pages",
        description="Append a crawl to an existing store in one transaction, with the batch\n"
        "core. The clusters and their ids are those the service would give when sent the\n"
        "pages one by one, in input order; a page whose id is stored replaces it. A\n"
        "service running on the store sees the pages at its next request.",
        epilog="Examples: dedup index add today.jsonl --data ./dedup-data\n"
        "          dedup index add today.jsonl --store redis://127.0.0.1:6379/0",
    )
    add_input_options(add)
    add_store_options(add)
    add.set_defaults(handler=run_add, outputs=("data",))


def run_build(args: argparse.Namespace) -> int:
    """Bulk-load the inputs into the (empty) store that ``--store`` or ``--data`` names."""
    from dedup.index.build import build_index  # noqa: PLC0415 - loaded when the command runs
    from dedup.stores.url import open_store, parse_store  # noqa: PLC0415

    location = parse_store(store_from(args))
    reader = one_pass_reader(args)
    store = open_store(location)
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
            f"into {args.data if args.data is not None else location}"
        )
    return EXIT_OK


def run_add(args: argparse.Namespace) -> int:
    """Append the inputs to the store that ``--store`` (or ``--data``) names."""
    from dedup.index.append import add_pages  # noqa: PLC0415 - loaded when the command runs

    where = store_from(args)
    store, _ = existing_store(where, read_only=False)
    try:
        reader = one_pass_reader(args)
        with progress(args, "adding") as step:
            pages = ((page.id, page.text) for page in reader)
            added = add_pages(
                pages,
                store,
                config_from(args),
                jobs=args.jobs,
                progress=step,
                split=getattr(args, "split", "blank"),
            )
    finally:
        store.close()
    report_skipped(reader)
    if not args.quiet:
        totals = added.totals
        print(
            f"added {added.pages} pages ({added.replaced} replacing stored ones), "
            f"{added.paragraphs} paragraphs, {added.new_clusters} new clusters; {where} "
            f"holds {totals.documents} documents, {totals.paragraphs} paragraphs "
            f"({totals.clusters} clusters of repeats, {totals.singletons} single paragraphs)"
        )
    return EXIT_OK
