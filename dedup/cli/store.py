"""``dedup store check``: scan an index store for inconsistencies, on Redis and SQLite alike."""

from __future__ import annotations

import argparse
from typing import Any

from dedup.cli.options import EXIT_OK, add_store_options, store_from

__all__ = ["EXIT_PROBLEMS", "add_command", "run_check"]

# The store holds inconsistencies (as diff and fsck say "found differences").
EXIT_PROBLEMS = 1


def add_command(commands: Any) -> None:
    """Add ``store`` and its subcommands to the subparsers ``commands``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "store",
        help="inspect an index store",
        description="Inspect the index store that `dedup serve` and `dedup index` use.",
    )
    store_commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    check = store_commands.add_parser(
        "check",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="scan for orphan entries, missing fingerprints and split clusters",
        description="Scan a store: every paragraph's fingerprint is stored, every stored\n"
        "fingerprint belongs to a paragraph, each document is stored once, and the copies of\n"
        "one paragraph sit in one cluster. Exit 0 when consistent, 1 when not.",
        epilog="Example: dedup store check --store redis://127.0.0.1:6379/0",
    )
    add_store_options(check)
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    """Scan the store; print its sizes, or its problems one per line."""
    from dedup.stores.check import check_store  # noqa: PLC0415 - loaded when the command runs
    from dedup.stores.url import open_store, parse_store  # noqa: PLC0415

    location = parse_store(store_from(args))
    report = check_store(lambda: open_store(location))
    sizes = (
        f"{report.documents} documents, {report.paragraphs} paragraphs, "
        f"{report.entries} fingerprints, {report.clusters} clusters"
    )
    if report.ok:
        print(f"{location}: consistent: {sizes}")
        return EXIT_OK
    for problem in report.problems:
        print(f"{location}: {problem}")
    print(f"{location}: {len(report.problems)} problems in {sizes}")
    return EXIT_PROBLEMS
