"""Loading an index state in bulk gives the state that attaching documents one by one gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dedup.config import DedupConfig
from dedup.index.state import IndexState

_COLUMNS = ("refs", "size", "docs", "rep", "para_doc", "para_num", "para_entry", "para_cluster")


def _state(clusters: int, entries: int) -> IndexState:
    state = IndexState(DedupConfig(num_perm=8))
    state.new_clusters([f"c{i}" for i in range(clusters)])
    keys = list(range(100, 100 + entries))
    signatures = np.zeros((entries, 8), dtype=np.uint32)
    state.new_entries(keys, np.zeros(entries, np.int64), signatures, np.zeros(entries, np.int64))
    return state


@given(
    docs=st.lists(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), max_size=6), max_size=8)
)
def test_attach_many_equals_attach(docs: list[list[tuple[int, int]]]) -> None:
    """Every column, slot and map agrees, documents with no paragraphs included."""
    one, many = _state(4, 6), _state(4, 6)
    ids = [f"d{i}" for i in range(len(docs))]
    for doc_id, paragraphs in zip(ids, docs, strict=True):
        entries = np.array([e for e, _ in paragraphs], dtype=np.int64)
        clusters = np.array([c for _, c in paragraphs], dtype=np.int64)
        one.attach(doc_id, {"n": len(paragraphs)}, entries, clusters)
    flat = [p for paragraphs in docs for p in paragraphs]
    many.attach_many(
        ids,
        [{"n": len(paragraphs)} for paragraphs in docs],
        [len(paragraphs) for paragraphs in docs],
        np.array([e for e, _ in flat], dtype=np.int64),
        np.array([c for _, c in flat], dtype=np.int64),
    )
    for name in _COLUMNS:
        assert getattr(one, name).view().tolist() == getattr(many, name).view().tolist(), name
    assert (one.doc_ids, one.documents, one.doc_slots) == (
        many.doc_ids,
        many.documents,
        many.doc_slots,
    )
    assert one.paragraphs == many.paragraphs
