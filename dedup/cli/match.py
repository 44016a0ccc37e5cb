"""``dedup match``: which stored cluster each paragraph of a crawl matches; read-only."""

from __future__ import annotations

import argparse
from typing import Any

from dedup.cli.options import (
    EXIT_OK,
    add_input_options,
    config_from,
    existing_store,
    one_pass_reader,
    report_skipped,
)
from dedup.cli.outputs import check_overwrite
from dedup.cli.progress import progress

__all__ = ["add_command", "run"]


def add_command(commands: Any) -> None:
    """Add ``match`` to the subparsers ``commands``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "match",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="match a crawl against an index store, read-only",
        description="Write, for every paragraph of the inputs, the stored cluster it matches\n"
        "(with similarity and containment) or null: the batch form of POST /v1/match.\n"
        "The store is opened read-only; a service may run on it meanwhile.",
        epilog="Example: dedup match today.jsonl --data ./dedup-data -o matches.jsonl",
    )
    add_input_options(parser)
    parser.add_argument(
        "--data", required=True, metavar="DIR", help="the store directory (read, never written)"
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help='one JSON line per paragraph, in input order: {"doc", "para", "match"}, match being'
        ' null or {"cluster", "similarity", "containment", "docs", "text"} (- for stdout)',
    )
    parser.set_defaults(handler=run, outputs=("output",))


def run(args: argparse.Namespace) -> int:
    """Match the inputs against the store in ``--data`` and write one line per paragraph."""
    from dedup.index.index import Index  # noqa: PLC0415 - loaded when the command runs
    from dedup.index.matching import match_while_loading  # noqa: PLC0415
    from dedup.io.output import atomic_output, match_lines  # noqa: PLC0415
    from dedup.stores.settings import settle_config  # noqa: PLC0415
    from dedup.stores.sqlite import SQLiteStore  # noqa: PLC0415

    path, store_files = existing_store(args.data)
    check_overwrite(args.output, args.inputs, store_files)
    reader = one_pass_reader(args)
    store = SQLiteStore(path, read_only=True)
    try:
        config = settle_config(store, config_from(args))
        # The store is loaded into an index in a thread while the crawl is read.
        with progress(args, "matching") as step:
            pages = ((page.id, page.text) for page in reader)
            found = match_while_loading(
                pages,
                lambda: Index(config, store),
                config,
                known=store.keys(),
                jobs=args.jobs,
                progress=step,
                split=getattr(args, "split", "blank"),
            )
    finally:
        store.close()  # the index reads through it, and is not used afterwards
    report_skipped(reader)
    with atomic_output(args.output) as stream:
        for chunk in match_lines(found):
            stream.write(chunk)
    return EXIT_OK
