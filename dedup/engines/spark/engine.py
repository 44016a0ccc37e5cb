"""The Spark engine's two jobs, ``cluster`` and ``clean``: the stages in order, timed.

Stages (each ends in an action, so its time is its own):

1. **read**: the inputs into pages in input order (:mod:`.inputs`); bad lines counted.
2. **paragraphs**: split and exact-keyed per partition (:mod:`.fingerprints`).
3. **exact**: one row per exact key (:mod:`.exact`), each signed once (:mod:`.fingerprints`).
4. **rank**: the keys with words numbered in input order (:mod:`.exact`).
5. **bands**: every paragraph's bucket in every band, lone members dropped (:mod:`.bands`).
6. **verify**: the local engine's candidate pairs, made and verified inside the buckets
   (:mod:`.verify`).
7. **components**: large-star/small-star (:mod:`.components`).
8. **write**: the records (:mod:`.records`) as directories of part files (:mod:`.writer`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dedup.config import DedupConfig
from dedup.engines.spark.bands import shared_buckets
from dedup.engines.spark.components import components
from dedup.engines.spark.exact import distinct_keys, rank_keys
from dedup.engines.spark.fingerprints import paragraphs, signed
from dedup.engines.spark.inputs import list_inputs, read_pages
from dedup.engines.spark.records import (
    assignment_lines,
    cleaned_lines,
    cluster_lines,
    paragraph_components,
)
from dedup.engines.spark.verify import checked_pairs, comparisons, edges_of
from dedup.engines.spark.writer import check_destination, write_lines
from dedup.errors import InputError
from dedup.io.page import Page
from dedup.io.sources import duplicate_id
from dedup.text.paragraphs import SplitMode

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, Row, SparkSession

__all__ = ["SparkReport", "StageHook", "clean", "cluster"]

StageHook = Callable[[str], None]
# Bad lines kept for the report of skipped lines; the rest are only counted.
_KEEP_SKIPPED = 10


@dataclass(slots=True)
class SparkReport:
    """What a Spark run did.

    Attributes:
        pages, paragraphs, distinct: good pages, their paragraphs, distinct exact keys.
        band_rows: (paragraph, band) rows in buckets of two or more.
        candidates: candidate pairs compared, once per band that pairs them (the local
            engine's candidate pairs, with a pair that several bands find counted in each).
        edges: the distinct verified pairs.
        rounds: large-star/small-star rounds until convergence.
        clusters: clusters of two or more paragraphs.
        skipped: bad lines skipped (with ``skip_bad``); ``first_skipped``: the first few.
        seconds: wall time of each stage, by name, in order.
    """

    pages: int = 0
    paragraphs: int = 0
    distinct: int = 0
    band_rows: int = 0
    candidates: int = 0
    edges: int = 0
    rounds: int = 0
    clusters: int = 0
    skipped: int = 0
    first_skipped: list[InputError] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self, *, measured: bool) -> str:
        """The report in one line. Only a measured run (``measure``) counted its paragraphs,
        pairs and clusters; an unmeasured one knows its pages and stage times."""
        stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items())
        if not measured:
            return f"{self.pages:,} pages; stages: {stages} (measuring counts the rest)"
        return (
            f"{self.pages:,} pages, {self.paragraphs:,} paragraphs, {self.distinct:,} "
            f"distinct, {self.candidates:,} pairs compared, {self.edges:,} matches, "
            f"{self.clusters:,} clusters; components converged in {self.rounds} rounds; "
            f"stages: {stages}"
        )


class _Stages:
    def __init__(
        self, spark: SparkSession, report: SparkReport, hook: StageHook | None, measure: bool
    ) -> None:
        self.spark, self.report, self.hook = spark, report, hook
        self.measure = measure
        self.number = 0

    def count(self, frame: DataFrame) -> int:
        """Count ``frame`` (computing it now, so the stage's time is its own) when measuring;
        otherwise leave it to be computed where it is used, one Spark job fewer."""
        return frame.count() if self.measure else 0

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.number += 1
        label = f"{self.number}/8 {name}"
        if self.hook is not None:
            self.hook(label)
        self.spark.sparkContext.setJobDescription(f"dedup {label}")
        start = time.perf_counter()
        yield
        self.report.seconds[name] = time.perf_counter() - start


def cluster(
    spark: SparkSession,
    inputs: list[str],
    config: DedupConfig,
    *,
    output: str,
    clusters: str | None = None,
    min_docs: int = 1,
    skip_bad: bool = False,
    split: SplitMode = "blank",
    stage: StageHook | None = None,
    measure: bool = False,
) -> SparkReport:
    """Cluster the inputs; write per-paragraph records to ``output`` and, if given, the
    clusters spanning ``min_docs`` pages to ``clusters`` (each a directory of part files).

    With ``measure``, every stage ends in a count, so the report has each stage's time and
    the counts of paragraphs, keys, pairs and clusters (a few Spark jobs more).

    Raises:
        InputError: a bad line (unless ``skip_bad``), or an input that cannot be read.
    """
    report = SparkReport()
    stages = _Stages(spark, report, stage, measure)
    files = [f.uri for f in list_inputs(spark, inputs)]
    for destination in (output, clusters):
        if destination is not None:
            check_destination(spark, destination, files)
    members, found, _ = _clustered(
        spark, inputs, config, report, stages, skip_bad=skip_bad, records=False, split=split
    )
    with stages("write"):
        write_lines(assignment_lines(members, found), output)
        if clusters is not None:
            write_lines(cluster_lines(members, found, min_docs), clusters)
    return report


def clean(
    spark: SparkSession,
    inputs: list[str],
    config: DedupConfig,
    *,
    output: str,
    keep: str = "first",
    min_docs: int = 1,
    skip_bad: bool = False,
    split: SplitMode = "blank",
    stage: StageHook | None = None,
    measure: bool = False,
) -> SparkReport:
    """Write the pages of the inputs to ``output`` without their repeated paragraphs (as
    :mod:`dedup.batch.clean` decides), a directory of part files in input order.

    Raises:
        InputError: a bad line (unless ``skip_bad``), or an input that cannot be read.
    """
    report = SparkReport()
    stages = _Stages(spark, report, stage, measure)
    check_destination(spark, output, [f.uri for f in list_inputs(spark, inputs)])
    members, found, pages = _clustered(
        spark, inputs, config, report, stages, skip_bad=skip_bad, records=True, split=split
    )
    with stages("write"):
        write_lines(
            cleaned_lines(pages, members, found, keep=keep, min_docs=min_docs, split=split), output
        )
    return report


def _clustered(
    spark: SparkSession,
    inputs: list[str],
    config: DedupConfig,
    report: SparkReport,
    stages: _Stages,
    *,
    skip_bad: bool,
    records: bool,
    split: SplitMode,
) -> tuple[DataFrame, DataFrame, DataFrame]:
    from pyspark import StorageLevel  # noqa: PLC0415 - optional dependency

    keep = StorageLevel.MEMORY_AND_DISK
    with stages("read"):
        files = list_inputs(spark, inputs)
        pages = _first_of_each_id(read_pages(spark, files, records=records)).persist(keep)
        _check_bad(pages, report, skip_bad)
    with stages("paragraphs"):
        paras = paragraphs(pages, config, split).persist(keep)
        report.paragraphs = stages.count(paras)
    with stages("exact"):
        rows = signed(distinct_keys(paras), config).persist(keep)
        report.distinct = stages.count(rows)
    with stages("rank"):
        ranks, n = rank_keys(rows)
        nodes = rows.join(ranks, "key").select("rank", "shingles", "signature").persist(keep)
        stages.count(nodes)
    with stages("bands"):
        shared = shared_buckets(nodes, n, config)
        report.band_rows = stages.count(shared)
    with stages("verify"):
        checked = checked_pairs(shared, nodes, n, config).persist(keep)
        edges = edges_of(checked).persist(keep)
        if stages.measure:
            report.candidates = comparisons(checked)
        report.edges = stages.count(edges)
    with stages("components"):
        found = components(edges)
        report.rounds = found.rounds
        labels = found.labels.persist(keep)
        stages.count(labels)
        for done in (edges, checked, shared):
            done.unpersist()
        nodes.unpersist()
    members, clusters = paragraph_components(paras, rows.drop("signature"), ranks, labels)
    clusters = clusters.persist(keep)
    report.clusters = stages.count(clusters)
    return members, clusters, pages


def _first_of_each_id(pages: DataFrame) -> DataFrame:
    """Mark a good page whose id an earlier page has, as the local reader does: it gets the
    reason ``duplicate`` and the place of the first page with its id."""
    from pyspark.sql import functions as F  # noqa: PLC0415, N812
    from pyspark.sql.window import Window  # noqa: PLC0415

    by_id = Window.partitionBy("id").orderBy("page")
    good = F.col("reason").isNull()
    first = F.concat_ws(":", F.first("name").over(by_id), F.first("line").over(by_id))
    nth = F.when(good, F.row_number().over(by_id))
    return (
        pages.select("*", nth.alias("nth"), F.when(good, first).alias("first"))
        .withColumn(
            "reason", F.when(F.col("nth") > 1, F.lit(_DUPLICATE)).otherwise(F.col("reason"))
        )
        .drop("nth")
    )


_DUPLICATE = "\x00duplicate"


def _error(row: Row) -> InputError:
    """The local reader's error for a bad line or a repeated id."""
    if row["reason"] != _DUPLICATE:
        return InputError(row["reason"], source=row["name"], line=row["line"])
    source, _, line = row["first"].rpartition(":")
    page = Page(row["id"], "", None, row["name"], row["line"])
    return duplicate_id(page, source, int(line))


def _check_bad(pages: DataFrame, report: SparkReport, skip_bad: bool) -> None:
    """Count the pages; fail at the first bad line in input order, or count the bad ones."""
    from pyspark.sql import functions as F  # noqa: PLC0415, N812

    counts = pages.agg(
        F.count(F.when(F.col("reason").isNull(), 1)).alias("good"),
        F.count("reason").alias("bad"),
    ).first()
    assert counts is not None
    report.pages = int(counts["good"])
    bad = int(counts["bad"])
    if not bad:
        return
    first = (
        pages.where(F.col("reason").isNotNull())
        .orderBy("page")
        .select("id", "name", "line", "reason", "first")
    )
    if not skip_bad:
        row = first.first()
        assert row is not None
        raise _error(row)
    report.skipped = bad
    report.first_skipped = [_error(row) for row in first.limit(_KEEP_SKIPPED).collect()]
