"""The jobs the batchers run: one round of writes, one round of matches.

Rounds run in the executor, but for a small match round, which may run on the event loop
(see :meth:`service.batcher.Batcher.run_inline`).

Each job takes the round's requests in arrival order and returns, for each, its answer body
(JSON bytes, encoded here so the event loop only sends them) or the exception to answer with.
A request refused on its own (a limit exceeded) fails alone; a failure of the shared core call
fails every request of the round.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from dedup.index.index import AddResult, ClusterSummary, Index
from dedup.io.output import match_record
from dedup.sketch.match import Match
from service.errors import ApiError
from service.metrics import StatsCache
from service.validation import DocumentIn, Limits, check_paragraphs

__all__ = ["MatchRequest", "WriteRequest", "add_round", "added_json", "match_round", "replaces"]

Json = dict[str, object]


@dataclass(frozen=True, slots=True)
class WriteRequest:
    """The validated documents of one POST /v1/documents (``batched`` False) or :batch."""

    docs: list[DocumentIn]
    batched: bool


@dataclass(frozen=True, slots=True)
class MatchRequest:
    """The texts of one POST /v1/match; ``batched`` when they came as ``{"texts": [...]}``."""

    texts: list[str]
    batched: bool


def _dumps(body: Json) -> bytes:
    """An answer body: JSON ending with a newline, as every JSON body of the service does."""
    return orjson.dumps(body, option=orjson.OPT_APPEND_NEWLINE)


def replaces(index: Index, request: WriteRequest) -> bool:
    """Whether a write replaces a stored document, and so must end its group commit.

    Within one ``add_many``, a document after a replacement is still compared with the
    replaced document's old paragraphs, which applying the requests one by one would already
    have removed. Ending the round after a replacement keeps a group commit equal to applying
    its requests one by one in arrival order. (The check runs on the loop while no round runs,
    from memory, never waiting on the store: exact when this process alone writes, since only
    the writer adds documents; a concurrent DELETE only makes it cautious. With other processes
    or replicas writing, it misses a document they added since the last replay, a second ago
    at most: then the documents after that replacement in its round may still match its old
    paragraphs.)
    """
    return any(index.holds(doc.id) for doc in request.docs)


def _screen(
    batches: list[tuple[list[str], list[str]]], limits: Limits
) -> tuple[list[bytes | Exception], list[int]]:
    """Check each request's texts against the paragraph limits on its own.

    Args:
        batches: per request, its texts and the names errors give them.
        limits: the service's limits.

    Returns:
        An answer slot per request (the refusal, or a placeholder) and the requests kept.
    """
    answers: list[bytes | Exception] = []
    kept: list[int] = []
    for i, (texts, names) in enumerate(batches):
        try:
            check_paragraphs(texts, limits, names)
        except ApiError as exc:
            answers.append(exc)
            continue
        answers.append(b"")
        kept.append(i)
    return answers, kept


def add_round(
    index: Index, stats: StatsCache, limits: Limits, requests: list[WriteRequest]
) -> list[bytes | Exception]:
    """Write every document of ``requests`` in one ``add_many``: one transaction, one fsync.

    The batcher never puts one document id in a round twice, nor a request after a replacement
    (see :func:`replaces`), so the round gives what applying the requests one after the other
    would.
    """
    answers, kept = _screen(
        [([d.text for d in r.docs], [f"document {d.id!r}" for d in r.docs]) for r in requests],
        limits,
    )
    if not kept:
        return answers
    try:
        results = index.add_many([d.as_tuple() for i in kept for d in requests[i].docs])
    except Exception as exc:  # nothing was written: every request of the round fails with it
        for i in kept:
            answers[i] = exc
        return answers
    stats.refresh()
    start = 0
    for i in kept:
        request = requests[i]
        mine = [added_json(r) for r in results[start : start + len(request.docs)]]
        start += len(request.docs)
        answers[i] = _dumps({"documents": mine} if request.batched else mine[0])
    return answers


def added_json(result: AddResult) -> Json:
    """An AddResult as the service answers it."""
    return {
        "id": result.id,
        "replaced": result.replaced,
        "paragraphs": [
            {
                "index": p.index,
                "cluster": p.cluster,
                "new_cluster": p.new_cluster,
                "similarity": p.similarity,
                "containment": p.containment,
            }
            for p in result.paragraphs
        ],
    }


def match_round(
    index: Index, limits: Limits, requests: list[MatchRequest]
) -> list[bytes | Exception]:
    """Match the texts of every request in one ``match_many``; each cluster is read once."""
    answers, kept = _screen([(r.texts, _text_names(len(r.texts))) for r in requests], limits)
    if not kept:
        return answers
    try:
        found = index.match_many([t for i in kept for t in requests[i].texts])
        # Each cluster once, in one call, from the state match_many just brought up to date
        # (no second look at a shared store); one a concurrent DELETE removed is left out.
        clusters = index.cluster_summaries(
            (m.cluster for matches in found for m in matches if m is not None), refresh=False
        )
        start = 0
        for i in kept:
            request = requests[i]
            mine = [
                _paragraphs(clusters, matches)
                for matches in found[start : start + len(request.texts)]
            ]
            start += len(request.texts)
            if request.batched:
                answers[i] = _dumps({"results": [{"paragraphs": p} for p in mine]})
            else:
                answers[i] = _dumps({"paragraphs": mine[0]})
    except Exception as exc:  # the shared core call failed: every request of the round fails
        for i in kept:
            answers[i] = exc
    return answers


def _paragraphs(clusters: dict[str, ClusterSummary], matches: list[Match | None]) -> list[Json]:
    paragraphs: list[Json] = []
    for i, match in enumerate(matches):
        answer: Json | None = None
        if match is not None:
            cluster = match.cluster
            info = clusters.get(cluster)
            if info is not None:
                answer = match_record(
                    cluster, match.similarity, match.containment, info.docs, info.text
                )
        paragraphs.append({"index": i, "match": answer})
    return paragraphs


def _text_names(count: int) -> list[str]:
    """How errors name the texts of a match request."""
    return ["text"] if count == 1 else [f"texts[{j}]" for j in range(count)]
