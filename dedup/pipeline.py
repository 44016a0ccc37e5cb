"""The batch pipeline: pages in, paragraph clusters out; the one entry point of CLI and library."""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext

import numpy as np
import numpy.typing as npt

from dedup.arrays import sorted_unique
from dedup.config import DedupConfig
from dedup.errors import ConfigError, InputError
from dedup.fingerprint import Fingerprints, fingerprint
from dedup.lsh import candidate_pairs
from dedup.match import score_pairs
from dedup.paragraphs import split_paragraphs
from dedup.result import Cluster, Clustering
from dedup.unionfind import components

__all__ = ["PageLike", "cluster", "link"]

PageLike = tuple[str, str] | Mapping[str, object]
Progress = Callable[[int, int], None]

# New unique paragraphs per fingerprinting task: large enough to amortise a process hop,
# small enough to keep every core busy and memory flat.
_BATCH = 4096
_INLINE_BATCHES = 2


def cluster(
    pages: Iterable[PageLike],
    config: DedupConfig | None = None,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> Clustering:
    """Cluster the paragraphs of ``pages`` into near-duplicate blurbs.

    The pages are read once, as a stream. Identical paragraphs are collapsed first (on the raw
    text, then on the normalised text), so a boilerplate line repeated on 50,000 pages costs
    one signature; only the distinct normalised paragraphs are MinHashed, LSH-joined, verified
    and clustered with union-find. The result is the same for any ``jobs``.

    Args:
        pages: ``(id, text)`` tuples or mappings with ``"id"`` and ``"text"``.
        config: thresholds and MinHash parameters; ``DedupConfig()`` by default.
        jobs: worker processes for fingerprinting; None means all cores.
        progress: called as ``progress(pages, paragraphs)`` with increments while reading.

    Returns:
        The per-paragraph assignments and the clusters.

    Example:
        >>> blurb = "Peru's Congress removed the president on Wednesday; protests spread."
        >>> result = cluster([("a", "Peru\\n\\n" + blurb), ("b", "Coups\\n\\n" + blurb.upper())])
        >>> [(c.size, c.docs, c.members) for c in result.clusters]
        [(2, 2, (('a', 1), ('b', 1)))]
    """
    config = config or DedupConfig()
    workers = _check_jobs(jobs)
    doc_ids: list[str] = []
    raw_index: dict[str, int] = {}
    raw_texts: list[str] = []
    para_raw: list[int] = []
    para_doc: list[int] = []
    para_num: list[int] = []
    with _Fingerprinter(config, workers) as fingerprinter:
        pending: list[str] = []
        for number, page in enumerate(pages, start=1):
            doc_id, text = _page_fields(page, number)
            doc = len(doc_ids)
            doc_ids.append(doc_id)
            paragraphs = split_paragraphs(text)
            for para, paragraph in enumerate(paragraphs):
                unique = raw_index.get(paragraph)
                if unique is None:
                    unique = raw_index[paragraph] = len(raw_texts)
                    raw_texts.append(paragraph)
                    pending.append(paragraph)
                para_raw.append(unique)
                para_doc.append(doc)
                para_num.append(para)
            if len(pending) >= _BATCH:
                fingerprinter.submit(pending)
                pending = []
            if progress is not None:
                progress(1, len(paragraphs))
        fingerprinter.submit(pending)
        prints = fingerprinter.results()
    del raw_index
    raw_labels = link(prints, config)
    return _assemble(
        doc_ids,
        doc_of=np.asarray(para_doc, dtype=np.int64),
        para_of=np.asarray(para_num, dtype=np.int64),
        labels=raw_labels[np.asarray(para_raw, dtype=np.int64)],
        raw_texts=raw_texts,
        keys=prints.keys,
    )


def link(prints: Fingerprints, config: DedupConfig) -> npt.NDArray[np.int64]:
    """Label each fingerprinted paragraph with its near-duplicate component.

    Exact keys are collapsed first; the distinct ones are LSH-joined by sorting band keys,
    candidates are verified with :func:`dedup.match.score_pairs`, and the matches are merged
    with union-find.

    Returns:
        (n,) int64 labels: two paragraphs share a label iff they are in one component; the
        label is the index of the component's first paragraph.
    """
    if len(prints) == 0:
        return np.empty(0, dtype=np.int64)
    _, first, inverse = np.unique(prints.keys, return_index=True, return_inverse=True)
    signatures = prints.signatures[first]
    counts = prints.counts[first]
    with_words = np.flatnonzero(counts > 0)
    pairs = with_words[
        candidate_pairs(
            signatures[with_words], config.bands, config.rows, window=config.bucket_window
        )
    ]
    scores = score_pairs(signatures, counts, pairs, config)
    labels = components(first.size, pairs[scores.matched])
    # Relabel each component by its earliest paragraph so labels follow input order.
    earliest = np.full(first.size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(earliest, labels, first)
    result: npt.NDArray[np.int64] = earliest[labels][inverse.reshape(-1)]
    return result


def _assemble(
    doc_ids: list[str],
    *,
    doc_of: npt.NDArray[np.int64],
    para_of: npt.NDArray[np.int64],
    labels: npt.NDArray[np.int64],
    raw_texts: list[str],
    keys: npt.NDArray[np.uint64],
) -> Clustering:
    """Turn component labels per paragraph into clusters of two or more, with stable ids."""
    n = labels.size
    if n == 0:
        return Clustering(doc_ids, doc_of, para_of, np.full(0, -1, dtype=np.int64), [])
    components_, first_para, compact, sizes = np.unique(
        labels, return_index=True, return_inverse=True, return_counts=True
    )
    compact = compact.reshape(-1)
    pair_keys = sorted_unique(compact * len(doc_ids) + doc_of)
    docs = np.bincount(pair_keys // len(doc_ids), minlength=components_.size)
    repeated = np.flatnonzero(sizes >= 2)
    # Clusters by distinct pages, then size, descending; ties in input order.
    repeated = repeated[np.lexsort((first_para[repeated], -sizes[repeated], -docs[repeated]))]
    position = np.full(components_.size, -1, dtype=np.int64)
    position[repeated] = np.arange(repeated.size)
    cluster_of = position[compact]
    members_order = np.argsort(cluster_of, kind="stable")
    members_order = members_order[cluster_of[members_order] >= 0]
    bounds = np.searchsorted(cluster_of[members_order], np.arange(repeated.size + 1))
    member_docs = doc_of[members_order].tolist()
    member_paras = para_of[members_order].tolist()
    clusters = []
    for rank, component in enumerate(repeated.tolist()):
        lo, hi = int(bounds[rank]), int(bounds[rank + 1])
        members = tuple(
            (doc_ids[d], p) for d, p in zip(member_docs[lo:hi], member_paras[lo:hi], strict=True)
        )
        raw = int(components_[component])
        clusters.append(
            Cluster(
                id=f"{int(keys[raw]):016x}",
                size=int(sizes[component]),
                docs=int(docs[component]),
                text=raw_texts[raw],
                members=members,
            )
        )
    return Clustering(doc_ids, doc_of, para_of, cluster_of, clusters)


def _page_fields(page: PageLike, number: int) -> tuple[str, str]:
    if isinstance(page, Mapping):
        doc_id, text = page.get("id"), page.get("text")
    elif isinstance(page, tuple) and len(page) == 2:
        doc_id, text = page
    else:
        raise InputError(
            f"page {number} is a {type(page).__name__}; pass (id, text) tuples or mappings "
            'with "id" and "text"'
        )
    if not isinstance(doc_id, str) or not isinstance(text, str):
        raise InputError(
            f"page {number}: id and text must be strings, got {type(doc_id).__name__} and "
            f"{type(text).__name__}; convert them with str() first"
        )
    return doc_id, text


def _check_jobs(jobs: int | None) -> int:
    if jobs is None:
        return os.cpu_count() or 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"jobs={jobs!r} must be a positive integer; use 1 for no workers")
    return jobs


def _process_context() -> BaseContext:
    """Fork when it is safe (a POSIX caller with no other threads): it starts fast and works
    from any ``__main__``, even stdin. Otherwise spawn, which is safe beside threads."""
    methods = get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return get_context("fork")
    return get_context("spawn")


class _Fingerprinter:
    """Fingerprint batches in order, inline or in worker processes, with bounded queueing."""

    def __init__(self, config: DedupConfig, jobs: int) -> None:
        self._config = config
        self._jobs = jobs
        self._pool: ProcessPoolExecutor | None = None
        self._queue: deque[Future[Fingerprints] | Fingerprints] = deque()
        self._done: list[Fingerprints] = []
        self._submitted = 0

    def __enter__(self) -> _Fingerprinter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def submit(self, texts: list[str]) -> None:
        if not texts:
            return
        # The first batches run inline: a small input is done before a pool would have started.
        if self._jobs == 1 or self._submitted < _INLINE_BATCHES:
            self._submitted += 1
            self._queue.append(fingerprint(texts, self._config))
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self._jobs, mp_context=_process_context())
        self._queue.append(self._pool.submit(fingerprint, texts, self._config))
        while len(self._queue) > 2 * self._jobs:  # bound the texts in flight
            self._drain_one()

    def _drain_one(self) -> None:
        item = self._queue.popleft()
        self._done.append(item if isinstance(item, Fingerprints) else item.result())

    def results(self) -> Fingerprints:
        while self._queue:
            self._drain_one()
        return Fingerprints.concatenate(self._done, self._config.num_perm)
