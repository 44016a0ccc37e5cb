"""Run the dedup command line as ``python -m dedup``."""

from __future__ import annotations

import sys

from dedup.cli import main

if __name__ == "__main__":
    sys.exit(main())
