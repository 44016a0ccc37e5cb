"""datasketch interop: our signatures in datasketch's LeanMinHash and MinHashLSH."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHashLSH

import dedup
from dedup.errors import IncompatibleSignatureError
from dedup.sketch.lsh import LSHIndex, candidate_pairs


def _variants(count: int, seed: int = 7) -> list[str]:
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{i}" for i in range(300)]
    base = [" ".join(rng.choice(vocabulary, 40)) for _ in range(count // 4)]
    texts = []
    for text in base:
        words = text.split()
        texts += [
            text,
            " ".join(words[:30]),
            " ".join(words[5:]),
            " ".join(rng.choice(vocabulary, 40)),
        ]
    return texts


def test_lean_minhash_round_trip() -> None:
    """A signature converted to LeanMinHash and back is unchanged."""
    sigs = dedup.MinHasher(num_perm=128, seed=1).signatures(_variants(8))
    for sig in sigs:
        lean = dedup.to_lean_minhash(sig, seed=1)
        assert np.array_equal(dedup.from_lean_minhash(lean), sig)
        assert lean.jaccard(dedup.to_lean_minhash(sigs[0], seed=1)) == dedup.jaccard_estimate(
            sig, sigs[0]
        )


def test_wide_values_are_refused() -> None:
    """A 64-bit MinHash cannot be read as a dedup signature."""
    lean = dedup.to_lean_minhash(np.zeros(4, dtype=np.uint32))
    wide = type("Wide", (), {"hashvalues": np.array([2**40], dtype=np.uint64)})()
    with pytest.raises(IncompatibleSignatureError, match="32 bits"):
        dedup.from_lean_minhash(wide)
    assert dedup.from_lean_minhash(lean).dtype == np.uint32


@pytest.mark.parametrize(("bands", "rows"), [(63, 2), (16, 8), (32, 4)])
def test_datasketch_lsh_returns_our_candidates(bands: int, rows: int) -> None:
    """datasketch's MinHashLSH over our signatures returns exactly our index's candidates."""
    sigs = dedup.MinHasher(num_perm=128, seed=2).signatures(_variants(80))
    theirs = MinHashLSH(num_perm=128, params=(bands, rows))
    ours = LSHIndex(bands, rows)
    for i, sig in enumerate(sigs):
        theirs.insert(i, dedup.to_lean_minhash(sig, seed=2))
    ours.add_many(np.arange(len(sigs), dtype=np.int64), sigs)
    pairs = {tuple(p) for p in candidate_pairs(sigs, bands, rows, window=len(sigs)).tolist()}
    nontrivial = 0
    for i, sig in enumerate(sigs):
        expected = set(theirs.query(dedup.to_lean_minhash(sig, seed=2)))
        assert ours.query(sig) == expected
        assert {j for j in range(len(sigs)) if (min(i, j), max(i, j)) in pairs} | {i} == expected
        nontrivial += len(expected) > 1
    assert nontrivial > 0
