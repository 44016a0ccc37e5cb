"""bench.daily runs end to end on a small crawl, with the store's snapshot and without."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

# bench/ is not an installed package (only dedup and service are): import it from the work tree.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.daily import main


@pytest.mark.parametrize("snapshot", [True, False])
def test_every_timing_is_recorded(tmp_path: Path, snapshot: bool) -> None:
    """40 pages stored, 40 added and matched: one time per run of each command, and the
    store's snapshot as asked."""
    out = tmp_path / "daily.json"
    flags = [] if snapshot else ["--no-snapshot"]
    assert main(["--pages", "40", "--runs", "2", "--json", str(out), *flags]) == 0
    result = json.loads(out.read_text())
    assert result["snapshot"] is snapshot
    for name in ("index_add_s", "match_s", "cluster_s"):
        assert len(result[name]) == 2
        assert all(seconds > 0 for seconds in result[name])
    assert result["cluster_over_match"] > 0
