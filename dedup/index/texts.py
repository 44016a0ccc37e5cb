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
        """Cache the representative texts of many clusters, reading each document once."""
        rep = state.rep.view()
        by_doc: dict[str, list[tuple[int, int]]] = {}
        for cluster in clusters:
            slot = int(rep[cluster])
            if slot not in self._texts:
                doc_id, para = state.representative(cluster)
                by_doc.setdefault(doc_id, []).append((slot, para))
        if len(self._texts) + sum(map(len, by_doc.values())) > self._limit:
            self._texts.clear()
        with store.reading():
            for doc_id, wanted in by_doc.items():
                stored = store.document(doc_id)
                for slot, para in wanted:
                    self._texts[slot] = stored.texts[para] if stored is not None else ""

    def representative(self, state: IndexState, store: Store, cluster: int) -> str:
        """The first member's text of ``cluster``."""
        slot = int(state.rep.view()[cluster])
        if slot not in self._texts:
            self.fetch(state, store, [cluster])
        return self._texts[slot]
