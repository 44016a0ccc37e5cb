"""The CLI's import budget: ``dedup --help`` loads the parser, not the library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# What ``dedup --help`` may never load: each of these costs tens of milliseconds or more.
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "peru.txt"
HEAVY = ("numpy", "datasketch", "aiohttp", "tqdm", "orjson", "xxhash", "prometheus_client")
# What only a report or a summary loads.
REPORT = ("rich", "jinja2", "matplotlib")


def _loaded_by(code: str) -> set[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_module() -> None:
    """``import dedup.cli`` and building the parser load none of the heavy packages."""
    loaded = _loaded_by("import dedup.cli; dedup.cli.build_parser()")
    assert not {name for name in loaded if name.split(".")[0] in HEAVY + REPORT}
    core = {name for name in loaded if name.startswith("dedup.")}
    assert core <= {
        "dedup.cli",
        "dedup.cli.main",
        "dedup.cli.options",
        "dedup.cli.outputs",
        "dedup.cli.progress",
        "dedup.cli.cluster",
        "dedup.cli.clean",
        "dedup.cli.index",
        "dedup.cli.match",
        "dedup.cli.store",
        "dedup.cli.report",
        "dedup.config",
        "dedup.errors",
        "dedup.sketch",
        "dedup.sketch.scurve",
    }, core


def test_a_command_loads_the_library_when_it_runs() -> None:
    """The budget is not met by leaving work out: running a command does load numpy."""
    run = f"main(['cluster', {str(EXAMPLE)!r}, '-o', '/dev/null', '-q'])"
    loaded = _loaded_by(f"from dedup.cli import main\n{run}")
    assert "numpy" in loaded
    assert not {name for name in loaded if name.split(".")[0] in REPORT}  # piped: no summary


def _after_a_command(env: dict[str, str]) -> tuple[str | None, int]:
    """OPENBLAS_NUM_THREADS and the process's native threads after ``dedup cluster`` ran."""
    script = (
        "import os, re\nfrom dedup.cli import main\n"
        f"main(['cluster', {str(EXAMPLE)!r}, '-o', '/dev/null', '-q', '--jobs', '1'])\n"
        "status = open('/proc/self/status').read()\n"
        "print(os.environ.get('OPENBLAS_NUM_THREADS'), re.search(r'Threads:\\s+(\\d+)', status)[1])"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True, env=env
    ).stdout.split()
    return out[-2], int(out[-1])


@pytest.mark.skipif(
    not Path("/proc/self/status").exists() or (os.cpu_count() or 1) < 2,
    reason="counts native threads through /proc, and OpenBLAS starts none on one core",
)
def test_a_command_starts_numpy_without_blas_threads() -> None:
    """dedup makes no BLAS call: a command leaves OpenBLAS one thread (no spinning helper
    threads), unless the user set its number."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    assert _after_a_command(env) == ("1", 1)
    value, threads = _after_a_command({**env, "OPENBLAS_NUM_THREADS": "2"})
    assert value == "2"
    assert threads == 2  # the user's helper thread, which is what the first run left out
