"""Representative texts of clusters, read from the store on demand and cached by slot.

Slots are never reused, so a cached text is never stale.
"""

from __future__ import annotations

import numpy as np

from dedup.index.records import ClusterSummary
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

    def summaries(
        self, state: IndexState, store: Store, clusters: dict[str, int]
    ) -> dict[str, ClusterSummary]:
        """The summary of each cluster of ``clusters`` (id -> number): its size, documents and
        first member's text, the texts not cached read in one store look."""
        slots = np.fromiter(clusters.values(), dtype=np.int64, count=len(clusters))
        reps = state.rep.view()[slots].tolist()
        self._fetch(state, store, reps)
        texts = self._texts
        return {
            cid: ClusterSummary(cid, size, docs, texts[rep])
            for cid, size, docs, rep in zip(
                clusters,
                state.size.view()[slots].tolist(),
                state.docs.view()[slots].tolist(),
                reps,
                strict=True,
            )
        }

    def _fetch(self, state: IndexState, store: Store, reps: list[int]) -> None:
        """Cache the texts of the paragraphs in slots ``reps`` (clusters' first members)."""
        missing = np.fromiter(
            dict.fromkeys(rep for rep in reps if rep not in self._texts), dtype=np.int64
        )
        if missing.size == 0:
            return
        if len(self._texts) + missing.size > self._limit:
            self._texts.clear()
            missing = np.unique(np.asarray(reps, dtype=np.int64))
        doc_ids = state.doc_ids
        docs, nums = state.para_doc.view()[missing], state.para_num.view()[missing]
        wanted = [(doc_ids[d], n) for d, n in zip(docs.tolist(), nums.tolist(), strict=True)]
        with store.reading():
            texts = store.paragraph_texts(wanted)
        for slot, text in zip(missing.tolist(), texts, strict=True):
            self._texts[slot] = text if text is not None else ""
