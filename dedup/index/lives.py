"""When each entry of an index is born and dies while a crawl is added to it page by page."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.index.state import IndexState
from dedup.sketch.fingerprint import Fingerprints

__all__ = ["NEVER", "Lives", "entry_lives", "lives_without_replacements", "walked_lives"]

NEVER = int(np.iinfo(np.int64).max)  # the death of an entry alive at the end


@dataclass(frozen=True, slots=True)
class Lives:
    """The entries of a state and of a crawl added to it, page by page.

    Entries are numbered globally: the state's ``m`` entries first, then the new ones in order
    of creation. An entry is born on the page where its exact key first appears while no live
    entry holds it, and dies when the last paragraph referring to it is replaced; it is a
    candidate for the pages from the one after its birth (or its own page, after it) up to the
    page of its death, included (the replacing page still sees it, as :class:`Plan` does).

    Attributes:
        doc_ids: the crawl's page ids, in input order.
        page_bounds: (pages + 1) paragraph offsets of the pages.
        new_rows: (n_new,) int64 distinct row (of the crawl's fingerprints) of each new entry.
        birth: (n_new,) int64 page on which each new entry was born.
        death: (m + n_new,) int64 page on which each entry died, or :data:`NEVER`.
        para_entry: (n_paragraphs,) int64 global entry of each paragraph of the crawl.
        last_pages: the page of each id's final version, ascending.
        replaced: pages whose id was held when they arrived.
        documents: documents held at the end.
        paragraphs: paragraphs held at the end.
    """

    doc_ids: list[str]
    page_bounds: list[int]
    new_rows: npt.NDArray[np.int64]
    birth: npt.NDArray[np.int64]
    death: npt.NDArray[np.int64]
    para_entry: npt.NDArray[np.int64]
    last_pages: list[int]
    replaced: int
    documents: int
    paragraphs: int


def entry_lives(
    state: IndexState,
    doc_ids: list[str],
    para_doc: npt.NDArray[np.int64],
    para_row: npt.NDArray[np.int64],
    prints: Fingerprints,
) -> Lives:
    """Follow the entries' reference counts through the crawl, page by page.

    Which entry a paragraph refers to, and when an entry dies, depend only on exact keys and
    page ids, never on the clustering: so this pass runs before any matching.

    Args:
        state: the index before the crawl.
        doc_ids: the crawl's page ids, in input order (an id may repeat).
        para_doc: (n_paragraphs,) int64 page of each paragraph, ascending.
        para_row: (n_paragraphs,) int64 row of each paragraph in ``prints``.
        prints: the fingerprints of the crawl's distinct exact keys.
    """
    bounds: list[int] = np.searchsorted(para_doc, np.arange(len(doc_ids) + 1)).tolist()
    if len(set(doc_ids)) == len(doc_ids) and not any(d in state.documents for d in doc_ids):
        return lives_without_replacements(
            state, doc_ids, bounds, para_doc=para_doc, para_row=para_row, prints=prints
        )
    return walked_lives(state, doc_ids, bounds, para_row, prints)


def walked_lives(
    state: IndexState,
    doc_ids: list[str],
    bounds: list[int],
    para_row: npt.NDArray[np.int64],
    prints: Fingerprints,
) -> Lives:
    """:func:`entry_lives` in the general case: page by page, following reference counts."""
    walk = _Walk(state, prints.keys.tolist())
    rows: list[int] = para_row.tolist()
    held: dict[str, tuple[int, int]] = {}  # crawl page id -> paragraph span of its last version
    last_page: dict[str, int] = {}
    replaced = 0
    paragraphs = state.paragraphs
    for page, doc_id in enumerate(doc_ids):
        lo, hi = bounds[page], bounds[page + 1]
        walk.enter(page, rows[lo:hi])
        span = held.get(doc_id)
        old = walk.para_entry[span[0] : span[1]] if span is not None else walk.stored(doc_id)
        if span is not None or doc_id in state.documents:
            replaced += 1
            paragraphs -= len(old)
        walk.leave(page, old)
        held[doc_id] = (lo, hi)
        last_page.pop(doc_id, None)
        last_page[doc_id] = page  # re-inserted: the dict stays in order of last arrival
        paragraphs += hi - lo
    m = len(state.keys)
    deaths = np.full(m + len(walk.new_rows), NEVER, dtype=np.int64)
    if walk.death:
        deaths[np.fromiter(walk.death, dtype=np.int64)] = np.fromiter(
            walk.death.values(), dtype=np.int64
        )
    documents = len(state.documents) + sum(1 for d in last_page if d not in state.documents)
    return Lives(
        doc_ids=doc_ids,
        page_bounds=bounds,
        new_rows=np.asarray(walk.new_rows, dtype=np.int64),
        birth=np.asarray(walk.birth, dtype=np.int64),
        death=deaths,
        para_entry=np.asarray(walk.para_entry, dtype=np.int64),
        last_pages=list(last_page.values()),
        replaced=replaced,
        documents=documents,
        paragraphs=paragraphs,
    )


def lives_without_replacements(
    state: IndexState,
    doc_ids: list[str],
    bounds: list[int],
    *,
    para_doc: npt.NDArray[np.int64],
    para_row: npt.NDArray[np.int64],
    prints: Fingerprints,
) -> Lives:
    """:func:`entry_lives` when no page replaces another: no entry dies, so each distinct key
    the state lacks is one new entry, born where it first appears (the rows are in that order)."""
    m = len(state.keys)
    held = state.entry_of_key
    row_entry = np.fromiter(
        (held.get(key, -1) for key in prints.keys.tolist()), dtype=np.int64, count=len(prints)
    )
    new_rows = np.flatnonzero(row_entry < 0)
    row_entry[new_rows] = m + np.arange(new_rows.size)
    first_paragraph = np.full(len(prints), -1, dtype=np.int64)
    first_paragraph[para_row[::-1]] = np.arange(para_row.size - 1, -1, -1)  # first one wins
    return Lives(
        doc_ids=doc_ids,
        page_bounds=bounds,
        new_rows=new_rows,
        birth=para_doc[first_paragraph[new_rows]],
        death=np.full(m + new_rows.size, NEVER, dtype=np.int64),
        para_entry=row_entry[para_row],
        last_pages=list(range(len(doc_ids))),
        replaced=0,
        documents=len(state.documents) + len(doc_ids),
        paragraphs=state.paragraphs + int(para_row.size),
    )


class _Walk:
    """The live entries and their reference counts, page after page."""

    def __init__(self, state: IndexState, keys: list[int]) -> None:
        self.state = state
        self.keys = keys  # exact key of each distinct row of the crawl
        self.m = len(state.keys)
        self.entry_key: list[int] = state.keys.view().tolist()
        self.alive = dict(state.entry_of_key)
        self.refs: list[int] = state.refs.view().tolist()
        self.death: dict[int, int] = {}
        self.new_rows: list[int] = []
        self.birth: list[int] = []
        self.para_entry: list[int] = []

    def enter(self, page: int, rows: list[int]) -> None:
        """Refer the paragraphs of a page (by their distinct rows) to entries, making new ones
        for keys that no live entry holds."""
        alive, refs, para_entry = self.alive, self.refs, self.para_entry
        for row in rows:
            key = self.keys[row]
            entry = alive.get(key)
            if entry is None:
                entry = alive[key] = self.m + len(self.new_rows)
                self.new_rows.append(row)
                self.birth.append(page)
                refs.append(0)
                self.entry_key.append(key)
            refs[entry] += 1
            para_entry.append(entry)

    def stored(self, doc_id: str) -> list[int]:
        """The entries of a document the state holds (none if it holds no such document)."""
        doc = self.state.documents.get(doc_id)
        if doc is None:
            return []
        slot = self.state.doc_slots[doc]
        span = self.state.para_entry.view()[slot.start : slot.start + slot.count]
        entries: list[int] = span.tolist()
        return entries

    def leave(self, page: int, entries: list[int]) -> None:
        """Release the entries of a replaced version; those left unreferenced die."""
        refs, alive = self.refs, self.alive
        for entry in entries:
            refs[entry] -= 1
            if refs[entry] == 0:
                self.death[entry] = page
                key = self.entry_key[entry]
                if alive.get(key) == entry:
                    del alive[key]
