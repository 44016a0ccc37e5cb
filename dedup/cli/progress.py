"""The progress bar the dedup commands draw on stderr when it is a terminal."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import IO

__all__ = ["Progress", "ProgressBar", "progress"]

Progress = Callable[[int, int], None]


@contextlib.contextmanager
def progress(args: argparse.Namespace, desc: str) -> Iterator[Progress | None]:
    """Yield a progress callback drawing a bar on stderr, or None when stderr is no terminal."""
    if args.quiet or not sys.stderr.isatty():
        yield None
        return
    bar = ProgressBar(desc, sys.stderr)
    try:
        yield bar
    finally:
        bar.close()


class ProgressBar:
    """A tqdm bar counting pages, with the paragraph count and rate beside it.

    Args:
        desc: The label in front of the bar.
        stream: Where the bar is drawn.
    """

    def __init__(self, desc: str, stream: IO[str]) -> None:
        from tqdm import tqdm  # noqa: PLC0415 - only a terminal run draws a bar

        self._bar = tqdm(desc=desc, unit=" pages", file=stream, dynamic_ncols=True)
        self._paragraphs = 0

    def __call__(self, pages: int, paragraphs: int) -> None:
        """Count ``pages`` more pages holding ``paragraphs`` more paragraphs."""
        self._paragraphs += paragraphs
        elapsed = float(self._bar.format_dict["elapsed"])
        rate = self._paragraphs / elapsed if elapsed > 0 else 0.0
        self._bar.set_postfix_str(
            f"{self._paragraphs:,} paragraphs, {rate:,.0f} paragraphs/s", refresh=False
        )
        self._bar.update(pages)

    def close(self) -> None:
        """Draw the final state and release the line."""
        self._bar.close()
