"""Candidate pairs from band buckets: the local engine's windowed join, as a Spark window.

Why not a star to the smallest member of each bucket: a star yields the same components as
the local engine only if verification were transitive inside a bucket, and it is not. Three
variants A, B, C can share a band while B matches A and C but A and C fail the threshold
against each other; if the smallest member is A, a star verifies A-B and A-C only and loses C,
which the local engine (verifying B-C) keeps. No cheap rule repairs that, so this engine makes
exactly the candidate pairs the local engine makes (:func:`dedup.sketch.lsh.candidate_pairs`):
in every band, the members of a bucket sorted by the same tie rank, each paired with the next
``bucket_window`` members. Same candidates, same verification rule, same verified edges, so
the same components: equality by construction, not by luck (the test suite checks it against
:func:`~dedup.sketch.lsh.candidate_pairs` on random signatures).

The work stays linear in a bucket's size, as a star's would: a bucket of ``m`` members yields
at most ``m * bucket_window`` pairs. A giant bucket is one window partition, which Spark sorts
and spills to disk rather than holding in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from dedup.config import DedupConfig
from dedup.sketch.banding import band_buckets

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = ["candidate_pairs", "signature_matrix"]

BUCKET_SCHEMA = "band int, bucket long, tie long, rank long"


def candidate_pairs(nodes: DataFrame, n: int, config: DedupConfig) -> DataFrame:
    """Return the local engine's candidate pairs among ``nodes``.

    Args:
        nodes: ``rank`` (0 .. n-1) and ``signature`` of every paragraph with words.
        n: how many there are.
        config: banding and ``bucket_window``.

    Returns:
        Distinct pairs ``a < b`` of ranks.
    """
    from pyspark.sql import functions as F  # noqa: PLC0415, N812 - optional dependency
    from pyspark.sql.window import Window  # noqa: PLC0415

    spark = nodes.sparkSession
    if n < 2:
        return spark.createDataFrame([], "a long, b long")
    window = min(config.bucket_window, n - 1)
    buckets = nodes.select("rank", "signature").mapInArrow(_bucketer(config, n), BUCKET_SCHEMA)
    order = Window.partitionBy("band", "bucket").orderBy("tie")
    following = [
        F.lead("rank", step).over(order).alias(f"n{step}") for step in range(1, window + 1)
    ]
    neighbours = buckets.select("rank", *following)
    others = F.array(*[f"n{step}" for step in range(1, window + 1)])
    pairs = neighbours.select("rank", F.explode(others).alias("other")).where(
        F.col("other").isNotNull()
    )
    return pairs.select(
        F.least("rank", "other").alias("a"), F.greatest("rank", "other").alias("b")
    ).distinct()


def signature_matrix(column: pa.Array, rows: int) -> np.ndarray[Any, np.dtype[np.uint32]]:
    """Read a column of signatures (``num_perm`` little-endian uint32 as bytes) as a matrix."""
    if rows == 0:
        return np.zeros((0, 0), dtype=np.uint32)
    flat = np.frombuffer(b"".join(column.to_pylist()), dtype="<u4").astype(np.uint32)
    return flat.reshape(rows, -1)


def _bucketer(config: DedupConfig, n: int) -> Callable[[Iterator[Any]], Iterator[Any]]:
    def emit(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa  # noqa: PLC0415 - runs in a Spark worker

        for batch in batches:
            k = batch.num_rows
            ranks = np.asarray(batch.column("rank").to_numpy(), dtype=np.int64)
            signatures = signature_matrix(batch.column("signature"), k)
            buckets, ties = band_buckets(signatures, ranks, n, config.bands, config.rows)
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(np.tile(np.arange(config.bands, dtype=np.int32), k)),
                    pa.array(buckets.reshape(-1).view(np.int64)),
                    pa.array(ties.reshape(-1).view(np.int64)),
                    pa.array(np.repeat(ranks, config.bands)),
                ],
                names=["band", "bucket", "tie", "rank"],
            )

    return emit
