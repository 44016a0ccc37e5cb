"""The signature schemes are pinned, and a store signs with the scheme it records.

An `Index` store keeps signatures made when it was built. If normalising, shingling or signing
ever gives other values for the same paragraph, an old store would silently mix two schemes.
These pinned values make such a change visible: whoever changes a scheme must add a new one,
record it in the stores that use it (`dedup/stores/settings.py`), and pin it here.

Issue 10 made ``affine32`` the scheme of new stores; a store from before it records no scheme
and keeps signing with ``multiply_shift``, whose values are pinned unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xxhash

import dedup
from dedup.config import Scheme
from dedup.index.index import STORE_FILE
from dedup.stores.sqlite import SQLiteStore

# Two paragraphs of 28 words or more: they take the ordinary word 5-gram path.
PARAGRAPHS = [
    "Protests spread across the southern provinces after the congress voted to remove the "
    "president, and the new government declared a state of emergency in five regions while "
    "talks with the unions stalled for a third week.",
    "Dec 12, 2022 — Peru’s congress voted to remove the president on Wednesday after he tried "
    "to dissolve it, and prosecutors said they would charge him with rebellion and conspiracy "
    "before a judge in Lima later that night… Read more",
]
# Per scheme and num_perm: xxh3-64 of the uint32 signature bytes, and the first values of the
# first row. The multiply_shift values are those pinned before issue 10.
PINNED: dict[Scheme, dict[int, tuple[str, list[int]]]] = {
    "affine32": {
        64: ("ae4661b3e1e93f2e", [260441352, 44053212, 92364466, 109760767]),
        128: ("a4170a1310baac72", [68882295, 223809644, 241351916, 133057321]),
    },
    "multiply_shift": {
        64: ("e44d74d94d7d0ab4", [437584685, 1394082, 33631926, 155896509]),
        128: ("9a5becc03d234300", [124846845, 271294407, 65479066, 43869727]),
    },
}
# A paragraph and a copy with two words changed: an estimate between 0 and 1, which the two
# schemes give differently.
BLURB = PARAGRAPHS[0]
VARIANT = BLURB.replace("southern", "northern").replace("third", "fourth")


@pytest.mark.parametrize("scheme", list(PINNED))
def test_signatures_of_fixed_paragraphs_are_pinned(scheme: Scheme) -> None:
    """Each scheme (seed 0, word 5-grams over xxh32 words) gives its pinned values."""
    for num_perm, (digest, head) in PINNED[scheme].items():
        hasher = dedup.MinHasher(num_perm=num_perm, seed=0, ngram=5, scheme=scheme)
        signatures = hasher.signatures(PARAGRAPHS)
        assert signatures[0, :4].tolist() == head
        assert xxhash.xxh3_64_hexdigest(signatures.tobytes()) == digest


def test_the_default_scheme_is_affine32() -> None:
    """MinHasher, DedupConfig and the fingerprints of the batch core use affine32."""
    assert dedup.MinHasher().scheme == dedup.DedupConfig().signature_scheme == "affine32"
    want = dedup.MinHasher(num_perm=128, seed=0, ngram=5).signatures(PARAGRAPHS)
    from dedup.sketch.fingerprint import fingerprint

    assert np.array_equal(fingerprint(PARAGRAPHS, dedup.DedupConfig()).signatures, want)


def _estimate(scheme: Scheme) -> float:
    hasher = dedup.MinHasher(num_perm=128, seed=0, ngram=5, scheme=scheme)
    signatures = hasher.signatures([BLURB, VARIANT])
    return float(dedup.jaccard_estimate(signatures[0], signatures[1]))


def test_a_store_from_before_the_scheme_keeps_signing_with_multiply_shift(
    tmp_path: Path,
) -> None:
    """A store whose recorded config has no signature_scheme (made before issue 10) reads as
    multiply_shift, stores and matches with it, even when opened with an explicit config,
    so its old signatures are never compared with affine32 ones."""
    assert _estimate("affine32") != _estimate("multiply_shift")
    old = dedup.DedupConfig(signature_scheme="multiply_shift")
    index = dedup.Index.open(tmp_path, old)
    index.add("a", BLURB)
    index.close()
    store = SQLiteStore(tmp_path / STORE_FILE)
    recorded = json.loads(store.settings()["config"])
    assert recorded["signature_scheme"] == "multiply_shift"
    del recorded["signature_scheme"]  # as a store made before issue 10 records it
    store.save_settings({"config": json.dumps(recorded)})
    _, _, stored = store.fingerprints()
    hasher = dedup.MinHasher(num_perm=128, seed=0, ngram=5, scheme="multiply_shift")
    assert np.array_equal(stored, hasher.signatures([BLURB]))
    store.close()
    for config in (None, dedup.DedupConfig()):
        reopened = dedup.Index.open(tmp_path, config)
        assert reopened.config.signature_scheme == "multiply_shift"
        found = reopened.match(VARIANT)[0]
        assert found is not None
        assert found.similarity == pytest.approx(_estimate("multiply_shift"))
        reopened.close()


def test_a_new_store_records_affine32(tmp_path: Path) -> None:
    """A new store records affine32 and reopens with it, whatever scheme a later config names."""
    index = dedup.Index.open(tmp_path)
    index.add("a", BLURB)
    found = index.match(VARIANT)[0]
    assert found is not None
    assert found.similarity == pytest.approx(_estimate("affine32"))
    index.close()
    store = SQLiteStore(tmp_path / STORE_FILE)
    assert json.loads(store.settings()["config"])["signature_scheme"] == "affine32"
    store.close()
    again = dedup.Index.open(tmp_path, dedup.DedupConfig(signature_scheme="multiply_shift"))
    assert again.config.signature_scheme == "affine32"
    again.close()


def test_an_unknown_scheme_is_refused() -> None:
    """A scheme name neither MinHasher nor DedupConfig knows is a ConfigError naming both."""
    with pytest.raises(dedup.ConfigError, match="affine32"):
        dedup.DedupConfig(signature_scheme="minwise")  # type: ignore[arg-type]
    with pytest.raises(dedup.ConfigError, match="multiply_shift"):
        dedup.MinHasher(scheme="minwise")  # type: ignore[arg-type]
