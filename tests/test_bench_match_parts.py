"""bench.match_parts runs end to end on a small crawl and reports every part."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

# bench/ is not an installed package (only dedup and service are): import it from the work tree.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.match_parts import main


def test_every_part_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """A store of 60 pages and a crawl of 60: the load, the matching with twins indexed once
    and with every twin, its lookups and pruning, and the candidate pairs of both, no more
    with twins left out."""
    assert main(["--pages", "60", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    for part in ("load the store", "match the distinct", "every twin indexed"):
        assert re.search(part + r".*CPU [0-9.]+ s, wall [0-9.]+ s", out), part
    assert re.search(r"its LSH lookups, in one thread: CPU [0-9.]+ s", out)
    found = re.search(r"candidate pairs: ([0-9,]+) with twins indexed once, ([0-9,]+) without", out)
    assert found is not None
    once, every = (int(n.replace(",", "")) for n in found.groups())
    assert 0 < once <= every
    pruned = re.search(r"the pruning of their ([0-9,]+) pairs, in one block: CPU [0-9.]+ s", out)
    assert pruned is not None
    assert int(pruned.group(1).replace(",", "")) == once  # the lookups' pairs, all of them
