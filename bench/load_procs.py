"""Start, probe and stop the service processes of the load benchmark (loopback only)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

import psutil  # type: ignore[import-untyped]  # no types-psutil in the lint group yet

from bench.bytecode import compile_tree

HOST = "127.0.0.1"
_POLL = 0.02  # seconds between /healthz probes while a service starts


def free_port() -> int:
    """Return a TCP port on the loopback interface that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def dedup_command(root: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    """Return the command and environment running ``dedup ARGS`` from the source tree root,
    whose bytecode is compiled first (:mod:`bench.bytecode`)."""
    compile_tree(root)
    env = {**os.environ, "PYTHONPATH": str(root)}
    return [sys.executable, "-m", "dedup", *args], env


def get_json(url: str, timeout: float = 5.0) -> Any:
    """GET url and return its decoded JSON body (raises on a status other than 2xx)."""
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # loopback only
        return json.loads(answer.read())


class Service:
    """A server subprocess: started in its own session, stderr to a file, killed on exit.

    Attributes:
        url: Base URL, e.g. http://127.0.0.1:8080.
        process: The Popen handle.
        started: time.monotonic() just before the process was started.
    """

    def __init__(
        self,
        name: str,
        command: list[str],
        *,
        port: int,
        log: Path,
        cwd: Path,
        env: dict[str, str],
    ) -> None:
        self.name = name
        self.url = f"http://{HOST}:{port}"
        self._log = log.open("wb")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,
        )
        self._log_path = log

    def wait_healthy(self, timeout: float) -> float:
        """Poll /healthz until it answers 200; return the seconds since the process started.

        Raises:
            RuntimeError: If the process exits or the timeout passes first.
        """
        deadline = self.started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                get_json(self.url + "/healthz", timeout=1.0)
                return time.monotonic() - self.started
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
                time.sleep(_POLL)
        tail = self._log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout} s:\n{tail}")

    def health(self) -> dict[str, Any]:
        """Return the decoded /healthz answer."""
        answer: dict[str, Any] = get_json(self.url + "/healthz")
        return answer

    def _family(self) -> list[psutil.Process]:
        try:
            proc = psutil.Process(self.process.pid)
            return [proc, *proc.children(recursive=True)]
        except psutil.Error:
            return []

    def rss(self) -> int:
        """Return the summed RSS in bytes of the process and its descendants."""
        total = 0
        for member in self._family():
            try:
                total += member.memory_info().rss
            except psutil.Error:
                continue
        return total

    def cpu_seconds(self) -> float:
        """Return the user + system CPU seconds of the process and its live descendants."""
        total = 0.0
        for member in self._family():
            try:
                times = member.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the process group, SIGKILL it after timeout, reap it and close the log."""
        try:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout)
        except ProcessLookupError:
            pass
        finally:
            self._log.close()

    def __enter__(self) -> Service:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_dedup(
    root: Path, data: Path, scratch: Path, extra: list[str], timeout: float
) -> tuple[Service, float]:
    """Start ``dedup serve`` on a free loopback port; return it and its seconds to /healthz 200."""
    port = free_port()
    command, env = dedup_command(
        root, "serve", "--data", str(data), "--host", HOST, "--port", str(port), *extra
    )
    log = scratch / f"dedup-serve-{port}.log"
    service = Service("dedup serve", command, port=port, log=log, cwd=root, env=env)
    try:
        return service, service.wait_healthy(timeout)
    except BaseException:
        service.stop()
        raise


def start_anchor(crawl: Path, scratch: Path, timeout: float) -> tuple[Service, float]:
    """Start bench.anchor_service on a free loopback port; return it and its start-up seconds."""
    port = free_port()
    repo = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-m", "bench.anchor_service", "--data", str(crawl)]
    command += ["--port", str(port)]
    log = scratch / f"anchor-{port}.log"
    service = Service("anchor", command, port=port, log=log, cwd=repo, env={**os.environ})
    try:
        return service, service.wait_healthy(timeout)
    except BaseException:
        service.stop()
        raise


def index_build(root: Path, crawl: Path, data: Path, timeout: float) -> float:
    """Run ``dedup index build CRAWL --data DATA -q``; return its wall seconds."""
    command, env = dedup_command(root, "index", "build", str(crawl), "--data", str(data), "-q")
    start = time.monotonic()
    done = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError(f"dedup index build failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds
