"""Representative texts of clusters, read from the store on demand and cached by slot.

Slots are never reused, so a cached text is never stale.
"""

from __future__ import annotations

from collections.abc import Iterable

from dedup.index.state import IndexState
from dedup.stores.store import Store

__all__ = ["TextCache"]

# Representative texts kept between calls; the cache is emptied when it would grow past this.
_LIMIT = 65536


class TextCache:
    """The texts of clusters' first members: memory holds no texts, so they come from the store.

    Args:
        limit: How many texts to keep before the cache is emptied.
    """

    def __init__(self, limit: int = _LIMIT) -> None:
        self._texts: dict[int, str] = {}
        self._limit = limit

    def fetch(self, state: IndexState, store: Store, clusters: Iterable[int]) -> None:
        """Cache the representative texts of many clusters, one store look for all."""
        rep = state.rep.view()
        wanted: dict[int, tuple[str, int]] = {}
        for cluster in clusters:
            slot = int(rep[cluster])
            if slot not in self._texts:
                wanted[slot] = state.representative(cluster)
        if not wanted:
            return
        if len(self._texts) + len(wanted) > self._limit:
            self._texts.clear()
        with store.reading():
            texts = store.paragraph_texts(list(wanted.values()))
        for slot, text in zip(wanted, texts, strict=True):
            self._texts[slot] = text if text is not None else ""

    def representative(self, state: IndexState, store: Store, cluster: int) -> str:
        """The first member's text of ``cluster``."""
        slot = int(state.rep.view()[cluster])
        if slot not in self._texts:
            self.fetch(state, store, [cluster])
        return self._texts[slot]
