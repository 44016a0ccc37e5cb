"""The batch pipeline: pages in, paragraph clusters out; the one entry point of CLI and library."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from dedup.batch.reader import PageLike, Progress, check_jobs, read_batch
from dedup.batch.result import ClusterColumns, Clustering
from dedup.batch.unionfind import components
from dedup.config import DedupConfig
from dedup.sketch.fingerprint import Fingerprints
from dedup.sketch.lsh import candidate_pairs
from dedup.sketch.match import Scores, score_pairs
from dedup.text.paragraphs import SplitMode

__all__ = ["PageLike", "cluster", "link", "link_distinct", "verified_pairs"]


def cluster(
    pages: Iterable[PageLike],
    config: DedupConfig | None = None,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    split: SplitMode = "blank",
) -> Clustering:
    """Cluster the paragraphs of ``pages`` into near-duplicate blurbs.

    The pages are read once, as a stream. Identical paragraphs are collapsed first (on the raw
    text, then on the normalised text), so a boilerplate line repeated on 50,000 pages costs
    one signature; only the distinct normalised paragraphs are MinHashed, LSH-joined, verified
    and clustered with union-find. The result is the same for any ``jobs``.

    Args:
        pages: ``(id, text)`` tuples or mappings with ``"id"`` and ``"text"`` (or ``"html"``
            for an HTML page, cut into paragraph blocks as the CLI cuts ``.html`` files).
        config: thresholds and MinHash parameters; ``DedupConfig()`` by default.
        jobs: worker processes for fingerprinting; None means all cores.
        progress: called as ``progress(pages, paragraphs)`` with increments while reading.
        split: ``"blank"`` splits a page on blank lines; ``"lines"`` makes each non-empty line
            a paragraph.

    Returns:
        The per-paragraph assignments and the clusters.

    Example:
        >>> blurb = "Peru's Congress removed the president on Wednesday; protests spread."
        >>> result = cluster([("a", "Peru\\n\\n" + blurb), ("b", "Coups\\n\\n" + blurb.upper())])
        >>> [(c.size, c.docs, c.members) for c in result.clusters]
        [(2, 2, (Member(doc='a', para=1), Member(doc='b', para=1)))]
    """
    config = config or DedupConfig()
    workers = check_jobs(jobs)
    batch = read_batch(pages, config, jobs=workers, progress=progress, split=split)
    distinct = batch.distinct
    labels = link_distinct(distinct.prints, config, threads=workers)
    # A component's label is its first distinct row; that row's first raw text leads it.
    raw_labels = distinct.first_raw[labels][distinct.of_raw]
    return _assemble(
        batch.doc_ids,
        doc_of=batch.para_doc,
        para_of=batch.para_num,
        labels=raw_labels[batch.para_raw],
        raw_texts=batch.raw_texts,
        keys=distinct.prints.keys[distinct.of_raw],
    )


def link(prints: Fingerprints, config: DedupConfig, *, threads: int = 1) -> npt.NDArray[np.int64]:
    """Label each fingerprinted paragraph with its near-duplicate component.

    Exact keys are collapsed first; the distinct ones are LSH-joined by sorting band keys,
    candidates are verified with :func:`dedup.sketch.match.score_pairs`, and the matches are merged
    with union-find. ``threads`` share the join and the verification; the labels are the same
    for any number.

    Returns:
        (n,) int64 labels: two paragraphs share a label iff they are in one component; the
        label is the index of the component's first paragraph.
    """
    first, of_row = prints.distinct()
    labels = link_distinct(prints.take(first), config, threads=threads)
    result: npt.NDArray[np.int64] = first[labels][of_row]
    return result


def link_distinct(
    prints: Fingerprints, config: DedupConfig, *, threads: int = 1
) -> npt.NDArray[np.int64]:
    """:func:`link` for paragraphs whose exact keys are already distinct.

    Returns:
        (n,) int64 labels: the index of the component's first paragraph.
    """
    n = len(prints)
    sigs, counts = prints.signatures, prints.counts
    pairs = _candidates(sigs, counts, config, window=config.bucket_window, threads=threads)
    if pairs.shape[0] <= _ROUND:  # the usual case: verify every candidate at once
        scores = score_pairs(sigs, counts, pairs, config, threads=threads)
        return components(n, pairs[scores.matched])
    # Many candidates (thousands of near-identical lines, say "Item 1", "Item 2", ...): verify
    # them a round at a time, skipping pairs that the matches so far already connect. The
    # components are the same; only the comparisons that could not change them are saved.
    labels = np.arange(n, dtype=np.int64)
    edges = [np.empty((0, 2), dtype=np.int64)]
    for low in range(0, pairs.shape[0], _ROUND):
        part = pairs[low : low + _ROUND]
        part = part[labels[part[:, 0]] != labels[part[:, 1]]]
        if part.shape[0]:
            edges.append(part[score_pairs(sigs, counts, part, config, threads=threads).matched])
            labels = components(n, np.concatenate(edges))
    return labels


# Candidate pairs verified in one round when there are many (see link_distinct).
_ROUND = 1 << 20


def verified_pairs(
    signatures: npt.NDArray[np.uint32],
    counts: npt.NDArray[np.int64],
    config: DedupConfig,
    *,
    window: int,
    threads: int = 1,
) -> tuple[npt.NDArray[np.int64], Scores]:
    """Return the LSH candidate pairs among paragraphs with words, and their scores.

    Args:
        signatures: (n, num_perm) uint32.
        counts: (n,) int64 distinct shingles; paragraphs without any are left out.
        config: banding and match thresholds.
        window: bucket neighbours per member (see :func:`dedup.sketch.lsh.candidate_pairs`).
        threads: threads that share the join and the verification.

    Returns:
        (n_pairs, 2) int64 pairs ``(i, j)`` with ``i < j``, and their scores.
    """
    pairs = _candidates(signatures, counts, config, window=window, threads=threads)
    return pairs, score_pairs(signatures, counts, pairs, config, threads=threads)


def _candidates(
    signatures: npt.NDArray[np.uint32],
    counts: npt.NDArray[np.int64],
    config: DedupConfig,
    *,
    window: int,
    threads: int,
) -> npt.NDArray[np.int64]:
    """The LSH candidate pairs among paragraphs with words (see :func:`verified_pairs`)."""
    with_words = np.flatnonzero(counts != 0)
    if with_words.size == counts.size:  # the usual case: no copy of the signatures
        return candidate_pairs(
            signatures, config.bands, config.rows, window=window, threads=threads
        )
    local = candidate_pairs(
        signatures[with_words], config.bands, config.rows, window=window, threads=threads
    )
    pairs: npt.NDArray[np.int64] = with_words[local]
    return pairs


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
    components_, compact = np.unique(labels, return_inverse=True)
    compact = compact.reshape(-1)
    # One stable sort groups the paragraphs by component, each group in input order (so in
    # page order): a 16-bit key takes numpy's radix sort.
    small = compact.astype(np.uint16) if components_.size <= 1 << 16 else compact
    grouped = np.argsort(small, kind="stable")
    sizes = np.bincount(compact, minlength=components_.size)
    starts = np.cumsum(sizes) - sizes
    first_para = grouped[starts]
    grouped_docs = doc_of[grouped]
    new_page = np.empty(n, dtype=bool)
    new_page[0] = True
    np.not_equal(grouped_docs[1:], grouped_docs[:-1], out=new_page[1:])
    new_page[starts] = True
    docs = np.add.reduceat(new_page, starts, dtype=np.int64)
    repeated = np.flatnonzero(sizes >= 2)
    # Clusters by distinct pages, then size, descending; ties in input order.
    repeated = repeated[np.lexsort((first_para[repeated], -sizes[repeated], -docs[repeated]))]
    position = np.full(components_.size, -1, dtype=np.int64)
    position[repeated] = np.arange(repeated.size)
    cluster_of = position[compact]
    raws = components_[repeated]
    columns = ClusterColumns(
        ids=[f"{key:016x}" for key in keys[raws].tolist()],
        sizes=sizes[repeated].tolist(),
        docs=docs[repeated].tolist(),
        texts=[raw_texts[raw] for raw in raws.tolist()],
        member_doc=grouped_docs,
        member_para=para_of[grouped],
        starts=starts[repeated].tolist(),
    )
    return Clustering(doc_ids, doc_of, para_of, cluster_of, columns)
