"""Paging through an index's clusters: ranking by documents, and the cursor between pages."""

from __future__ import annotations

import bisect

import numpy as np

from dedup.errors import ConfigError
from dedup.index.state import IndexState

__all__ = ["next_cursor", "page_of_clusters"]


def page_of_clusters(
    state: IndexState, min_docs: int, min_size: int, limit: int, cursor: str | None
) -> tuple[list[str], bool]:
    """Return the ids of one page of clusters, by distinct documents descending then id, and
    whether more pages follow.

    Raises:
        ConfigError: ``cursor`` is not one that :func:`next_cursor` made.
    """
    after = _parse_cursor(cursor)
    live = np.fromiter(state.cluster_of_id.values(), dtype=np.int64)
    docs, size = state.docs.view()[live], state.size.view()[live]
    keep = live[(docs >= min_docs) & (size >= min_size)]
    ranked = sorted(
        zip((-state.docs.view()[keep]).tolist(), [state.cluster_ids[c] for c in keep], strict=True)
    )
    start = 0 if after is None else bisect.bisect_right(ranked, after)
    return [cid for _, cid in ranked[start : start + limit]], start + limit < len(ranked)


def next_cursor(docs: int, cluster_id: str) -> str:
    """The cursor of the page after the one ending with this cluster."""
    return f"{docs}:{cluster_id}"


def _parse_cursor(cursor: str | None) -> tuple[int, str] | None:
    if cursor is None:
        return None
    docs, sep, cluster_id = cursor.partition(":")
    if not sep or not (docs.isascii() and docs.isdigit()) or not cluster_id:
        raise ConfigError(f"cursor {cursor!r} is malformed; pass the cursor of the previous page")
    return (-int(docs), cluster_id)
