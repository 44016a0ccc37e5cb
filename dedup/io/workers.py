"""Extract HTML pages in input order, here or in worker processes under ``--jobs``."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace

from dedup.errors import InputError
from dedup.io.extract import Extracted, RawHtml, extract
from dedup.io.jsonl import parse_line, unreadable
from dedup.io.page import Page
from dedup.processes import ignore_interrupts, process_context

__all__ = ["RawLine", "Refused", "extract_all", "read_line"]

# Pages per task sent to a worker: enough to hide the pickling, few enough to keep order cheap.
_CHUNK = 32
# HTML pages extracted here at most before workers take over (about 30 ms of work); fewer
# if the workers are ready sooner.
_INLINE = _CHUNK
# HTML pages extracted here before the workers are started (a smaller input never starts
# them): they start (forked, 10-20 ms; from a fork server, 0.2-0.6 s) while this process goes
# on extracting, up to _INLINE pages.
_WARM = _CHUNK // 4
# Chunks per worker sent ahead of the one the consumer waits for.
_AHEAD = 2


@dataclass(frozen=True, slots=True)
class RawLine:
    """A JSONL line that holds an HTML page (or seems to), not yet parsed.

    The line is parsed where its page is extracted, so that under ``--jobs`` a worker rather
    than the reading process decodes its 50 KB of JSON. A line of a regular file goes to a
    worker as its ``span`` alone, and the worker reads the bytes itself: pickling 50 KB and
    piping it cost the reading process more than reading it.

    Attributes:
        raw: The line's bytes, any byte order mark removed (empty when sent as a span).
        source: The file it came from.
        line: Its 1-based line number.
        html: Read the line as ``{"id", "html"}`` whatever its fields (``--format html``).
        span: The absolute path of a regular file, the byte offset of ``raw`` in it and its
            length, or None (a .gz file or stdin).
    """

    raw: bytes
    source: str
    line: int
    html: bool
    span: tuple[str, int, int] | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a page cannot be read: an :class:`InputError`'s fields, since the exception loses
    them when it is sent back from a worker."""

    reason: str
    source: str | None = None
    line: int | None = None

    def error(self) -> InputError:
        """Return the error, as the reading process raises or counts it."""
        return InputError(self.reason, source=self.source, line=self.line)


def read_line(item: RawLine, keep_html: bool = False) -> Page | Refused:
    """Parse a JSONL line (read from its span first if it came without its bytes) and, if it
    holds an HTML page, cut the page into blocks."""
    raw = item.raw
    if not raw and item.span is not None:
        try:
            raw = _read_span(*item.span)
        except OSError as exc:
            error = unreadable(item.source, item.line, exc)
            return Refused(error.reason, error.source, error.line)
        if len(raw) != item.span[2]:
            return Refused(
                "the file was cut short while it was read; read it again once it is complete",
                item.source,
                item.line,
            )
    try:
        parsed = parse_line(raw, item.source, item.line, html=item.html)
    except InputError as exc:
        return Refused(exc.reason, exc.source, exc.line)
    if isinstance(parsed, Page):
        return parsed
    # The HTML of a JSON string is text already: no charset to decode, no byte to replace.
    done = extract(parsed, keep_html)
    if done.error is not None:
        return Refused(done.error)
    return Page(parsed.id, done.text, parsed.record, item.source, item.line, done.paths, done.html)


def _read_span(path: str, offset: int, size: int) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, size, offset)
    finally:
        os.close(fd)


_Work = RawHtml | RawLine
_Done = Extracted | Page | Refused


def _work(item: _Work, keep_html: bool) -> _Done:
    return read_line(item, keep_html) if isinstance(item, RawLine) else extract(item, keep_html)


def _work_chunk(chunk: list[_Work], keep_html: bool) -> list[_Done]:
    # An extracted page goes back without its HTML and record: the caller still holds them.
    return [
        replace(done, raw=_STRIPPED) if isinstance(done, Extracted) else done
        for done in (_work(item, keep_html) for item in chunk)
    ]


def _warm_up() -> None:
    """Import the HTML parser in a worker before its first pages arrive."""
    import dedup.io.html  # noqa: F401, PLC0415 - imported for its cost, not its names


_STRIPPED = RawHtml("", b"", None, None, "", None)
_Waiting = tuple[Future[list[_Done]], list[_Work]] | list[object]


def extract_all(
    items: Iterable[_Work | object], *, jobs: int = 1, keep_html: bool = False
) -> Iterator[_Done | object]:
    """Extract the :class:`RawHtml` pages and read the :class:`RawLine` lines among ``items``,
    in order; other items pass through as they are.

    With ``jobs`` above 1, once a few pages have been extracted here (a small input never pays
    for starting workers) and the workers are ready, the rest go to that many worker processes
    in chunks, a few chunks ahead of the consumer, and come back in input order.
    """
    items = iter(items)
    with ExitStack() as stack:
        pool: ProcessPoolExecutor | None = None
        ready: list[Future[None]] = []
        seen = 0
        for item in items:
            if not isinstance(item, RawHtml | RawLine):
                yield item
                continue
            yield _work(item, keep_html)
            seen += 1
            if jobs > 1 and seen == _WARM:
                pool, ready = _start(jobs)
                stack.enter_context(pool)
            # Pages extracted here once the workers are ready would leave them idle.
            if pool is not None and (seen >= _INLINE or all(f.done() for f in ready)):
                break
        if pool is not None:  # what is left of the items (if any) goes to the workers
            yield from _pooled(pool, items, jobs, keep_html)
            # Every result is in: the workers exit on their own rather than while the caller
            # waits (joining them took 20-100 ms); ExitStack's second shutdown returns at once.
            pool.shutdown(wait=False)


def _start(jobs: int) -> tuple[ProcessPoolExecutor, list[Future[None]]]:
    """Start the workers; return the pool and a future per worker that is done once it is
    ready."""
    # Forked, the workers start in a few milliseconds with the parser loaded, where a fork
    # server blocked this process 0.2-0.3 s and readied them in 0.4-0.6 s on a loaded machine,
    # each pass: half a pass over 1,000 pages. Beside a thread, a fork server is safe.
    pool = ProcessPoolExecutor(
        jobs, mp_context=process_context("forkserver"), initializer=ignore_interrupts
    )
    # One task each starts every worker now, not at the first chunk.
    return pool, [pool.submit(_warm_up) for _ in range(jobs)]


def _pooled(
    pool: ProcessPoolExecutor, items: Iterator[object], jobs: int, keep_html: bool
) -> Iterator[_Done | object]:
    waiting: deque[_Waiting] = deque()
    chunk: list[_Work] = []
    for item in items:
        if isinstance(item, RawHtml | RawLine):
            chunk.append(_to_send(item))
            if len(chunk) >= _CHUNK:
                waiting.append((pool.submit(_work_chunk, chunk, keep_html), chunk))
                chunk = []
        else:
            if chunk:
                waiting.append((pool.submit(_work_chunk, chunk, keep_html), chunk))
                chunk = []
            waiting.append([item])
        while len(waiting) > _AHEAD * jobs or (waiting and _ready(waiting[0])):
            yield from _take(waiting.popleft())
    if chunk:
        waiting.append((pool.submit(_work_chunk, chunk, keep_html), chunk))
    while waiting:
        yield from _take(waiting.popleft())


def _to_send(item: _Work) -> _Work:
    """A line with a span goes to a worker as the span alone: the worker reads its bytes."""
    if isinstance(item, RawLine) and item.span is not None:
        return RawLine(b"", item.source, item.line, item.html, item.span)
    return item


def _ready(item: _Waiting) -> bool:
    return isinstance(item, list) or item[0].done()


def _take(item: _Waiting) -> list[_Done] | list[object]:
    if isinstance(item, list):
        return item
    future, chunk = item
    return [
        replace(done, raw=raw) if isinstance(done, Extracted) and isinstance(raw, RawHtml) else done
        for done, raw in zip(future.result(), chunk, strict=True)
    ]
