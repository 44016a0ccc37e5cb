"""The public API: a sorted, complete __all__ whose names resolve and agree with the README."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import dedup

README = Path(__file__).resolve().parent.parent / "README.md"


def _readme_api_names() -> list[str]:
    """The names in the first column of the README's "Public API" table."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Public API", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([A-Za-z_]+)`", section, flags=re.MULTILINE)


def test_all_is_sorted_and_resolves() -> None:
    """__all__ is sorted, has no repeats and every name in it exists."""
    assert list(dedup.__all__) == sorted(dedup.__all__)
    assert len(set(dedup.__all__)) == len(dedup.__all__)
    for name in dedup.__all__:
        assert getattr(dedup, name) is not None


def test_readme_documents_exactly_all() -> None:
    """Every name in dedup.__all__ has a row in the README's API table, and no other name does."""
    names = _readme_api_names()
    assert names, "the README has no Public API table"
    assert sorted(names) == sorted(dedup.__all__)


def test_the_user_facing_names_are_exported() -> None:
    """The names a user needs come from ``import dedup``; the internals from their subpackage."""
    for name in ("cluster", "Index", "DedupConfig", "DedupError", "Clustering", "Match"):
        assert name in dedup.__all__
    from dedup.batch.unionfind import UnionFind
    from dedup.sketch.lsh import LSHIndex

    for internal in (LSHIndex, UnionFind):
        assert internal.__name__ not in dedup.__all__


def test_import_dedup_loads_nothing_heavy() -> None:
    """``import dedup`` alone loads neither numpy nor datasketch; a name loads its module."""
    code = (
        "import sys, dedup; assert 'numpy' not in sys.modules, 'numpy'; "
        "assert 'datasketch' not in sys.modules; dedup.cluster; assert 'numpy' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_attribute_raises() -> None:
    """A missing name raises AttributeError, even through the lazy loader."""
    missing = "no_such_name"
    with pytest.raises(AttributeError, match=missing):
        getattr(dedup, missing)
