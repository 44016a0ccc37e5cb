"""The terminal summary of a run: totals and the clusters spanning the most pages, with rich."""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dedup.batch.result import Clustering

__all__ = ["TOP", "WIDTH", "print_summary"]

TOP = 10  # clusters listed
WIDTH = 80  # characters of each cluster's text


def print_summary(
    clustering: Clustering,
    stream: IO[str],
    *,
    seconds: float,
    report_path: str | None = None,
) -> None:
    """Print the totals of ``clustering`` and its ``TOP`` clusters spanning the most pages.

    Args:
        clustering: The run's result.
        stream: Where to print (stderr: stdout may carry the JSONL).
        seconds: How long the run took.
        report_path: Where its HTML report was written, if it was.
    """
    sizes = clustering.cluster_sizes
    across = sum(1 for docs in clustering.cluster_docs if docs >= 2)
    # A terminal gives its own width; a file or pipe gets room for the 80 characters of text.
    width = None if stream.isatty() else WIDTH + 30
    console = Console(file=stream, width=width, highlight=False, soft_wrap=False)
    console.print(
        f"[bold]{len(clustering.doc_ids):,}[/] pages, [bold]{len(clustering):,}[/] paragraphs, "
        f"[bold]{across:,}[/] clusters across pages ({len(sizes):,} of 2+ paragraphs), "
        f"[bold]{sum(sizes):,}[/] repeated paragraphs, in {seconds:.2f} s"
    )
    table = Table(title=f"The {min(TOP, len(sizes))} clusters spanning the most pages")
    table.add_column("pages", justify="right")
    table.add_column("paragraphs", justify="right")
    table.add_column(f"text (first {WIDTH} characters)", no_wrap=True, overflow="ellipsis")
    for group in clustering.clusters[:TOP]:  # built once; the JSONL writer reuses them
        # Text, not a str: a page's "[b]" is shown as written, never read as rich markup.
        table.add_row(
            f"{group.docs:,}", f"{group.size:,}", Text(" ".join(group.text[:WIDTH].split()))
        )
    if sizes:
        console.print(table)
    if report_path is not None:
        console.print(f"report: {report_path}", markup=False)
