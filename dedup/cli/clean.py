"""``dedup clean``: write the pages back without their repeated paragraphs."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from typing import IO, TYPE_CHECKING, Any

from dedup.cli.options import (
    EXIT_OK,
    STDIO,
    add_engine_options,
    add_input_options,
    add_min_docs,
    add_summary,
    cluster_pages,
    page_reader,
    show_summary,
    warn,
)
from dedup.cli.progress import progress

if TYPE_CHECKING:
    from dedup.io.page import Page
    from dedup.text.paragraphs import SplitMode

__all__ = ["add_command", "run"]


def add_command(commands: Any) -> None:
    """Add ``clean`` to the subparsers ``commands``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "clean",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="write the pages back without their repeated paragraphs",
        description="Write the pages back (same ids and other fields) without their repeated\n"
        "paragraphs, the kept ones joined by one blank line. Reads the input twice.\n"
        "--min-docs removes only clusters that span at least K pages.",
        epilog="Example: dedup clean crawl.jsonl -o cleaned.jsonl --min-docs 2 --stats stats.json",
    )
    add_input_options(parser, output_formats=("html-out",))
    add_min_docs(parser)
    add_engine_options(parser)
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help='cleaned pages as JSONL (- for stdout): {"id", "text"} and the other fields of'
        ' JSONL input; with --format html-out, {"id", "html"}: the HTML of each page without'
        " the elements of its repeated paragraphs",
    )
    parser.add_argument(
        "--keep",
        choices=("first", "none"),
        default="first",
        help="keep each cluster's first occurrence in input order (default) or none of it",
    )
    parser.add_argument(
        "--stats", metavar="FILE", help="JSON summary of what was removed, in total and per page"
    )
    add_summary(parser)
    parser.set_defaults(handler=run, outputs=("output", "stats"))


def run(args: argparse.Namespace) -> int:
    """Cluster the inputs, then read them again and write each page without its repeats."""
    if args.engine == "spark":
        from dedup.cli.engine import run_spark  # noqa: PLC0415 - loaded when the command runs

        return run_spark(args, clean=True)
    import orjson  # noqa: PLC0415 - loaded when the command runs

    from dedup.batch.clean import (  # noqa: PLC0415
        CleanStats,
        PageCleaner,
        clean_page,
        plan_removals,
    )
    from dedup.io.output import JsonLinesWriter, atomic_output  # noqa: PLC0415
    from dedup.io.sources import spool  # noqa: PLC0415

    started = time.perf_counter()
    html_out = args.format == "html-out"
    with contextlib.ExitStack() as stack:
        stdin: IO[bytes] | None = None
        if STDIO in args.inputs:  # two passes: keep a copy of stdin for the second
            stdin = stack.enter_context(spool(sys.stdin.buffer))
        reader = page_reader(args, stdin, keep_html=html_out)
        result = cluster_pages(reader, args)
        plan = plan_removals(result, keep=args.keep, min_docs=args.min_docs)
        cleaner = PageCleaner(result, plan, split=args.split)
        stats = CleanStats()
        if stdin is not None:
            stdin.seek(0)
        output = JsonLinesWriter(stack.enter_context(atomic_output(args.output)))
        with progress(args, "writing") as step:
            for page in reader:
                paragraphs = cleaner.paragraphs(
                    page.id, page.text, source=page.source, line=page.line
                )
                flags = cleaner.flags()
                cleaned = clean_page(paragraphs, flags)
                record = {"id": page.id} if page.record is None else dict(page.record)
                record.pop("html" if not html_out else "text", None)
                if html_out:
                    record["html"] = html_without(page, flags, args.split)
                else:
                    record["text"] = cleaned.text
                output.write(record)
                stats.add(page.id, page.text, cleaned)
                if step is not None:
                    step(1, cleaned.paragraphs)
        cleaner.finish()
        if stats.emptied:
            warn(_emptied_line(stats.emptied))
        if args.stats is not None:
            summary = stats.to_dict()
            summary["replaced_bytes"] = reader.replaced
            summary["warc_records_left_out"] = dict(reader.warc.skipped)
            summary["bad_skipped"] = reader.skipped + sum(reader.warc.bad.values())
            with atomic_output(args.stats) as stream:
                stream.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")
    show_summary(args, result, time.perf_counter() - started)
    return EXIT_OK


def _emptied_line(emptied: list[str], shown: int = 5) -> str:
    """One stderr line naming the pages that cleaning left without a paragraph."""
    count = len(emptied)
    names = ", ".join(repr(doc) for doc in emptied[:shown])
    more = f" and {count - shown} more (--stats lists them all)" if count > shown else ""
    pages = "page" if count == 1 else "pages"
    return f"warning: {count} {pages} left empty, every paragraph a repeat: {names}{more}"


def html_without(page: Page, flags: list[bool], split: SplitMode) -> str:
    """Return the HTML of ``page`` without the blocks whose paragraphs are all removed.

    Raises:
        DedupError: The page is not HTML.
    """
    from dedup.errors import InputError  # noqa: PLC0415
    from dedup.io.html import remove_blocks  # noqa: PLC0415
    from dedup.text.paragraphs import split_paragraphs  # noqa: PLC0415

    if page.html is None:
        raise InputError(
            "--format html-out needs HTML pages, and this one is text; drop --format html-out",
            source=page.source,
            line=page.line,
        )
    blocks = split_paragraphs(page.text)
    drop: list[bool] = []
    start = 0
    for block in blocks:  # a block goes when every paragraph it holds goes
        count = 1 if split == "blank" else len(split_paragraphs(block, "lines"))
        drop.append(all(flags[start : start + count]))
        start += count
    return remove_blocks(page.html, drop, source=page.source, line=page.line)
