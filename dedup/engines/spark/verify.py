"""Pairing and verifying inside the band buckets, as a stream of sorted rows.

The rows of :func:`.bands.shared_buckets` get their paragraph's shingle count and signature
(one join on the rank), are partitioned by ``(band, bucket)`` and sorted by
``(band, bucket, tie)``; a ``mapInArrow`` then reads each partition as a stream of Arrow
batches, pairs each member with the next ``bucket_window`` members of its bucket (as
:func:`dedup.sketch.lsh.candidate_pairs` does in one band) and keeps the pairs that match
under the core's rule (:func:`dedup.sketch.match.score_pairs`). Only the matches leave Python.

A bucket can span batches: the stream carries the last ``bucket_window`` members of the open
bucket over to the next batch (:class:`BucketStream`), so a giant bucket costs one batch of
memory, never the whole bucket. A pair found by several bands is checked in each and kept
once (a ``distinct`` on the matches).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from dedup.config import DedupConfig
from dedup.engines.spark.bands import signature_matrix
from dedup.sketch.match import score_pairs

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = ["CHECKED_SCHEMA", "BucketStream", "checked_pairs", "comparisons", "edges_of"]

# A match (a, b, null), or once per partition (null, null, pairs compared in it).
CHECKED_SCHEMA = "a long, b long, compared long"

Columns = dict[str, npt.NDArray[Any]]


class BucketStream:
    """The windowed pairs of rows sorted by ``(band, bucket, tie)``, fed a chunk at a time.

    Each chunk is a dict of aligned columns (``band`` and ``bucket`` among them, any others
    carried along). :meth:`feed` returns the chunk with the carried rows in front and the pairs
    (row indices into it) that the chunk completes: every member paired with each of the next
    ``window`` members of its bucket, each pair once over the whole stream.
    """

    def __init__(self, window: int) -> None:
        self.window = window
        self.carry: Columns | None = None

    def feed(self, chunk: Columns) -> tuple[Columns, npt.NDArray[np.int64]]:
        """Return the chunk (carried rows first) and its new pairs, ``(k, 2)`` indices."""
        carried = 0
        if self.carry is not None:
            carried = len(self.carry["band"])
            chunk = {
                name: np.concatenate((self.carry[name], column)) for name, column in chunk.items()
            }
        band, bucket = chunk["band"], chunk["bucket"]
        k = len(band)
        found = []
        for step in range(1, min(self.window, k - 1) + 1):
            same = (bucket[step:] == bucket[:-step]) & (band[step:] == band[:-step])
            left = np.flatnonzero(same)
            if left.size == 0:  # buckets are contiguous: no pair this far, none farther
                break
            left = left[left + step >= carried]  # pairs within the carried rows were given
            found.append(np.stack((left, left + step), axis=1))
        pairs = np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)
        self.carry = None
        if k:
            low = max(0, k - self.window)
            open_bucket = (band[low:] == band[-1]) & (bucket[low:] == bucket[-1])
            start = low + int(np.argmax(open_bucket))  # the open bucket's tail is contiguous
            self.carry = {name: column[start:] for name, column in chunk.items()}
        return chunk, pairs.astype(np.int64, copy=False)


def checked_pairs(shared: DataFrame, nodes: DataFrame, n: int, config: DedupConfig) -> DataFrame:
    """Pair and verify the members of every shared bucket.

    Args:
        shared: ``band``, ``bucket``, ``tie`` and ``rank`` of the rows in buckets of two or more.
        nodes: ``rank``, ``shingles`` and ``signature`` of every paragraph with words.
        n: how many nodes there are.
        config: ``bucket_window`` and the thresholds.

    Returns:
        Rows of :data:`CHECKED_SCHEMA`: every match found (a pair ``a < b`` of ranks, once per
        band that pairs it), and per partition the number of pairs compared; see
        :func:`edges_of` and :func:`comparisons`.
    """
    window = max(1, min(config.bucket_window, n - 1))
    rows = shared.join(nodes.select("rank", "shingles", "signature"), "rank")
    ordered = rows.repartition("band", "bucket").sortWithinPartitions("band", "bucket", "tie")
    return ordered.select("band", "bucket", "rank", "shingles", "signature").mapInArrow(
        _checker(config, window), CHECKED_SCHEMA
    )


def edges_of(checked: DataFrame) -> DataFrame:
    """The matches of :func:`checked_pairs`, each once: the edges ``a < b``."""
    return checked.where(checked.a.isNotNull()).select("a", "b").distinct()


def comparisons(checked: DataFrame) -> int:
    """How many candidate pairs :func:`checked_pairs` compared (once per band that pairs them)."""
    from pyspark.sql import functions as F  # noqa: PLC0415, N812 - optional dependency

    total = checked.agg(F.sum("compared")).first()
    return int(total[0] or 0) if total is not None else 0


def _checker(config: DedupConfig, window: int) -> Callable[[Iterator[Any]], Iterator[Any]]:
    def check(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa  # noqa: PLC0415 - runs in a Spark worker

        stream = BucketStream(window)
        compared = 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            chunk, pairs = stream.feed(
                {
                    "band": batch.column("band").to_numpy(),
                    "bucket": batch.column("bucket").to_numpy(),
                    "rank": batch.column("rank").to_numpy(),
                    "shingles": np.asarray(batch.column("shingles").to_numpy(), dtype=np.int64),
                    "signature": signature_matrix(batch.column("signature"), batch.num_rows),
                }
            )
            if pairs.shape[0] == 0:
                continue
            compared += pairs.shape[0]
            scores = score_pairs(chunk["signature"], chunk["shingles"], pairs, config)
            matched = pairs[scores.matched]
            first, second = chunk["rank"][matched[:, 0]], chunk["rank"][matched[:, 1]]
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(np.minimum(first, second)),
                    pa.array(np.maximum(first, second)),
                    pa.nulls(matched.shape[0], pa.int64()),
                ],
                names=["a", "b", "compared"],
            )
        none = pa.nulls(1, pa.int64())
        count = pa.array([compared], pa.int64())
        yield pa.RecordBatch.from_arrays([none, none, count], names=["a", "b", "compared"])

    return check
