"""Hypothesis properties of the maths: hashing, normalisation, estimation, union-find, LSH."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
from dedup.batch.unionfind import components
from dedup.config import Scheme
from dedup.sketch.banding import band_keys
from dedup.sketch.fingerprint import fingerprint
from dedup.sketch.lsh import LSHIndex, candidate_pairs
from dedup.sketch.minhash import MinHasher, jaccard_estimate
from dedup.text.normalize import normalize
from dedup.text.shingle import shingle

PROTESTS = "Protests spread across the southern provinces after the congress voted to remove him."
WORDS = st.text(alphabet="abcdefgh", min_size=1, max_size=4)
PARAGRAPH = st.lists(WORDS, min_size=0, max_size=30).map(" ".join)


@given(
    st.lists(st.lists(st.integers(0, 2**32 - 1), max_size=40), min_size=1, max_size=6),
    st.integers(1, 16),
    st.integers(0, 2**32),
    st.integers(1, 50),
    st.sampled_from(["affine32", "multiply_shift"]),
)
def test_signature_equals_python_big_integer_reference(
    paragraphs: list[list[int]], num_perm: int, seed: int, block: int, scheme: Scheme
) -> None:
    """The numpy signatures equal min((a*h + b) mod 2**32) (affine32) or
    min(((a*h + b) mod 2**64) >> 32) (multiply_shift) computed with Python ints, whatever the
    block size (blocks of several paragraphs, a paragraph over several blocks), and a
    paragraph without shingles gets 2**32 - 1 everywhere."""
    hasher = MinHasher(num_perm=num_perm, seed=seed, scheme=scheme)
    batch = shingle([b""] * len(paragraphs), 5)  # replace the hashes by the drawn ones
    distinct = [np.unique(np.array(p, dtype=np.uint32)) for p in paragraphs]
    batch.hashes = np.concatenate(distinct)
    batch.offsets = np.cumsum([0, *map(len, distinct)]).astype(np.int64)
    with patch("dedup.sketch.minhash._CHUNK", block):
        got = hasher.sign(batch).tolist()
    a, b = [int(x) for x in hasher.a], [int(x) for x in hasher.b]
    assert all(ak % 2 == 1 for ak in a)  # odd: each permutation is a bijection

    def permuted(ak: int, bk: int, h: int) -> int:
        if scheme == "affine32":
            return (ak * h + bk) % 2**32
        return ((ak * h + bk) % 2**64) >> 32

    expected = [
        [
            min((permuted(ak, bk, h) for h in hashes), default=2**32 - 1)
            for ak, bk in zip(a, b, strict=True)
        ]
        for hashes in paragraphs
    ]
    assert got == expected


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    """Normalising twice gives what normalising once gives, for any Unicode text."""
    once = normalize(text)
    assert normalize(once) == once


@given(PARAGRAPH, PARAGRAPH)
def test_estimator_is_symmetric_and_exact_on_identity(first: str, second: str) -> None:
    """jaccard_estimate(x, y) == jaccard_estimate(y, x), and x against itself gives 1.0."""
    sigs = MinHasher(num_perm=32, seed=3).signatures([first, second])
    assert jaccard_estimate(sigs[0], sigs[1]) == jaccard_estimate(sigs[1], sigs[0])
    assert jaccard_estimate(sigs[0], sigs[0]) == 1.0


def _bfs_components(n: int, edges: list[tuple[int, int]]) -> list[int]:
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for x, y in edges:
        neighbours[x].append(y)
        neighbours[y].append(x)
    label = [-1] * n
    for start in range(n):
        if label[start] >= 0:
            continue
        label[start] = start
        queue = [start]
        while queue:
            node = queue.pop()
            for other in neighbours[node]:
                if label[other] < 0:
                    label[other] = start
                    queue.append(other)
    return label


@given(
    st.integers(1, 60).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=80),
        )
    )
)
def test_union_find_agrees_with_graph_search(graph: tuple[int, list[tuple[int, int]]]) -> None:
    """Union-find components equal breadth-first search components (smallest node as label)."""
    n, edges = graph
    labels = components(n, np.array(edges, dtype=np.int64).reshape(-1, 2)).tolist()
    assert labels == _bfs_components(n, edges)


@settings(max_examples=60)
@given(
    st.integers(2, 40).flatmap(
        lambda n: st.lists(
            st.lists(st.integers(0, 3), min_size=8, max_size=8), min_size=n, max_size=n
        )
    ),
    st.integers(1, 3),
)
def test_lsh_finds_every_pair_agreeing_on_a_band(rows_values: list[list[int]], window: int) -> None:
    """Pairs that agree on a whole band are candidates, or connected through candidates when a
    bucket is wider than the window; with a wide window they are candidates themselves."""
    sigs = np.array(rows_values, dtype=np.uint32)
    n = sigs.shape[0]
    keys = band_keys(sigs, bands=4, rows=2)
    agreeing = {
        (i, j) for i in range(n) for j in range(i + 1, n) if bool((keys[i] == keys[j]).any())
    }
    wide = {tuple(p) for p in candidate_pairs(sigs, 4, 2, window=n).tolist()}
    assert agreeing == wide
    narrow = candidate_pairs(sigs, 4, 2, window=window)
    assert np.array_equal(candidate_pairs(sigs, 4, 2, window=window, threads=3), narrow)
    labels = components(n, narrow)
    assert all(labels[i] == labels[j] for i, j in agreeing)
    assert {tuple(p) for p in narrow.tolist()} <= agreeing


@settings(max_examples=80)
@given(
    st.integers(1, 9).flatmap(
        lambda width: st.tuples(
            st.integers(1, 3).filter(lambda rows: rows <= width),
            st.integers(2, 30).flatmap(
                lambda n: st.lists(
                    st.lists(st.integers(0, 2), min_size=width, max_size=width),
                    min_size=n,
                    max_size=n,
                )
            ),
        )
    )
)
def test_lsh_pairs_any_signature_width(case: tuple[int, list[list[int]]]) -> None:
    """With a window as wide as the input, the candidates are exactly the pairs agreeing on a
    whole band, whatever the signature width (odd ones too) and the rows per band."""
    rows, rows_values = case
    sigs = np.array(rows_values, dtype=np.uint32)
    n, width = sigs.shape
    bands = width // rows
    cells = sigs[:, : bands * rows].reshape(n, bands, rows)
    agreeing = {
        (i, j)
        for i in range(n)
        for j in range(i + 1, n)
        if any((cells[i, b] == cells[j, b]).all() for b in range(bands))
    }
    found = {tuple(p) for p in candidate_pairs(sigs, bands, rows, window=n).tolist()}
    assert found >= agreeing
    # Bands of three rows are hashed: a rare chance collision adds a pair, never loses one.
    if rows < 3:
        assert found == agreeing


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                PROTESTS,
                PROTESTS.lower().replace(".", " …"),
                "Sign up for our daily digest.",
                "A different story about a chess club and its centenary celebrations in town.",
                PROTESTS.replace("congress", "congres"),
            ]
        ),
        min_size=1,
        max_size=12,
    )
)
def test_output_is_the_same_for_any_jobs(paragraphs: list[str]) -> None:
    """dedup.cluster gives identical assignments with one worker and with two."""
    pages = [(f"p{i}", text) for i, text in enumerate(paragraphs)]
    one = dedup.cluster(pages, jobs=1)
    two = dedup.cluster(pages, jobs=2)
    assert list(one) == list(two)
    assert one.clusters == two.clusters


def test_worker_processes_give_the_same_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """With tiny batches the workers really key and sign, and the result equals the inline
    one; typographic variants in different batches share their one signature."""
    monkeypatch.setattr("dedup.batch.reader.BATCH", 8)
    monkeypatch.setattr("dedup.batch.fingerprinter.BATCH", 8)
    monkeypatch.setattr("dedup.batch.reader.INLINE", 16)
    submitted: list[str] = []

    class Counting(ProcessPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            submitted.append(fn.__name__)
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr("dedup.batch.fingerprinter.ProcessPoolExecutor", Counting)
    variants = [PROTESTS, PROTESTS.upper(), PROTESTS.replace(" ", "  ") + " …"]
    pages = [
        (
            f"p{i}",
            f"{variants[i % 3]} Item {i % 7}.\n\nShared footer line.\n\nUnique {i} {i * 7919}",
        )
        for i in range(200)
    ]
    one = dedup.cluster(pages, jobs=1)
    for jobs in (2, 3):
        other = dedup.cluster(pages, jobs=jobs)
        assert list(one) == list(other)
        assert one.clusters == other.clusters
    assert {"exact_keys", "sign_normalized"} <= set(submitted)
    assert len(one.clusters) >= 2
    assert max(c.size for c in one.clusters) == 200


class _EagerLSH(LSHIndex):
    """Merges after a few records, so short examples exercise every path of the index."""

    buffer = 6


@given(
    st.lists(
        st.one_of(
            st.lists(st.lists(st.integers(0, 3), min_size=6, max_size=6), min_size=1, max_size=9),
            st.integers(0, 40),  # remove the n-th most recent live id
        ),
        max_size=25,
    ),
    st.lists(st.integers(0, 3), min_size=6, max_size=6),
)
def test_lsh_index_finds_exactly_the_live_ids_sharing_a_band(
    steps: list[list[list[int]] | int], probe: list[int]
) -> None:
    """After any adds (bulk or one by one) and removals, a query returns every live id whose
    signature agrees with the probe on a whole band, and nothing else."""
    index = _EagerLSH(bands=3, rows=2)
    live: dict[int, list[int]] = {}
    next_id = 0
    for step in steps:
        if isinstance(step, int):
            if live:
                gone = sorted(live)[-1 - step % len(live)]
                del live[gone]
                index.remove(gone)
            continue
        ids = np.arange(next_id, next_id + len(step), dtype=np.int64)
        index.add_many(ids, np.array(step, dtype=np.uint32))
        live.update(zip(ids.tolist(), step, strict=True))
        next_id += len(step)
    expected = {
        key
        for key, signature in live.items()
        if any(signature[b * 2 : b * 2 + 2] == probe[b * 2 : b * 2 + 2] for b in range(3))
    }
    assert index.query(np.array(probe, dtype=np.uint32)) == expected


@given(
    st.dictionaries(
        st.one_of(st.integers(0, 60), st.integers(2**31, 2**32 - 1)),  # narrow and wide keys
        st.lists(st.integers(0, 3), min_size=6, max_size=6),
        max_size=12,
    ),
    st.lists(st.lists(st.integers(0, 3), min_size=6, max_size=6), min_size=1, max_size=9),
    st.lists(st.integers(0, 11), max_size=3),
    st.booleans(),
)
def test_lsh_query_many_gives_each_query_its_band_sharing_ids_once_in_order(
    held: dict[int, list[int]], probes: list[list[int]], removed: list[int], bulk: bool
) -> None:
    """Every (query, id) pair sharing a band, once, sorted by query then id: from the sorted
    array, the waiting additions (``bulk`` false) and with removed ids left out."""
    index = LSHIndex(bands=3, rows=2) if bulk else _EagerLSH(bands=3, rows=2)
    keys = sorted(held)
    if bulk and keys:
        index.add_many(np.array(keys, dtype=np.int64), np.array([held[k] for k in keys], np.uint32))
    for key in [] if bulk else keys:  # one by one: some wait in the dictionary
        index.add(key, np.array(held[key], dtype=np.uint32))
    gone = {keys[i % len(keys)] for i in removed} if keys else set()
    for key in gone:
        index.remove(key)
    expected = [
        (row, key)
        for row, probe in enumerate(probes)
        for key in keys
        if key not in gone
        and any(held[key][b * 2 : b * 2 + 2] == probe[b * 2 : b * 2 + 2] for b in range(3))
    ]
    rows, ids = index.query_many(np.array(probes, dtype=np.uint32))
    assert rows.dtype == ids.dtype == np.int64
    assert list(zip(rows.tolist(), ids.tolist(), strict=True)) == expected


@given(st.lists(PARAGRAPH, max_size=8), st.data())
def test_fingerprint_leaves_only_known_keys_unsigned(
    paragraphs: list[str], data: st.DataObject
) -> None:
    """With ``known`` keys, those rows get a zero signature and count; every other row is the
    fingerprint it would have had without them."""
    config = dedup.DedupConfig()
    plain = fingerprint(paragraphs, config)
    keys = plain.keys.tolist()
    known = set(data.draw(st.lists(st.sampled_from(keys), unique=True))) if keys else set()
    partial = fingerprint(paragraphs, config, known=known)
    assert partial.keys.tolist() == keys
    for row, key in enumerate(keys):
        if key in known:
            assert partial.counts[row] == 0
            assert not partial.signatures[row].any()
        else:
            assert partial.counts[row] == plain.counts[row]
            assert (partial.signatures[row] == plain.signatures[row]).all()
