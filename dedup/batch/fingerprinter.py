"""Fingerprinting a stream of distinct raw paragraphs, in this process and in worker processes."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Container
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import numpy as np
import numpy.typing as npt

from dedup.config import DedupConfig
from dedup.processes import ignore_interrupts, process_context
from dedup.sketch.fingerprint import Fingerprints, exact_keys, sign_normalized

__all__ = [
    "BATCH",
    "INLINE",
    "INLINE_LARGE",
    "LARGE_INPUT",
    "Distinct",
    "Fingerprinter",
    "OnKnown",
    "OnSigned",
]

# Paragraphs per task: large enough to amortise a process hop, small enough to keep every
# core busy to the end and memory flat.
BATCH = 1024
# Texts fingerprinted here before a worker is started: below this, starting and feeding a
# process costs more than it saves. An input known to be large (LARGE_INPUT pages or more)
# starts it sooner. Parse + cluster in fresh processes, --jobs 2, alternating, medians of 15
# (1k pages) and 9 (5k): 1k 0.329 / 0.342 s and 5k 1.373 / 1.286 s with 8,192 / 4,096.
INLINE = 8 * BATCH
INLINE_LARGE = 4 * BATCH
LARGE_INPUT = 2000

Keyed = tuple[npt.NDArray[np.uint64], list[bytes]]
Signed = tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]]
# Told the fingerprints of the rows of each signed task, as the tasks finish, in order.
OnSigned = Callable[[npt.NDArray[np.int64], Fingerprints], None]
# Told the rows left unsigned for ``known`` and their exact keys, batch by batch, in order.
OnKnown = Callable[[npt.NDArray[np.int64], npt.NDArray[np.uint64]], None]


@dataclass(frozen=True, slots=True)
class Distinct:
    """The fingerprints of a batch's distinct paragraphs, and where its raw texts fall.

    Attributes:
        prints: one row per distinct exact key, in order of first appearance.
        of_raw: (n_raw,) int64, for each raw text, its row in ``prints``.
        first_raw: (n_rows,) int64, for each row, the raw text where it first appears.
    """

    prints: Fingerprints
    of_raw: npt.NDArray[np.int64]
    first_raw: npt.NDArray[np.int64]


class Fingerprinter:
    """Fingerprint distinct raw paragraphs, given in batches, in order.

    Two steps, each a task of up to :data:`BATCH` texts:

    1. Normalise and key each raw paragraph (:func:`dedup.sketch.fingerprint.exact_keys`).
    2. Sign each distinct normalised text *once* (:func:`dedup.sketch.fingerprint.sign_normalized`):
       typographic variants of a blurb share one signature, whichever batch they arrive in.

    With ``jobs`` 2, this process reads and keys while one worker signs; with more, this
    process only reads and ``jobs`` workers do both steps. At the end, rather than wait for
    the workers, this process takes back the newest tasks they have not started and runs them
    itself. A small input (fewer than ``inline`` texts) starts no worker at all. The result
    is the same for any ``jobs``: each row's fingerprint depends only on its text. A row whose
    exact key is in ``known`` is left unsigned (a zero signature and a shingle count of 0), as
    :func:`dedup.sketch.fingerprint.fingerprint` leaves it. ``on_signed`` is told the rows of
    each signed task and their fingerprints as soon as the task is collected, while the input
    is still being read: every signed row once, in order. ``on_known`` is told the rows left
    unsigned, with their keys, as soon as they are keyed: every such row once, in order.
    """

    def __init__(
        self,
        config: DedupConfig,
        jobs: int,
        *,
        inline: int = INLINE,
        known: Container[int] | None = None,
        on_signed: OnSigned | None = None,
        on_known: OnKnown | None = None,
    ) -> None:
        self._config = config
        # Exact keys left unsigned (an index matches them exactly): zero signature, count 0.
        self._known = known
        self._on_signed = on_signed
        self._on_known = on_known
        self._inline = inline
        # With two processes, this one keys while the other signs: the two halves of the
        # work are about even. With more, this one only reads, and the workers do both.
        self._keys_here = jobs <= 2
        self._workers = jobs - 1 if self._keys_here else jobs
        self._pool: ProcessPoolExecutor | None = None
        self._keying: deque[_Task[Keyed]] = deque()
        self._signing: deque[_Task[Signed]] = deque()
        self._signing_rows: deque[list[int]] = deque()  # the rows each of those signs
        self._signed: list[Signed] = []
        self._signed_rows: list[int] = []
        # Exact key -> row among the distinct texts; in insertion order, so its keys are the
        # rows' keys.
        self._unique: dict[int, int] = {}
        self._keys: list[int] = []  # each row's key
        self._of_raw: list[int] = []  # each raw text keyed so far: its row
        self._first_raw: list[int] = []
        self._to_sign: list[bytes] = []
        self._to_sign_rows: list[int] = []
        self._added = 0

    def __enter__(self) -> Fingerprinter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def add(self, texts: list[str]) -> None:
        """Fingerprint ``texts``, raw paragraphs never given before, after those given so far."""
        if not texts:
            return
        self._added += len(texts)
        elsewhere = self._parallel() and not self._keys_here
        self._keying.append(
            _Task(exact_keys, (texts, self._config), self._started() if elsewhere else None)
        )
        while self._keying and (
            self._keying[0].ready() or len(self._keying) > 2 * self._workers + 1
        ):
            self._take(self._keying.popleft().result())

    def results(self) -> Distinct:
        """Return the fingerprints of every distinct text added, and where each text falls."""
        while self._keying:
            self._take(_next(self._keying))
        self._sign(here=True)  # this process would only wait
        while self._signing:
            self._collect(_next(self._signing), self._signing_rows.popleft())
        num_perm = self._config.num_perm
        of_raw = np.array(self._of_raw, dtype=np.int64)
        first_raw = np.array(self._first_raw, dtype=np.int64)
        keys = np.array(self._keys, dtype=np.uint64)
        signatures = np.zeros((keys.size, num_perm), np.uint32)
        counts = np.zeros(keys.size, np.int64)
        if self._signed:
            rows = slice(None) if self._known is None else self._signed_rows
            signatures[rows] = np.concatenate([s for s, _ in self._signed])
            counts[rows] = np.concatenate([c for _, c in self._signed])
        return Distinct(Fingerprints(keys, signatures, counts), of_raw, first_raw)

    def _take(self, keyed: Keyed) -> None:
        """Record a keyed batch; queue its new normalised texts for signing."""
        keys, normalized = keyed
        unique = self._unique
        known = len(unique)
        # A new key gets the next row; setdefault reads len() before inserting.
        rows = [unique.setdefault(key, len(unique)) for key in keys.tolist()]
        taken = len(self._of_raw)
        self._of_raw += rows
        # New rows are given in order of first occurrence: known, known + 1, ...
        following = known
        skip = self._known
        unsigned_rows: list[int] = []
        for position, (text, row, key) in enumerate(
            zip(normalized, rows, keys.tolist(), strict=True)
        ):
            if row == following:
                self._keys.append(key)
                if skip is None or key not in skip:
                    self._to_sign.append(text)
                    self._to_sign_rows.append(row)
                else:
                    unsigned_rows.append(row)
                self._first_raw.append(taken + position)
                following += 1
        if unsigned_rows and self._on_known is not None:
            self._on_known(
                np.array(unsigned_rows, dtype=np.int64),
                np.array([self._keys[row] for row in unsigned_rows], dtype=np.uint64),
            )
        if len(self._to_sign) >= BATCH:
            self._sign()

    def _sign(self, *, here: bool = False) -> None:
        """Sign the texts waiting in a worker, or here: for a small input, or when asked to."""
        if not self._to_sign:
            return
        pool = self._started() if self._parallel() and not here else None
        self._signing.append(_Task(sign_normalized, (self._to_sign, self._config), pool))
        self._signing_rows.append(self._to_sign_rows)
        self._to_sign, self._to_sign_rows = [], []
        while self._signing and (
            self._signing[0].ready() or len(self._signing) > 4 * self._workers + 1
        ):
            self._collect(self._signing.popleft().result(), self._signing_rows.popleft())

    def _collect(self, signed: Signed, rows: list[int]) -> None:
        """Keep a signed task's result, and tell ``on_signed``."""
        self._signed.append(signed)
        self._signed_rows += rows
        if self._on_signed is not None:
            row_numbers = np.array(rows, dtype=np.int64)
            keys = np.array([self._keys[row] for row in rows], dtype=np.uint64)
            self._on_signed(row_numbers, Fingerprints(keys, *signed))

    def _parallel(self) -> bool:
        return self._workers > 0 and self._added > self._inline

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # Beside a thread, spawn: unlike a fork server it works from any __main__, even stdin.
            context = process_context("spawn")
            self._pool = ProcessPoolExecutor(
                self._workers, mp_context=context, initializer=ignore_interrupts
            )
        return self._pool


_T = TypeVar("_T")


class _Task(Generic[_T]):
    """A call run here, or in a worker, from where it can be taken back until it starts."""

    __slots__ = ("_args", "_call", "_future", "_value")

    def __init__(
        self, call: Callable[..., _T], args: tuple[Any, ...], pool: ProcessPoolExecutor | None
    ) -> None:
        self._call, self._args = call, args
        self._future: Future[_T] | None = None
        self._value: _T | None = None
        if pool is None:
            self._value = call(*args)
        else:
            self._future = pool.submit(call, *args)

    def ready(self) -> bool:
        """Whether :meth:`result` would return at once."""
        return self._future is None or self._future.done()

    def take_back(self) -> bool:
        """Run the call here if no worker has started it; return whether it did."""
        if self._future is None or not self._future.cancel():
            return False
        self._future = None
        self._value = self._call(*self._args)
        return True

    def result(self) -> _T:
        """Return the call's result, waiting for the worker if it runs there."""
        if self._future is not None:
            self._value = self._future.result()
            self._future = None
        return cast(_T, self._value)


def _next(queue: deque[_Task[_T]]) -> _T:
    """Pop the oldest task's result; while it is not ready, run the newest unstarted ones here
    (for the end of the input: in the middle, that would leave the workers without work)."""
    while not queue[0].ready() and any(task.take_back() for task in reversed(queue)):
        pass
    return queue.popleft().result()
