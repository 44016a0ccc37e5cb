"""dedup index add: appending a crawl in one batch equals Index.add page by page, in order."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
from dedup.batch.reader import read_batch
from dedup.index.append import Appended, add_pages
from dedup.index.build import build_index
from dedup.index.lives import lives_without_replacements, walked_lives
from dedup.index.replay import load
from dedup.index.state import IndexState
from dedup.stores.sqlite import SQLiteStore
from dedup.stores.store import MemoryStore, Store

# bench/ is not an installed package (only dedup and service are): import it from the work tree.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import generate

Pages = list[tuple[str, str]]
Dump = tuple[list[tuple[str, tuple[str, ...], tuple[int, ...], tuple[str, ...]]], list[int]]


def _dump(store: Store) -> Dump:
    """Everything a store holds that the clustering decides: documents in order, entries."""
    documents = [(d.id, d.texts, d.keys, d.clusters) for d in store.documents()]
    return documents, sorted(e.key for e in store.entries())


def _filled(pages: Pages, *, built: bool) -> MemoryStore:
    """A store holding ``pages``: bulk-built, or added one by one (as a service fills it)."""
    store = MemoryStore()
    if built:
        build_index(pages, store, jobs=1)
    else:
        index = dedup.Index(store=store)
        for doc_id, text in pages:
            index.add(doc_id, text)
    return store


def _check(stored: Pages, crawl: Pages, *, built: bool = True) -> Appended:
    """Append ``crawl`` both ways and assert the stores end up equal; return the batch's summary."""
    one_by_one = _filled(stored, built=built)
    index = dedup.Index(store=one_by_one)  # a service started on the store
    for doc_id, text in crawl:
        index.add(doc_id, text)
    batched = _filled(stored, built=built)
    appended = add_pages(crawl, batched, jobs=1)
    assert _dump(batched) == _dump(one_by_one)
    assert appended.totals == index.stats() == dedup.Index(store=batched).stats()
    return appended


@pytest.fixture(scope="module")
def generated() -> Pages:
    """Two pieces of one generated crawl (bench.corpus): 120 pages and 120 more."""
    return [(page.id, page.text) for page in generate(240, seed=3)]


def test_generated_crawl_pieces(generated: Pages) -> None:
    """The second piece of a generated crawl appended to the first: same clusters and ids."""
    appended = _check(generated[:120], generated[120:])
    assert appended.replaced == 0
    assert 0 < appended.new_clusters < appended.paragraphs


def test_generated_crawl_with_replaced_ids(generated: Pages) -> None:
    """Recrawled pages (ids the store holds, some twice in the crawl) replace the old ones."""
    other = [(page.id, page.text) for page in generate(60, seed=4)]
    recrawl = other + generated[30:90] + other[:20] + generated[:10]
    assert {d for d, _ in other}.isdisjoint(d for d, _ in generated)
    appended = _check(generated[:120], recrawl)
    assert appended.replaced == 60 + 20 + 10


def test_generated_crawl_onto_a_store_filled_by_the_service(generated: Pages) -> None:
    """A store that a service filled page by page (not a bulk build) is appended to alike."""
    _check(generated[:60], generated[60:100] + generated[:20], built=False)


def _words(rng: random.Random, count: int) -> str:
    return " ".join(f"w{rng.randrange(300)}" for _ in range(count))


def _variant(rng: random.Random, story: list[str]) -> str:
    """A story cut at another length, with a typo, in another case, or as it is."""
    words = story[: rng.choice([30, 45, 60, len(story)])]
    if rng.random() < 0.3:
        spot = rng.randrange(len(words))
        words = [*words[:spot], words[spot] + "x", *words[spot + 1 :]]
    text = " ".join(words)
    return text.upper() if rng.random() < 0.2 else text


def _random_crawl(seed: int, pages: int, ids: int) -> Pages:
    """Pages over a few stories (and bridges between two), from a small pool of ids."""
    rng = random.Random(seed)
    stories = [_words(rng, 70).split() for _ in range(6)]
    # A bridge: half of one story then half of another, near both and matching either.
    bridges = [stories[0][:35] + stories[1][35:], stories[2][:35] + stories[3][35:]]
    crawl = []
    for _ in range(pages):
        paragraphs = [f"Section {rng.randrange(4)}"]
        for _ in range(rng.randrange(1, 6)):
            pick = rng.random()
            if pick < 0.6:
                paragraphs.append(_variant(rng, rng.choice(stories)))
            elif pick < 0.75:
                paragraphs.append(_variant(rng, rng.choice(bridges)))
            elif pick < 0.85:
                paragraphs.append(rng.choice(["***", "—", "* * *"]))  # no words: exact only
            else:
                paragraphs.append(_words(rng, rng.randrange(3, 40)))
        crawl.append((f"page-{rng.randrange(ids)}", "\n\n".join(paragraphs)))
    return crawl


@settings(max_examples=30)
@given(seed=st.integers(0, 2**32 - 1), built=st.booleans())
def test_random_crawls_with_replacements_bridges_and_new_clusters(seed: int, built: bool) -> None:
    """Random crawls over a small id pool: replaced ids, near-duplicates of stored paragraphs,
    bridges between clusters, new clusters and clusters emptied by replacement."""
    rng = random.Random(seed)
    stored = dict(_random_crawl(seed, rng.randrange(0, 25), ids=30))  # a store has one per id
    _check(list(stored.items()), _random_crawl(seed + 1, rng.randrange(1, 40), ids=30), built=built)


def test_a_bridge_joins_the_best_cluster_and_merges_nothing() -> None:
    """A paragraph near two stored clusters joins the closer one; the two stay apart."""
    rng = random.Random(7)
    first, second = _words(rng, 60).split(), _words(rng, 60).split()
    # Holds nearly all of the first and most of the second: it matches both on containment.
    bridge = " ".join(first[:58] + second[:48])
    stored = [("a", " ".join(first)), ("b", " ".join(second))]
    crawl = [("c", bridge), ("d", " ".join(second))]
    _check(stored, crawl)
    store = _filled(stored, built=True)
    add_pages(crawl, store, jobs=1)
    clusters = {d.id: d.clusters[0] for d in store.documents()}
    assert clusters["c"] == clusters["a"] != clusters["b"] == clusters["d"]


def test_an_emptied_cluster_gives_its_id_again() -> None:
    """A page replaced away takes its cluster with it; the same text later founds a cluster
    with the same id, while an id still in use gets a suffix."""
    rng = random.Random(11)
    text, other = _words(rng, 50), _words(rng, 50)
    stored = [("a", text), ("b", other)]
    crawl = [("a", "Something else entirely"), ("c", text), ("b", other + "\n\n" + other)]
    appended = _check(stored, crawl)
    assert appended.replaced == 2
    store = _filled(stored, built=True)
    before = {d.id: d.clusters for d in store.documents()}
    add_pages(crawl, store, jobs=1)
    after = {d.id: d.clusters for d in store.documents()}
    assert after["c"] == before["a"]  # the emptied cluster's id, given again
    assert after["b"] == before["b"] * 2
    assert [d.id for d in store.documents()] == ["a", "c", "b"]


def test_append_to_an_empty_store_equals_build(generated: Pages) -> None:
    """On an empty store, appending is building."""
    built, appended = MemoryStore(), MemoryStore()
    build_index(generated[:80], built, jobs=1)
    add_pages(generated[:80], appended, jobs=1)
    assert _dump(appended) == _dump(built)


def test_append_to_a_sqlite_store_and_reopen(tmp_path: Path, generated: Pages) -> None:
    """The write is one transaction in the SQLite store; reopened, the index agrees."""
    store = SQLiteStore(tmp_path / "dedup.sqlite3")
    build_index(generated[:50], store, jobs=1)
    appended = add_pages(generated[50:90] + generated[:5], store, jobs=1)
    store.close()
    index = dedup.Index.open(tmp_path)
    assert index.stats() == appended.totals
    assert index.stats().documents == 90
    memory = _filled(generated[:50], built=True)
    add_pages(generated[50:90] + generated[:5], memory, jobs=1)
    reopened = SQLiteStore(tmp_path / "dedup.sqlite3")
    assert _dump(reopened) == _dump(memory)
    reopened.close()
    index.close()


def test_a_live_id_gets_a_suffix() -> None:
    """A text whose entry died founds a cluster again; while its old cluster lives on through
    a member of a chain it no longer matches, the new cluster's id takes a suffix."""
    story = _words(random.Random(13), 90).split()
    k, x, y = (" ".join(story[start : start + 60]) for start in (0, 15, 30))  # k~x, x~y, not k~y
    stored = [("a", k), ("b", x), ("c", y)]
    crawl = [("a", "Gone now"), ("b", "Also gone"), ("d", k), ("c", "Y left"), ("e", k + " w1")]
    _check(stored, crawl)
    store = _filled(stored, built=True)
    first = {d.id: d.clusters[0] for d in store.documents()}
    assert first["a"] == first["b"] == first["c"]
    add_pages(crawl, store, jobs=1)
    after = {d.id: d.clusters[0] for d in store.documents()}
    assert after["d"] == first["a"] + "-1"
    assert after["e"] == after["d"]


def test_lives_without_replacements_equal_the_walk(generated: Pages) -> None:
    """The vectorised lives of a crawl that replaces nothing equal the page-by-page walk."""
    store = _filled(generated[:40], built=True)
    state = IndexState(dedup.Index(store=store).config)
    load(state, store)
    batch = read_batch(generated[40:80], state.config, jobs=1)
    para_row = batch.distinct.of_raw[batch.para_raw]
    bounds = np.searchsorted(batch.para_doc, np.arange(len(batch.doc_ids) + 1)).tolist()
    args = (state, batch.doc_ids, bounds)
    fast = lives_without_replacements(
        *args, para_doc=batch.para_doc, para_row=para_row, prints=batch.distinct.prints
    )
    walked = walked_lives(*args, para_row, batch.distinct.prints)
    for name in ("new_rows", "birth", "death", "para_entry"):
        assert getattr(fast, name).tolist() == getattr(walked, name).tolist(), name
    for name in ("last_pages", "replaced", "documents", "paragraphs", "page_bounds"):
        assert getattr(fast, name) == getattr(walked, name), name


def test_split_lines_as_index_add_splits_them(generated: Pages) -> None:
    """With split="lines", every line is a paragraph, for the batch as for Index.add."""
    lines = [(d, t.replace("\n\n", "\n")) for d, t in generated[:60]]
    one_by_one = _filled(lines[:30], built=True)
    index = dedup.Index(store=one_by_one)
    for doc_id, text in lines[30:]:
        index.add(doc_id, text, split="lines")
    batched = _filled(lines[:30], built=True)
    appended = add_pages(lines[30:], batched, jobs=1, split="lines")
    assert _dump(batched) == _dump(one_by_one)
    assert appended.paragraphs > 30 * 10
