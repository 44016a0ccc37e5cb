"""The SQLite store's snapshot of its columns: the same columns as the tables, taken by
``index build`` and ``index add``, dropped by any other write, and never trusted when wrong."""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup import Index
from dedup.cli import main
from dedup.index.append import add_pages
from dedup.index.build import build_index
from dedup.index.matching import match_stored
from dedup.stores.columns import StoreColumns, columns_of
from dedup.stores.sqlite import SQLiteStore
from dedup.stores.store import StoredDocument, StoredEntry

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import generate

Pages = list[tuple[str, str]]


def _tables(store: SQLiteStore) -> StoreColumns:
    with store.reading():
        return columns_of(store.skeleton(), store.fingerprints())


def _snapshot(store: SQLiteStore) -> StoreColumns | None:
    with store.reading():
        return store.snapshot_columns()


def _by_hand(path: Path, statement: str, *params: object) -> None:
    """Change the file with another tool than dedup (the sqlite3 module)."""
    db = sqlite3.connect(path)
    try:
        db.execute(statement, params)
        db.commit()
    finally:
        db.close()


def _snapshot_of(path: Path) -> StoreColumns | None:
    """The snapshot a read-only store at ``path`` finds usable."""
    store = SQLiteStore(path, read_only=True)
    try:
        return _snapshot(store)
    finally:
        store.close()


@pytest.fixture(scope="module")
def pages() -> Pages:
    return [(page.id, page.text) for page in generate(90, seed=11)]


@pytest.fixture
def built(tmp_path: Path, pages: Pages) -> Path:
    """A store that ``build_index`` filled with the first 50 pages."""
    path = tmp_path / "dedup.sqlite3"
    store = SQLiteStore(path)
    build_index(pages[:50], store, jobs=1)
    store.close()
    return path


_TEXT = st.characters(exclude_categories=["Cs"])  # SQLite stores UTF-8: no lone surrogates
_documents = st.lists(
    st.tuples(
        st.text(_TEXT, min_size=1, max_size=6),  # id
        st.one_of(
            st.none(), st.dictionaries(st.text(_TEXT, max_size=4), st.integers(), max_size=2)
        ),
        st.lists(
            st.tuples(st.integers(0, 5), st.sampled_from(["c1", "c2", "é", "c\x1f"])), max_size=5
        ),
    ),
    max_size=6,
    unique_by=lambda doc: doc[0],
)


@settings(max_examples=40, deadline=None)
@given(documents=_documents, width=st.integers(1, 4))
def test_the_snapshot_holds_the_tables_columns(
    documents: list[tuple[str, dict[str, object] | None, list[tuple[int, str]]]], width: int
) -> None:
    """Whatever the documents (none, empty ones, metadata or not, any cluster names), the
    snapshot's columns are the ones read from the tables, in the same order."""
    keys = [(1 << 63) + 5, 1, 2, 3, (1 << 64) - 1, 7]  # both halves of the uint64 range
    with tempfile.TemporaryDirectory() as scratch:
        store = SQLiteStore(Path(scratch) / "dedup.sqlite3")
        used = sorted({keys[k] for _, _, paragraphs in documents for k, _ in paragraphs})
        store.write(
            [
                StoredDocument(
                    doc_id,
                    meta,
                    tuple(f"p{i}" for i in range(len(paragraphs))),
                    tuple(keys[k] for k, _ in paragraphs),
                    tuple(cluster for _, cluster in paragraphs),
                )
                for doc_id, meta, paragraphs in documents
            ],
            [],
            [
                StoredEntry(key, key % 7, np.arange(width, dtype=np.uint32) + key % 1000)
                for key in used
            ],
            [],
        )
        store.save_snapshot()
        snapshot = _snapshot(store)
        assert snapshot is not None
        assert snapshot.same_as(_tables(store))
        store.close()


def test_build_and_add_take_one_and_indexes_load_the_same(built: Path, pages: Pages) -> None:
    """``build_index`` and ``add_pages`` leave a snapshot of the store as it stands, and an
    index loaded from it holds what one loaded from the tables holds."""
    store = SQLiteStore(built)
    snapshot = _snapshot(store)
    assert snapshot is not None
    assert snapshot.same_as(_tables(store))
    add_pages(pages[50:80], store, jobs=1)
    snapshot = _snapshot(store)
    assert snapshot is not None
    assert snapshot.same_as(_tables(store))
    snapshot_keys = store.keys()
    from_snapshot = Index(store=store)
    crawl = pages[80:]
    expected = [from_snapshot.match_many(text.split("\n\n")) for _, text in crawl]
    expected_state = _state_of(from_snapshot)
    store.close()

    plain = SQLiteStore(built)
    with plain.writing():
        plain._db.execute("DELETE FROM snapshot")
    assert _snapshot(plain) is None
    from_tables = Index(store=plain)
    assert [from_tables.match_many(text.split("\n\n")) for _, text in crawl] == expected
    assert _state_of(from_tables) == expected_state
    assert plain.keys() == snapshot_keys == set(_tables(plain).keys)
    plain.close()


def _state_of(index: Index) -> dict[str, object]:
    """An index's state in memory, every column and map of it."""
    state = index._state
    columns = (
        *("sigs", "counts", "keys", "entry_cluster", "refs", "size", "docs", "rep"),
        *("para_doc", "para_num", "para_entry", "para_cluster"),
    )
    found: dict[str, object] = {name: getattr(state, name).view().tolist() for name in columns}
    found |= {
        "maps": (state.entry_of_key, state.cluster_ids, state.cluster_of_id, state.documents),
        "docs": (state.doc_ids, state.doc_slots, state.paragraphs),
        "lsh": [pairs.tolist() for pairs in state.lsh.query_many(state.sigs.view())],
    }
    return found


def test_match_stored_gives_the_same_answers_from_a_snapshot(built: Path, pages: Pages) -> None:
    """The daily crawl's answers do not depend on whether the store keeps a snapshot."""
    store = SQLiteStore(built, read_only=True)
    config, known = Index(store=store).config, store.keys()
    store.close()

    def answers() -> list[object]:
        found = match_stored(pages[50:], built, config, known=known, jobs=1)
        return [found.paragraph_matches(), found.clusters]

    with_snapshot = answers()
    plain = SQLiteStore(built)
    with plain.writing():
        plain._db.execute("DELETE FROM snapshot")
    plain.close()
    assert answers() == with_snapshot


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM documents WHERE seq = (SELECT min(seq) FROM documents)",
        "UPDATE documents SET meta = '{\"x\": 1}' WHERE seq = (SELECT min(seq) FROM documents)",
        "INSERT INTO documents (id, meta) VALUES ('written by hand', NULL)",
    ],
)
def test_any_change_to_the_documents_drops_it(built: Path, statement: str) -> None:
    """Whoever writes, with whatever tool: a change to the documents deletes the snapshot."""
    assert _snapshot_of(built) is not None
    _by_hand(built, statement)
    assert _snapshot_of(built) is None


def test_a_service_write_drops_it_and_index_add_takes_it_anew(built: Path, pages: Pages) -> None:
    store = SQLiteStore(built)
    index = Index(store=store)
    index.add("posted", pages[60][1])
    assert _snapshot(store) is None
    assert store.keys() == set(_tables(store).keys)  # read from the tables now
    add_pages([], store, jobs=1)  # an empty crawl: nothing added, the snapshot taken
    snapshot = _snapshot(store)
    assert snapshot is not None
    assert snapshot.same_as(_tables(store))
    assert "posted" in snapshot.ids
    store.close()


def test_a_snapshot_without_its_triggers_is_not_used(built: Path) -> None:
    """A snapshot nothing keeps true (a trigger dropped) is left alone: loads read the tables."""
    _by_hand(built, "DROP TRIGGER snapshot_stale_delete")
    assert _snapshot_of(built) is None


def test_store_check_finds_a_snapshot_that_differs(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["store", "check", "--data", str(built.parent)]) == 0
    snapshot = _snapshot_of(built)
    assert snapshot is not None
    swapped = snapshot.para_entry[::-1].astype("<i4").tobytes()  # valid, but wrong
    _by_hand(built, "UPDATE snapshot SET value = ? WHERE name = 'para_entry'", swapped)
    capsys.readouterr()
    assert main(["store", "check", "--data", str(built.parent)]) == 1
    assert "snapshot of the columns differs from the tables" in capsys.readouterr().out


def test_a_snapshot_that_cannot_be_read_is_ignored_and_reported(
    built: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _by_hand(built, "UPDATE snapshot SET value = x'0102' WHERE name = 'signatures'")
    assert _snapshot_of(built) is None
    store = SQLiteStore(built, read_only=True)
    assert Index(store=store).stats().documents == 50  # from the tables
    store.close()
    capsys.readouterr()
    assert main(["store", "check", "--data", str(built.parent)]) == 1
    assert "snapshot of the columns cannot be used" in capsys.readouterr().out


def test_a_store_without_the_snapshot_table_loads_from_its_tables(
    tmp_path: Path, pages: Pages
) -> None:
    """A store made before snapshots (or only ever written by the service) has no table."""
    path = tmp_path / "dedup.sqlite3"
    index = Index(store=SQLiteStore(path))
    index.add_many([(doc, text, None) for doc, text in pages[:10]])
    index.close()
    store = SQLiteStore(path, read_only=True)
    assert _snapshot(store) is None
    assert Index(store=store).stats().documents == 10
    assert main(["store", "check", "--data", str(tmp_path)]) == 0
    store.close()


def test_store_snapshot_takes_it_anew(
    built: Path, pages: Pages, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a service's write dropped it (or a bad one was found), `dedup store snapshot`
    takes the snapshot of the store as it stands."""
    store = SQLiteStore(built)
    Index(store=store).add("posted", pages[60][1])
    store.close()
    assert _snapshot_of(built) is None
    capsys.readouterr()
    assert main(["store", "snapshot", "--data", str(built.parent)]) == 0
    assert "snapshot taken: 51 documents" in capsys.readouterr().out
    snapshot = _snapshot_of(built)
    assert snapshot is not None
    assert "posted" in snapshot.ids
    store = SQLiteStore(built, read_only=True)
    assert snapshot.same_as(_tables(store))
    store.close()
    _by_hand(built, "UPDATE snapshot SET value = x'0102' WHERE name = 'signatures'")
    assert main(["store", "check", "--data", str(built.parent)]) == 1
    assert "'dedup store snapshot' takes it anew" in capsys.readouterr().out
    assert main(["store", "snapshot", "--data", str(built.parent)]) == 0
    assert main(["store", "check", "--data", str(built.parent)]) == 0


def test_store_snapshot_needs_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["store", "snapshot", "--data", str(tmp_path / "none")]) == 2
    assert "no index store here" in capsys.readouterr().err
