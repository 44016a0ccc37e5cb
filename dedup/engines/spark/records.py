"""Assembling the local engine's records from components: per paragraph, per cluster, cleaned pages.

A component's id is the exact key of its first paragraph in input order, which is the first
paragraph of its smallest rank (ranks follow first appearance): the root the components give
it. Clusters are ordered as :mod:`dedup.batch.pipeline` orders them (distinct pages, then size,
descending; ties by first paragraph), members and paragraphs in input order. Every line is
made by :mod:`dedup.io.output` (``assignment_record``, ``cluster_record``, ``dumps``), so the
part files, concatenated in name order, are the local engine's output byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from dedup.batch.clean import clean_page
from dedup.batch.result import Cluster, Member
from dedup.io.output import assignment_record, cluster_record, dumps
from dedup.text.paragraphs import SplitMode, split_paragraphs

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = ["assignment_lines", "cleaned_lines", "cluster_lines", "paragraph_components"]

_U64 = (1 << 64) - 1


def cluster_id(key: int) -> str:
    """The hex id of a component whose first paragraph has this (signed) exact key."""
    return f"{key & _U64:016x}"


def paragraph_components(
    paragraphs: DataFrame, signed: DataFrame, ranks: DataFrame, labels: DataFrame
) -> tuple[DataFrame, DataFrame]:
    """Give every paragraph its component, and describe the clusters.

    Returns:
        ``page``, ``para``, ``doc`` and ``comp`` (the component's id key) of every paragraph;
        and one row per cluster (component of two or more paragraphs) with ``comp``, ``size``,
        ``docs``, ``text``, ``first_page`` and ``first_para``.
    """
    from pyspark.sql import functions as F  # noqa: PLC0415, N812 - optional dependency

    roots = ranks.join(labels.withColumnRenamed("node", "rank"), "rank", "left").select(
        "key", F.coalesce("root", "rank").alias("root_rank")
    )
    root_keys = ranks.select(F.col("rank").alias("root_rank"), F.col("key").alias("comp"))
    key_comp = roots.join(root_keys, "root_rank").select("key", "comp")
    # A key without words (or without any match) is its own component.
    members = paragraphs.join(key_comp, "key", "left").select(
        "page", "para", "doc", F.coalesce("comp", "key").alias("comp")
    )
    per_page = members.groupBy("comp", "page").count()
    sizes = per_page.groupBy("comp").agg(
        F.sum("count").alias("size"), F.count(F.lit(1)).alias("docs")
    )
    info = signed.select(
        F.col("key").alias("comp"), F.col("raw").alias("text"), "first_page", "first_para"
    )
    clusters = sizes.where(F.col("size") >= 2).join(info, "comp")
    return members, clusters


def assignment_lines(members: DataFrame, clusters: DataFrame) -> DataFrame:
    """One JSON line per paragraph, in input order (a global sort by position)."""
    from pyspark.sql import functions as F  # noqa: PLC0415, N812

    rows = members.join(clusters.select("comp", "size"), "comp", "left").orderBy("page", "para")
    return rows.select(
        "doc", "para", "comp", F.coalesce("size", F.lit(1)).alias("size")
    ).mapInArrow(_lines(_assignment), "value string")


def _assignment(row: dict[str, Any]) -> bytes:
    size = row["size"]
    cluster = cluster_id(row["comp"]) if size >= 2 else None
    return dumps(assignment_record(row["doc"], row["para"], cluster, size))


def cluster_lines(members: DataFrame, clusters: DataFrame, min_docs: int) -> DataFrame:
    """One JSON line per cluster spanning ``min_docs`` pages or more, in the local order."""
    from pyspark.sql import functions as F  # noqa: PLC0415, N812

    kept = clusters.where(F.col("docs") >= min_docs)
    listed = (
        members.join(kept.select("comp"), "comp", "left_semi")
        .groupBy("comp")
        .agg(F.sort_array(F.collect_list(F.struct("page", "para", "doc"))).alias("members"))
    )
    ordered = kept.join(listed, "comp").orderBy(
        F.col("docs").desc(), F.col("size").desc(), "first_page", "first_para"
    )
    return ordered.select("comp", "size", "docs", "text", "members").mapInArrow(
        _lines(_cluster), "value string"
    )


def _cluster(row: dict[str, Any]) -> bytes:
    members = tuple(Member(member["doc"], member["para"]) for member in row["members"])
    group = Cluster(cluster_id(row["comp"]), row["size"], row["docs"], row["text"], members)
    return dumps(cluster_record(group))


def cleaned_lines(
    pages: DataFrame,
    members: DataFrame,
    clusters: DataFrame,
    *,
    keep: str,
    min_docs: int,
    split: SplitMode = "blank",
) -> DataFrame:
    """One JSON line per good page, in input order, without its repeated paragraphs.

    A paragraph goes when its cluster spans at least ``min_docs`` pages, unless ``keep`` is
    ``"first"`` and it is the cluster's first paragraph (as :func:`dedup.batch.clean.plan_removals`
    decides).
    """
    from pyspark.sql import functions as F  # noqa: PLC0415, N812

    spans = clusters.where(F.col("docs") >= min_docs).select("comp", "first_page", "first_para")
    flagged = members.join(spans, "comp", "left").select(
        "page",
        "para",
        (
            F.col("first_page").isNotNull()
            & ~(
                F.lit(keep == "first")
                & (F.col("page") == F.col("first_page"))
                & (F.col("para") == F.col("first_para"))
            )
        ).alias("remove"),
    )
    plans = flagged.groupBy("page").agg(
        F.sort_array(F.collect_list(F.struct("para", "remove"))).alias("plan")
    )
    good = pages.where(pages.reason.isNull()).select("page", "id", "text", "record")
    rows = good.join(plans, "page", "left").orderBy("page")
    return rows.select("id", "text", "record", "plan").mapInArrow(
        _lines(_cleaner(split)), "value string"
    )


def _cleaner(split: SplitMode) -> Callable[[dict[str, Any]], bytes]:
    def cleaned(row: dict[str, Any]) -> bytes:
        return _cleaned(row, split)

    return cleaned


def _cleaned(row: dict[str, Any], split: SplitMode) -> bytes:
    paragraphs = split_paragraphs(row["text"], split)
    plan = row["plan"] or []
    cleaned = clean_page(paragraphs, [flag["remove"] for flag in plan])
    record = {"id": row["id"]} if row["record"] is None else json.loads(row["record"])
    record["text"] = cleaned.text
    return dumps(record)


def _lines(
    line: Callable[[dict[str, Any]], bytes],
) -> Callable[[Iterator[Any]], Iterator[Any]]:
    def render(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa  # noqa: PLC0415 - runs in a Spark worker

        for batch in batches:
            # The writer adds the newline each line already ends with.
            values = [line(row)[:-1].decode("utf-8") for row in batch.to_pylist()]
            yield pa.RecordBatch.from_arrays([pa.array(values, pa.string())], names=["value"])

    return render
