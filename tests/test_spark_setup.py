"""The Spark engine's set-up, without starting Spark: a missing pyspark, the job's path, and
the band buckets that let Spark make the local engine's candidate pairs, and the stream
that pairs them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from spark_support import EXAMPLES, run

from dedup.engines.spark.verify import BucketStream
from dedup.sketch.banding import band_buckets
from dedup.sketch.lsh import candidate_pairs


def test_engine_spark_without_pyspark_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With pyspark missing, --engine spark exits 2 and names the extra to install."""
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name.split(".", maxsplit=1)[0] == "pyspark" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    out = tmp_path / "out"
    code, said = run("cluster", str(EXAMPLES / "peru.txt"), "-o", str(out), "--engine", "spark")
    assert code == 2
    assert "pip install 'dedup[spark]'" in said
    assert not out.exists()


def test_the_job_path_is_a_submittable_script() -> None:
    """``python -m dedup.spark --job-path`` prints the job's file, which has a main guard."""
    for module in ("dedup.spark", "dedup.engines.spark"):
        printed = subprocess.run(
            [sys.executable, "-m", module, "--job-path"], check=True, capture_output=True, text=True
        ).stdout.strip()
        job = Path(printed)
        assert job.is_file()
        assert job.name == "job.py"
        assert 'if __name__ == "__main__":' in job.read_text()


def _windowed_pairs(buckets: Any, ties: Any, window: int) -> set[tuple[int, int]]:
    """What the Spark engine does with the buckets: sort each band's buckets by tie rank and
    pair each member with the next ``window`` members of its bucket."""
    found = set()
    n, bands = buckets.shape
    for band in range(bands):
        order = sorted(range(n), key=lambda row: (int(buckets[row, band]), int(ties[row, band])))
        for position, row in enumerate(order):
            for other in order[position + 1 : position + 1 + window]:
                if buckets[other, band] != buckets[row, band]:
                    break
                found.add((min(row, other), max(row, other)))
    return found


@given(
    rows=st.integers(2, 60),
    bands=st.integers(1, 6),
    band_rows=st.integers(1, 3),
    window=st.integers(1, 5),
    alphabet=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_band_buckets_give_the_local_candidate_pairs(  # noqa: PLR0917 - drawn by hypothesis
    rows: int, bands: int, band_rows: int, window: int, alphabet: int, seed: int
) -> None:
    """Buckets computed row by row, then windowed, are exactly ``candidate_pairs``, even with
    buckets larger than the window (a small alphabet makes many equal bands)."""
    rng = np.random.default_rng(seed)
    # An even width: the two-row fast path of candidate_pairs reads pairs of columns.
    signatures = rng.integers(0, alphabet, size=(rows, 2 * bands * band_rows), dtype=np.uint32)
    expected = candidate_pairs(signatures, bands, band_rows, window=window)
    half = rows // 2  # two "partitions", each computed on its own
    ids = np.arange(rows, dtype=np.int64)
    parts = [
        band_buckets(signatures[part], ids[part], rows, bands, band_rows)
        for part in (slice(0, half), slice(half, rows))
    ]
    buckets = np.concatenate([p[0] for p in parts])
    ties = np.concatenate([p[1] for p in parts])
    assert _windowed_pairs(buckets, ties, window) == {tuple(p) for p in expected.tolist()}


@given(
    rows=st.integers(2, 60),
    bands=st.integers(1, 4),
    window=st.integers(1, 5),
    alphabet=st.integers(1, 3),
    chunk=st.integers(1, 9),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_stream_of_sorted_buckets_gives_the_local_candidate_pairs(  # noqa: PLR0917
    rows: int, bands: int, window: int, alphabet: int, chunk: int, seed: int
) -> None:
    """The Spark engine's verifier pairs bucket rows sorted by (band, bucket, tie) as a
    stream of chunks of any size (a bucket spanning many of them): exactly ``candidate_pairs``,
    each pair once per band that pairs it."""
    rng = np.random.default_rng(seed)
    signatures = rng.integers(0, alphabet, size=(rows, 2 * bands), dtype=np.uint32)
    expected = candidate_pairs(signatures, bands, 2, window=window)
    buckets, ties = band_buckets(signatures, np.arange(rows, dtype=np.int64), rows, bands, 2)
    band = np.repeat(np.arange(bands, dtype=np.int32)[None, :], rows, axis=0).reshape(-1)
    order = np.lexsort((ties.reshape(-1), buckets.reshape(-1), band))
    columns: dict[str, Any] = {
        "band": band[order],
        "bucket": buckets.reshape(-1)[order],
        "rank": np.repeat(np.arange(rows, dtype=np.int64), bands)[order],
    }
    stream = BucketStream(window)
    found: list[tuple[int, int, int]] = []
    for low in range(0, rows * bands, chunk):
        part, pairs = stream.feed({name: c[low : low + chunk] for name, c in columns.items()})
        for left, right in pairs.tolist():
            assert part["band"][left] == part["band"][right]
            a, b = sorted((int(part["rank"][left]), int(part["rank"][right])))
            found.append((int(part["band"][left]), a, b))
    assert len(found) == len(set(found))  # no pair twice in one band
    assert {(a, b) for _, a, b in found} == {tuple(p) for p in expected.tolist()}
