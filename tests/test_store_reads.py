"""The bulk reads every store offers agree with its one-document reads, in all three stores.

``paragraph_texts`` and ``skeleton`` are the fast paths an index loads and summarises clusters
through; ``document`` is the plain read they must agree with, including for documents and
paragraphs the store does not hold.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_redis_store import fresh_url, server
from test_shared_store import STORIES, VARIANTS

import dedup
from dedup.stores.redis import RedisStore
from dedup.stores.sqlite import SQLiteStore
from dedup.stores.sqlite_columns import paragraph_columns, unsigned
from dedup.stores.store import MemoryStore, Store
from dedup.stores.url import parse_store

__all__ = ["server"]  # the module's redis-server fixture, shared by import

_KINDS = ("memory", "sqlite", "redis")


@pytest.fixture(params=_KINDS)
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Opens one store of each kind, empty at first; every call opens the same store."""
    kind = request.param
    if kind == "memory":
        memory = MemoryStore()
        yield lambda: memory
    elif kind == "sqlite":
        yield lambda: SQLiteStore(tmp_path / "dedup.sqlite3")
    else:
        url = parse_store(fresh_url(request.getfixturevalue("server")))
        yield lambda: RedisStore(url.target, prefix=url.prefix)


def _fill(store: Store) -> None:
    index = dedup.Index(store=store)
    index.add("a", f"{STORIES[0]}\n\n{STORIES[1]}\n\n{STORIES[2]}", {"lang": "en"})
    index.add("b", f"{VARIANTS[0]}\n\n{STORIES[3]}")
    index.add("c", STORIES[4])
    index.add("b", f"{STORIES[5]}\n\n{VARIANTS[1]}\n\n{STORIES[0]}")  # replaces b
    index.remove("c")


def test_paragraph_texts_agree_with_documents(open_store: Callable[[], Store]) -> None:
    """Every held paragraph's text, in the order asked, repeats included; None for a document
    or a paragraph number the store does not hold."""
    _fill(open_store())
    store = open_store()
    wanted = [("b", 2), ("a", 0), ("b", 0), ("a", 2), ("b", 2), ("a", 1), ("b", 1)]
    missing = [("c", 0), ("nobody", 0), ("a", 3), ("b", -1)]
    texts = store.paragraph_texts(wanted + missing)
    documents = {doc_id: store.document(doc_id) for doc_id in ("a", "b")}
    expected = []
    for doc_id, para in wanted:
        document = documents[doc_id]
        assert document is not None
        expected.append(document.texts[para])
    assert texts == [*expected, None, None, None, None]
    assert texts[0] == STORIES[0]
    assert texts[3] == STORIES[2]
    assert store.paragraph_texts([]) == []


def test_sqlite_paragraph_texts_without_json_functions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SQLite built without its JSON functions gets the same texts, one look at a time."""
    path = tmp_path / "dedup.sqlite3"
    _fill(SQLiteStore(path))
    wanted = [("b", 2), ("a", 0), ("nobody", 0), ("a", 3), ("b", 0), ("a", 0)]
    expected = SQLiteStore(path).paragraph_texts(wanted)
    monkeypatch.setattr("dedup.stores.sqlite._TEXTS_AT", "SELECT text FROM json_each_missing(?)")
    assert SQLiteStore(path).paragraph_texts(wanted) == expected
    assert expected[0] == STORIES[0]
    assert expected[2:4] == [None, None]


def test_skeleton_agrees_with_documents(open_store: Callable[[], Store]) -> None:
    """The skeleton lists each document once, in insertion order, with its paragraphs' keys
    and clusters as its own read gives them."""
    _fill(open_store())
    store = open_store()
    skeleton = store.skeleton()
    documents = list(store.documents())
    assert skeleton.ids == [d.id for d in documents] == ["a", "b"]
    assert skeleton.metas == [d.meta for d in documents] == [{"lang": "en"}, None]
    assert skeleton.counts == [len(d.keys) for d in documents] == [3, 3]
    assert skeleton.keys == [k for d in documents for k in d.keys]
    assert skeleton.clusters == [c for d in documents for c in d.clusters]
    assert all(0 <= key < 1 << 64 for key in skeleton.keys)
    keys, counts, signatures = store.fingerprints()
    assert set(skeleton.keys) <= set(keys)
    assert len(keys) == counts.size == signatures.shape[0]


@given(
    st.lists(
        st.tuples(
            st.integers(1, 5),
            st.integers(0, 5),
            st.integers(-(2**63), 2**63 - 1),
            st.sampled_from(["0123456789abcdef", "fedcba9876543210-2", "odd\x1fid", "x"]),
        ),
        unique_by=lambda row: row[:2],
        max_size=30,
    )
)
def test_paragraph_columns_are_the_rows_in_order(rows: list[tuple[int, int, int, str]]) -> None:
    """Aggregated columns give the (document, position)-ordered rows, whatever order the scan
    takes them in (a table with row ids scans in insertion order) and whatever a cluster id
    holds (one with the separator is read row by row)."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE paragraphs (doc_seq INTEGER, idx INTEGER, key INTEGER, cluster TEXT)")
    db.executemany("INSERT INTO paragraphs VALUES (?, ?, ?, ?)", rows)
    seq, keys, clusters = paragraph_columns(db)
    ordered = sorted(rows)
    assert seq.tolist() == [row[0] for row in ordered]
    assert keys == [unsigned(row[2]) for row in ordered]
    assert clusters == [row[3] for row in ordered]
