"""Gather a report from pages and their paragraphs' clusters, one page at a time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from dedup.config import DedupConfig
from dedup.report.model import ClusterView, Report, RunInfo, SiteShare, Totals, Variant
from dedup.report.sites import site_of
from dedup.sketch.fingerprint import fingerprint
from dedup.sketch.minhash import containment_estimate, jaccard_estimate

__all__ = ["MEMBERS_SHOWN", "VARIANTS_SHOWN", "Gatherer"]

# What one cluster may carry into the report: enough to judge a threshold, and a bound on the
# file's size whatever the crawl (a boilerplate line can have 50,000 members).
MEMBERS_SHOWN = 50
VARIANTS_SHOWN = 12


@dataclass(slots=True)
class _Shown:
    """What is collected about one cluster that the report shows."""

    bytes: int = 0
    members: list[tuple[str, int, int]] = field(default_factory=list)
    variants: dict[str, int] = field(default_factory=dict)  # text -> number, first seen first
    counts: list[int] = field(default_factory=list)
    paths: Counter[str] = field(default_factory=Counter)


class Gatherer:
    """Collect the figures of a report from each page's paragraphs and clusters.

    Args:
        docs: Distinct pages of each cluster (two paragraphs or more), in report order: most
            pages first.
        ids: The clusters' ids, in the same order.
        config: The MinHash parameters with which variants are compared to the representative.
    """

    def __init__(self, docs: Sequence[int], ids: Sequence[str], config: DedupConfig) -> None:
        self._ids = list(ids)
        self._docs = list(docs)
        self._config = config
        self._shown: dict[int, _Shown] = {
            number: _Shown() for number, pages in enumerate(self._docs) if pages >= 2
        }
        self._page_shares: list[float] = []
        self._sites: dict[str, list[int]] = {}
        self._paragraphs = self._bytes = self._repeated = self._repeated_bytes = 0

    def add(
        self,
        doc_id: str,
        paragraphs: Sequence[str],
        clusters: Sequence[int],
        paths: Sequence[str] | None = None,
    ) -> None:
        """Count one page: its paragraphs, each one's cluster number (-1 if it repeats nowhere;
        as many as paragraphs) and, for HTML input, each one's element path."""
        total = len("".join(paragraphs).encode("utf-8", "surrogatepass"))
        repeated = 0
        for para, number in enumerate(clusters):
            if number < 0:
                continue
            text = paragraphs[para]
            size = len(text.encode("utf-8", "surrogatepass"))
            repeated += size
            self._repeated += 1
            shown = self._shown.get(number)
            if shown is None:
                continue
            shown.bytes += size
            variant = shown.variants.setdefault(text, len(shown.variants))
            if variant == len(shown.counts):
                shown.counts.append(0)
            shown.counts[variant] += 1
            if len(shown.members) < MEMBERS_SHOWN:
                shown.members.append((doc_id, para, variant))
            if paths is not None and para < len(paths) and paths[para]:
                shown.paths[paths[para]] += 1
        self._paragraphs += len(paragraphs)
        self._bytes += total
        self._repeated_bytes += repeated
        self._page_shares.append(repeated / total if total else 0.0)
        site = self._sites.setdefault(site_of(doc_id), [0, 0, 0])
        site[0] += 1
        site[1] += total
        site[2] += repeated

    def report(self, run: RunInfo) -> Report:
        """Return the report of every page added."""
        totals = Totals(
            pages=len(self._page_shares),
            paragraphs=self._paragraphs,
            bytes=self._bytes,
            clusters=len(self._ids),
            cross_page=len(self._shown),
            repeated_paragraphs=self._repeated,
            repeated_bytes=self._repeated_bytes,
        )
        sites = sorted(
            (SiteShare(name, *figures) for name, figures in self._sites.items()),
            key=lambda site: (-site.pages, site.site),
        )
        return Report(run, totals, self._views(), self._page_shares, sites)

    def _views(self) -> list[ClusterView]:
        """The shown clusters, each with its top variants scored against its representative."""
        kept: list[tuple[int, list[str], list[int]]] = []
        row_of: dict[str, int] = {}  # each distinct text is signed once
        for number, shown in self._shown.items():
            order = sorted(range(len(shown.counts)), key=lambda v: (-shown.counts[v], v))
            top = order[:VARIANTS_SHOWN]
            variants = list(shown.variants)
            kept.append((number, [variants[v] for v in top], top))
            for text in (variants[0], *kept[-1][1]):  # the representative: the first member's
                row_of.setdefault(text, len(row_of))
        if not row_of:
            return []
        # One signing pass over every compared text; the estimates come from the signatures.
        texts = list(row_of)
        prints = fingerprint(texts, self._config)
        views: list[ClusterView] = []
        for number, top_texts, top in kept:
            shown = self._shown[number]
            rep = row_of[next(iter(shown.variants))]
            rows = [row_of[text] for text in top_texts]
            similarity = np.atleast_1d(
                jaccard_estimate(prints.signatures[rep], prints.signatures[rows])
            )
            # A title-like line's count is negative (character shingles); its size is the same.
            sizes = np.abs(prints.counts)
            containment = containment_estimate(similarity, sizes[rep], sizes[rows])
            renumber = {old: new for new, old in enumerate(top)}
            views.append(
                ClusterView(
                    id=self._ids[number],
                    docs=self._docs[number],
                    size=sum(shown.counts),
                    bytes=shown.bytes,
                    text=texts[rep],
                    path=shown.paths.most_common(1)[0][0] if shown.paths else None,
                    members=tuple(
                        (doc, para, renumber.get(variant, -1))
                        for doc, para, variant in shown.members
                    ),
                    variants=tuple(
                        Variant(text, shown.counts[v], float(s), float(c))
                        for text, v, s, c in zip(
                            top_texts, top, similarity.tolist(), containment.tolist(), strict=True
                        )
                    ),
                    n_variants=len(shown.counts),
                )
            )
        views.sort(key=lambda view: (-view.docs, -view.size))  # stable: ties keep their order
        return views
