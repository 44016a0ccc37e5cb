"""The CLI's import budget: ``dedup --help`` loads the parser, not the library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
