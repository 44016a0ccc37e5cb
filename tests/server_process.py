"""Run ``python -m service`` in a subprocess on a free loopback port, for process-level tests."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 20.0


class ServerProcess:
    """A service process: started on port 0, its URL read from its "listening" log line.

    Its stderr is drained by a thread (so the access log never fills the pipe) and kept in
    :attr:`lines`.
    """

    def __init__(self, data: Path | str, *args: str, env: dict[str, str] | None = None) -> None:
        # A Path is a --data directory; a string is a --store URL.
        where = ["--data", str(data)] if isinstance(data, Path) else ["--store", data]
        # One process unless the test asks for more (the default is every core it may use).
        one = () if "--processes" in args else ("--processes", "1")
        command = [sys.executable, "-m", "service", *where, "--port", "0", *one, *args]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: kill() reaches its workers too
        )
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.url = ""
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        if not self._ready.wait(START_TIMEOUT) or not self.url:
            self.kill()
            raise RuntimeError("the service did not start:\n" + "\n".join(self.lines[-20:]))

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))
            if not self.url and '"listening"' in line:
                self.url = json.loads(line)["urls"][0]
                self._ready.set()
        self._ready.set()  # the process ended: wake a waiting start-up

    def terminate(self, timeout: float = 20.0) -> int:
        """Send SIGTERM and return the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL the process and its workers, and reap it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._reader.join(5)
        if self.process.stderr is not None:
            self.process.stderr.close()

    def events(self) -> list[dict[str, object]]:
        """The JSON log lines so far, parsed."""
        return [json.loads(line) for line in list(self.lines) if line.startswith("{")]

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.kill()


def wait_until(predicate: object, timeout: float = 10.0) -> None:
    """Poll ``predicate()`` until it is true (a bounded loop)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.02)
    raise TimeoutError("the condition did not hold in time")
