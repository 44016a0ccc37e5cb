"""A real ``redis-server`` on a free loopback port in a temporary directory, for bench and tests.

It runs with the persistence the README asks for (``appendonly yes``, ``appendfsync always``)
unless told otherwise, and can be SIGKILLed and started again on the same port and directory.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

START_TIMEOUT = 10.0
DURABLE = ("--appendonly", "yes", "--appendfsync", "always")


def find_redis_server() -> str | None:
    """The path of ``redis-server`` (Debian's package), or None."""
    return shutil.which("redis-server")


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """``redis-server`` in ``directory`` on a free loopback port; a context manager."""

    def __init__(
        self, directory: Path, *options: str, binary: str = "redis-server", port: int = 0
    ) -> None:
        self.directory = directory
        self.options = options or DURABLE
        self.binary = binary
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def url(self, db: int = 0, prefix: str | None = None) -> str:
        """The ``redis://`` URL of database ``db`` (and a key prefix)."""
        tail = "" if prefix is None else f"?prefix={prefix}"
        return f"redis://127.0.0.1:{self.port}/{db}{tail}"

    def start(self) -> None:
        """Start the server (again, on the same port and directory) and wait for its PING."""
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.directory),
            "--save",
            "",
            "--daemonize",
            "no",
            "--protected-mode",
            "no",
            *self.options,
        ]
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.directory / 'redis.log'}")
            if self.ping():
                return
            time.sleep(0.02)
        raise RuntimeError("redis-server did not answer PING in time")

    def ping(self) -> bool:
        """Whether the server answers PING now (a raw RESP exchange, no client library)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL the server and reap it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """Stop the server: SIGTERM, then SIGKILL if it lingers."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
        self.kill()

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
