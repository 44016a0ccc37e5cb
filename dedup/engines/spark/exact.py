"""The exact-duplicate pass: one row per normalised-text key, and its rank in input order.

A paragraph repeated on a million pages becomes one row here, before any band is formed: the
aggregation on the exact key keeps, per key, its first paragraph in input order (the smallest
``(page, para)``; a partial aggregation in every task shrinks the repeats before the shuffle).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    :mod:`.bands`). The order is a global sort by position, numbered by ``zipWithIndex``: it
    does not depend on how the rows are partitioned.

    Returns:
        A persisted DataFrame of ``key`` and ``rank``, and how many keys it holds.
    """
    from pyspark import StorageLevel  # noqa: PLC0415 - optional dependency

    with_words = signed.where(signed.shingles != 0).select("first_page", "first_para", "key")
    ordered: Any = with_words.rdd.map(lambda row: ((row[0], row[1]), row[2])).sortByKey()
    numbered = ordered.zipWithIndex().map(lambda item: (item[0][1], item[1]))
    ranks = with_words.sparkSession.createDataFrame(numbered, "key long, rank long")
    ranks = ranks.persist(StorageLevel.MEMORY_AND_DISK)
    return ranks, ranks.count()
