"""A report of a batch run: its Clustering, and a second pass over the pages for their text."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from dedup.batch.result import Clustering
from dedup.config import DedupConfig
from dedup.errors import InputError
from dedup.io.sources import PageReader
from dedup.report.gather import Gatherer
from dedup.report.model import Report, RunInfo
from dedup.text.paragraphs import SplitMode, split_paragraphs

__all__ = ["ReportPage", "report_of_clustering", "report_pages"]

# A page of the second pass: its id, its text and, for HTML input, each paragraph's element path.
ReportPage = tuple[str, str, Sequence[str] | None]


def report_of_clustering(
    clustering: Clustering,
    pages: Iterable[ReportPage],
    config: DedupConfig,
    run: RunInfo,
    split: SplitMode = "blank",
) -> Report:
    """Gather the report of ``clustering`` from the pages it was made from, read again.

    The clustering keeps no text, so the pages are read a second time, in the same order; the
    text of each paragraph gives the bytes, the variants and their similarity.

    Raises:
        InputError: The pages are not those that were clustered (the input changed).

    Example:
        >>> from dedup import cluster
        >>> pages = [("a/1", "Hi there\\n\\nBye", None), ("b/2", "Hi there", None)]
        >>> result = cluster([(doc, text) for doc, text, _ in pages], jobs=1)
        >>> report = report_of_clustering(result, pages, DedupConfig(), RunInfo("x", {}, None))
        >>> report.totals.repeated_paragraphs, [view.docs for view in report.clusters]
        (2, [2])
    """
    gatherer = Gatherer(clustering.cluster_docs, clustering.cluster_ids, config)
    counts = np.bincount(clustering.doc_of, minlength=len(clustering.doc_ids)).tolist()
    cluster_of = clustering.cluster_of.tolist()
    row = seen = 0
    for doc_id, text, paths in pages:
        paragraphs = split_paragraphs(text, split)
        if seen >= len(counts) or clustering.doc_ids[seen] != doc_id:
            raise _changed(doc_id)
        if len(paragraphs) != counts[seen]:
            raise _changed(doc_id)
        gatherer.add(doc_id, paragraphs, cluster_of[row : row + len(paragraphs)], paths)
        row += len(paragraphs)
        seen += 1
    if seen != len(counts):
        raise _changed(clustering.doc_ids[seen])
    return gatherer.report(run)


def report_pages(reader: PageReader, split: SplitMode = "blank") -> Iterator[ReportPage]:
    """Read the pages of ``reader`` again (stdin rewound), with their element paths if any.

    An HTML page carries the CSS path of each paragraph (``Page.paths``), from which each
    cluster shows its most common element path.
    """
    if reader.stdin is not None:
        reader.stdin.seek(0)
    for page in reader:
        yield page.id, page.text, page.paragraph_paths(split)


def _changed(doc_id: str) -> InputError:
    return InputError(
        f"page {doc_id!r} differs from the first read; the input changed while the report was "
        "made: run it again on inputs that do not change"
    )
