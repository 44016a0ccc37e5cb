"""Atomic output files (temporary file plus rename) and a JSON Lines writer."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from typing import IO

import orjson

from dedup.batch.result import Cluster, Clustering
from dedup.errors import DedupError

__all__ = [
    "JsonLinesWriter",
    "assignment_lines",
    "assignment_record",
    "atomic_output",
    "cluster_record",
    "cluster_records",
    "dumps",
    "match_record",
]

STDOUT = "-"
# Lines per chunk of assignment_lines: a few MB of output at a time.
_CHUNK = 1 << 16


@contextlib.contextmanager
def atomic_output(path: str) -> Iterator[IO[bytes]]:
    """Open ``path`` for binary writing so that it appears whole or not at all.

    The data goes to a temporary file in the destination's directory, which replaces ``path``
    only when the block ends without an exception; otherwise it is removed and ``path`` is left
    untouched. ``"-"`` writes to stdout instead (streamed, so not atomic).

    Raises:
        DedupError: The temporary file cannot be created in the destination's directory.

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.jsonl"
        >>> with atomic_output(str(target)) as stream:
        ...     _ = stream.write(b"{}\\n")
        >>> target.read_bytes()
        b'{}\\n'
    """
    if path == STDOUT:
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    directory, name = os.path.split(os.path.abspath(path))
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise DedupError(
            f"{path}: cannot write ({exc.strerror}); check that the directory exists and is "
            "writable"
        ) from exc
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, _mode_for(path))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _mode_for(path: str) -> int:
    # mkstemp creates files 0600; give the result the mode a plain open() would have given it.
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def dumps(value: object) -> bytes:
    """Serialise ``value`` as one line of UTF-8 JSON, newline included.

    orjson refuses integers beyond 64 bits and strings holding lone surrogates (which only an
    escaped JSON input can produce); those fall back to the standard library with ASCII escapes,
    so every value read from valid JSON is written back faithfully as valid UTF-8.

    Example:
        >>> dumps({"id": "a", "n": 2**70, "s": "\\ud800"})
        b'{"id":"a","n":1180591620717411303424,"s":"\\\\ud800"}\\n'
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (json.dumps(value, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


class JsonLinesWriter:
    """Write one JSON value per line to a binary stream.

    Args:
        stream: The binary stream to write to; the writer does not close it.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.count = 0
        """How many lines were written."""

    def write(self, value: object) -> None:
        """Write ``value`` as one JSON line."""
        self._stream.write(dumps(value))
        self.count += 1


def assignment_lines(
    clustering: Clustering, paths: Sequence[Sequence[str] | None] | None = None
) -> Iterator[bytes]:
    """Yield the JSON lines ``{"doc", "para", "cluster", "size"}`` of every paragraph, in chunks.

    Equivalent to :func:`dumps` on one dict per paragraph, but each page's and each cluster's
    JSON is encoded once, which makes the common output of ``dedup cluster`` four times faster.
    ``paths`` holds, per page, the CSS path of each paragraph of an HTML page (None for a text
    page); a paragraph with a path gets a last field ``"path"``. Without paths the lines are
    the same bytes as before paths existed.

    Example:
        >>> from dedup import cluster
        >>> result = cluster([("a", "Hi there\\n\\nBye"), ("b", "Hi there")], jobs=1)
        >>> print(b"".join(assignment_lines(result)).decode(), end="")  # doctest: +ELLIPSIS
        {"doc":"a","para":0,"cluster":"...","size":2}
        {"doc":"a","para":1,"cluster":null,"size":1}
        {"doc":"b","para":0,"cluster":"...","size":2}
    """
    prefixes = [b'{"doc":%b,"para":' % orjson.dumps(doc) for doc in clustering.doc_ids]
    suffixes = [
        b',"cluster":%b,"size":%d}\n' % (orjson.dumps(cluster_id), size)
        for cluster_id, size in zip(clustering.cluster_ids, clustering.cluster_sizes, strict=True)
    ]
    suffixes.append(b',"cluster":null,"size":1}\n')  # cluster_of is -1: repeats nowhere
    rows = zip(
        clustering.doc_of.tolist(),
        clustering.para_of.tolist(),
        clustering.cluster_of.tolist(),
        strict=True,
    )
    if paths is not None and any(page is not None for page in paths):
        yield from _lines_with_paths(prefixes, suffixes, rows, paths)
        return
    while chunk := [
        b"%b%d%b" % (prefixes[doc], para, suffixes[group])
        for doc, para, group in itertools.islice(rows, _CHUNK)
    ]:
        yield b"".join(chunk)


def _lines_with_paths(
    prefixes: list[bytes],
    suffixes: list[bytes],
    rows: Iterator[tuple[int, int, int]],
    paths: Sequence[Sequence[str] | None],
) -> Iterator[bytes]:
    while chunk := [
        (
            b"%b%d%b" % (prefixes[doc], para, suffixes[group])
            if (page := paths[doc]) is None
            else b'%b%d%b,"path":%b}\n'
            % (prefixes[doc], para, suffixes[group][:-2], orjson.dumps(page[para]))
        )
        for doc, para, group in itertools.islice(rows, _CHUNK)
    ]:
        yield b"".join(chunk)


def cluster_records(clustering: Clustering, min_docs: int = 1) -> Iterator[dict[str, object]]:
    """Yield the record of each cluster spanning at least ``min_docs`` pages, most pages first.

    Every engine and writer of cluster records goes through here, so they name the fields alike,
    and as the service does: ``{"id", "size", "docs", "text", "members": [{"doc", "para"}]}``.
    A record's own id is ``id``; a field that points at a cluster or a page is named after it
    (``cluster``, ``doc``), as in :func:`assignment_lines`.

    Example:
        >>> from dedup import cluster
        >>> result = cluster([("a", "Hi there\\n\\nBye"), ("b", "Hi there")], jobs=1)
        >>> [record["members"] for record in cluster_records(result)]
        [[{'doc': 'a', 'para': 0}, {'doc': 'b', 'para': 0}]]
    """
    for group in clustering.clusters:
        if group.docs >= min_docs:
            yield cluster_record(group)


def cluster_record(group: Cluster) -> dict[str, object]:
    """Return the record of one cluster, as :func:`cluster_records` writes it."""
    return {
        "id": group.id,
        "size": group.size,
        "docs": group.docs,
        "text": group.text,
        "members": [{"doc": doc, "para": para} for doc, para in group.members],
    }


def assignment_record(doc: str, para: int, cluster: str | None, size: int) -> dict[str, object]:
    """Return one paragraph's record; :func:`dumps` of it is the line :func:`assignment_lines`
    writes for that paragraph.

    Example:
        >>> dumps(assignment_record("a", 0, None, 1))
        b'{"doc":"a","para":0,"cluster":null,"size":1}\\n'
    """
    return {"doc": doc, "para": para, "cluster": cluster, "size": size}


def match_record(
    cluster: str, similarity: float, containment: float, docs: int, text: str
) -> dict[str, object]:
    """Return the record of a paragraph's match, as ``POST /v1/match`` and ``dedup match``
    write it: ``{"cluster", "similarity", "containment", "docs", "text"}``."""
    return {
        "cluster": cluster,
        "similarity": similarity,
        "containment": containment,
        "docs": docs,
        "text": text,
    }
