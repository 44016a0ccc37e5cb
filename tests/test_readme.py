"""The README's examples run as written.

Convention (for every section of the README): a block fenced ```python runs as Python; a block
fenced ```sh or ```console runs in bash (the ``$ `` lines of a console block), in a fresh
temporary directory holding a copy of ``examples/`` (the README's commands run from the
repository's root); a block fenced ```text is an illustration and is not run. A shell block
that talks to ``localhost:8080`` runs against a service started with the README's own
``dedup serve`` command on a free loopback port (given as ``DEDUP_PORT``; the block's port is
rewritten to it).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```([\w-]*)\s*$")
RUN_TIMEOUT = 120
START_TIMEOUT = 60.0
SERVICE_PORT = "localhost:8080"


@dataclass(frozen=True)
class Block:
    """One fenced block of the README."""

    language: str
    line: int
    code: str

    @property
    def commands(self) -> str:
        """The shell to run: the block, or the ``$`` lines of a console block."""
        if self.language != "console":
            return self.code
        lines = [line[2:] for line in self.code.splitlines() if line.startswith("$ ")]
        return "\n".join(lines) + "\n"

    @property
    def serves(self) -> bool:
        """Whether the block starts the service (and so runs until stopped)."""
        commands = [c for c in self.commands.splitlines() if c.strip()]
        return bool(commands) and all(_is_serve(c) for c in commands)


def _is_serve(command: str) -> bool:
    return command.lstrip().startswith(("dedup serve", "python -m service"))


def blocks(languages: set[str]) -> list[Block]:
    """The README's fenced blocks in these languages, in order."""
    found: list[Block] = []
    lines = README.read_text(encoding="utf-8").splitlines()
    start: tuple[str, int] | None = None
    body: list[str] = []
    for number, line in enumerate(lines, start=1):
        fence = FENCE.match(line)
        if fence is None:
            if start is not None:
                body.append(line)
            continue
        if start is None:
            start, body = (fence.group(1), number), []
        else:
            if start[0] in languages:
                found.append(Block(start[0], start[1], "\n".join(body) + "\n"))
            start = None
    return found


def test_the_readme_fences_every_block() -> None:
    """Every block says what it is: run (python, sh, console) or illustration (text)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    opening = True
    for number, line in enumerate(lines, start=1):
        fence = FENCE.match(line)
        if fence is not None:
            if opening:
                assert fence.group(1), f"README.md:{number}: fence the block as python, sh or text"
            opening = not opening


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary directory holding a copy of examples/, as the working directory."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def environment(**extra: str) -> dict[str, str]:
    """The environment of a shell block: this interpreter's scripts first on PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "PYTHONPATH": str(ROOT), **extra}


@pytest.mark.parametrize("block", blocks({"python"}), ids=lambda b: f"README.md:{b.line}")
def test_python_example_runs(block: Block, workdir: Path) -> None:
    """A python block runs as written, on its own."""
    code = compile(block.code, f"README.md:{block.line}", "exec")
    exec(code, {"__name__": "__readme__"})


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def service(command: str, directory: Path) -> Iterator[int]:
    """Run the README's serve command as written on a free port; yield the port."""
    port = free_port()
    process = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=directory,
        env=environment(DEDUP_PORT=str(port)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"`{command}` did not start") from None
                time.sleep(0.1)
        yield port
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def serve_command() -> str:
    """The README's first command that starts the service."""
    for block in blocks({"sh", "console"}):
        if block.serves:
            return next(c for c in block.commands.splitlines() if _is_serve(c)).split("#")[0]
    raise AssertionError("the README shows no `dedup serve` command")


def run_shell(commands: str, directory: Path) -> subprocess.CompletedProcess[str]:
    """Run commands in bash, stopping at the first failure."""
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", commands],
        cwd=directory,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


@pytest.mark.parametrize("block", blocks({"sh", "console"}), ids=lambda b: f"README.md:{b.line}")
def test_shell_example_runs(block: Block, workdir: Path) -> None:
    """A shell block runs as written (against a service on a free port where it needs one)."""
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    if block.serves:  # the service starts, answers /healthz and stops cleanly on SIGTERM
        for command in block.commands.splitlines():
            if command.strip():
                with service(command.split("#")[0], workdir):
                    pass
        return
    commands = block.commands
    if SERVICE_PORT in commands:
        if shutil.which("curl") is None:
            pytest.skip("curl is not installed; the service examples are skipped")
        with service(serve_command(), workdir) as port:
            result = run_shell(commands.replace(SERVICE_PORT, f"localhost:{port}"), workdir)
        assert result.stdout
        assert '"error"' not in result.stdout, result.stdout
    else:
        result = run_shell(commands, workdir)
    assert result.returncode == 0, f"README.md:{block.line}:\n{result.stdout}\n{result.stderr}"
