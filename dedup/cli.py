"""The dedup command line: a thin argparse layer over the library."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

import orjson
from tqdm import tqdm

from dedup import __version__
from dedup.batch.clean import CleanStats, PageCleaner, plan_removals
from dedup.batch.pipeline import cluster
from dedup.batch.result import Clustering
from dedup.config import DedupConfig
from dedup.errors import DedupError
from dedup.index.build import build_index
from dedup.index.index import STORE_FILE
from dedup.io.output import JsonLinesWriter, assignment_lines, atomic_output
from dedup.io.sources import PageReader, spool
from dedup.stores.sqlite import SQLiteStore

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_BROKEN_PIPE = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130
STDIO = "-"
_DEFAULTS = DedupConfig()

Progress = Callable[[int, int], None]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Exit codes: 0 on success, 2 for bad usage, bad input or any other dedup error (the message
    goes to stderr), 1 when stdout is closed early, 130 on Ctrl-C.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        _check_outputs(parser, args)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except DedupError as exc:
        _warn(str(exc))
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except OSError as exc:  # e.g. a full disk while writing an output
        _warn(f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}")
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

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="JSONL or .txt files (optionally .gz), directories of them, or - for JSONL on stdin",
    )
    # Flags left out stay out of the namespace, so the defaults live in DedupConfig alone.
    tuning = common.add_argument_group("matching", argument_default=argparse.SUPPRESS)
    tuning.add_argument(
        "--threshold",
        type=float,
        help=f"Jaccard similarity that makes a match (default {_DEFAULTS.threshold})",
    )
    tuning.add_argument(
        "--containment",
        type=_share_or_off,
        help="share of the shorter paragraph found in the longer one that makes a match, "
        f"or 'off' (default {_DEFAULTS.containment})",
    )
    tuning.add_argument(
        "--num-perm", type=int, help=f"MinHash permutations (default {_DEFAULTS.num_perm})"
    )
    tuning.add_argument("--ngram", type=int, help=f"words per shingle (default {_DEFAULTS.ngram})")
    tuning.add_argument("--seed", type=int, help=f"hash seed (default {_DEFAULTS.seed})")
    run = common.add_argument_group("running")
    run.add_argument(
        "--jobs",
        type=_positive_int,
        default=None,
        help="processes to use (default: all cores); the output is the same for any value",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip bad JSONL lines (and report how many on stderr) instead of stopping",
    )
    min_docs = argparse.ArgumentParser(add_help=False)
    min_docs.add_argument(
        "--min-docs",
        type=_positive_int,
        default=1,
        metavar="K",
        help="only clusters spanning at least K distinct pages (default 1)",
    )

    cluster_cmd = commands.add_parser(
        "cluster",
        parents=[common, min_docs],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="assign every paragraph to its cluster of near-duplicates",
        description="Assign every paragraph to its cluster of near-duplicates.\n"
        "--min-docs filters the --clusters output only.",
        epilog="Example: dedup cluster crawl.jsonl -o paragraphs.jsonl --clusters - --min-docs 2",
    )
    cluster_cmd.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help='one JSON line per paragraph, in input order: {"doc", "para", "cluster", "size"}'
        " (- for stdout)",
    )
    cluster_cmd.add_argument(
        "--clusters",
        metavar="FILE",
        help='one JSON line per cluster of 2+ paragraphs, most pages first: {"cluster", "size",'
        ' "docs", "text", "members"} (- for stdout)',
    )
    cluster_cmd.set_defaults(handler=_run_cluster)

    clean_cmd = commands.add_parser(
        "clean",
        parents=[common, min_docs],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="write the pages back without their repeated paragraphs",
        description="Write the pages back (same ids and other fields) without their repeated\n"
        "paragraphs, the kept ones joined by one blank line. Reads the input twice.\n"
        "--min-docs removes only clusters that span at least K pages.",
        epilog="Example: dedup clean crawl.jsonl -o cleaned.jsonl --min-docs 2 --stats stats.json",
    )
    clean_cmd.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="cleaned pages as JSONL (- for stdout)",
    )
    clean_cmd.add_argument(
        "--keep",
        choices=("first", "none"),
        default="first",
        help="keep each cluster's first occurrence in input order (default) or none of it",
    )
    clean_cmd.add_argument(
        "--stats", metavar="FILE", help="JSON summary of what was removed, in total and per page"
    )
    clean_cmd.set_defaults(handler=_run_clean)

    index_cmd = commands.add_parser(
        "index",
        help="manage a service's index store",
        description="Manage the index store that `dedup serve` serves.",
    )
    index_commands = index_cmd.add_subparsers(title="commands", metavar="COMMAND", required=True)
    build_cmd = index_commands.add_parser(
        "build",
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="bulk-load a crawl into an empty store with the batch core",
        description="Bulk-load a crawl into an empty store in one transaction. The clusters and\n"
        "their ids are those the service would give when sent the pages one by one, in\n"
        "input order; the batch core gets there far faster.",
        epilog="Example: dedup index build crawl.jsonl --data ./dedup-data && "
        "dedup serve --data ./dedup-data",
    )
    build_cmd.add_argument(
        "--data", required=True, metavar="DIR", help="the store directory (created if missing)"
    )
    build_cmd.set_defaults(handler=_run_index_build)

    # The service is optional at import time: aiohttp loads only when `serve` runs.
    from service.cli import add_serve_command  # noqa: PLC0415

    add_serve_command(commands)
    return parser


def _run_cluster(args: argparse.Namespace) -> int:
    reader = _one_pass_reader(args)
    result = _cluster_pages(reader, args)
    with contextlib.ExitStack() as outputs:
        paragraphs = outputs.enter_context(atomic_output(args.output))
        clusters = None
        if args.clusters is not None:
            clusters = JsonLinesWriter(outputs.enter_context(atomic_output(args.clusters)))
        for chunk in assignment_lines(result):
            paragraphs.write(chunk)
        if clusters is not None:
            for group in result.clusters:
                if group.docs >= args.min_docs:
                    clusters.write(
                        {
                            "cluster": group.id,
                            "size": group.size,
                            "docs": group.docs,
                            "text": group.text,
                            "members": [list(member) for member in group.members],
                        }
                    )
    return EXIT_OK


def _run_clean(args: argparse.Namespace) -> int:
    with contextlib.ExitStack() as stack:
        stdin: IO[bytes] | None = None
        if STDIO in args.inputs:  # two passes: keep a copy of stdin for the second
            stdin = stack.enter_context(spool(sys.stdin.buffer))
        reader = PageReader(args.inputs, skip_bad=args.skip_bad, stdin=stdin)
        result = _cluster_pages(reader, args)
        cleaner = PageCleaner(result, plan_removals(result, keep=args.keep, min_docs=args.min_docs))
        stats = CleanStats()
        if stdin is not None:
            stdin.seek(0)
        output = JsonLinesWriter(stack.enter_context(atomic_output(args.output)))
        with _progress(args, "writing") as progress:
            for page in reader:
                cleaned = cleaner.clean(page.id, page.text, source=page.source, line=page.line)
                record = {"id": page.id} if page.record is None else dict(page.record)
                record["text"] = cleaned.text
                output.write(record)
                stats.add(page.id, page.text, cleaned)
                if progress is not None:
                    progress(1, cleaned.paragraphs)
        cleaner.finish()
        if args.stats is not None:
            with atomic_output(args.stats) as stream:
                stream.write(orjson.dumps(stats.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    return EXIT_OK


def _run_index_build(args: argparse.Namespace) -> int:
    reader = _one_pass_reader(args)
    store = SQLiteStore(Path(args.data) / STORE_FILE)
    try:
        with _progress(args, "indexing") as progress:
            pages = ((page.id, page.text) for page in reader)
            stats = build_index(pages, store, _config(args), jobs=args.jobs, progress=progress)
    finally:
        store.close()
    _report_skipped(reader)
    if not args.quiet:
        print(
            f"indexed {stats.documents} documents, {stats.paragraphs} paragraphs, "
            f"{stats.clusters} clusters into {args.data}"
        )
    return EXIT_OK


def _one_pass_reader(args: argparse.Namespace) -> PageReader:
    """The pages of the inputs, read once (stdin, if named, is read as it streams)."""
    stdin = sys.stdin.buffer if STDIO in args.inputs else None
    return PageReader(args.inputs, skip_bad=args.skip_bad, stdin=stdin)


def _cluster_pages(reader: PageReader, args: argparse.Namespace) -> Clustering:
    config = _config(args)
    with _progress(args, "clustering") as progress:
        pages = ((page.id, page.text) for page in reader)
        result = cluster(pages, config, jobs=args.jobs, progress=progress)
    _report_skipped(reader)
    return result


def _report_skipped(reader: PageReader) -> None:
    for number, line in enumerate(reader.skip_report()):
        _warn(f"warning: {line}" if number == 0 else line)


def _config(args: argparse.Namespace) -> DedupConfig | None:
    """Build the config from the tuning flags given, so the defaults live in DedupConfig only."""
    names = ("threshold", "containment", "num_perm", "ngram", "seed")
    given = {name: getattr(args, name) for name in names if hasattr(args, name)}
    return DedupConfig(**given) if given else None


@contextlib.contextmanager
def _progress(args: argparse.Namespace, desc: str) -> Iterator[Progress | None]:
    """Yield a progress callback drawing a bar on stderr, or None when stderr is no terminal."""
    if args.quiet or not sys.stderr.isatty():
        yield None
        return
    bar = ProgressBar(desc, sys.stderr)
    try:
        yield bar
    finally:
        bar.close()


class ProgressBar:
    """A tqdm bar counting pages, with the paragraph count and rate beside it.

    Args:
        desc: The label in front of the bar.
        stream: Where the bar is drawn.
    """

    def __init__(self, desc: str, stream: IO[str]) -> None:
        self._bar = tqdm(desc=desc, unit=" pages", file=stream, dynamic_ncols=True)
        self._paragraphs = 0

    def __call__(self, pages: int, paragraphs: int) -> None:
        """Count ``pages`` more pages holding ``paragraphs`` more paragraphs."""
        self._paragraphs += paragraphs
        elapsed = float(self._bar.format_dict["elapsed"])
        rate = self._paragraphs / elapsed if elapsed > 0 else 0.0
        self._bar.set_postfix_str(
            f"{self._paragraphs:,} paragraphs, {rate:,.0f} paragraphs/s", refresh=False
        )
        self._bar.update(pages)

    def close(self) -> None:
        """Draw the final state and release the line."""
        self._bar.close()


def _check_outputs(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    names = [getattr(args, name, None) for name in ("output", "clusters", "stats")]
    given = [name for name in names if name is not None]
    if given.count(STDIO) > 1:
        parser.error("only one output can go to stdout (-); name a file for the others")
    files = [os.path.abspath(name) for name in given if name != STDIO]
    if len(set(files)) < len(files):
        parser.error("each output needs its own file; the same path was given twice")


def _share_or_off(text: str) -> float | None:
    if text.lower() in {"off", "none"}:
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number or 'off'") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1; pass a positive integer")
    return value


def _warn(message: str) -> None:
    print(f"dedup: {message}", file=sys.stderr)


def _silence_stdout() -> None:
    # The reader went away: point stdout at /dev/null so the interpreter's final flush is quiet.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
