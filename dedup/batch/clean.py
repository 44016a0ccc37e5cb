"""Remove repeated paragraphs from pages, given the clustering of a first pass over them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from dedup.batch.result import Clustering
from dedup.errors import ConfigError, InputError
from dedup.text.paragraphs import SplitMode, check_split, split_paragraphs

__all__ = ["CleanStats", "CleanedPage", "KeepMode", "PageCleaner", "clean_page", "plan_removals"]

KeepMode = Literal["first", "none"]
_KEEP_MODES = ("first", "none")
_JOINER = "\n\n"


def plan_removals(
    clustering: Clustering, *, keep: KeepMode = "first", min_docs: int = 1
) -> npt.NDArray[np.bool_]:
    """Decide, for every paragraph in input order, whether cleaning removes it.

    Args:
        clustering: The clustering of the pages, as :func:`dedup.cluster` returns it.
        keep: ``"first"`` keeps the first occurrence of each cluster in input order and removes
            the others; ``"none"`` removes every member.
        min_docs: Only clusters spanning at least this many distinct pages are touched.

    Returns:
        (n_paragraphs,) bool, aligned with ``clustering.paragraphs``: True where the paragraph
        goes.

    Raises:
        ConfigError: ``keep`` or ``min_docs`` is out of range.

    Example:
        >>> from dedup import cluster
        >>> pages = [("a", "Hello there\\n\\nSign up now"), ("b", "Bye\\n\\nSign up now")]
        >>> plan_removals(cluster(pages, jobs=1)).tolist()
        [False, False, False, True]
    """
    if keep not in _KEEP_MODES:
        raise ConfigError(f"keep={keep!r} is not one of {_KEEP_MODES}; use 'first' or 'none'")
    if isinstance(min_docs, bool) or not isinstance(min_docs, int) or min_docs < 1:
        raise ConfigError(f"min_docs={min_docs!r} must be an integer >= 1; 1 removes every cluster")
    cluster_of = clustering.cluster_of
    spans = np.array([docs >= min_docs for docs in clustering.cluster_docs] + [False])
    # cluster_of is -1 for a paragraph that repeats nowhere: index the trailing False.
    remove: npt.NDArray[np.bool_] = spans[np.where(cluster_of < 0, -1, cluster_of)]
    if keep == "first" and cluster_of.size:
        clusters, first = np.unique(cluster_of, return_index=True)
        remove[first[clusters >= 0]] = False
    return remove


@dataclass(frozen=True, slots=True)
class CleanedPage:
    """A page with its repeated paragraphs removed.

    Attributes:
        text: The kept paragraphs joined by one blank line.
        paragraphs: How many paragraphs the page had.
        removed: How many of them were removed.
        bytes_removed: The UTF-8 size of the removed paragraphs.
    """

    text: str
    paragraphs: int
    removed: int
    bytes_removed: int


def clean_page(paragraphs: Sequence[str], remove: Sequence[bool]) -> CleanedPage:
    """Drop the paragraphs flagged in ``remove`` and join the rest with one blank line.

    Example:
        >>> clean_page(["Title", "Sign up!", "Story"], [False, True, False])
        CleanedPage(text='Title\\n\\nStory', paragraphs=3, removed=1, bytes_removed=8)
    """
    if len(paragraphs) != len(remove):
        raise ValueError(f"{len(paragraphs)} paragraphs but {len(remove)} removal flags")
    kept = [text for text, drop in zip(paragraphs, remove, strict=True) if not drop]
    dropped = [text for text, drop in zip(paragraphs, remove, strict=True) if drop]
    return CleanedPage(
        text=_JOINER.join(kept),
        paragraphs=len(paragraphs),
        removed=len(dropped),
        bytes_removed=sum(len(text.encode("utf-8")) for text in dropped),
    )


class PageCleaner:
    """Apply a removal plan to the pages of a second pass, which must repeat the first.

    Args:
        clustering: The clustering of the first pass.
        plan: The flags from :func:`plan_removals` for that clustering.
        split: How the first pass split pages into paragraphs.
    """

    def __init__(
        self, clustering: Clustering, plan: npt.NDArray[np.bool_], split: SplitMode = "blank"
    ) -> None:
        self._split = check_split(split)
        if plan.shape != clustering.doc_of.shape:
            raise ValueError(f"{plan.size} flags for {clustering.doc_of.size} paragraphs")
        self._doc_ids = clustering.doc_ids
        # Paragraphs come page by page, so page i owns plan[bounds[i]:bounds[i + 1]].
        pages = np.arange(len(clustering.doc_ids) + 1)
        self._bounds: list[int] = np.searchsorted(clustering.doc_of, pages).tolist()
        self._plan: list[bool] = plan.tolist()
        self._page = 0

    def clean(
        self, doc_id: str, text: str, *, source: str | None = None, line: int | None = None
    ) -> CleanedPage:
        """Clean the next page; ``source`` and ``line`` only locate it in error messages.

        Raises:
            InputError: The page differs from the one at the same place in the first pass.
        """
        return clean_page(self.paragraphs(doc_id, text, source=source, line=line), self.flags())

    def paragraphs(
        self, doc_id: str, text: str, *, source: str | None = None, line: int | None = None
    ) -> list[str]:
        """Split the next page and check it against the first pass; return its paragraphs,
        whose removal flags :meth:`flags` then gives.

        Raises:
            InputError: The page differs from the one at the same place in the first pass.
        """
        paragraphs = split_paragraphs(text, self._split)
        page = self._page
        if page >= len(self._doc_ids) or self._doc_ids[page] != doc_id:
            raise _changed(source, line)
        start, end = self._bounds[page], self._bounds[page + 1]
        if end - start != len(paragraphs):
            raise _changed(source, line)
        self._page += 1
        return paragraphs

    def flags(self) -> list[bool]:
        """The removal flags of the page :meth:`paragraphs` took last."""
        page = self._page - 1
        return self._plan[self._bounds[page] : self._bounds[page + 1]]

    def finish(self) -> None:
        """Check that the second pass covered every page of the first.

        Raises:
            InputError: The second pass ended early.
        """
        if self._page != len(self._doc_ids):
            raise _changed(None, None)


def _changed(source: str | None, line: int | None) -> InputError:
    return InputError(
        "the input changed between the clustering pass and the rewriting pass; "
        "do not modify the input while dedup clean runs",
        source=source,
        line=line,
    )


@dataclass(slots=True)
class CleanStats:
    """Totals and per-page counts of what cleaning removed.

    The byte counts add up: ``bytes_in - bytes_removed - bytes_whitespace == bytes_out``, where
    ``bytes_whitespace`` is the layout the rewrite drops (paragraphs are stripped of surrounding
    whitespace and joined by exactly one blank line). A page is ``emptied`` when cleaning
    removed every paragraph it had.
    """

    pages: int = 0
    paragraphs: int = 0
    paragraphs_removed: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    bytes_removed: int = 0
    per_page: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    emptied: list[str] = field(default_factory=list)

    @property
    def bytes_whitespace(self) -> int:
        """The bytes of blank lines and surrounding whitespace the rewrite dropped."""
        return self.bytes_in - self.bytes_removed - self.bytes_out

    def add(self, doc_id: str, original: str, cleaned: CleanedPage) -> None:
        """Count one cleaned page; ``original`` is its text before cleaning."""
        size_in, size_out = len(original.encode("utf-8")), len(cleaned.text.encode("utf-8"))
        self.pages += 1
        self.paragraphs += cleaned.paragraphs
        self.paragraphs_removed += cleaned.removed
        self.bytes_in += size_in
        self.bytes_out += size_out
        self.bytes_removed += cleaned.bytes_removed
        layout = size_in - cleaned.bytes_removed - size_out
        self.per_page.append(
            (doc_id, cleaned.paragraphs, cleaned.removed, cleaned.bytes_removed, layout)
        )
        if cleaned.removed and cleaned.removed == cleaned.paragraphs:
            self.emptied.append(doc_id)

    def to_dict(self) -> dict[str, object]:
        """Return the summary as JSON-ready data; byte counts are UTF-8 sizes of page texts."""
        return {
            "pages": self.pages,
            "pages_emptied": len(self.emptied),
            "paragraphs": self.paragraphs,
            "paragraphs_removed": self.paragraphs_removed,
            "bytes_in": self.bytes_in,
            "bytes_removed": self.bytes_removed,
            "bytes_whitespace": self.bytes_whitespace,
            "bytes_out": self.bytes_out,
            "emptied": self.emptied,
            "per_page": [
                {
                    "id": doc,
                    "paragraphs": total,
                    "paragraphs_removed": gone,
                    "bytes_removed": size,
                    "bytes_whitespace": layout,
                    "emptied": bool(gone) and gone == total,
                }
                for doc, total, gone, size, layout in self.per_page
            ],
        }
