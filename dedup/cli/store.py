"""``dedup store``: scan an index store for inconsistencies (``check``, on Redis and SQLite
alike), and take a SQLite store's snapshot anew (``snapshot``)."""

from __future__ import annotations

import argparse
from typing import Any

from dedup.cli.options import EXIT_OK, add_store_options, existing_store, store_from

__all__ = ["EXIT_PROBLEMS", "add_command", "run_check", "run_snapshot"]

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
    snapshot = store_commands.add_parser(
        "snapshot",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="take a SQLite store's snapshot of its columns anew, for fast loads",
        description="Take anew the snapshot of the columns an index loads, which `dedup index\n"
        "build` and `dedup index add` take and any other write (a service's) drops: the next\n"
        "`dedup match`, `dedup serve` or `dedup index add` loads the store in less than half\n"
        "the time. It takes the store's write lock, as `dedup index add` does. SQLite only.",
        epilog="Example: dedup store snapshot --data ./dedup-data",
    )
    add_store_options(snapshot)
    snapshot.set_defaults(handler=run_snapshot)


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


def run_snapshot(args: argparse.Namespace) -> int:
    """Take the store's snapshot anew; say how large the store is.

    Raises:
        ConfigError: the store is not a SQLite store.
    """
    from dedup.errors import ConfigError  # noqa: PLC0415 - loaded when the command runs
    from dedup.stores.columns import Snapshotted  # noqa: PLC0415

    where = store_from(args)
    store, _ = existing_store(where, read_only=False)
    try:
        if not isinstance(store, Snapshotted):
            raise ConfigError(
                f"{where}: only a SQLite store (--data DIR) keeps a snapshot; a Redis store "
                "loads from its records"
            )
        columns = store.save_snapshot()
    finally:
        store.close()
    print(
        f"{where}: snapshot taken: {len(columns.ids)} documents, "
        f"{columns.para_entry.size} paragraphs, {len(columns.keys)} fingerprints"
    )
    return EXIT_OK
