"""Fingerprinting per partition with the project's numpy core, inside ``mapInArrow``.

Two steps, as in the local engine (:mod:`dedup.batch.fingerprinter`): every paragraph is split
off its page and keyed (normalised, then the exact key of :mod:`dedup.sketch.fingerprint`);
only after the exact-duplicate aggregation is each distinct key's normalised text signed, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from dedup.config import DedupConfig
from dedup.sketch.fingerprint import exact_keys, sign_normalized
from dedup.text.paragraphs import SplitMode, split_paragraphs

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = ["PARAGRAPH_SCHEMA", "SIGNED_SCHEMA", "paragraphs", "signed"]

PARAGRAPH_SCHEMA = "page long, para int, doc string, key long, raw string"
SIGNED_SCHEMA = (
    "key long, first_page long, first_para int, raw string, shingles long, signature binary"
)


def paragraphs(pages: DataFrame, config: DedupConfig, split: SplitMode = "blank") -> DataFrame:
    """Split the good pages into paragraphs, each with its exact key.

    Columns: ``page`` (position), ``para`` (index in the page), ``doc`` (the page id), ``key``
    (the exact key as a signed long: the same 64 bits) and ``raw`` (the paragraph's text).
    """
    good = pages.where(pages.reason.isNull()).select("page", "id", "text")
    return good.mapInArrow(_keyer(config, split), PARAGRAPH_SCHEMA)


def _keyer(config: DedupConfig, split: SplitMode) -> Callable[[Iterator[Any]], Iterator[Any]]:
    def key(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return _split_and_key(batches, config, split)

    return key


def _split_and_key(
    batches: Iterator[pa.RecordBatch], config: DedupConfig, split: SplitMode
) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa  # noqa: PLC0415 - runs in a Spark worker

    known: dict[str, int] = {}  # raw text -> exact key, across the partition's batches
    for batch in batches:
        page_col, ids, texts = (batch.column(n).to_pylist() for n in ("page", "id", "text"))
        out_page: list[int] = []
        out_para: list[int] = []
        out_doc: list[str] = []
        raws: list[str] = []
        for page, doc, text in zip(page_col, ids, texts, strict=True):
            found = split_paragraphs(text, split)
            out_page += [page] * len(found)
            out_para += range(len(found))
            out_doc += [doc] * len(found)
            raws += found
        new = list(dict.fromkeys(raw for raw in raws if raw not in known))
        if new:
            keys, _ = exact_keys(new, config)
            known.update(zip(new, keys.view(np.int64).tolist(), strict=True))
        keys_of = [known[raw] for raw in raws]
        if len(known) > 1 << 18:  # bound the memo: a partition of many distinct paragraphs
            known = {}
        yield pa.RecordBatch.from_pydict(
            {
                "page": out_page,
                "para": out_para,
                "doc": out_doc,
                "key": keys_of,
                "raw": raws,
            },
            schema=pa.schema(
                [
                    ("page", pa.int64()),
                    ("para", pa.int32()),
                    ("doc", pa.string()),
                    ("key", pa.int64()),
                    ("raw", pa.string()),
                ]
            ),
        )


def signed(distinct: DataFrame, config: DedupConfig) -> DataFrame:
    """Sign each distinct key's normalised text once.

    Args:
        distinct: one row per exact key with ``key``, ``first`` (the position of its first
            paragraph) and ``raw`` (that paragraph's text).
        config: the MinHash parameters.

    Returns:
        The rows with ``shingles`` (distinct shingle count as the core gives it: 0 without
        words, negative for character shingles) and ``signature``
        (``num_perm`` little-endian uint32 as bytes).
    """
    return distinct.select("key", "first_page", "first_para", "raw").mapInArrow(
        _signer(config), SIGNED_SCHEMA
    )


def _signer(config: DedupConfig) -> Callable[[Iterator[Any]], Iterator[Any]]:
    def sign(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as pa  # noqa: PLC0415 - runs in a Spark worker

        for batch in batches:
            raws = batch.column("raw").to_pylist()
            # The form of the key's first paragraph, as the local engine signs it.
            _, forms = exact_keys(raws, config)
            signatures, counts = sign_normalized(forms, config)
            width = signatures.shape[1] * 4
            flat = pa.py_buffer(np.ascontiguousarray(signatures, dtype="<u4").tobytes())
            offsets = pa.py_buffer(np.arange(0, (len(raws) + 1) * width, width, dtype=np.int32))
            column = pa.Array.from_buffers(pa.binary(), len(raws), [None, offsets, flat])
            yield pa.RecordBatch.from_arrays(
                [
                    batch.column("key"),
                    batch.column("first_page"),
                    batch.column("first_para"),
                    batch.column("raw"),
                    pa.array(counts, type=pa.int64()),
                    column,
                ],
                names=["key", "first_page", "first_para", "raw", "shingles", "signature"],
            )

    return sign
