"""Coalesce concurrent requests into rounds: one executor job per round instead of per request.

A :class:`Batcher` owns a bounded queue and one task. The task takes everything queued (up to a
round's bound), runs one job over it in the executor, and resolves each request's future with
its own answer, in arrival order. The service keeps two: the writer, whose job is one
``Index.add_many`` (one SQLite transaction, one fsync) for every document of the round, and the
matcher, whose job is one ``Index.match_many``. While a round runs, the next one gathers, so
under load a round grows to what arrived during the previous one, and alone a request waits for
nothing.

The queue is bounded, by requests' units (documents or texts) and characters: a request that
would pass either bound while others wait is refused at once with 503 ``overloaded`` (and
``Retry-After: 1``) rather than held. Holding it (backpressure by awaiting) would not bound
memory, since its body is already read; refusing tells the client to slow down. A request is
always admitted into an empty queue, whatever its size: the body limits bound it.

A batcher may run its small rounds on the loop itself (:meth:`Batcher.run_inline`): for a
round of a few paragraphs, the hand-off to a thread and back (and the two threads taking
turns at the GIL) costs more CPU than the job. The matcher does so while no other core call
runs, so such a round never waits for the index lock; the writer never does (a commit waits
on the disk).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Collection
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Generic, TypeVar

from dedup.errors import StoreError
from service.errors import ApiError

__all__ = ["Batcher", "Bounds", "RoundJob"]

log = logging.getLogger("service.batcher")

P = TypeVar("P")
# A round's job: one answer body (or the exception to raise) per request, in the same order.
RoundJob = Callable[[list[P]], list[bytes | Exception]]


@dataclass(frozen=True, slots=True)
class Bounds:
    """The most units (documents or texts) and characters in one round and in the queue."""

    round_units: int
    round_chars: int
    queue_units: int
    queue_chars: int


@dataclass(slots=True)
class _Pending(Generic[P]):
    payload: P
    units: int
    chars: int
    keys: Collection[str]
    future: asyncio.Future[bytes]


class Batcher(Generic[P]):
    """A bounded queue of requests and the task that runs them in rounds.

    Args:
        name: for the log ("writer", "matcher").
        job: runs in ``executor`` over a round's payloads, in arrival order.
        executor: the app's executor (shared with the other routes).
        bounds: the round and queue bounds.
        ends_round: whether a request must be the last of its round (asked, on the loop, when
            the round is formed).
        drop_abandoned: skip a request whose client went away (its handler was cancelled)
            before its round; False runs it anyway, as the writer does: an accepted write is
            committed even if nobody waits for the answer, so shutdown drains every one.

    Requests run in arrival order. Two requests sharing a key (a document id) never run in the
    same round: the round ends before the later one, which opens the next round.

    Example:
        >>> import asyncio
        >>> from concurrent.futures import ThreadPoolExecutor
        >>> def job(texts: list[str]) -> list[bytes | Exception]:
        ...     return [t.upper().encode() for t in texts]
        >>> async def main() -> list[bytes]:
        ...     with ThreadPoolExecutor(1) as executor:
        ...         batcher = Batcher("demo", job, executor, Bounds(8, 100, 64, 1000))
        ...         batcher.start()
        ...         answers = await asyncio.gather(*(batcher.submit(t, 1, 1) for t in "abc"))
        ...         await batcher.close()
        ...         return answers
        >>> asyncio.run(main())
        [b'A', b'B', b'C']
    """

    def __init__(
        self,
        name: str,
        job: RoundJob[P],
        executor: Executor,
        bounds: Bounds,
        *,
        ends_round: Callable[[P], bool] | None = None,
        drop_abandoned: bool = False,
    ) -> None:
        self.name = name
        self._ends_round = ends_round
        self._drop_abandoned = drop_abandoned
        self._job = job
        self._executor = executor
        self._bounds = bounds
        self._queue: deque[_Pending[P]] = deque()
        self._units = 0
        self._chars = 0
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self._inline_chars = -1
        self._inline_ok: Callable[[], bool] = _never

    @property
    def running(self) -> bool:
        """Whether a round is running (or its answers are being handed out)."""
        return self._running

    def run_inline(self, max_chars: int, allowed: Callable[[], bool]) -> None:
        """Run a round of at most ``max_chars`` characters on the loop when ``allowed()``.

        Such a round blocks the loop while it runs, so ``max_chars`` bounds how long; the
        rounds of a longer queue still run one at a time, letting the loop serve in between.
        ``allowed`` is asked, on the loop, just before each round. A negative ``max_chars``
        turns it off (as it is at first).
        """
        self._inline_chars = max_chars
        self._inline_ok = allowed

    @property
    def waiting(self) -> int:
        """The number of requests queued for a round that has not started."""
        return len(self._queue)

    def start(self) -> None:
        """Start the task that runs the rounds (call inside the running loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"dedup-{self.name}")

    async def submit(self, payload: P, units: int, chars: int, keys: Collection[str] = ()) -> bytes:
        """Queue one request and return its answer body once its round has run.

        Raises:
            ApiError: 503 ``overloaded`` when the queue is full or the service is stopping;
                otherwise whatever the round's job gave for this request.
        """
        if self._closing or self._task is None:
            raise ApiError(503, "overloaded", "the service is stopping; retry in a moment")
        bounds = self._bounds
        if self._queue and (
            self._units + units > bounds.queue_units or self._chars + chars > bounds.queue_chars
        ):
            raise ApiError(
                503,
                "overloaded",
                f"too many requests are waiting ({len(self._queue)}); retry in a moment",
            )
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(payload, units, chars, keys, future))
        self._units += units
        self._chars += chars
        self._wake.set()
        return await future

    async def close(self) -> None:
        """Refuse new requests, run every queued one, and stop the task."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task

    def _take(self) -> list[_Pending[P]]:
        """Pop the next round: arrival order, within the bounds, no key twice."""
        bounds = self._bounds
        taken: list[_Pending[P]] = []
        keys: set[str] = set()
        units = chars = 0
        queue = self._queue
        while queue:
            pending = queue[0]
            if self._drop_abandoned and pending.future.done():  # its client went away
                queue.popleft()
                self._units -= pending.units
                self._chars -= pending.chars
                continue
            if taken and (
                units + pending.units > bounds.round_units
                or chars + pending.chars > bounds.round_chars
                or not keys.isdisjoint(pending.keys)
            ):
                break
            queue.popleft()
            self._units -= pending.units
            self._chars -= pending.chars
            taken.append(pending)
            keys.update(pending.keys)
            units += pending.units
            chars += pending.chars
            if self._ends_round is not None and self._ends_round(pending.payload):
                break
        return taken

    async def _run(self) -> None:
        while True:
            if not self._queue:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            if self._inline_chars >= 0:
                # One more turn of the loop first: requests whose bytes have already arrived
                # join this round, so a round of the inline path serves more of them at once.
                await asyncio.sleep(0)
            batch = self._take()
            if not batch:
                continue
            self._running = True
            try:
                if (
                    sum(pending.chars for pending in batch) <= self._inline_chars
                    and self._inline_ok()
                ):
                    self._resolve(batch, self._inline(batch))
                    await asyncio.sleep(0)  # let the loop serve before the next round
                else:
                    self._resolve(batch, await self._round(batch))
            finally:
                self._running = False

    def _inline(self, batch: list[_Pending[P]]) -> list[bytes | Exception]:
        """Run the job over one round here, on the loop; one answer per request."""
        try:
            results = self._job([pending.payload for pending in batch])
        except Exception as exc:  # the job answers per request; this is the last guard
            _log_failure(self.name, exc)
            return [exc] * len(batch)
        return self._checked(batch, results)

    async def _round(self, batch: list[_Pending[P]]) -> list[bytes | Exception]:
        """Run the job over one round in the executor; one answer per request."""
        loop = asyncio.get_running_loop()
        payloads = [pending.payload for pending in batch]
        try:
            results = await loop.run_in_executor(self._executor, self._job, payloads)
        except asyncio.CancelledError:
            stopped = ApiError(503, "overloaded", "the service is stopping; retry later")
            self._resolve(batch, [stopped] * len(batch))
            raise
        except Exception as exc:  # the job answers per request; this is the last guard
            _log_failure(self.name, exc)
            return [exc] * len(batch)
        return self._checked(batch, results)

    def _checked(
        self, batch: list[_Pending[P]], results: list[bytes | Exception]
    ) -> list[bytes | Exception]:
        """The job's answers, or one error for all if it gave the wrong number of them."""
        if len(results) != len(batch):
            lost = RuntimeError(f"{self.name} round gave {len(results)} answers")
            log.error("%s round failed", self.name, exc_info=lost)
            return [lost] * len(batch)
        return results

    @staticmethod
    def _resolve(batch: list[_Pending[P]], results: list[bytes | Exception]) -> None:
        for pending, result in zip(batch, results, strict=True):
            if pending.future.done():  # its client went away meanwhile
                continue
            if isinstance(result, Exception):
                pending.future.set_exception(result)
            else:
                pending.future.set_result(result)


def _log_failure(name: str, exc: Exception) -> None:
    """Log a failed round: a store outage in one line (it is expected, and every round of it
    fails alike), anything else with its traceback."""
    if isinstance(exc, StoreError):
        log.warning("%s round failed: the store is unavailable: %s", name, exc)
    else:
        log.error("%s round failed", name, exc_info=exc)


def _never() -> bool:
    return False
