"""How dedup starts its helper processes: forked when that is safe, else a clean start."""

from __future__ import annotations

import signal
import threading
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from typing import Literal

__all__ = ["ignore_interrupts", "process_context"]


def process_context(fallback: Literal["forkserver", "spawn"] = "forkserver") -> BaseContext:
    """Fork on POSIX when this process runs no other thread: the child starts in milliseconds
    with everything imported. Forking beside a thread is unsafe (a lock it holds stays held in
    the child), so then ``fallback`` starts it, or spawn where there is no fork server."""
    methods = get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return get_context("fork")
    return get_context(fallback if fallback in methods else "spawn")


def ignore_interrupts() -> None:
    """A pool worker's initializer: Ctrl-C reaches the whole process group, and a worker it
    stops while writing a result leaves the pool waiting for the rest of it forever. The
    workers let it pass; the caller, interrupted, shuts the pool down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
