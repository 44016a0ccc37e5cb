"""Writing a DataFrame of JSON lines as a directory of part files, whole or not at all.

Spark writes into a hidden sibling directory; its part files are renamed from ``.txt`` to
``.jsonl`` (so that dedup reads the directory back as JSONL, in part order, which is the row
order), and only then does the directory replace the destination. Everything goes through
Hadoop's file system, so the same code writes to a local path, HDFS or S3.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from dedup.errors import DedupError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["check_destination", "write_lines"]


def _hadoop(spark: SparkSession, location: str) -> tuple[Any, Any]:
    jvm: Any = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(location)
    system = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return system, system.makeQualified(path)


def check_destination(spark: SparkSession, location: str, inputs: list[str]) -> None:
    """Refuse a destination that is, holds or lies inside one of the input files' paths.

    Raises:
        DedupError: writing there would replace the input.
    """
    _, target = _hadoop(spark, location)
    mine = str(target.toString()).rstrip("/") + "/"
    for uri in inputs:
        theirs = uri.rstrip("/") + "/"
        if theirs.startswith(mine) or mine.startswith(theirs):
            raise DedupError(
                f"{location}: the output would replace the input {uri}; choose another directory"
            )


def write_lines(lines: DataFrame, location: str) -> int:
    """Write the ``value`` column as JSON lines into the directory ``location``.

    An existing directory there is replaced once the new one is complete.

    Returns:
        How many part files were written.
    """
    spark = lines.sparkSession
    system, target = _hadoop(spark, location)
    parent = target.getParent()
    jvm: Any = spark.sparkContext._jvm
    staging = jvm.org.apache.hadoop.fs.Path(parent, f".{target.getName()}.{uuid.uuid4().hex}.tmp")
    try:
        lines.write.text(str(staging.toString()))
        parts = 0
        for status in system.listStatus(staging):
            name = str(status.getPath().getName())
            if name.startswith("part-") and name.endswith(".txt"):
                renamed = jvm.org.apache.hadoop.fs.Path(staging, name[: -len(".txt")] + ".jsonl")
                system.rename(status.getPath(), renamed)
                parts += 1
        if system.exists(target):
            if not system.getFileStatus(target).isDirectory():
                raise DedupError(f"{location}: exists and is not a directory; remove it first")
            system.delete(target, True)
        if not system.rename(staging, target):
            raise DedupError(f"{location}: cannot move the output into place; check the parent")
        return parts
    finally:
        if system.exists(staging):
            system.delete(staging, True)
