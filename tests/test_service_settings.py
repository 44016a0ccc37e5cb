"""Service settings, the serve command line, and the README's settings table and curl examples."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from server_process import ROOT, ServerProcess

from dedup.errors import ConfigError
from service.arguments import settings_from_args
from service.logs import JsonFormatter
from service.settings import SETTINGS, ServiceSettings


def readme() -> str:
    """The README text, which holds the service's settings table."""
    return (ROOT / "README.md").read_text(encoding="utf-8")


def run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run a Python command in the repository's root and capture its output."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_flag_beats_environment_beats_default(tmp_path: Path) -> None:
    """A flag wins over its environment variable, which wins over the default."""
    env = {"DEDUP_DATA": str(tmp_path), "DEDUP_PORT": "9000", "DEDUP_HOST": "0.0.0.0"}
    settings = settings_from_args({"port": "9001"}, env)
    assert (settings.data, settings.port, settings.host) == (tmp_path, 9001, "0.0.0.0")
    assert settings.max_body == 8 * 1024 * 1024
    assert settings.token is None
    assert settings_from_args({}, {**env, "DEDUP_TOKEN": "t"}).token == "t"


def test_tuning_settings_make_a_config(tmp_path: Path) -> None:
    """Tuning settings build a DedupConfig; none given means the store's own config."""
    assert ServiceSettings(data=tmp_path).dedup_config() is None
    env = {"DEDUP_DATA": str(tmp_path), "DEDUP_CONTAINMENT": "off", "DEDUP_THRESHOLD": "0.6"}
    config = settings_from_args({}, env).dedup_config()
    assert config is not None
    assert config.containment is None
    assert config.threshold == 0.6


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({}, "DEDUP_DATA"),
        ({"data": "d", "port": "70000"}, "--port"),
        ({"data": "d", "port": "http"}, "--port"),
        ({"data": "d", "max_batch": "0"}, "--max-batch"),
        ({"data": "d", "max_body": "10"}, "--max-body"),
        ({"data": "d", "workers": "0"}, "--workers"),
        ({"data": "d", "log_level": "loud"}, "--log-level"),
        ({"data": "d", "threshold": "2"}, "threshold"),
        ({"data": "d", "token": " t "}, "token"),
        ({"data": "d", "shutdown_timeout": "-1"}, "--shutdown-timeout"),
    ],
)
def test_invalid_settings_say_what_to_do(given: dict[str, str], words: str) -> None:
    """Each invalid setting raises ConfigError naming the flag or variable to fix."""
    with pytest.raises(ConfigError, match=re.escape(words)):
        settings_from_args(given, {})


def test_invalid_environment_names_the_variable() -> None:
    """A bad environment value is reported with its variable's name."""
    with pytest.raises(ConfigError, match="DEDUP_MAX_PARAGRAPHS"):
        settings_from_args({"data": "d"}, {"DEDUP_MAX_PARAGRAPHS": "many"})


def test_readme_table_lists_every_setting() -> None:
    """Every setting's flag, variable and default appear in one row of the README's table."""
    rows = [
        line
        for line in readme().splitlines()
        if line.startswith("| `--") and "| `DEDUP_" in line  # the batch CLI's table has no env
    ]
    assert len(rows) == len(SETTINGS)
    for setting, row in zip(SETTINGS, rows, strict=True):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[:3] == [f"`{setting.flag}`", f"`{setting.env}`", setting.shown_default]


def test_every_flag_is_in_the_help() -> None:
    """`python -m service --help` lists every flag and variable, and exits 0."""
    result = run("-m", "service", "--help")
    assert result.returncode == 0
    for setting in SETTINGS:
        assert setting.flag in result.stdout
        assert setting.env in result.stdout


def test_dedup_serve_is_wired_and_dedup_stays_light() -> None:
    """`dedup serve --help` works, and importing dedup's CLI does not import aiohttp."""
    result = run("-m", "dedup", "serve", "--help")
    assert result.returncode == 0
    assert "--max-body" in result.stdout
    probe = "import sys, dedup, dedup.cli, service, service.cli; print('aiohttp' in sys.modules)"
    assert run("-c", probe).stdout.strip() == "False"


def test_serve_refuses_bad_settings_and_stores(tmp_path: Path) -> None:
    """Bad settings and an incompatible store exit 2 with a one-line message, before serving."""
    result = run("-m", "service")
    assert result.returncode == 2
    assert "DEDUP_DATA" in result.stderr
    with ServerProcess(tmp_path / "data") as server:
        assert server.terminate() == 0
    result = run("-m", "service", "--data", str(tmp_path / "data"), "--num-perm", "64")
    assert result.returncode == 2
    assert "num_perm" in result.stderr
    assert "Traceback" not in result.stderr


def test_json_formatter_writes_one_line() -> None:
    """Log records, tracebacks included, become one JSON line with their fields."""
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("service", logging.ERROR, "f", 1, "x %s", ("y",), sys.exc_info())
    record.fields = {"event": "request", "status": 500}
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "x y"
    assert parsed["status"] == 500
    assert "boom" in parsed["exc"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_curl_examples_run(tmp_path: Path) -> None:
    """The README's curl examples, pasted as they are, get answers without errors."""
    block = readme().split("and paste these into another one:", 1)[1].split("```sh\n", 1)[1]
    commands = block.split("```", 1)[0].strip().splitlines()
    assert len(commands) >= 8
    with ServerProcess(tmp_path / "data") as server:
        address = server.url.removeprefix("http://")
        for command in commands:
            result = subprocess.run(
                ["bash", "-c", command.replace("localhost:8080", address)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            assert result.returncode == 0, (command, result.stderr)
            assert '"error"' not in result.stdout, (command, result.stdout)
            assert result.stdout.strip(), command


def test_processes_default_to_the_cores_it_may_use(tmp_path: Path) -> None:
    """Without --processes, serve runs one process per core of its CPU affinity; 1 is a choice."""
    cores = len(os.sched_getaffinity(0))
    assert ServiceSettings(data=tmp_path).processes == cores
    assert settings_from_args({"data": str(tmp_path)}, {}).processes == cores
    assert settings_from_args({"data": str(tmp_path), "processes": "1"}, {}).processes == 1
    assert settings_from_args({"data": str(tmp_path)}, {"DEDUP_PROCESSES": "1"}).processes == 1
