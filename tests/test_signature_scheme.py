"""The signature scheme is pinned: a change to it must be recorded in the stores it breaks.

An `Index` store keeps signatures made when it was built. If normalising, shingling or signing
ever gives other values for the same paragraph, an old store would silently mix two schemes.
These pinned values make such a change visible: whoever changes the scheme must also record it
in `dedup/stores/settings.py`, so that an old store refuses to open with a message saying how to
rebuild it (`dedup index build`), and then update the values here.
"""

from __future__ import annotations

import xxhash

import dedup

# Two paragraphs of 28 words or more: they take the ordinary word 5-gram path.
PARAGRAPHS = [
    "Protests spread across the southern provinces after the congress voted to remove the "
    "president, and the new government declared a state of emergency in five regions while "
    "talks with the unions stalled for a third week.",
    "Dec 12, 2022 — Peru’s congress voted to remove the president on Wednesday after he tried "
    "to dissolve it, and prosecutors said they would charge him with rebellion and conspiracy "
    "before a judge in Lima later that night… Read more",
]
# xxh3-64 of the uint32 signature bytes, and the first values of the first row.
PINNED = {
    64: ("e44d74d94d7d0ab4", [437584685, 1394082, 33631926, 155896509]),
    128: ("9a5becc03d234300", [124846845, 271294407, 65479066, 43869727]),
}


def test_signatures_of_fixed_paragraphs_are_pinned() -> None:
    """The default scheme (seed 0, word 5-grams, multiply-shift over xxh32 words) is unchanged."""
    for num_perm, (digest, head) in PINNED.items():
        signatures = dedup.MinHasher(num_perm=num_perm, seed=0, ngram=5).signatures(PARAGRAPHS)
        assert signatures[0, :4].tolist() == head
        assert xxhash.xxh3_64_hexdigest(signatures.tobytes()) == digest
