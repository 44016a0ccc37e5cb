"""Reading pages into a batch: paragraphs, exact raw collapse, and fingerprints in workers."""

from __future__ import annotations

import os
from collections.abc import Callable, Container, Iterable, Mapping, Sized
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedup.batch.fingerprinter import (
    BATCH,
    INLINE,
    INLINE_LARGE,
    LARGE_INPUT,
    Distinct,
    Fingerprinter,
    OnKnown,
    OnSigned,
)
from dedup.config import DedupConfig
from dedup.errors import ConfigError, InputError
from dedup.text.paragraphs import SplitMode, check_split, split_paragraphs

__all__ = ["Batch", "PageLike", "Progress", "check_jobs", "read_batch"]

PageLike = tuple[str, str] | Mapping[str, object]
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Batch:
    """Pages read into arrays, with one fingerprint per distinct raw paragraph.

    Attributes:
        doc_ids: page ids in input order.
        para_doc: (n_paragraphs,) int64 page index of each paragraph.
        para_num: (n_paragraphs,) int64 paragraph index within its page.
        para_raw: (n_paragraphs,) int64 index of its distinct raw text.
        raw_texts: the distinct raw paragraph texts, in order of first appearance.
        distinct: the fingerprints of the distinct exact keys among them.
    """

    doc_ids: list[str]
    para_doc: npt.NDArray[np.int64]
    para_num: npt.NDArray[np.int64]
    para_raw: npt.NDArray[np.int64]
    raw_texts: list[str]
    distinct: Distinct


def read_batch(
    pages: Iterable[PageLike],
    config: DedupConfig,
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    split: SplitMode = "blank",
    known: Container[int] | None = None,
    repeated_ids: bool = False,
    on_signed: OnSigned | None = None,
    on_known: OnKnown | None = None,
) -> Batch:
    """Read ``pages`` once, as a stream, and fingerprint each distinct raw paragraph.

    Identical paragraphs are collapsed on their raw text as they arrive, so a boilerplate line
    repeated on 50,000 pages is fingerprinted once, and its typographic variants are signed
    once. Fingerprinting shares ``jobs`` processes (None: all cores) with the reading
    (:class:`dedup.batch.fingerprinter.Fingerprinter`); the result is the same for any ``jobs``.
    ``split`` chooses how a page's text becomes paragraphs (:func:`split_paragraphs`); a
    mapping with ``"html"`` instead of ``"text"`` is an HTML page, cut into blocks as the CLI
    cuts ``.html`` files.
    Paragraphs whose exact key is in ``known`` are left unsigned (an index matches them exactly).
    With ``repeated_ids``, a page id may come again (for an index, where it replaces the page).
    ``on_signed(rows, prints)`` is told the fingerprints of the rows signed so far while the
    pages are still being read, and ``on_known(rows, keys)`` the rows left unsigned for
    ``known`` (see :class:`dedup.batch.fingerprinter.Fingerprinter`).

    Raises:
        InputError: a page is not an ``(id, text)`` pair or a mapping with both, or its id
            was already given to an earlier page (unless ``repeated_ids``).
    """
    split = check_split(split)
    workers = check_jobs(jobs)
    doc_ids: list[str] = []
    raw = _Numbering()
    number_of = raw.__getitem__
    para_raw: list[int] = []
    per_page: list[int] = []
    first_of: dict[str, int] = {}  # page id -> the page that has it
    large = isinstance(pages, Sized) and len(pages) >= LARGE_INPUT
    inline = INLINE_LARGE if large else INLINE
    with Fingerprinter(
        config, workers, inline=inline, known=known, on_signed=on_signed, on_known=on_known
    ) as fingerprinter:
        sent = 0  # raw texts given to the fingerprinter
        for number, page in enumerate(pages, start=1):
            doc_id, text = _page_fields(page, number)
            if not repeated_ids and first_of.setdefault(doc_id, number) != number:
                raise InputError(
                    f"page {number}: id {doc_id!r} was already given to page "
                    f"{first_of[doc_id]}; give every page its own id"
                )
            doc_ids.append(doc_id)
            paragraphs = split_paragraphs(text, split)
            para_raw += map(number_of, paragraphs)  # a C loop; only new texts reach Python
            per_page.append(len(paragraphs))
            if len(raw.texts) - sent >= BATCH:
                fingerprinter.add(raw.texts[sent:])
                sent = len(raw.texts)
            if progress is not None:
                progress(1, len(paragraphs))
        fingerprinter.add(raw.texts[sent:])
        distinct = fingerprinter.results()
    counts = np.asarray(per_page, dtype=np.int64)
    para_doc = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    para_num = np.arange(para_doc.size, dtype=np.int64) - np.repeat(
        np.cumsum(counts) - counts, counts
    )
    return Batch(
        doc_ids,
        para_doc,
        para_num,
        np.asarray(para_raw, dtype=np.int64),
        raw.texts,
        distinct,
    )


class _Numbering(dict[str, int]):
    """Numbers distinct raw paragraphs in order of first appearance: looking up a new one
    gives it the next number and appends it to :attr:`texts`."""

    __slots__ = ("texts",)

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def __missing__(self, text: str) -> int:
        number = self[text] = len(self.texts)
        self.texts.append(text)
        return number


def _page_fields(page: PageLike, number: int) -> tuple[str, str]:
    if isinstance(page, Mapping):
        for name in ("id", "text"):
            if name not in page and not (name == "text" and "html" in page):
                raise InputError(
                    f'page {number}: {name} is missing; pass mappings with "id" and "text" '
                    "(or (id, text) tuples)"
                )
        doc_id, text = page.get("id"), page.get("text")
        if text is None and isinstance(page.get("html"), str) and isinstance(doc_id, str):
            return doc_id, _html_text(doc_id, str(page["html"]), number)
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


def _html_text(doc_id: str, html: str, number: int) -> str:
    from dedup.io.extract import RawHtml, extract  # noqa: PLC0415 - only for HTML pages

    done = extract(RawHtml(doc_id, html, None, None, f"page {number}", None))
    if done.error is not None:
        raise InputError(done.error)
    return done.text


def check_jobs(jobs: int | None) -> int:
    """Return how many processes ``jobs`` asks for (None: all cores)."""
    if jobs is None:
        return os.cpu_count() or 1
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"jobs={jobs!r} must be a positive integer; use 1 for no workers")
    return jobs
