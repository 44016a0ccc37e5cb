"""Serve from several processes: one listening socket and one store, shared.

The parent reserves the port, then starts ``--processes`` workers (fresh interpreters, the
``spawn`` method). Each worker loads the index from the store and listens on a socket of its own
on that port (``SO_REUSEPORT``): the kernel spreads new connections over the workers by a hash
of their addresses. (With one shared socket, the first worker to wake would accept every
connection of a burst.) Writes stay correct because every worker plans its writes under the
store's write lock against the latest state, and replays the others' writes before it reads
(:mod:`dedup.index.replay`).

The parent logs ``listening`` once every worker is ready, restarts a worker that dies, and on
SIGTERM or SIGINT passes SIGTERM on, so each worker drains its requests, and waits for them.
(Ctrl-C in a terminal reaches the workers too; each drains the same way.) A worker whose
parent disappears stops by itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from types import FrameType
from typing import Any

from dedup.errors import DedupError
from service.logs import configure_logging
from service.settings import MULTIPROCESS_DIR, ServiceSettings

__all__ = ["serve_processes"]

EXIT_ERROR = 2

log = logging.getLogger("service")

# How long every worker gets to load the index and start serving.
START_TIMEOUT = 600.0
# How often a worker checks that its parent is still there.
ORPHAN_CHECK = 1.0


def serve_processes(settings: ServiceSettings) -> int:
    """Run ``settings.processes`` workers until SIGTERM or SIGINT; return the exit code.

    Returns:
        0 after a clean shutdown, 2 when a worker could not start (at start-up, or when it
        replaced one that died).

    Raises:
        OSError: the address cannot be bound.
    """
    sock = _bind(settings.host, settings.port)
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    # The workers keep their metrics in files here, so that /metrics counts them all.
    metrics_dir = tempfile.mkdtemp(prefix="dedup-metrics-")
    given_dir = os.environ.get(MULTIPROCESS_DIR)
    os.environ[MULTIPROCESS_DIR] = metrics_dir
    context = multiprocessing.get_context("spawn")
    workers: list[BaseProcess] = []
    try:
        started = [_start(context, settings, sock) for _ in range(settings.processes)]
        workers = [worker for worker, _ in started]
        if not _wait_ready(started, stopping):
            return 0 if stopping.is_set() else EXIT_ERROR
        urls = [_url(sock)]
        log.info(
            "listening on %s",
            urls[0],
            extra={"fields": {"event": "listening", "urls": urls, "processes": len(workers)}},
        )
        if not _supervise(workers, stopping, lambda: _start(context, settings, sock)):
            return EXIT_ERROR
        log.info("stopping", extra={"fields": {"event": "stopping"}})
        return 0
    finally:
        _stop(workers, settings.shutdown_timeout)
        sock.close()
        shutil.rmtree(metrics_dir, ignore_errors=True)
        if given_dir is None:
            del os.environ[MULTIPROCESS_DIR]
        else:
            os.environ[MULTIPROCESS_DIR] = given_dir
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if workers:
            log.info("stopped", extra={"fields": {"event": "stopped"}})


def _supervise(
    workers: list[BaseProcess],
    stopping: threading.Event,
    start: Callable[[], tuple[BaseProcess, Event]],
) -> bool:
    """Replace each worker that exits until ``stopping`` is set (True), or until a
    replacement exits before it is ready (False: it would only fail again)."""
    starting: list[tuple[BaseProcess, Event]] = []
    while not stopping.is_set():
        wait([w.sentinel for w in workers], timeout=0.2)
        for worker, ready in list(starting):
            if ready.is_set():
                starting.remove((worker, ready))
                _event(logging.INFO, "worker %d is ready", worker, "worker_ready")
            elif worker.exitcode is not None:
                _event(logging.ERROR, "worker %d could not start", worker, "worker_failed")
                return False
        for number, worker in enumerate(workers):
            if worker.exitcode is not None and not stopping.is_set():
                _event(
                    logging.WARNING, "worker %d exited; starting another", worker, "worker_exited"
                )
                starting.append(start())
                workers[number] = starting[-1][0]
    return True


def _event(level: int, message: str, worker: BaseProcess, event: str) -> None:
    fields = {"event": event, "worker": worker.pid, "code": worker.exitcode}
    log.log(level, message, worker.pid, extra={"fields": fields})


def _bind(host: str, port: int) -> socket.socket:
    """Bind (without listening) a SO_REUSEPORT socket: it holds the port, port 0 included.

    For a given port, a plain bind comes first, so a port that anything else holds, another
    ``dedup serve`` included, is refused rather than shared. Port 0 is bound shared at once:
    the kernel picks a port nothing holds, and there is no moment between a probe and the
    real bind when an outgoing connection could take the port.
    """
    family, _, _, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    if port == 0:
        return _socket(family, address, listen=False)
    with _socket(family, address, listen=False, shared=False) as probe:
        address = probe.getsockname()
    return _socket(family, address, listen=False)


def _socket(
    family: int, address: tuple[Any, ...], *, listen: bool, shared: bool = True
) -> socket.socket:
    """A TCP socket on ``address``; ``shared`` lets the other workers' sockets bind it too."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        if listen:
            sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _start(
    context: multiprocessing.context.SpawnContext, settings: ServiceSettings, sock: socket.socket
) -> tuple[BaseProcess, Event]:
    ready = context.Event()
    place = (sock.family, sock.getsockname())
    worker = context.Process(
        target=_worker, args=(settings, place, ready, os.getpid()), name="dedup-worker"
    )
    worker.start()
    return worker, ready


def _wait_ready(started: list[tuple[BaseProcess, Event]], stopping: threading.Event) -> bool:
    """Wait until every worker is ready; False if one exits first or a signal comes."""
    deadline = time.monotonic() + START_TIMEOUT
    for worker, ready in started:
        while not ready.wait(0.2):
            if worker.exitcode is not None or stopping.is_set() or time.monotonic() > deadline:
                if worker.exitcode is not None:
                    _event(logging.ERROR, "worker %d could not start", worker, "worker_failed")
                return False
    return True


def _stop(workers: list[BaseProcess], timeout: float) -> None:
    """SIGTERM every live worker, give them ``timeout`` (plus a margin) to drain, then kill."""
    for worker in workers:
        if worker.exitcode is None and worker.pid is not None:
            os.kill(worker.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout + 10.0
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.exitcode is None:
            worker.kill()
            worker.join()


def _worker(
    settings: ServiceSettings, place: tuple[int, tuple[Any, ...]], ready: Event, parent: int
) -> None:
    """A worker process: serve on its own socket on the shared port (``place`` is the family
    and the address) until SIGTERM or the parent's end."""
    from service.app import run  # noqa: PLC0415 - the parent never loads aiohttp

    configure_logging(settings)

    def watch_parent() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch_parent, daemon=True, name="dedup-orphan-check").start()
    try:
        sock = _socket(*place, listen=True)
        run(settings, sock=sock, on_ready=lambda urls: ready.set())
    except (DedupError, OSError) as exc:  # no store or no port: the parent reports the exit
        print(f"dedup serve: {exc}", file=sys.stderr)
        sys.exit(EXIT_ERROR)
