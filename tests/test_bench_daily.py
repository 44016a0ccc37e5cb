"""bench.daily runs end to end on a small crawl, with the store's snapshot and without."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

# bench/ is not an installed package (only dedup and service are): import it from the work tree.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench.daily
from bench.daily import main


@pytest.mark.parametrize("snapshot", [True, False])
def test_every_timing_is_recorded(
    tmp_path: Path, snapshot: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 pages stored, 40 added and matched: one time per run of each command, and the
    store's snapshot dropped only with --no-snapshot."""
    dropped: list[tuple[int, int]] = []  # the snapshot's rows before and after the drop
    drop = bench.daily._drop_snapshot

    def rows(path: Path) -> int:
        db = sqlite3.connect(path)
        try:
            return int(db.execute("SELECT count(*) FROM snapshot").fetchone()[0])
        finally:
            db.close()

    def watched(path: Path) -> None:
        before = rows(path)
        drop(path)
        dropped.append((before, rows(path)))

    monkeypatch.setattr(bench.daily, "_drop_snapshot", watched)
    out = tmp_path / "daily.json"
    flags = [] if snapshot else ["--no-snapshot"]
    assert main(["--pages", "40", "--runs", "2", "--json", str(out), *flags]) == 0
    result = json.loads(out.read_text())
    assert result["snapshot"] is snapshot
    if snapshot:
        assert dropped == []
    else:  # the snapshot index build took, gone
        assert len(dropped) == 1
        assert dropped[0][0] > 0
        assert dropped[0][1] == 0
    for name in ("index_add_s", "match_s", "cluster_s"):
        assert len(result[name]) == 2
        assert all(seconds > 0 for seconds in result[name])
    assert result["cluster_over_match"] > 0
