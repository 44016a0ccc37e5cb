"""Ctrl-C during a run with worker processes: every process ends, promptly, and nothing is written.

A terminal's Ctrl-C sends SIGINT to the whole process group, workers included. A worker stopped
by it while writing a result once left the pool waiting for the rest of that result forever (a
quarter of the interrupts at the moment the workers start hung `dedup match`); the workers now
let SIGINT pass and the interrupted command shuts them down.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.corpus import generate, write_jsonl

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crawl") / "crawl.jsonl"
    write_jsonl(generate(1500, seed=3), path)
    return path


# Python leaves SIGINT ignored if it starts so (a background job of a script); a shell's
# foreground job has it, so the command restores it before running as `python -m dedup`.
_RUN = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'dedup'; runpy.run_module('dedup', run_name='__main__')"
)


def _start(crawl: Path, output: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _RUN, "cluster", str(crawl), "-o", str(output), "-q", "--jobs", "2"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own group, as a terminal's foreground job
    )


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.timeout(300)
def test_ctrl_c_at_any_moment_ends_every_process(crawl: Path, tmp_path: Path) -> None:
    """At six moments of a run, Ctrl-C ends the command and every worker within seconds, and
    nothing is written. A run that had already finished its work when the signal came (its
    speed varies with the machine's load) must have written its whole output and exited 0;
    most moments must still find the run at work."""
    output = tmp_path / "out.jsonl"
    # The quickest of three whole runs: the first one of a fresh clone also compiles every
    # module, and a moment measured on it would come after a warm run has ended.
    durations = []
    for _ in range(3):
        started = time.monotonic()
        whole = _start(crawl, output)
        assert whole.wait(timeout=120) == 0
        durations.append(time.monotonic() - started)
        expected = output.read_bytes()
        output.unlink()
    duration = min(durations)
    interrupted = 0
    for fraction in (0.25, 0.35, 0.45, 0.55, 0.65, 0.75):
        run = _start(crawl, output)
        time.sleep(duration * fraction)
        if run.poll() is None:  # else it ended first: quicker than the quickest of three
            os.killpg(run.pid, signal.SIGINT)
        code = run.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _group_alive(run.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _group_alive(run.pid), f"a worker outlived the command at {fraction}"
        if code == 0:  # the work was done before the signal came: all of it is written
            assert output.read_bytes() == expected, f"a partial output at {fraction}"
            output.unlink()
            continue
        # 130 from the command's own handler; -SIGINT if it came during the imports.
        assert code in (130, -signal.SIGINT), f"exit code {code} at {fraction} of the run"
        assert not output.exists()
        interrupted += 1
    assert interrupted >= 4, f"only {interrupted} of 6 moments found the run at work"
