"""The dedup command line: a thin argparse layer over the library, one module per command."""

from __future__ import annotations

from dedup.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
