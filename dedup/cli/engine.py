"""Running ``cluster`` and ``clean`` on the Spark engine: flags in, one engine call, a report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dedup.cli.options import EXIT_OK, STDIO, config_from, report_skipped, warn
from dedup.config import DedupConfig
from dedup.errors import DedupError

__all__ = ["run_spark"]


def run_spark(args: argparse.Namespace, *, clean: bool) -> int:
    """Run ``dedup cluster`` (or ``dedup clean``) with ``--engine spark``.

    Raises:
        DedupError: pyspark or Java is missing (with how to install them), an output is stdout,
            or a flag the Spark engine does not take was given.
    """
    from dedup.engines.spark.session import (  # noqa: PLC0415 - loaded when the command runs
        SparkSettings,
        require_pyspark,
        spark_session,
    )

    require_pyspark()
    outputs = [args.output, getattr(args, "clusters", None)]
    if STDIO in outputs or STDIO in args.inputs:
        raise DedupError(
            "--engine spark reads files and writes directories of part files; name them "
            "instead of - (stdin or stdout)"
        )
    if getattr(args, "format", None) not in (None, "jsonl", "text"):
        raise DedupError(
            f"--engine spark reads JSONL and .txt pages; --format {args.format} needs the "
            "local engine for now"
        )
    if clean and args.stats is not None:
        raise DedupError("--stats is not available with --engine spark; leave it out")
    from dedup.engines.spark import engine  # noqa: PLC0415

    config = config_from(args) or DedupConfig()
    showing = not args.quiet and (args.verbose or sys.stderr.isatty())
    settings = SparkSettings(
        master=args.spark_master,
        shuffle_partitions=args.spark_partitions,
        verbose=args.verbose,
        progress=showing,
    )

    def stage(label: str) -> None:
        if showing:
            warn(f"stage {label}")

    with spark_session(settings) as spark:
        if clean:
            report = engine.clean(
                spark,
                args.inputs,
                config,
                output=args.output,
                keep=args.keep,
                min_docs=args.min_docs,
                skip_bad=args.skip_bad,
                split=getattr(args, "split", "blank"),
                stage=stage,
                measure=args.verbose,
            )
        else:
            report = engine.cluster(
                spark,
                args.inputs,
                config,
                output=args.output,
                clusters=args.clusters,
                min_docs=args.min_docs,
                skip_bad=args.skip_bad,
                split=getattr(args, "split", "blank"),
                stage=stage,
                measure=args.verbose,
            )
    _report_skipped(report.skipped, report.first_skipped)
    if args.verbose:
        warn(report.summary(measured=True))  # -v measures every stage
    return EXIT_OK


def _report_skipped(count: int, first: Sequence[DedupError]) -> None:
    """Say how many bad lines were skipped, in the words the local engine uses."""
    from dedup.errors import InputError  # noqa: PLC0415
    from dedup.io.sources import PageReader  # noqa: PLC0415

    reader = PageReader([], skip_bad=True)
    reader.skipped = count
    reader.first_skipped = [error for error in first if isinstance(error, InputError)]
    report_skipped(reader)
