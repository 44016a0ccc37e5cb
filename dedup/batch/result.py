"""The result of clustering a batch: per-paragraph assignments and the clusters."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["Assignment", "Cluster", "ClusterColumns", "Clustering", "Member", "preview"]

# Characters of a text shown in a repr.
_PREVIEW = 40


def preview(text: str, limit: int = _PREVIEW) -> str:
    """Return ``text`` cut to ``limit`` characters (with an ellipsis), for a repr."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Member(NamedTuple):
    """One paragraph of a cluster: the page (document) id and the paragraph's 0-based index."""

    doc: str
    para: int


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where one paragraph landed.

    Attributes:
        doc: the page id.
        para: the 0-based index of the paragraph among the page's kept paragraphs.
        cluster: the cluster id, or None for a paragraph that repeats nowhere.
        size: paragraphs in its cluster (1 when it repeats nowhere).
    """

    doc: str
    para: int
    cluster: str | None
    size: int


@dataclass(frozen=True, slots=True)
class Cluster:
    """A set of two or more paragraphs that are the same blurb.

    Attributes:
        id: stable id: the exact key (hex) of the cluster's first paragraph in input order.
        size: number of paragraphs.
        docs: number of distinct pages among them.
        text: a representative paragraph: the first one in input order.
        members: every member as a :class:`Member` ``(doc, para)``, in input order.
    """

    id: str
    size: int
    docs: int
    text: str
    members: tuple[Member, ...]

    def __repr__(self) -> str:
        return (
            f"Cluster(id={self.id!r}, size={self.size}, docs={self.docs}, "
            f"text={preview(self.text)!r})"
        )


@dataclass(frozen=True, slots=True)
class ClusterColumns:
    """The clusters of a batch as columns, from which :class:`Cluster` objects are made only
    when asked for: writing assignments or cleaning pages needs no member tuples.

    Attributes:
        ids, sizes, docs, texts: one entry per cluster, as in :class:`Cluster`.
        member_doc: (n_paragraphs,) int64 page index of every paragraph, grouped by
            near-duplicate component (a paragraph that repeats nowhere is a group of one),
            each group in input order.
        member_para: (n_paragraphs,) int64 their paragraph indices.
        starts: where each cluster's group begins in ``member_doc``; it runs ``size`` long.
    """

    ids: list[str]
    sizes: list[int]
    docs: list[int]
    texts: list[str]
    member_doc: npt.NDArray[np.int64]
    member_para: npt.NDArray[np.int64]
    starts: list[int]

    def build(self, doc_ids: Sequence[str]) -> list[Cluster]:
        """Return the :class:`Cluster` objects."""
        member_docs = list(map(doc_ids.__getitem__, self.member_doc.tolist()))
        member_paras = self.member_para.tolist()
        return [
            Cluster(
                id=cluster_id,
                size=size,
                docs=n_docs,
                text=text,
                members=tuple(
                    map(
                        Member,
                        member_docs[low : low + size],
                        member_paras[low : low + size],
                    )
                ),
            )
            for cluster_id, size, n_docs, text, low in zip(
                self.ids, self.sizes, self.docs, self.texts, self.starts, strict=True
            )
        ]


class Clustering:
    """Per-paragraph cluster assignments of a batch, in input order, and its clusters.

    Attributes:
        doc_ids: page ids in input order (one per page).
        doc_of: (n_paragraphs,) int64 index into ``doc_ids`` of each paragraph.
        para_of: (n_paragraphs,) int64 paragraph index within its page.
        cluster_of: (n_paragraphs,) int64 index into ``clusters``, -1 for a unique paragraph.
        clusters: clusters of two or more paragraphs, by distinct pages, descending (made on
            first use when the clustering was given as columns).
        cluster_ids, cluster_sizes, cluster_docs: each cluster's id, size and distinct pages.
    """

    def __init__(
        self,
        doc_ids: list[str],
        doc_of: npt.NDArray[np.int64],
        para_of: npt.NDArray[np.int64],
        cluster_of: npt.NDArray[np.int64],
        clusters: list[Cluster] | ClusterColumns,
    ) -> None:
        self.doc_ids = doc_ids
        self.doc_of = doc_of
        self.para_of = para_of
        self.cluster_of = cluster_of
        if isinstance(clusters, ClusterColumns):
            self._columns: ClusterColumns | None = clusters
            self.cluster_ids, self.cluster_sizes = clusters.ids, clusters.sizes
            self.cluster_docs = clusters.docs
        else:
            self._columns = None
            self.__dict__["clusters"] = clusters
            self.cluster_ids = [c.id for c in clusters]
            self.cluster_sizes = [c.size for c in clusters]
            self.cluster_docs = [c.docs for c in clusters]

    @cached_property
    def clusters(self) -> list[Cluster]:
        """Clusters of two or more paragraphs, by distinct pages, descending."""
        assert self._columns is not None  # otherwise __init__ stored the list already
        return self._columns.build(self.doc_ids)

    def __len__(self) -> int:
        return int(self.doc_of.size)

    def __repr__(self) -> str:
        return (
            f"<Clustering: {len(self)} paragraphs of {len(self.doc_ids)} pages, "
            f"{len(self.cluster_ids)} clusters of repeats>"
        )

    def __iter__(self) -> Iterator[Assignment]:
        ids, sizes = self.cluster_ids, self.cluster_sizes
        docs = self.doc_ids
        for doc, para, cluster in zip(
            self.doc_of.tolist(), self.para_of.tolist(), self.cluster_of.tolist(), strict=True
        ):
            if cluster < 0:
                yield Assignment(docs[doc], para, None, 1)
            else:
                yield Assignment(docs[doc], para, ids[cluster], sizes[cluster])

    @cached_property
    def paragraphs(self) -> Sequence[Assignment]:
        """Every paragraph's assignment, in input order."""
        return list(self)

    def by_id(self, cluster_id: str) -> Cluster:
        """Return the cluster with this id (KeyError if none)."""
        return self._by_id[cluster_id]

    @cached_property
    def _by_id(self) -> dict[str, Cluster]:
        return {c.id: c for c in self.clusters}

    def cross_page(self, min_docs: int = 2) -> list[Cluster]:
        """Return the clusters spanning at least ``min_docs`` distinct pages."""
        return [c for c in self.clusters if c.docs >= min_docs]
