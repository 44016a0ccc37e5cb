"""The exact-duplicate pass: one row per normalised-text key, and its rank in input order.

A paragraph repeated on a million pages becomes one row here, before any band is formed: the
aggregation on the exact key keeps, per key, its first paragraph in input order (the smallest
``(page, para)``; a partial aggregation in every task shrinks the repeats before the shuffle).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["distinct_keys", "rank_keys"]


def distinct_keys(paragraphs: DataFrame) -> DataFrame:
    """Collapse paragraphs on their exact key.

    Returns:
        One row per key: ``key``, ``first_page`` and ``first_para`` (the key's first paragraph
        in input order) and ``raw`` (that paragraph's text).
    """
    from pyspark.sql import functions as F  # noqa: PLC0415, N812 - optional dependency

    first = F.min(F.struct("page", "para", "raw")).alias("first")
    return (
        paragraphs.groupBy("key")
        .agg(first)
        .select(
            "key",
            F.col("first.page").alias("first_page"),
            F.col("first.para").alias("first_para"),
            F.col("first.raw").alias("raw"),
        )
    )


def rank_keys(signed: DataFrame) -> tuple[DataFrame, int]:
    """Number the keys that have words in order of their first paragraph, from 0.

    These are the row numbers the local engine's band join gives the same paragraphs (its
    distinct rows are numbered by first appearance, and the rows without words, a shingle
    count of 0, are left out of the join), so the tie order in every bucket is the same (see
    :mod:`.bands`). The order is a global sort by position (range partitions, each sorted);
    a row's rank is the rows of the partitions before its own plus its place in its own, as
    ``zipWithIndex`` numbers, but in the JVM: the sorted rows are kept with their partition,
    the per-partition counts (one row per partition) are summed into offsets and joined back.
    It does not depend on how the rows are partitioned.

    Returns:
        A persisted DataFrame of ``key`` and ``rank``, and how many keys it holds.
    """
    from pyspark import StorageLevel  # noqa: PLC0415 - optional dependency
    from pyspark.sql import functions as F  # noqa: PLC0415, N812
    from pyspark.sql.window import Window  # noqa: PLC0415

    keep = StorageLevel.MEMORY_AND_DISK
    with_words = signed.where(signed.shingles != 0).select("first_page", "first_para", "key")
    # Positions are distinct, so the order is total; the partition is fixed once persisted.
    ordered = (
        with_words.orderBy("first_page", "first_para")
        .withColumn("part", F.spark_partition_id())
        .persist(keep)
    )
    sizes = ordered.groupBy("part").count()
    before = Window.orderBy("part").rowsBetween(Window.unboundedPreceding, -1)
    offsets = sizes.select(
        "part", F.coalesce(F.sum("count").over(before), F.lit(0)).alias("offset")
    )
    within = Window.partitionBy("part").orderBy("first_page", "first_para")
    ranks = (
        ordered.join(F.broadcast(offsets), "part")
        .select("key", (F.col("offset") + F.row_number().over(within) - 1).alias("rank"))
        .persist(keep)
    )
    total = ranks.count()
    ordered.unpersist()
    return ranks, total
