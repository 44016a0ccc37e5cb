"""Bulk-load a crawl into an index store with the batch core, as the service would have."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from dedup.arrays.kernels import follow_roots
from dedup.batch.pipeline import verified_pairs
from dedup.batch.reader import Batch, PageLike, Progress, read_batch
from dedup.config import DedupConfig
from dedup.errors import StoreError
from dedup.index.index import Index, Stats
from dedup.stores.columns import take_snapshot
from dedup.stores.store import Store, StoredDocument, StoredEntry

__all__ = ["build_index", "founders"]


def build_index(
    pages: Iterable[PageLike],
    store: Store,
    config: DedupConfig | None = None,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> Stats:
    """Cluster ``pages`` in one batch and write them to an empty ``store``.

    The result is the one an :class:`dedup.Index` would reach by adding the pages one by one
    in input order: each paragraph joins the cluster of its best match among the earlier
    distinct paragraphs (all LSH candidates, verified, best by similarity then containment,
    ties to the earliest), or founds one. It is written in one transaction, far faster than
    adding the pages through the service.

    Raises:
        InputError: a page id appears twice (an index holds one document per id).
        StoreError: the store already holds documents.
        IncompatibleSignatureError: the store was made with other signature parameters.
    """
    index = Index(config, store)  # validates the store's settings against the config
    held = index.stats().documents
    if held:
        raise StoreError(
            f"the store already holds {held} documents; build into an empty store "
            "(--data DIR or --store URL), or add pages through the service"
        )
    config = index.config
    batch = read_batch(pages, config, jobs=jobs, progress=progress)
    keys = batch.distinct.prints.keys
    signatures = batch.distinct.prints.signatures
    counts = batch.distinct.prints.counts
    root = founders(signatures, counts, config)
    key_list: list[int] = keys.tolist()
    cluster_of_entry = [f"{key_list[r]:016x}" for r in root.tolist()]
    para_entry = batch.distinct.of_raw[batch.para_raw]
    with store.writing():
        store.write(
            _documents(batch, para_entry, key_list, cluster_of_entry),
            [],
            [
                StoredEntry(k, c, s)
                for k, c, s in zip(key_list, counts.tolist(), signatures, strict=True)
            ],
            [],
        )
        take_snapshot(store)  # the first load reads the columns ready
    # A cluster's size is its paragraphs: each paragraph is in its entry's founder's cluster.
    sizes = np.bincount(root[para_entry], minlength=root.size) if para_entry.size else root[:0]
    return Stats(
        documents=len(batch.doc_ids),
        paragraphs=int(batch.para_raw.size),
        clusters=int(np.count_nonzero(sizes >= 2)),
        singletons=int(np.count_nonzero(sizes == 1)),
    )


def founders(
    signatures: npt.NDArray[np.uint32], counts: npt.NDArray[np.int64], config: DedupConfig
) -> npt.NDArray[np.int64]:
    """Return, for each entry in order of first appearance, the entry that founded its cluster.

    Entry ``u`` joins the cluster of its best verified match ``v < u`` (highest similarity,
    then containment, then smallest ``v``), as :meth:`dedup.Index.add` does one at a time.

    Example:
        >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 3, 4], [9, 9, 9, 9]], dtype=np.uint32)
        >>> founders(sigs, np.array([30, 30, 30]), DedupConfig(num_perm=4)).tolist()
        [0, 0, 2]
    """
    n = signatures.shape[0]
    # Every bucket member is a candidate, as in the index's LSH (no window).
    pairs, scores = verified_pairs(signatures, counts, config, window=max(n, 1))
    matched = pairs[scores.matched]
    sim, cont = scores.similarity[scores.matched], scores.containment[scores.matched]
    parent = np.arange(n, dtype=np.int64)
    if matched.size:
        # Best earlier match per later entry: sort by (u, -similarity, -containment, v).
        order = np.lexsort((matched[:, 0], -cont, -sim, matched[:, 1]))
        later = matched[order, 1]
        first = np.concatenate(([True], later[1:] != later[:-1]))
        parent[later[first]] = matched[order, 0][first]
    return follow_roots(parent)  # parents point to earlier entries: a forest


def _documents(
    batch: Batch, para_entry: npt.NDArray[np.int64], keys: list[int], clusters: list[str]
) -> list[StoredDocument]:
    bounds = np.searchsorted(batch.para_doc, np.arange(len(batch.doc_ids) + 1))
    texts = batch.raw_texts
    raw = batch.para_raw.tolist()
    entries = para_entry.tolist()
    documents = []
    for doc, doc_id in enumerate(batch.doc_ids):
        lo, hi = int(bounds[doc]), int(bounds[doc + 1])
        documents.append(
            StoredDocument(
                doc_id,
                None,
                tuple(texts[r] for r in raw[lo:hi]),
                tuple(keys[e] for e in entries[lo:hi]),
                tuple(clusters[e] for e in entries[lo:hi]),
            )
        )
    return documents
