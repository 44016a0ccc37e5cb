"""What an Index hands back: added documents, stored documents, clusters and sizes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from dedup.batch.result import Member, preview
from dedup.index.plan import Assigned

__all__ = ["AddResult", "ClusterInfo", "ClusterSummary", "Document", "Paragraph", "Stats"]


@dataclass(frozen=True, slots=True)
class AddResult:
    """The outcome of adding one document."""

    id: str
    replaced: bool
    paragraphs: list[Assigned]


class Paragraph(NamedTuple):
    """One paragraph of a stored document: its 0-based index, its text and its cluster's id."""

    index: int  # type: ignore[assignment]  # the field the API names; shadows tuple.index
    text: str
    cluster: str


@dataclass(frozen=True, slots=True)
class Document:
    """A stored document: ``paragraphs`` holds a :class:`Paragraph` per paragraph, in order."""

    id: str
    meta: dict[str, object] | None
    paragraphs: list[Paragraph]


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    """A cluster with its members (:class:`Member` ``(doc, para)``) in insertion order."""

    id: str
    size: int
    docs: int
    text: str
    members: list[Member]

    def __repr__(self) -> str:
        return (
            f"ClusterInfo(id={self.id!r}, size={self.size}, docs={self.docs}, "
            f"text={preview(self.text)!r})"
        )


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    """A cluster without its member list: cheap to get for every match."""

    id: str
    size: int
    docs: int
    text: str

    def __repr__(self) -> str:
        return (
            f"ClusterSummary(id={self.id!r}, size={self.size}, docs={self.docs}, "
            f"text={preview(self.text)!r})"
        )


@dataclass(frozen=True, slots=True)
class Stats:
    """Sizes of the index.

    Attributes:
        documents: documents held.
        paragraphs: their paragraphs.
        clusters: clusters of two or more paragraphs (the repeats).
        singletons: paragraphs that repeat nothing held (each alone in its cluster).
    """

    documents: int
    paragraphs: int
    clusters: int
    singletons: int
