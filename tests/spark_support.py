"""What the Spark engine's tests share: the skip reason, one session per module, local runs."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dedup.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# What the latest Spark run of local_and_spark said on stderr.
SAID: list[str] = []


def skip_reason() -> str | None:
    """Why the Spark tests cannot run here, or None when they can."""
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("pyarrow") is None:
        return "pyspark is not installed (pip install 'dedup[spark]')"
    java = shutil.which("java")
    if java is None:
        return "Java 17 is not installed (make java, or apt-get install openjdk-17-jre-headless)"
    version = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    if not any(f'version "{major}' in version for major in range(17, 30)):
        return f"Spark needs Java 17 or later; found {version.splitlines()[0]}"
    return None


@contextlib.contextmanager
def session(partitions: int = 2) -> Iterator[object]:
    """A local[2] SparkSession that the CLI joins (one per test module)."""
    reason = skip_reason()
    if reason is not None:
        pytest.skip(reason)
    from dedup.engines.spark.session import SparkSettings, spark_session

    with spark_session(SparkSettings(master="local[2]", shuffle_partitions=partitions)) as spark:
        yield spark


def run(*argv: str) -> tuple[int, str]:
    """Run ``dedup`` in this process; return the exit code and what it said on stderr."""
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        code = main(list(argv))
    return code, errors.getvalue()


def parts(directory: Path) -> bytes:
    """The part files of a Spark output directory, concatenated in name order."""
    files = sorted(directory.glob("part-*"))
    assert files, f"no part files in {directory}"
    assert all(path.suffix == ".jsonl" for path in files), files
    return b"".join(path.read_bytes() for path in files)


def local_and_spark(tmp: Path, command: str, inputs: list[str], *extra: str) -> tuple[Path, Path]:
    """Run ``command`` on both engines; return the local output file and the Spark directory.

    An ``{engine}`` in ``extra`` becomes ``local`` or ``spark`` (for a second output's path).
    What the Spark run said on stderr is kept in :data:`SAID`.
    """
    local, spark = tmp / f"local-{command}.jsonl", tmp / f"spark-{command}"
    flags = [flag.replace("{engine}", "local") for flag in extra]
    code, said = run(command, *inputs, "-o", str(local), "-q", *flags)
    assert code == 0, said
    flags = [flag.replace("{engine}", "spark") for flag in extra]
    code, said = run(command, *inputs, "-o", str(spark), "-q", "--engine", "spark", *flags)
    assert code == 0, said
    SAID[:] = [said]
    return local, spark
