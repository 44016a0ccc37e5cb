"""``--engine spark`` gives exactly the local engine's records (local[2], one session here).

Each test runs the same command on both engines and compares the bytes: the Spark part files,
concatenated in name order, must be the local engine's output file.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from spark_support import EXAMPLES, SAID, local_and_spark, parts, run, session

from bench.corpus import generate

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    with session(partitions=2) as started:
        yield started


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    """The generated 300-page crawl, as JSONL records."""
    return [{"id": page.id, "text": page.text} for page in generate(300, seed=7)]


def _write(path: Path, records: Sequence[Mapping[str, object]]) -> None:
    lines = "".join(json.dumps(record) + "\n" for record in records)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(lines.encode()))
    else:
        path.write_text(lines)


def test_the_example_pages_get_the_local_ids_and_records(spark: object, tmp_path: Path) -> None:
    """Two .txt pages: same per-paragraph ids and cluster records as the local engine."""
    inputs = [str(EXAMPLES / "peru.txt"), str(EXAMPLES / "coups.txt")]
    clusters = ["--clusters", str(tmp_path / "{engine}-clusters")]
    local, spark_dir = local_and_spark(tmp_path, "cluster", inputs, *clusters)
    assert parts(spark_dir) == local.read_bytes()
    assert len(local.read_bytes().splitlines()) > 50
    records = parts(tmp_path / "spark-clusters")
    assert records == (tmp_path / "local-clusters").read_bytes()
    assert any(json.loads(line)["docs"] == 2 for line in records.splitlines())


def test_a_generated_crawl_gets_the_local_ids_and_records(
    spark: object, crawl: list[dict[str, str]], tmp_path: Path
) -> None:
    """300 generated pages: every paragraph's cluster id and every cluster record agree with
    the library's ``dedup.cluster`` as written by the local CLI."""
    source = tmp_path / "crawl.jsonl"
    _write(source, crawl)
    extra = ["--clusters", str(tmp_path / "spark-clusters"), "--min-docs", "2"]
    local_extra = ["--clusters", str(tmp_path / "local-clusters.jsonl"), "--min-docs", "2"]
    local = tmp_path / "local.jsonl"
    assert run("cluster", str(source), "-o", str(local), "-q", *local_extra)[0] == 0
    code, said = run(
        "cluster", str(source), "-o", str(tmp_path / "spark"), "-q", "--engine", "spark", *extra
    )
    assert code == 0, said
    assert parts(tmp_path / "spark") == local.read_bytes()
    assert parts(tmp_path / "spark-clusters") == (tmp_path / "local-clusters.jsonl").read_bytes()
    from dedup import cluster

    result = cluster([(page["id"], page["text"]) for page in crawl], jobs=1)
    lines = [json.loads(line) for line in parts(tmp_path / "spark").splitlines()]
    assert [line["cluster"] for line in lines] == [a.cluster for a in result.paragraphs]
    assert len(result.clusters) > 100  # a crawl with many clusters, not a trivial agreement


def test_several_files_split_into_blocks_keep_input_order(
    spark: object, crawl: list[dict[str, str]], tmp_path: Path
) -> None:
    """Several files (one gzipped, one in a subdirectory, a .txt page, a bad line and a
    repeated id skipped),
    each split by Spark into many small blocks, and another shuffle partitioning: still the
    local records, and the skipped line is reported as the local engine reports it."""
    from pyspark.sql import SparkSession

    folder = tmp_path / "crawl"
    (folder / "sub").mkdir(parents=True)
    _write(folder / "b.jsonl.gz", crawl[:90])
    _write(folder / "a.jsonl", crawl[90:200])
    _write(folder / "sub" / "c.jsonl", crawl[200:])
    with (folder / "sub" / "c.jsonl").open("a") as tail:
        tail.write('{"id": "broken", "text": 7}\n')
        tail.write(json.dumps({"id": crawl[0]["id"], "text": "A page again."}) + "\n")
    (folder / "d.txt").write_text(crawl[5]["text"])
    active = SparkSession.getActiveSession()
    assert active is not None
    active.conf.set("spark.sql.files.maxPartitionBytes", str(64 * 1024))
    active.conf.set("spark.sql.files.openCostInBytes", "0")
    try:
        extra = ["--clusters", str(tmp_path / "{engine}-clusters"), "--spark-partitions", "5"]
        local, spark_dir = local_and_spark(tmp_path, "cluster", [str(folder)], *extra, "--skip-bad")
    finally:
        active.conf.unset("spark.sql.files.maxPartitionBytes")
        active.conf.unset("spark.sql.files.openCostInBytes")
        active.conf.set("spark.sql.shuffle.partitions", "2")
    assert parts(spark_dir) == local.read_bytes()
    assert parts(tmp_path / "spark-clusters") == (tmp_path / "local-clusters").read_bytes()
    assert "skipped 2 bad lines" in SAID[0]
    assert f"{folder / 'sub' / 'c.jsonl'}:101:" in SAID[0]
    assert f"{folder / 'sub' / 'c.jsonl'}:102: id {crawl[0]['id']!r} was already given" in SAID[0]


def test_clean_writes_the_local_pages_and_reads_back(spark: object, tmp_path: Path) -> None:
    """``dedup clean --engine spark`` writes the local engine's cleaned pages (other fields
    kept); dedup reads that directory of part files back as input."""
    page = (EXAMPLES / "peru.txt").read_text()
    records: list[dict[str, object]] = [
        {"id": "p1", "text": page, "url": "https://example.org/1", "n": 2**70},
        {"id": "p2", "text": (EXAMPLES / "coups.txt").read_text(), "lang": "en"},
        {"id": "p3", "text": page.replace("Peru", "PERU")},
    ]
    source = tmp_path / "pages.jsonl"
    _write(source, records)
    local, spark_dir = local_and_spark(tmp_path, "clean", [str(source)], "--min-docs", "2")
    assert parts(spark_dir) == local.read_bytes()
    again_local = tmp_path / "again-local.jsonl"
    again_spark = tmp_path / "again-spark.jsonl"
    assert run("cluster", str(local), "-o", str(again_local), "-q")[0] == 0
    code, said = run("cluster", str(spark_dir), "-o", str(again_spark), "-q")
    assert code == 0, said
    assert again_spark.read_bytes() == again_local.read_bytes()


def test_a_bad_line_fails_the_job_naming_file_and_line(spark: object, tmp_path: Path) -> None:
    """A bad line fails the job naming file and line (the first in input order), and leaves
    no output; --skip-bad is tested with several files above."""
    good = tmp_path / "a.jsonl"
    _write(good, [{"id": "a", "text": "Hello there, reader.\n\nSign up now for more."}])
    bad = tmp_path / "b.jsonl"
    bad.write_text(
        '{"id": "b", "text": "Sign up now for more."}\n\n{"id": 3, "text": "x"}\nnot json\n'
    )
    code, said = run(
        "cluster", str(good), str(bad), "-o", str(tmp_path / "out"), "-q", "--engine", "spark"
    )
    assert code == 2
    assert f"{bad}:3:" in said
    assert '"id" must be a string' in said
    assert not (tmp_path / "out").exists()


def test_large_star_small_star_finds_the_union_find_components(spark: object) -> None:
    """A long path in shuffled order, a 300-leaf star (skew) and random edges: the labels are
    union-find's (each node's smallest component member), in a reported number of rounds."""
    import numpy as np
    from pyspark.sql import SparkSession

    from dedup.batch.unionfind import components as union_find
    from dedup.engines.spark.components import components

    rng = np.random.default_rng(3)
    path = rng.permutation(40)
    edges = list(zip(path[:-1].tolist(), path[1:].tolist(), strict=True))
    edges += [(500, 500 + leaf) for leaf in range(1, 300)]
    edges += [tuple(pair) for pair in rng.integers(1000, 1200, size=(150, 2)).tolist()]
    active = SparkSession.getActiveSession()
    assert active is not None
    found = components(active.createDataFrame(edges, "a long, b long"))
    labels = {row["node"]: row["root"] for row in found.labels.collect()}
    expected = union_find(1200, np.array(edges, dtype=np.int64))
    nodes = {node for edge in edges for node in edge}
    assert {node: labels.get(node, node) for node in nodes} == {
        node: int(expected[node]) for node in nodes
    }
    assert 1 <= found.rounds <= 12
