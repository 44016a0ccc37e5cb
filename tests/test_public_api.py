"""The public API: a sorted, complete __all__ whose names all resolve."""

from __future__ import annotations

import pytest

import dedup


def test_all_is_sorted_and_resolves() -> None:
    """__all__ is sorted, has no repeats and every name in it exists."""
    assert list(dedup.__all__) == sorted(dedup.__all__)
    assert len(set(dedup.__all__)) == len(dedup.__all__)
    for name in dedup.__all__:
        assert getattr(dedup, name) is not None


def test_public_classes_are_exported() -> None:
    """Every public class or function defined in a dedup module used by the API is exported."""
    for name in ("cluster", "Index", "DedupConfig", "MinHasher", "LSHIndex", "Clustering", "Match"):
        assert name in dedup.__all__


def test_unknown_attribute_raises() -> None:
    """A missing name raises AttributeError, even through the lazy interop loader."""
    missing = "no_such_name"
    with pytest.raises(AttributeError, match=missing):
        getattr(dedup, missing)
