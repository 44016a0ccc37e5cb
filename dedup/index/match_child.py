"""The child process of :func:`dedup.index.matching.match_stored`: it loads the store, matches
the rows it is sent as they come, and sends the answers back once the crawl is read.

To the child, in this order: ``(ROWS, rows, prints)`` for each batch of signed rows and
``(KNOWN, rows, keys)`` for each batch of rows left unsigned (the store holds their keys),
interleaved, then ``(END, total, rows, keys)``: every unsigned row again. From the child, once
the end has come: ``(ANSWERS, rows, clusters, similarities, containments, summaries)`` for the
rows matched so far (at once, while the last batches are matched) and then for the rest, and
``(DONE, total)``; or, instead, the error. Answers wait for the end so that the child never
blocks on a pipe that the reading does not empty.

An unsigned row whose key a writer removed meanwhile is matched by its text, which the child
asks for then: ``(WANTED, rows)``, answered by ``(TEXTS, texts)``. The crawl's other texts
never cross the pipe.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
from itertools import chain
from multiprocessing.connection import Connection
from queue import SimpleQueue
from typing import Any

import numpy as np
import numpy.typing as npt

from dedup.config import DedupConfig
from dedup.errors import ConfigError, DedupError
from dedup.index.index import ClusterSummary, Index
from dedup.sketch.fingerprint import Fingerprints
from dedup.sketch.match import Match

__all__ = [
    "ANSWERS",
    "DONE",
    "END",
    "KNOWN",
    "ROWS",
    "SUMMARY",
    "TEXTS",
    "WANTED",
    "load_and_match",
]

ROWS, KNOWN, END, TEXTS = "rows", "known", "end", "texts"
ANSWERS, DONE, WANTED = "answers", "done", "wanted"
SUMMARY = ("id", "size", "docs", "text")  # ClusterSummary's fields, in order
_PRINTS = ("keys", "signatures", "counts")  # Fingerprints' fields, in order


def load_and_match(conn: Connection, path: str, config: DedupConfig) -> None:
    """Load the store at ``path``, match the rows as they come, and send the answers back as
    columns (pickling 40,000 slotted objects one by one takes a third of a second), or the
    error."""
    from dedup.stores.sqlite import SQLiteStore  # noqa: PLC0415 - the child's own connection

    inbox: SimpleQueue[tuple[Any, ...] | None] = SimpleQueue()
    answers = _Answers(conn)
    # A thread takes the messages off the pipe while the store loads: the reading never waits.
    threading.Thread(
        target=_receive, args=(conn, inbox, answers), name="dedup-receive", daemon=True
    ).start()
    reply: object
    try:
        store = SQLiteStore(path, read_only=True)
        try:
            index = Index(config, store)
            if index.config != config:
                raise ConfigError(
                    f"the store was loaded with {index.config}, but the pages were read with "
                    f"{config}"
                )
            reply = (DONE, _match_arriving(index, inbox, answers))
        finally:
            store.close()
    except (EOFError, BrokenPipeError, KeyboardInterrupt):  # the reading failed or stopped
        conn.close()
        return
    except DedupError as exc:
        reply = exc
    except Exception:  # a bug: say where, since the traceback stays in this process
        reply = RuntimeError(f"loading the store {path} failed:\n{traceback.format_exc()}")
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):  # the caller may be gone
        conn.send(reply)
    conn.close()


def _receive(
    conn: Connection, inbox: SimpleQueue[tuple[Any, ...] | None], answers: _Answers
) -> None:
    """Move the messages from the pipe to ``inbox``; at the end, first send the answers found
    so far (the caller writes them while the rest is matched); None once the pipe closes."""
    try:
        while True:
            message = conn.recv()
            if message[0] == END:
                answers.send()
            inbox.put(message)
    except (EOFError, OSError):
        inbox.put(None)


class _Answers:
    """The answers found so far, and the summary of each matched cluster as it first comes
    (from the state its match came from; a cluster a writer removed is left out), sent on
    :meth:`send` from either thread of the child."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self.found: dict[int, Match | None] = {}
        self._summarised: set[str] = set()
        self._rows: list[list[int]] = []
        self._matches: list[list[Match | None]] = []
        self._summaries: dict[str, ClusterSummary] = {}

    def add(self, index: Index, rows: list[int], matches: list[Match | None]) -> None:
        """Keep the ``matches`` of ``rows`` that ``index`` just gave, and summarise their
        clusters from it."""
        wanted = {m.cluster for m in matches if m is not None}.difference(self._summarised)
        summaries = index.cluster_summaries(wanted, refresh=False)
        with self._lock:
            self.found.update(zip(rows, matches, strict=True))
            self._rows.append(rows)
            self._matches.append(matches)
            self._summarised.update(summaries)
            self._summaries.update(summaries)

    def texts(
        self, rows: npt.NDArray[np.int64], inbox: SimpleQueue[tuple[Any, ...] | None]
    ) -> list[str]:
        """Ask the caller for the texts of ``rows``, and take them from ``inbox``.

        Raises:
            EOFError: the pipe closed first.
        """
        with self._lock:
            self._conn.send((WANTED, rows))
        message = inbox.get()
        if message is None or message[0] != TEXTS:
            raise EOFError
        texts: list[str] = message[1]
        return texts

    def send(self) -> None:
        """Send the answers and summaries not sent yet, as columns."""
        with self._lock:
            self._send()

    def _send(self) -> None:
        rows = list(chain.from_iterable(self._rows))
        matches = list(chain.from_iterable(self._matches))
        summaries = self._summaries.values()
        self._conn.send(
            (
                ANSWERS,
                rows,
                [None if m is None else m.cluster for m in matches],
                [0.0 if m is None else m.similarity for m in matches],
                [0.0 if m is None else m.containment for m in matches],
                [[getattr(c, name) for c in summaries] for name in SUMMARY],
            )
        )
        self._rows, self._matches, self._summaries = [], [], {}


def _match_arriving(
    index: Index, inbox: SimpleQueue[tuple[Any, ...] | None], answers: _Answers
) -> int:
    """Match the rows in ``inbox`` as they come, all that wait at once, and send the last
    answers once the end has come (the first are sent as it arrives); return how many rows
    there are in all.

    A row left unsigned is matched by its key alone as it comes. If a writer removed the key
    meanwhile, that gives no match, and the row is matched again at the end, by its text.

    Raises:
        EOFError: the pipe closed before the end.
    """
    while True:
        messages = [inbox.get()]
        while not inbox.empty():
            messages.append(inbox.get())
        if None in messages:
            raise EOFError
        last = messages[-1]
        ending = last is not None and last[0] == END
        arrived = [m for m in messages if m is not None and m[0] != END]
        if arrived:
            rows = np.concatenate([m[1] for m in arrived])
            batches = [
                m[2] if m[0] == ROWS else _unsigned(m[2], index.config.num_perm) for m in arrived
            ]
            prints = Fingerprints(
                *(np.concatenate([getattr(b, name) for b in batches]) for name in _PRINTS)
            )
            # No text: a signed row needs none, and an unsigned one is matched by its key (or
            # again at the end).
            answers.add(index, rows.tolist(), index.match_fingerprints([""] * rows.size, prints))
        if ending:
            assert last is not None
            _, total, rows, keys = last
            # The unsigned rows not matched yet: not sent before, or their key was removed.
            again = [i for i, row in enumerate(rows.tolist()) if answers.found.get(row) is None]
            if again:
                chosen = np.asarray(again, dtype=np.int64)
                matches = index.match_fingerprints(
                    answers.texts(rows[chosen], inbox),
                    _unsigned(keys[chosen], index.config.num_perm),
                )
                answers.add(index, rows[chosen].tolist(), matches)
            answers.send()
            return int(total)


def _unsigned(keys: npt.NDArray[np.uint64], num_perm: int) -> Fingerprints:
    """The fingerprints of rows left unsigned: their keys, a zero signature, no shingles."""
    return Fingerprints(
        keys, np.zeros((keys.size, num_perm), dtype=np.uint32), np.zeros(keys.size, np.int64)
    )
