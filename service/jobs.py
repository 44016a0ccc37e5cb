"""The one-off core calls of the handlers, run in the executor and counted until they finish.

A handler's job (get, delete, a cluster page) takes the index lock in an executor thread.
:class:`ExecutorJobs` runs those jobs and counts the ones not yet finished, so the loop can
tell when none of them can hold the lock (see :meth:`service.batcher.Batcher.run_inline`).
A job is counted until its thread is done with it, not until its handler stops waiting: a
cancelled handler (its client went away) leaves the job running, and counted.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import TypeVar, TypeVarTuple, Unpack

__all__ = ["ExecutorJobs"]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


class ExecutorJobs:
    """Run jobs in an executor and count those submitted and not yet finished (or cancelled).

    Example:
        >>> from concurrent.futures import ThreadPoolExecutor
        >>> async def main() -> tuple[int, bool]:
        ...     jobs = ExecutorJobs()
        ...     with ThreadPoolExecutor(1) as executor:
        ...         answer = await jobs.run(executor, sum, [1, 2, 3])
        ...     return answer, jobs.idle
        >>> asyncio.run(main())
        (6, True)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the count drops in the executor's threads
        self._running = 0

    @property
    def idle(self) -> bool:
        """Whether every job submitted has finished (or was cancelled before it started)."""
        return self._running == 0

    async def run(self, executor: Executor, fn: Callable[[Unpack[Ts]], T], *args: *Ts) -> T:
        """Run ``fn(*args)`` in ``executor`` and return its result, counted while it runs."""
        with self._lock:
            self._running += 1
        try:
            future = executor.submit(fn, *args)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return await asyncio.wrap_future(future)

    def _finished(self, _future: Future[T] | None) -> None:
        with self._lock:
            self._running -= 1
