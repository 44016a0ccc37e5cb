"""Connected components by large-star / small-star (Kiveris et al., 2014) on DataFrames.

The edges are kept as pairs ``(u, v)`` with ``v < u``. Each round is

- **large-star**: every node ``u`` links each larger neighbour ``v`` to ``m(u)``, the smallest
  of ``u`` and all its neighbours;
- **small-star**: every node ``u`` links itself and each smaller neighbour to the smallest of
  ``u`` and its smaller neighbours.

Both keep the components and never raise a node's smallest neighbour; when a round changes
nothing, every component is a star around its smallest node, which is its label (the paper
proves O(log n) rounds for large-star alternated with small-star, log²n in the worst case
of their analysis). A high-degree node costs one aggregation row and one streamed join, so a
skewed graph does not stall a task the way label propagation along a long path does.

Every round's edges are checkpointed, so the lineage (and the plan Spark optimises) stays one
round long; convergence is checked with a count on the cluster, and nothing that grows with
the input comes to the driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["Components", "components"]

# More rounds than this means something is wrong (the expected count is about log2 of the
# largest component's diameter plus a few).
MAX_ROUNDS = 200


@dataclass(frozen=True, slots=True)
class Components:
    """The components of a graph.

    Attributes:
        labels: ``node`` and ``root`` (the smallest node of its component) of every node that
            has an edge; a node without one is its own component.
        rounds: large-star/small-star rounds until nothing changed.
    """

    labels: DataFrame
    rounds: int


def components(edges: DataFrame) -> Components:
    """Label the connected components of the undirected graph ``edges`` (columns ``a``, ``b``).

    Raises:
        RuntimeError: the rounds did not converge within :data:`MAX_ROUNDS`.
    """
    from pyspark.sql import functions as F  # noqa: PLC0415, N812 - optional dependency

    current = (
        edges.where(F.col("a") != F.col("b"))
        .select(
            F.greatest("a", "b").alias("u"),
            F.least("a", "b").alias("v"),
        )
        .distinct()
        .checkpoint()
    )
    size = current.count()
    if size == 0:
        return Components(current.select(F.col("u").alias("node"), F.col("v").alias("root")), 0)
    for rounds in range(1, MAX_ROUNDS + 1):
        following = _small_star(_large_star(current)).checkpoint()
        new_size = following.count()
        changed = new_size != size or not following.exceptAll(current).isEmpty()
        current, size = following, new_size
        if not changed:
            return Components(
                current.select(F.col("u").alias("node"), F.col("v").alias("root")), rounds
            )
    raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")


def _large_star(edges: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F  # noqa: PLC0415, N812

    both = edges.unionByName(edges.select(F.col("v").alias("u"), F.col("u").alias("v")))
    smallest = both.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
    # Every (v, m(u)) with v > u >= m(u): already oriented larger first.
    larger = both.where(F.col("v") > F.col("u"))
    return (
        larger.join(smallest, "u").select(F.col("v").alias("u"), F.col("m").alias("v")).distinct()
    )


def _small_star(edges: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F  # noqa: PLC0415, N812

    # Oriented (u, v) with v < u: a node's smaller neighbours are the v of its rows.
    smallest = edges.groupBy("u").agg(F.min("v").alias("m"))
    moved = (
        edges.join(smallest, "u")
        .where(F.col("v") != F.col("m"))
        .select(F.col("v").alias("u"), F.col("m").alias("v"))
    )
    return moved.unionByName(smallest.select("u", F.col("m").alias("v"))).distinct()
