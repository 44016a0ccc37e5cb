"""The report's plots, drawn with matplotlib and kept as inline SVG text."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure

__all__ = ["SHARE_BINS", "share_histogram", "size_bins", "size_plot"]

SHARE_BINS = 10  # bars of the per-page histogram: 0-10 %, ..., 90-100 %
_STYLE: dict[Any, Any] = {
    "svg.fonttype": "none",  # text stays text: smaller, selectable, and the page's own font
    "svg.hashsalt": "dedup-report",  # the same ids on every run, so reports diff cleanly
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_BAR = "#3b6ea5"


def size_bins(docs: Sequence[int]) -> list[tuple[str, int]]:
    """Count clusters by the pages they span, in bins that double: 2, 3-4, 5-8, 9-16, ...

    Returns:
        ``(label, clusters)`` for every bin up to the largest cluster, empty ones included.

    Example:
        >>> size_bins([2, 2, 3, 7, 40])
        [('2', 2), ('3–4', 1), ('5–8', 1), ('9–16', 0), ('17–32', 0), ('33–64', 1)]
    """
    if not docs:
        return []
    largest = max(docs)
    bins: list[tuple[str, int]] = []
    low, high = 2, 2
    while low <= largest:
        count = sum(1 for pages in docs if low <= pages <= high)
        bins.append((str(low) if low == high else f"{low}–{high}", count))
        low, high = high + 1, 2 * high
    return bins


def size_plot(docs: Sequence[int]) -> str:
    """Draw clusters by pages spanned as bars on a log scale; each bar is ``<g id="size-bar-N">``.

    Args:
        docs: The pages each cluster spans (clusters of two pages or more).

    Returns:
        The SVG document, without its XML prologue, ready to inline.
    """
    bins = size_bins(docs)
    with mpl.rc_context(_STYLE):
        figure = Figure(figsize=(6.4, 2.4), layout="constrained")
        axes = figure.add_subplot()
        drawn = [(x, count) for x, (_, count) in enumerate(bins) if count]
        bars = axes.bar([x for x, _ in drawn], [count for _, count in drawn], color=_BAR)
        for number, bar in enumerate(bars):
            bar.set_gid(f"size-bar-{number}")
        axes.set_yscale("log")
        axes.set_ylim(bottom=0.5)  # a bin of one cluster still shows a bar
        axes.bar_label(bars, fontsize=7, padding=1)
        # Slanted, so that wide bins ("1025–2048") do not run into each other.
        axes.set_xticks(
            range(len(bins)), [label for label, _ in bins], rotation=30, ha="right", fontsize=8
        )
        axes.set_xlabel("pages the cluster spans")
        axes.set_ylabel("clusters (log scale)")
        if not bins:
            axes.text(0.5, 0.5, "no cluster spans two pages", ha="center", transform=axes.transAxes)
        return _svg(figure)


def share_histogram(shares: Sequence[float]) -> str:
    """Draw pages by their share of repeated text, in ``SHARE_BINS`` bars ``share-bar-N``."""
    counts = [0] * SHARE_BINS
    for share in shares:
        counts[min(int(share * SHARE_BINS), SHARE_BINS - 1)] += 1
    width = 100 / SHARE_BINS
    with mpl.rc_context(_STYLE):
        figure = Figure(figsize=(6.4, 2.4), layout="constrained")
        axes = figure.add_subplot()
        lefts = [number * width for number in range(SHARE_BINS)]
        bars = axes.bar(lefts, counts, width=width * 0.92, align="edge", color=_BAR)
        for number, bar in enumerate(bars):
            bar.set_gid(f"share-bar-{number}")
        axes.set_xlim(0, 100)
        axes.bar_label(bars, fontsize=7, padding=1)
        axes.set_xlabel("share of the page's text in a cluster (%, by bytes)")
        axes.set_ylabel("pages")
        return _svg(figure)


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML declaration and DOCTYPE to inline it
