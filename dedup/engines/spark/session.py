"""Starting Spark for dedup: the session, its quiet logging and its checkpoint directory."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dedup.errors import DedupError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["SparkSettings", "SparkUnavailableError", "require_pyspark", "spark_session"]

INSTALL_HINT = "pip install 'dedup[spark]'"


# Shuffle partitions of a new session unless told otherwise: a few per core of local[2].
_PARTITIONS = 8


class SparkUnavailableError(DedupError, ImportError):
    """pyspark (or the Java it needs) is missing."""


@dataclass(frozen=True, slots=True)
class SparkSettings:
    """How to start Spark.

    Attributes:
        master: the Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``), or None to
            take the one ``spark-submit`` set.
        shuffle_partitions: partitions of every shuffle (``spark.sql.shuffle.partitions``);
            None keeps a running session's setting, or sets 8 in a new one.
        verbose: keep Spark's own INFO/WARN logging instead of errors only.
        progress: show Spark's console progress bar of stages.
        checkpoint_dir: where the connected components checkpoint each round; None makes a
            temporary local directory (fine for ``local[N]``; a cluster needs a shared path).
        conf: other Spark settings, as ``(key, value)`` pairs (``spark.driver.memory``).
    """

    master: str | None = "local[2]"
    shuffle_partitions: int | None = None
    verbose: bool = False
    progress: bool = False
    checkpoint_dir: str | None = None
    conf: tuple[tuple[str, str], ...] = ()


def require_pyspark() -> None:
    """Raise :class:`SparkUnavailableError` saying how to install pyspark when it is missing."""
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("pyarrow") is None:
        raise SparkUnavailableError(
            f"--engine spark needs pyspark and pyarrow; install them with {INSTALL_HINT}"
        )
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise SparkUnavailableError(
            "--engine spark needs Java 17; install it (apt-get install openjdk-17-jre-headless) "
            "or set JAVA_HOME"
        )


@contextlib.contextmanager
def spark_session(settings: SparkSettings) -> Iterator[SparkSession]:
    """Start (or join) a SparkSession for dedup and stop it at the end if this call started it.

    Spark's logging is set to errors only unless ``settings.verbose``; the session runs Python
    workers with numpy's own threading left to one thread each (Spark already runs one worker
    per core).
    """
    require_pyspark()
    from pyspark.sql import SparkSession  # noqa: PLC0415 - optional dependency

    if settings.master is not None and settings.master.startswith("local"):
        # Workers on this machine run this interpreter, which has numpy and dedup installed.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    owned = SparkSession.getActiveSession() is None
    builder = SparkSession.builder.appName("dedup")
    if settings.master is not None:
        builder = builder.master(settings.master)
    partitions = settings.shuffle_partitions
    if owned:
        partitions = partitions or _PARTITIONS
        builder = builder.config("spark.default.parallelism", str(partitions))
    if partitions is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(partitions))
    builder = (
        builder.config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "true" if settings.progress else "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "4096")
        .config("spark.executorEnv.OMP_NUM_THREADS", "1")
    )
    for key, value in settings.conf:
        builder = builder.config(key, value)
    with _quiet_jvm(owned and not settings.verbose):
        session = builder.getOrCreate()
    if not settings.verbose:
        session.sparkContext.setLogLevel("ERROR")
    temporary = None
    directory = settings.checkpoint_dir
    if directory is None:
        directory = temporary = tempfile.mkdtemp(prefix="dedup-spark-checkpoints-")
    session.sparkContext.setCheckpointDir(directory)
    try:
        yield session
    finally:
        if owned:
            session.stop()
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


@contextlib.contextmanager
def _quiet_jvm(quiet: bool) -> Iterator[None]:
    """Start the JVM with its stderr on /dev/null when ``quiet``.

    The JVM (and the Python workers it starts) keep that stderr for good, so Spark's start-up
    banner and its log lines stay out of the terminal; errors still reach dedup as exceptions.
    """
    if not quiet:
        yield
        return
    saved = os.dup(2)
    sink = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(sink, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(sink)
