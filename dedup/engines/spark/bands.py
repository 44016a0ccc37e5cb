"""Band buckets: every paragraph's bucket and tie rank in every band, without the lone ones.

The candidate pairs are the local engine's windowed join, made inside the buckets.

Why not a star to the smallest member of each bucket: a star yields the same components as
the local engine only if verification were transitive inside a bucket, and it is not. Three
variants A, B, C can share a band while B matches A and C but A and C fail the threshold
against each other; if the smallest member is A, a star verifies A-B and A-C only and loses C,
which the local engine (verifying B-C) keeps. No cheap rule repairs that, so this engine makes
exactly the candidate pairs the local engine makes (:func:`dedup.sketch.lsh.candidate_pairs`):
in every band, the members of a bucket sorted by the same tie rank, each paired with the next
``bucket_window`` members. Same candidates, same verification rule, same verified edges, so
the same components: equality by construction, not by luck (the test suite checks it against
:func:`~dedup.sketch.lsh.candidate_pairs` on random signatures, fed in chunks of any size).

This module gives the rows of those buckets: one ``(band, bucket, tie, rank)`` per paragraph
and band (28 bytes, no signature), counted per bucket so that a bucket of one member, which
makes no pair, is dropped before any signature is attached. A bucket of at most
``bucket_window + 1`` members pairs all of its members whatever their order, and the same
small set of near-duplicates is usually the bucket of many bands: each distinct set is kept
once (the same pairs, found once instead of once per band; on the 50k generated crawl, 8.8 M
rows of small buckets are 4.0 M rows of distinct sets). :mod:`.verify` attaches the
signatures to the rest, sorts them by ``(band, bucket, tie)`` and pairs and verifies them as a
stream. The work stays linear in a bucket's size, as a star's would: a bucket of ``m``
members yields at most ``m * bucket_window`` pairs, and a giant bucket is never held whole
(Spark's sort spills it; the stream keeps ``bucket_window`` members across its chunks).
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

__all__ = ["shared_buckets", "signature_matrix"]

BUCKET_SCHEMA = "band int, bucket long, tie long, rank long"


def shared_buckets(nodes: DataFrame, n: int, config: DedupConfig) -> DataFrame:
    """Return the band rows of ``nodes`` in buckets of two members or more, small sets once.

    Args:
        nodes: ``rank`` (0 .. n-1) and ``signature`` of every paragraph with words.
        n: how many there are (it sets the width of the tie rank, as in the local join).
        config: banding.

    Returns:
        A persisted DataFrame of ``band``, ``bucket``, ``tie`` and ``rank``: one row per
        paragraph and band whose bucket holds more than ``bucket_window + 1`` paragraphs, and
        one row per member of each distinct smaller set of two or more (under the smallest band
        and bucket that holds it, tied by rank). Pairing every member with the next
        ``bucket_window`` ones sorted by ``(band, bucket, tie)`` gives exactly the local
        engine's candidate pairs.
    """
    from pyspark import StorageLevel  # noqa: PLC0415 - optional dependency
    from pyspark.sql import functions as F  # noqa: PLC0415, N812
    from pyspark.sql.window import Window  # noqa: PLC0415

    keep = StorageLevel.MEMORY_AND_DISK
    if n < 2:
        return nodes.sparkSession.createDataFrame([], BUCKET_SCHEMA)
    window = max(1, min(config.bucket_window, n - 1))
    rows = nodes.select("rank", "signature").mapInArrow(_bucketer(config, n), BUCKET_SCHEMA)
    # One shuffle of the narrow rows; the count needs no order inside a bucket.
    size = F.count(F.lit(1)).over(Window.partitionBy("band", "bucket"))
    # Checkpointed, as both kinds of bucket read it: the rows are made and shuffled once, and
    # the plans after it do not repeat the plan before it (twice, in the union below).
    sized = rows.select("*", size.alias("size")).where(F.col("size") >= 2).checkpoint()
    large = sized.where(F.col("size") > window + 1).drop("size")
    # A bucket of at most window + 1 members pairs all its members, in any order: many bands
    # give the same small set (near-duplicates share most bands), so each distinct set is kept
    # once, under the smallest (band, bucket) that gives it, its members tied by rank.
    sets = (
        sized.where(F.col("size") <= window + 1)
        .groupBy("band", "bucket")
        .agg(F.sort_array(F.collect_list("rank")).alias("members"))
        .groupBy("members")
        .agg(F.min(F.struct("band", "bucket")).alias("first"))
    )
    small = sets.select(
        F.col("first.band").alias("band"),
        F.col("first.bucket").alias("bucket"),
        F.explode("members").alias("rank"),
    ).select("band", "bucket", F.col("rank").alias("tie"), "rank")
    return large.unionByName(small).persist(keep)


def signature_matrix(column: pa.Array, rows: int) -> np.ndarray[Any, np.dtype[np.uint32]]:
    """Read a column of signatures (``num_perm`` little-endian uint32 as bytes) as a matrix.

    The Arrow buffers are read in place when every value has the same width (always, here);
    otherwise the values are joined first.
    """
    if rows == 0:
        return np.zeros((0, 0), dtype=np.uint32)
    import pyarrow as pa  # noqa: PLC0415 - runs in a Spark worker

    if column.null_count == 0 and (
        pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type)
    ):
        _, offsets_buffer, data = column.buffers()
        wide = np.int64 if pa.types.is_large_binary(column.type) else np.int32
        offsets = np.frombuffer(
            offsets_buffer,
            dtype=wide,
            count=rows + 1,
            offset=column.offset * np.dtype(wide).itemsize,
        )
        start, end = int(offsets[0]), int(offsets[-1])
        width = (end - start) // rows
        if width % 4 == 0 and (end - start) == width * rows and np.all(np.diff(offsets) == width):
            flat = np.frombuffer(data, dtype="<u4", count=(end - start) // 4, offset=start)
            return flat.astype(np.uint32, copy=False).reshape(rows, width // 4)
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
