"""``python -m dedup.spark --job-path``: a short name for ``python -m dedup.engines.spark``."""

from __future__ import annotations

import sys

from dedup.engines.spark.__main__ import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
