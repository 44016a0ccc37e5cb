"""What a report shows: the figures of a run, gathered once and rendered anywhere."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from dedup.config import DedupConfig

__all__ = ["ClusterView", "Report", "RunInfo", "SiteShare", "Totals", "Variant", "params_of"]


def params_of(config: DedupConfig) -> dict[str, str]:
    """The matching parameters of ``config``, by name, as the report shows them."""
    return {name: "off" if value is None else str(value) for name, value in asdict(config).items()}


@dataclass(frozen=True, slots=True)
class RunInfo:
    """How the run was made.

    Attributes:
        source: What was read: the inputs, or the store's path.
        params: The matching parameters, by name, as text.
        seconds: Wall-clock time of the run (clustering and gathering), or None for a store.
        errors: The read errors and skipped records, one line each.
        skipped: How many records were skipped.
    """

    source: str
    params: dict[str, str]
    seconds: float | None
    errors: tuple[str, ...] = ()
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class Totals:
    """The sizes of a run.

    Attributes:
        pages: Pages read.
        paragraphs: Paragraphs kept.
        bytes: UTF-8 bytes of those paragraphs.
        clusters: Clusters of two or more paragraphs.
        cross_page: Clusters spanning two or more pages.
        repeated_paragraphs: Paragraphs in a cluster (first occurrences included).
        repeated_bytes: Their UTF-8 bytes.
    """

    pages: int
    paragraphs: int
    bytes: int
    clusters: int
    cross_page: int
    repeated_paragraphs: int
    repeated_bytes: int


@dataclass(frozen=True, slots=True)
class Variant:
    """One distinct text among a cluster's members.

    Attributes:
        text: The raw paragraph.
        count: Members with exactly this text.
        similarity: Estimated Jaccard similarity to the representative (MinHash).
        containment: Estimated share of the shorter one's shingles found in the other.
    """

    text: str
    count: int
    similarity: float
    containment: float


@dataclass(frozen=True, slots=True)
class ClusterView:
    """A cluster spanning two or more pages, as the report shows it.

    Attributes:
        id: The cluster id.
        docs: Distinct pages.
        size: Paragraphs.
        bytes: UTF-8 bytes of all its paragraphs.
        text: The representative: its first paragraph in input order.
        path: The most common element path of its members (HTML input), or None.
        members: The first members as ``(doc, para, variant)``, variant indexing ``variants``.
        variants: The most common distinct texts, most members first.
        n_variants: How many distinct texts it has in all.
    """

    id: str
    docs: int
    size: int
    bytes: int
    text: str
    path: str | None
    members: tuple[tuple[str, int, int], ...]
    variants: tuple[Variant, ...]
    n_variants: int


@dataclass(frozen=True, slots=True)
class SiteShare:
    """The repeated share of one site's text.

    Attributes:
        site: The host of a URL id, or the first part of a path id.
        pages: Its pages.
        bytes: UTF-8 bytes of its paragraphs.
        repeated_bytes: Those in a cluster.
    """

    site: str
    pages: int
    bytes: int
    repeated_bytes: int


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a report shows.

    Attributes:
        run: How the run was made.
        totals: Its sizes.
        clusters: Every cluster spanning two or more pages, most pages first.
        page_shares: Each page's share of repeated bytes (0 for a page without text).
        sites: Per site, most pages first.
    """

    run: RunInfo
    totals: Totals
    clusters: list[ClusterView]
    page_shares: list[float]
    sites: list[SiteShare]
