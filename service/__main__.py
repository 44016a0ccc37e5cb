"""`python -m service --data DIR` runs the HTTP service."""

from __future__ import annotations

import sys

from service.cli import main

if __name__ == "__main__":
    sys.exit(main())
