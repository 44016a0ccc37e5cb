"""The lines of ``dedup match``: one JSON line per paragraph, ``{"doc", "para", "match"}``,
written all at the end or, as the answers come, up to the first paragraph still unanswered."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING

import numpy as np
import orjson

from dedup.io.output import dumps

if TYPE_CHECKING:
    from dedup.batch.reader import Batch
    from dedup.index.matching import CrawlMatches
    from dedup.index.records import ClusterSummary
    from dedup.sketch.match import Match

__all__ = ["MatchLineWriter", "match_lines"]

# Lines per chunk, which carry their cluster's text: some 1.5 MB a chunk, which malloc reuses,
# where 24 MB chunks were each mapped and faulted in afresh (a 73 MB output: 0.32 s, not 0.38).
_CHUNK = 1 << 12
_UNMATCHED = b',"match":null}\n'


def match_lines(found: CrawlMatches) -> Iterator[bytes]:
    """Yield the JSON lines ``{"doc", "para", "match"}`` of every paragraph, in chunks.

    ``match`` is :func:`dedup.io.output.match_record` of the stored cluster the paragraph
    matches, or null. Each page's and each distinct paragraph's JSON is encoded once.

    Example:
        >>> from dedup import Index
        >>> from dedup.index.matching import match_crawl
        >>> index = Index()
        >>> _ = index.add("a", "Hi")
        >>> found = match_crawl([("b", "Hi\\n\\nBye")], index, jobs=1)
        >>> print(b"".join(match_lines(found)).decode(), end="")  # doctest: +ELLIPSIS
        {"doc":"b","para":0,"match":{"cluster":"...",...,"docs":1,"text":"Hi"}}
        {"doc":"b","para":1,"match":null}
    """
    lines = _Lines(found.batch)
    lines.encode(range(len(found.matches)), found.matches, found.clusters)
    return lines.chunks(0, lines.paragraphs)


class MatchLineWriter:
    """Writes the lines of a crawl to ``stream`` as its answers come (an ``on_answers`` of
    :func:`dedup.index.matching.match_stored`), in input order: every paragraph before the
    first one still unanswered. :meth:`finish` writes the rest; the bytes are those of
    :func:`match_lines`."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lines: _Lines | None = None
        self._answered = np.zeros(0, dtype=bool)
        self._written = 0  # paragraphs

    def answered(
        self,
        batch: Batch,
        rows: Sequence[int],
        matches: Sequence[Match | None],
        clusters: Mapping[str, ClusterSummary],
    ) -> None:
        """Take the answers of ``rows`` and write every line they complete."""
        lines = self._start(batch)
        lines.encode(rows, matches, clusters)
        self._answered[np.asarray(rows, dtype=np.int64)] = True
        left = ~self._answered[lines.rows[self._written :]]
        upto = self._written + (int(np.argmax(left)) if left.any() else left.size)
        self._write(lines, upto)

    def finish(self, found: CrawlMatches) -> None:
        """Write the lines not written yet, from the whole answer."""
        lines = self._start(found.batch)
        left = np.flatnonzero(~self._answered)
        lines.encode(left.tolist(), [found.matches[row] for row in left.tolist()], found.clusters)
        self._write(lines, lines.paragraphs)

    def _start(self, batch: Batch) -> _Lines:
        if self._lines is None:
            self._lines = _Lines(batch)
            self._answered = np.zeros(len(batch.distinct.prints), dtype=bool)
        return self._lines

    def _write(self, lines: _Lines, upto: int) -> None:
        for chunk in lines.chunks(self._written, upto):
            self._stream.write(chunk)
        self._written = max(self._written, upto)


class _Lines:
    """The parts of a crawl's lines, each encoded once: the page's ``{"doc":...,"para":``,
    the paragraph's number, and its distinct row's match (with its cluster's docs and text,
    encoded once a cluster)."""

    def __init__(self, batch: Batch) -> None:
        self._batch = batch
        self._prefixes = [b'{"doc":%b,"para":' % orjson.dumps(doc) for doc in batch.doc_ids]
        self._numbers = [b"%d" % n for n in range(int(batch.para_num.max(initial=-1)) + 1)]
        self._suffixes = [_UNMATCHED] * len(batch.distinct.prints)
        self._tails: dict[str, bytes] = {}
        self.rows = batch.distinct.of_raw[batch.para_raw]  # each paragraph's distinct row
        self.paragraphs = int(self.rows.size)

    def encode(
        self,
        rows: Iterable[int],
        matches: Sequence[Match | None],
        clusters: Mapping[str, ClusterSummary],
    ) -> None:
        """Encode the match of each of ``rows``; a match whose cluster has no summary (a
        writer removed it) is written as null."""
        tails = self._tails
        for cid in clusters.keys() - tails.keys():
            summary = clusters[cid]
            tails[cid] = dumps({"docs": summary.docs, "text": summary.text})[1:].rstrip(b"\n")
        suffixes = self._suffixes
        for row, match in zip(rows, matches, strict=True):
            tail = None if match is None else tails.get(match.cluster)
            if match is None or tail is None:
                suffixes[row] = _UNMATCHED
                continue
            head = orjson.dumps(
                {
                    "cluster": match.cluster,
                    "similarity": match.similarity,
                    "containment": match.containment,
                }
            )
            suffixes[row] = b',"match":%b,%b}\n' % (head[:-1], tail)

    def chunks(self, start: int, stop: int) -> Iterator[bytes]:
        """The lines of paragraphs ``start`` to ``stop``, in chunks: three parts joined a
        line, not a formatted string."""
        batch = self._batch
        for low in range(start, stop, _CHUNK):
            part = slice(low, min(low + _CHUNK, stop))
            yield b"".join(
                itertools.chain.from_iterable(
                    zip(
                        map(self._prefixes.__getitem__, batch.para_doc[part].tolist()),
                        map(self._numbers.__getitem__, batch.para_num[part].tolist()),
                        map(self._suffixes.__getitem__, self.rows[part].tolist()),
                        strict=True,
                    )
                )
            )
