"""``dedup match``: which stored cluster each paragraph of a crawl matches; read-only."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

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
from dedup.cli.outputs import check_overwrite
from dedup.cli.progress import progress

if TYPE_CHECKING:
    from dedup.text.paragraphs import SplitMode

__all__ = ["add_command", "run"]


def add_command(commands: Any) -> None:
    """Add ``match`` to the subparsers ``commands``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "match",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="match a crawl against an index store, read-only",
        description="Write, for every paragraph of the inputs, the stored cluster it matches\n"
        "(with similarity and containment) or null: the batch form of POST /v1/match.\n"
        "The store is only read, never written; a service may run on it meanwhile.",
        epilog="Examples: dedup match today.jsonl --data ./dedup-data -o matches.jsonl\n"
        "          dedup match today.jsonl --store redis://127.0.0.1:6379/0 -o matches.jsonl",
    )
    add_input_options(parser)
    add_store_options(parser)
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
    """Match the inputs against the store ``--store`` (or ``--data``) names; one line per
    paragraph."""
    from dedup.index.index import Index  # noqa: PLC0415 - loaded when the command runs
    from dedup.index.matching import match_crawl, match_stored  # noqa: PLC0415
    from dedup.io.match_lines import MatchLineWriter  # noqa: PLC0415
    from dedup.io.output import atomic_output  # noqa: PLC0415
    from dedup.stores.settings import settle_config  # noqa: PLC0415
    from dedup.stores.sqlite import SQLiteStore  # noqa: PLC0415

    store, store_files = existing_store(store_from(args), read_only=True)
    try:
        check_overwrite(args.output, args.inputs, store_files)
        reader = one_pass_reader(args)
        config = settle_config(store, config_from(args))
        split: SplitMode = getattr(args, "split", "blank")
        with atomic_output(args.output) as stream, progress(args, "matching") as step:
            lines = MatchLineWriter(stream)
            pages = ((page.id, page.text) for page in reader)
            if isinstance(store, SQLiteStore):
                # The store is loaded into an index in a child process while the crawl is
                # read; the first pages' lines are written while the last are matched.
                found = match_stored(
                    pages,
                    store.path,
                    config,
                    known=store.keys(),
                    jobs=args.jobs,
                    progress=step,
                    split=split,
                    on_answers=lines.answered,
                )
            else:  # a Redis store is loaded first: its reads hold the GIL
                index = Index(config, store)
                found = match_crawl(pages, index, jobs=args.jobs, progress=step, split=split)
            lines.finish(found)
    finally:
        store.close()  # the index reads through it, and is not used afterwards
    report_skipped(reader)
    return EXIT_OK
