"""Tests of bench.signatures: three rows per system, each timing what its name says."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# bench/ is not an installed package (only dedup and service are): import it from the work tree.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.signatures import SHINGLE, SIGN, TEXT, speed_targets, throughput

TEXTS = [
    "Protests spread across the southern provinces after the congress voted to remove him.",
    "Peru’s congress voted to remove the president on Wednesday after he tried to dissolve it.",
    "Sign Up To Our Daily Digest",
]


def test_every_system_has_the_three_rows() -> None:
    """dedup, datasketch and rensa each report text to signature, signing alone and
    normalising + shingling alone, with wall and CPU medians, and the target table compares
    dedup with rensa on the first two."""
    pytest.importorskip("rensa", reason="rensa is in the bench dependency group")
    speed = throughput(TEXTS, runs=2)
    rows = {(s["system"], s["row"]) for s in speed}
    for system in ("dedup", "datasketch", "rensa"):
        assert {(system, TEXT), (system, SIGN), (system, SHINGLE)} <= rows
    for s in speed:
        assert len(s["seconds"]) == len(s["cpu_seconds"]) == 2
        assert s["rate"] == pytest.approx(len(TEXTS) / s["median_seconds"])
    targets = speed_targets(speed)
    assert [row[0].split(":")[0] for row in targets] == [TEXT, SIGN]
