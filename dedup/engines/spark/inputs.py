"""Reading the inputs into a DataFrame of pages that knows each page's place in input order.

Input order is the local engine's: the inputs in the order given, a directory's files sorted by
path, then line order in each file. Each page gets the position ``rank << 40 | line``, where
``rank`` is its file's place in that order and ``line`` its 1-based line, so sorting by
position is sorting in input order, whatever the partitioning.

Spark splits a large uncompressed file into blocks read by different tasks, and a task does not
know how many lines came before its block. So the lines of every block are counted first (in
the JVM, no Python), a running sum per file gives each block's first line, and the parsed
lines, numbered within their block as the task reads them (a task reads a block's lines in
file order), are joined to it. Only that small table of blocks is broadcast; nothing grows on
the driver but the list of input files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dedup.errors import InputError
from dedup.io.discovery import expand_inputs, input_kind
from dedup.io.jsonl import parse_line
from dedup.io.page import Page
from dedup.io.sources import text_page

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["LINE_BITS", "InputFile", "list_inputs", "read_pages"]

# A page's position is rank << LINE_BITS | line: room for 2**40 lines per file, 2**23 files.
LINE_BITS = 40
_BOM = b"\xef\xbb\xbf"
PAGE_SCHEMA = (
    "path string, block long, idx long, id string, text string, reason string, record string"
)


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input file.

    Attributes:
        rank: its place in input order.
        uri: the qualified path Spark reads and reports (``file:/...``, ``s3a://...``).
        name: how the local engine names it in messages and as a .txt page's id.
        kind: ``"jsonl"`` or ``"text"``.
    """

    rank: int
    uri: str
    name: str
    kind: str


def list_inputs(spark: SparkSession, inputs: Iterable[str]) -> list[InputFile]:
    """Expand the inputs into files in input order.

    Local paths are expanded as the local engine expands them; a URI (``hdfs://``, ``s3a://``)
    is listed through Hadoop's file system, a directory recursively, sorted by path.

    Raises:
        InputError: An input is stdin, missing, or not a .jsonl/.txt file (optionally .gz).
    """
    files: list[InputFile] = []
    for name in inputs:
        if name == "-":
            raise InputError(
                "--engine spark cannot read stdin; write the pages to a file first", source=name
            )
        if "://" in name:
            found = _list_uri(spark, name)
        else:
            found = [(path, _local_uri(spark, path)) for path in expand_inputs([name])]
        for path, uri in found:
            kind = input_kind(path)
            if kind not in ("jsonl", "text"):
                raise InputError(
                    "--engine spark reads .jsonl and .txt files (optionally .gz); read HTML "
                    "and WARC with the local engine for now",
                    source=path,
                )
            files.append(InputFile(len(files), uri, path, kind))
    return files


def _local_uri(spark: SparkSession, path: str) -> str:
    return _qualify(spark, "file://" + os.path.abspath(path))


def _qualify(spark: SparkSession, uri: str) -> str:
    jvm: Any = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    system = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return str(system.makeQualified(path).toString())


def _list_uri(spark: SparkSession, uri: str) -> list[tuple[str, str]]:
    jvm: Any = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    system = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if not system.exists(path):
        raise InputError("no such file or directory; check the path", source=uri)
    if not system.getFileStatus(path).isDirectory():
        if input_kind(uri) is None:
            raise InputError(
                "unsupported input; pass .jsonl or .txt files (optionally .gz) or a directory",
                source=uri,
            )
        name = str(system.makeQualified(path).toString())
        return [(uri, name)]
    found = []
    listing = system.listFiles(path, True)
    while listing.hasNext():
        qualified = str(listing.next().getPath().toString())
        if input_kind(qualified) is not None:
            found.append((qualified, qualified))
    return sorted(found)


def read_pages(spark: SparkSession, files: list[InputFile], *, records: bool = False) -> DataFrame:
    """Return the pages of ``files``, bad lines included as rows with a ``reason``.

    Columns: ``page`` (the position, see the module docstring), ``id``, ``text`` (null on a
    bad line), ``reason`` (why a line is bad, else null), ``name`` and ``line`` (for messages),
    and ``record``: with ``records``, a JSONL page's whole line (for ``clean`` to pass its
    other fields through), else null.
    """
    from pyspark.sql import functions as F  # noqa: PLC0415, N812 - optional dependency
    from pyspark.sql.window import Window  # noqa: PLC0415

    table = spark.createDataFrame(
        [(f.uri, f.rank, f.name) for f in files], "path string, rank long, name string"
    )
    parts = []
    jsonl = [f.uri for f in files if f.kind == "jsonl"]
    if jsonl:
        scan = spark.read.text(jsonl).select(
            F.col("value").cast("binary").alias("raw"),
            F.col("_metadata.file_path").alias("path"),
            F.col("_metadata.file_block_start").alias("block"),
        )
        before = Window.partitionBy("path").orderBy("block")
        blocks = (
            scan.groupBy("path", "block")
            .count()
            .withColumn(
                "offset",
                F.coalesce(
                    F.sum("count").over(before.rowsBetween(Window.unboundedPreceding, -1)), F.lit(0)
                ),
            )
            .join(table, "path")
            .select("path", "block", "offset", "rank", "name")
        )
        parsed = scan.mapInArrow(_jsonl_parser(records), PAGE_SCHEMA)
        parts.append(parsed.join(F.broadcast(blocks), ["path", "block"]))
    texts = [f.uri for f in files if f.kind == "text"]
    if texts:
        scan = spark.read.text(texts, wholetext=True).select(
            F.col("value").cast("binary").alias("raw"),
            F.col("_metadata.file_path").alias("path"),
        )
        named = scan.join(F.broadcast(table), "path")
        parts.append(
            named.mapInArrow(_parse_text, PAGE_SCHEMA)
            .join(F.broadcast(table), "path")
            .withColumn("offset", F.lit(0).cast("long"))
        )
    pages = parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1])
    line = F.col("offset") + F.col("idx") + 1
    return pages.select(
        (F.shiftleft(F.col("rank"), LINE_BITS) + line).alias("page"),
        "id",
        "text",
        "reason",
        "name",
        line.alias("line"),
        "record",
    )


def _jsonl_parser(records: bool) -> Callable[[Iterator[Any]], Iterator[Any]]:
    def parse(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return _parse_jsonl(batches, records)

    return parse


def _parse_jsonl(batches: Iterator[pa.RecordBatch], records: bool) -> Iterator[pa.RecordBatch]:
    """Parse JSONL lines; number each within its block in the order the task reads them."""
    import pyarrow as pa  # noqa: PLC0415 - runs in a Spark worker

    seen: dict[tuple[str, int], int] = {}
    for batch in batches:
        out: dict[str, list[Any]] = {name: [] for name in _FIELDS}
        for raw, path, block in zip(
            *(batch.column(name).to_pylist() for name in ("raw", "path", "block")), strict=True
        ):
            idx = seen.get((path, block), 0)
            seen[(path, block)] = idx + 1
            line = raw[len(_BOM) :] if block == 0 and idx == 0 and raw.startswith(_BOM) else raw
            if not line.strip():
                continue
            try:
                page = parse_line(line, "", 0)
            except InputError as exc:
                _append(out, path, block, idx, None, None, exc.reason, None)
                continue
            if not isinstance(page, Page):  # only with html=True, which is not asked for
                raise TypeError("parse_line gave an HTML page to a JSONL text reader")
            record = line.decode("utf-8") if records else None
            _append(out, path, block, idx, page.id, page.text, None, record)
        yield pa.RecordBatch.from_pydict(out, schema=_arrow_schema())


def _parse_text(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Decode whole .txt files: one page each, its id the file's name as given."""
    import pyarrow as pa  # noqa: PLC0415 - runs in a Spark worker

    for batch in batches:
        out: dict[str, list[Any]] = {name: [] for name in _FIELDS}
        for raw, path, name in zip(
            *(batch.column(field).to_pylist() for field in ("raw", "path", "name")), strict=True
        ):
            try:
                page = text_page(raw, name)
            except InputError as exc:
                # A bad byte in a .txt file is reported at its line.
                _append(out, path, 0, (exc.line or 1) - 1, None, None, exc.reason, None)
                continue
            _append(out, path, 0, 0, page.id, page.text, None, None)
        yield pa.RecordBatch.from_pydict(out, schema=_arrow_schema())


_FIELDS = ("path", "block", "idx", "id", "text", "reason", "record")


def _append(out: dict[str, list[Any]], *values: object) -> None:
    for name, value in zip(_FIELDS, values, strict=True):
        out[name].append(value)


def _arrow_schema() -> pa.Schema:
    import pyarrow as pa  # noqa: PLC0415

    return pa.schema(
        [
            ("path", pa.string()),
            ("block", pa.int64()),
            ("idx", pa.int64()),
            ("id", pa.string()),
            ("text", pa.string()),
            ("reason", pa.string()),
            ("record", pa.string()),
        ]
    )
