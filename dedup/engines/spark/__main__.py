"""``python -m dedup.engines.spark --job-path``: print the path of the spark-submit job."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the job's path (``--job-path``); the job itself runs under spark-submit."""
    parser = argparse.ArgumentParser(prog="python -m dedup.spark", description=__doc__)
    parser.add_argument(
        "--job-path", action="store_true", help="print the path of the job for spark-submit"
    )
    args = parser.parse_args(argv)
    if not args.job_path:
        parser.print_help(sys.stderr)
        return 2
    print(os.path.join(os.path.dirname(os.path.abspath(__file__)), "job.py"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
