"""What the dedup commands share: input and tuning flags, argument types, messages."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from dedup.cli.progress import progress
from dedup.config import TUNING, DedupConfig, default_values
from dedup.errors import DedupError, StoreError

if TYPE_CHECKING:
    from dedup.batch.result import Clustering
    from dedup.io.sources import PageReader
    from dedup.stores.store import Store
    from dedup.text.paragraphs import SplitMode

__all__ = [
    "EXIT_ERROR",
    "EXIT_OK",
    "STDIO",
    "add_input_options",
    "add_min_docs",
    "add_store_options",
    "add_summary",
    "cluster_pages",
    "config_from",
    "existing_store",
    "one_pass_reader",
    "page_reader",
    "positive_int",
    "report_skipped",
    "show_summary",
    "store_from",
    "two_pass_reader",
    "warn",
]

EXIT_OK = 0
EXIT_ERROR = 2
STDIO = "-"
# The defaults as declared, read without building a config (which derives its LSH bands).
_DEFAULTS = default_values()


def add_input_options(
    parser: argparse.ArgumentParser, output_formats: tuple[str, ...] = (), *, nargs: str = "+"
) -> None:
    """Add the inputs, the matching flags and the running flags every batch command takes;
    ``output_formats`` are extra ``--format`` choices that name the output's form."""
    parser.add_argument(
        "inputs",
        nargs=nargs,
        metavar="INPUT",
        help="JSONL, .txt or .html files (optionally .gz), .warc/.warc.gz/.warc.zst files, "
        "directories of them, or - for JSONL on stdin",
    )
    reading = parser.add_argument_group("reading")
    reading.add_argument(
        "--format",
        choices=("jsonl", "text", "html", "warc", *output_formats),
        default=None,
        help="read every input as this format instead of choosing by extension (html: each "
        'file is a page, JSONL lines carry "html")'
        + (f"; {', '.join(output_formats)}: see below" if output_formats else ""),
    )
    reading.add_argument(
        "--split",
        choices=("blank", "lines"),
        default="blank",
        help="paragraphs end at blank lines (default) or at every line (lines)",
    )
    # Flags left out stay out of the namespace, so the defaults live in DedupConfig alone.
    tuning = parser.add_argument_group("matching", argument_default=argparse.SUPPRESS)
    tuning.add_argument(
        "--threshold",
        type=float,
        help=f"Jaccard similarity that makes a match (default {_DEFAULTS['threshold']})",
    )
    tuning.add_argument(
        "--containment",
        type=_share_or_off,
        help="share of the shorter paragraph found in the longer one that makes a match, "
        f"or 'off' (default {_DEFAULTS['containment']})",
    )
    tuning.add_argument(
        "--num-perm", type=int, help=f"MinHash permutations (default {_DEFAULTS['num_perm']})"
    )
    tuning.add_argument(
        "--ngram", type=int, help=f"words per shingle (default {_DEFAULTS['ngram']})"
    )
    tuning.add_argument("--seed", type=int, help=f"hash seed (default {_DEFAULTS['seed']})")
    short = _DEFAULTS["min_containment_shingles"] + _DEFAULTS["ngram"] - 1
    tuning.add_argument(
        "--char-ngram",
        type=_char_ngram,
        help=f"bytes per shingle of a title-like line (under {short} words, not ending as a "
        "sentence), or 'off' to shingle every paragraph on words "
        f"(default {_DEFAULTS['char_ngram']})",
    )
    tuning.add_argument(
        "--short-threshold",
        type=_share,
        help="Jaccard similarity that makes two short paragraphs match "
        f"(default {_DEFAULTS['short_threshold']})",
    )
    tuning.add_argument(
        "--short-containment",
        type=_share,
        help="share of the shorter of two title-like lines found in the other that makes a "
        f"match, if their lengths are close (default {_DEFAULTS['short_containment']})",
    )
    tuning.add_argument(
        "--short-length-ratio",
        type=_share,
        help="how close in length (shorter / longer) two title-like lines must be to match on "
        f"containment (default {_DEFAULTS['short_length_ratio']})",
    )
    run = parser.add_argument_group("running")
    run.add_argument(
        "--jobs",
        type=positive_int,
        default=None,
        help="processes to use (default: all cores); the output is the same for any value",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip bad JSONL lines, HTML pages and WARC records, and pages whose id an earlier"
        " page has (keeping the first), and report how many on stderr, instead of stopping",
    )


def add_min_docs(parser: argparse.ArgumentParser) -> None:
    """Add ``--min-docs K``."""
    parser.add_argument(
        "--min-docs",
        type=positive_int,
        default=1,
        metavar="K",
        help="only clusters spanning at least K distinct pages (default 1)",
    )


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--store URL`` and its older form ``--data DIR``: one of them is required."""
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--store",
        metavar="URL",
        help="the index store: redis://HOST:PORT/DB, sqlite:///DIR or a directory",
    )
    where.add_argument(
        "--data", metavar="DIR", help="the SQLite store's directory (as --store DIR)"
    )


def store_from(args: argparse.Namespace) -> str:
    """The store that ``--store`` or ``--data`` names."""
    return str(args.store if args.store is not None else args.data)


def add_summary(parser: argparse.ArgumentParser) -> None:
    """Add ``--summary``: the run's totals and top clusters on stderr (always on a terminal)."""
    parser.add_argument(
        "--summary",
        action="store_true",
        help="print the totals and the 10 clusters spanning the most pages on stderr "
        "(the default when stdout is a terminal)",
    )


def show_summary(
    args: argparse.Namespace, result: Clustering, seconds: float, report: str | None = None
) -> None:
    """Print the summary on stderr if ``--summary`` was given or stdout is a terminal."""
    if not (args.summary or sys.stdout.isatty()):
        return
    try:
        from dedup.report.summary import print_summary  # noqa: PLC0415 - only when shown
    except ImportError as exc:
        if args.summary:  # asked for by name: say what is missing
            raise DedupError(
                f"--summary needs {exc.name}; install the report extra: pip install 'dedup[report]'"
            ) from exc
        return
    where = None if report is None or report == STDIO else os.path.abspath(report)
    print_summary(result, sys.stderr, seconds=seconds, report_path=where)


def two_pass_reader(args: argparse.Namespace, stack: contextlib.ExitStack) -> PageReader:
    """The pages of the inputs, readable twice (stdin, if named, is spooled to a temporary file)."""
    from dedup.io.sources import spool  # noqa: PLC0415 - loaded when a command runs

    stdin = stack.enter_context(spool(sys.stdin.buffer)) if STDIO in args.inputs else None
    return page_reader(args, stdin)


def config_from(args: argparse.Namespace) -> DedupConfig | None:
    """Build the config from the tuning flags given, so the defaults live in DedupConfig only."""
    given = {name: getattr(args, name) for name in TUNING if hasattr(args, name)}
    return DedupConfig(**given) if given else None


def one_pass_reader(args: argparse.Namespace) -> PageReader:
    """The pages of the inputs, read once (stdin, if named, is read as it streams)."""
    stdin = sys.stdin.buffer if STDIO in args.inputs else None
    return page_reader(args, stdin)


def page_reader(
    args: argparse.Namespace, stdin: IO[bytes] | None, *, keep_html: bool = False
) -> PageReader:
    """The reader of the inputs the flags name: their format, bad-input policy and jobs."""
    from dedup.io.sources import FORMATS, PageReader  # noqa: PLC0415 - loaded when run

    from_flag = getattr(args, "format", None)
    forced = next((name for name in FORMATS if name == from_flag), None)
    jobs = args.jobs or os.cpu_count() or 1
    return PageReader(
        args.inputs,
        skip_bad=args.skip_bad,
        stdin=stdin,
        format=forced,
        jobs=jobs,
        keep_html=keep_html,
    )


def cluster_pages(
    reader: PageReader, args: argparse.Namespace, paths: list[list[str] | None] | None = None
) -> Clustering:
    """Cluster the reader's pages with the flags' config and report skipped input.

    Args:
        reader: The pages.
        args: The flags.
        paths: If given, filled with one entry per page: the CSS path of each of its
            paragraphs for an HTML page, None for a text page.
    """
    from dedup.batch.pipeline import cluster  # noqa: PLC0415 - loaded when a command runs

    config = config_from(args)
    split: SplitMode = getattr(args, "split", "blank")

    def pages() -> Iterator[tuple[str, str]]:
        for page in reader:
            if paths is not None:
                paths.append(page.paragraph_paths(split))
            yield page.id, page.text

    with progress(args, "clustering") as step:
        result = cluster(pages(), config, jobs=args.jobs, progress=step, split=split)
    report_skipped(reader)
    return result


def report_skipped(reader: PageReader) -> None:
    """Say on stderr how many bad lines, pages or records were skipped and why, and what was
    left out by design or repaired."""
    for number, line in enumerate(reader.skip_report()):
        warn(f"warning: {line}" if number == 0 else line)
    for line in reader.notes():
        warn(f"note: {line}")


def existing_store(where: str, *, read_only: bool) -> tuple[Store, list[str]]:
    """Open the index store that ``--store`` or ``--data`` names, which must hold an index.

    Returns:
        The store, and every file it keeps (none for Redis), which no output may overwrite.

    Raises:
        StoreError: the store holds no index (or cannot be reached).
        ConfigError: the location cannot be parsed, or Redis needs the ``redis`` extra.
    """
    from dedup.stores.settings import stored_config  # noqa: PLC0415 - loaded when a command runs
    from dedup.stores.sqlite import SQLiteStore  # noqa: PLC0415
    from dedup.stores.url import open_store, parse_store  # noqa: PLC0415

    build = "create one with 'dedup index build'"
    location = parse_store(where)
    if location.kind == "sqlite":
        path = location.target
        if not os.path.isfile(path):
            raise StoreError(f"{where}: no index store here ({path}); check the path, or {build}")
        files = [path, *(path + suffix for suffix in ("-wal", "-shm", ".lock"))]
        return SQLiteStore(path, read_only=read_only), files
    store = open_store(location)
    try:
        empty = stored_config(store) is None
    except BaseException:
        store.close()
        raise
    if empty:
        store.close()
        raise StoreError(f"{location}: no index is stored under this prefix yet; {build}")
    return store, []


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1; pass a positive integer")
    return value


def _share_or_off(text: str) -> float | None:
    if text.lower() in {"off", "none"}:
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number or 'off'") from None
    if not 0 < value <= 1:  # the config would say None, which is the library's word
        raise argparse.ArgumentTypeError(
            f"{text} is outside (0, 1]; pass a share such as 0.75, or off to match on Jaccard alone"
        )
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is outside (0, 1]; pass a share such as 0.8")
    return value


def _char_ngram(text: str) -> int | None:
    if text.lower() in {"off", "none"}:
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer or 'off'") from None
    if not 2 <= value <= 16:
        raise argparse.ArgumentTypeError(f"{value} is outside [2, 16]; pass 3, say, or 'off'")
    return value


def warn(message: str) -> None:
    """Print ``dedup: message`` on stderr."""
    print(f"dedup: {message}", file=sys.stderr)


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--engine``, ``--spark-master`` and ``-v`` (Spark's own logging)."""
    engine = parser.add_argument_group("engine")
    engine.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help="local: this process (default); spark: a Spark job (pip install 'dedup[spark]'), "
        "whose -o and --clusters are directories of part files; same records either way",
    )
    engine.add_argument(
        "--spark-master",
        default="local[2]",
        metavar="URL",
        help="the Spark master for --engine spark (default local[2]; spark://host:7077, yarn)",
    )
    engine.add_argument(
        "--spark-partitions",
        type=positive_int,
        default=None,
        metavar="N",
        help="partitions of each Spark shuffle (default 8; a few per core of the cluster)",
    )
    engine.add_argument(
        "-v", "--verbose", action="store_true", help="with --engine spark: Spark's own logging"
    )
