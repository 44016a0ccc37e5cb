"""The Spark engine as a spark-submit job.

``spark-submit --master yarn "$(python -m dedup.spark --job-path)" --input crawl/ --output out/``
runs ``dedup cluster --engine spark`` (or ``dedup clean`` with ``--clean``) on the master
spark-submit chose; dedup must be installed where the executors run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dedup.config import DedupConfig
from dedup.engines.spark import engine
from dedup.engines.spark.session import SparkSettings, spark_session
from dedup.errors import DedupError

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the job; exit 0 on success, 2 on a dedup error (message on stderr)."""
    parser = argparse.ArgumentParser(prog="dedup-spark-job", description=__doc__)
    parser.add_argument("--input", nargs="+", required=True, help="files or directories")
    parser.add_argument("--output", required=True, help="directory of part files")
    parser.add_argument("--clusters", help="directory of part files for the cluster records")
    parser.add_argument("--clean", action="store_true", help="write cleaned pages to --output")
    parser.add_argument("--keep", choices=("first", "none"), default="first")
    parser.add_argument("--min-docs", type=int, default=1)
    parser.add_argument("--skip-bad", action="store_true")
    parser.add_argument("--threshold", type=float, default=DedupConfig().threshold)
    parser.add_argument("--partitions", type=int, default=200, help="shuffle partitions")
    parser.add_argument("--checkpoint-dir", help="a shared directory for the components' rounds")
    parser.add_argument(
        "--measure",
        action="store_true",
        help="end every stage in a count, so the report gives the counts of paragraphs, keys, "
        "pairs and clusters and each stage's own time (a few Spark jobs more)",
    )
    args = parser.parse_args(argv)
    config = DedupConfig(threshold=args.threshold)
    settings = SparkSettings(
        master=None,
        shuffle_partitions=args.partitions,
        verbose=True,
        checkpoint_dir=args.checkpoint_dir,
    )
    try:
        with spark_session(settings) as spark:
            if args.clean:
                report = engine.clean(
                    spark,
                    args.input,
                    config,
                    output=args.output,
                    keep=args.keep,
                    min_docs=args.min_docs,
                    skip_bad=args.skip_bad,
                    measure=args.measure,
                )
            else:
                report = engine.cluster(
                    spark,
                    args.input,
                    config,
                    output=args.output,
                    clusters=args.clusters,
                    min_docs=args.min_docs,
                    skip_bad=args.skip_bad,
                    measure=args.measure,
                )
    except DedupError as exc:
        print(f"dedup: {exc}", file=sys.stderr)
        return 2
    if report.skipped:
        print(f"dedup: skipped {report.skipped:,} bad lines", file=sys.stderr)
    print(f"dedup: {report.summary(measured=args.measure)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
