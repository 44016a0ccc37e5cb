"""The consistency scan of ``dedup store check``: the same rules for every store.

A store is consistent when every paragraph's fingerprint is stored and every stored fingerprint
belongs to a paragraph (no orphan entries), each document id is stored once, and all copies of
one exact paragraph sit in one cluster (no paragraph is a member of two clusters). A store may
add checks of its own layout (:class:`Audited`), such as the Redis store's document records
that its order set does not name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from dedup.errors import StoreError
from dedup.stores.store import Store

__all__ = ["Audited", "StoreReport", "check_store"]

# Problems listed one by one; beyond that, a count.
_SHOWN = 20
# Scans of a store that others keep writing to, before giving up.
_ATTEMPTS = 5


@runtime_checkable
class Audited(Protocol):
    """A store that can check its own layout beyond what :class:`Store` shows."""

    def layout_problems(self) -> list[str]:
        """Return what is wrong in the store's own layout (empty when nothing)."""
        ...


@dataclass(frozen=True, slots=True)
class StoreReport:
    """What a scan found: sizes, and the problems (empty for a consistent store)."""

    documents: int
    paragraphs: int
    entries: int
    clusters: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no problem was found."""
        return not self.problems


def check_store(open_store: Callable[[], Store]) -> StoreReport:
    """Scan a store for orphan entries, missing fingerprints and split clusters.

    Args:
        open_store: opens the store afresh; a scan that others' writes overlapped is repeated.

    Raises:
        StoreError: writers kept changing the store through every scan.
    """
    for _ in range(_ATTEMPTS):
        store = open_store()
        try:
            with store.reading():
                store.changes()
                report = _scan(store)
            if not store.stale():
                return report
        finally:
            store.close()
    raise StoreError(
        f"the store changed during each of {_ATTEMPTS} scans; check it while writes pause"
    )


def _scan(store: Store) -> StoreReport:
    keys, _, _ = store.fingerprints()  # first: every stored one, not those a load would take
    skeleton = store.skeleton()
    problems: list[str] = []
    for doc_id, times in Counter(skeleton.ids).items():
        if times > 1:
            problems.append(f"document {doc_id!r} is stored {times} times")
    if sum(skeleton.counts) != len(skeleton.keys) or len(skeleton.keys) != len(skeleton.clusters):
        problems.append("the documents' paragraph counts disagree with their paragraphs")
    stored = set(keys)
    if len(stored) != len(keys):
        problems.append(f"{len(keys) - len(stored)} fingerprints are stored twice")
    used = set(skeleton.keys)
    for key in sorted(used - stored):
        problems.append(f"paragraph key {key:016x} has no stored fingerprint")
    for key in sorted(stored - used):
        problems.append(f"orphan entry: fingerprint {key:016x} belongs to no paragraph")
    clusters_of: dict[int, set[str]] = {}
    for key, cluster in zip(skeleton.keys, skeleton.clusters, strict=False):
        clusters_of.setdefault(key, set()).add(cluster)
    for key, clusters in clusters_of.items():
        if len(clusters) > 1:
            problems.append(
                f"copies of paragraph {key:016x} are members of {len(clusters)} clusters: "
                + ", ".join(sorted(clusters))
            )
    if isinstance(store, Audited):
        problems += store.layout_problems()
    if len(problems) > _SHOWN:
        problems = [*problems[:_SHOWN], f"... and {len(problems) - _SHOWN} more problems"]
    return StoreReport(
        len(skeleton.ids), len(skeleton.keys), len(keys), len(set(skeleton.clusters)), problems
    )
