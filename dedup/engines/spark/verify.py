"""Verifying candidate pairs with the core's match rule (:func:`dedup.sketch.match.score_pairs`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from dedup.config import DedupConfig
from dedup.engines.spark.bands import signature_matrix
from dedup.sketch.match import score_pairs

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = ["verified_edges"]


def verified_edges(pairs: DataFrame, nodes: DataFrame, config: DedupConfig) -> DataFrame:
    """Keep the candidate pairs that match.

    Args:
        pairs: ``a``, ``b`` ranks.
        nodes: ``rank``, ``shingles`` and ``signature`` of every paragraph with words.
        config: the thresholds.

    Returns:
        The matching pairs ``a < b``: the edges of the near-duplicate graph.
    """
    left = nodes.select(
        nodes.rank.alias("a"), nodes.shingles.alias("count_a"), nodes.signature.alias("sig_a")
    )
    right = nodes.select(
        nodes.rank.alias("b"), nodes.shingles.alias("count_b"), nodes.signature.alias("sig_b")
    )
    both = pairs.join(left, "a").join(right, "b")
    return both.mapInArrow(_verifier(config), "a long, b long")


def _verifier(config: DedupConfig) -> Callable[[Iterator[Any]], Iterator[Any]]:
    def verify(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa  # noqa: PLC0415 - runs in a Spark worker

        for batch in batches:
            k = batch.num_rows
            first = signature_matrix(batch.column("sig_a"), k)
            second = signature_matrix(batch.column("sig_b"), k)
            rows = np.arange(k, dtype=np.int64)
            scores = score_pairs(
                first,
                np.asarray(batch.column("count_a").to_numpy(), dtype=np.int64),
                np.stack((rows, rows), axis=1),
                config,
                others=second,
                other_counts=np.asarray(batch.column("count_b").to_numpy(), dtype=np.int64),
            )
            keep = pa.array(scores.matched)
            yield pa.RecordBatch.from_arrays(
                [batch.column("a").filter(keep), batch.column("b").filter(keep)], names=["a", "b"]
            )

    return verify
