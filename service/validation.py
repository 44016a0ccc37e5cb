"""Read and validate request bodies and query parameters; every refusal is an ApiError."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import orjson
from aiohttp import web

from dedup.text.paragraphs import SPLIT_MODES, split_paragraphs
from service.errors import ApiError
from service.keys import SETTINGS
from service.settings import ID_MAX_CHARS, ServiceSettings

__all__ = [
    "META_MAX_DEPTH",
    "DocumentIn",
    "Limits",
    "check_paragraphs",
    "check_path_id",
    "check_query",
    "decode_json",
    "decode_text",
    "parse_batch",
    "parse_document",
    "parse_match",
    "query_cursor",
    "query_int",
    "read_body",
    "read_json",
]

JSON = "application/json"
TEXT = "text/plain"
# A cursor is "<docs>:<cluster id>" as the core makes it; anything else is refused before the
# core sees it (and its length is capped so parsing it costs nothing).
_CURSOR = re.compile(r"[0-9]{1,18}:[0-9A-Za-z_-]{1,128}")
_DOCUMENT_FIELDS = frozenset({"id", "text", "meta", "split"})
# meta is stored as JSON: deep nesting would only cost recursion in the encoders.
META_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class DocumentIn:
    """A validated document from a request body."""

    id: str
    text: str
    meta: dict[str, object] | None

    def as_tuple(self) -> tuple[str, str, dict[str, object] | None]:
        """Return ``(id, text, meta)`` as :meth:`dedup.index.index.Index.add_many` takes it."""
        return (self.id, self.text, self.meta)


@dataclass(frozen=True, slots=True)
class Limits:
    """The per-text limits checked before the core sees a text."""

    max_paragraphs: int
    max_paragraph_chars: int

    @classmethod
    def of(cls, settings: ServiceSettings) -> Limits:
        """Return the limits configured in ``settings``."""
        return cls(settings.max_paragraphs, settings.max_paragraph_chars)


def _invalid(message: str) -> ApiError:
    return ApiError(422, "invalid_request", message)


def _over(message: str) -> ApiError:
    return ApiError(422, "limit_exceeded", message)


def check_query(query: Mapping[str, str], known: Sequence[str]) -> None:
    """Refuse a query parameter the route does not take (400 invalid_parameter, naming the
    known ones), as an unknown body field is refused, and one given twice."""
    names = [name for name, _ in query.items()]  # a multidict gives each value its item
    if len(names) != len(set(names)):
        twice = next(name for name in names if names.count(name) > 1)
        raise ApiError(
            400, "invalid_parameter", f"query parameter {twice[:40]!r} is given twice; give it once"
        )
    unknown = sorted(set(names) - set(known))
    if unknown:
        takes = f"it takes {', '.join(known)}" if known else "it takes none"
        raise ApiError(
            400,
            "invalid_parameter",
            f"unknown query parameter {unknown[0][:40]!r}; {takes}",
        )


def check_path_id(value: str, what: str = "id") -> str:
    """Refuse an id in a path longer than ids may be (400 limit_exceeded), without echoing it."""
    if len(value) > ID_MAX_CHARS:
        raise ApiError(
            400,
            "limit_exceeded",
            f"the {what} in the path has {len(value)} characters, over the limit of "
            f"{ID_MAX_CHARS}; ids are 1 to {ID_MAX_CHARS} characters",
        )
    return value


def _media_type(request: web.Request, allowed: Sequence[str]) -> str:
    """Return the request's media type if it is allowed and its charset is UTF-8, else 415."""
    media = request.content_type.lower()
    charset = request.charset
    ok = media in allowed or (
        JSON in allowed and media.startswith("application/") and media.endswith("+json")
    )
    if not ok or (
        charset is not None and charset.lower().replace("_", "-") not in {"utf-8", "utf8"}
    ):
        got = request.headers.get("Content-Type", "none")[:100]
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Content-Type {got!r} is not accepted here; send {' or '.join(allowed)} in UTF-8",
        )
    return JSON if media not in allowed else media


async def read_body(request: web.Request, allowed: Sequence[str]) -> tuple[str, bytes]:
    """Check the content type and read the whole body (413 past ``client_max_size``)."""
    media = _media_type(request, allowed)
    limit = request.app[SETTINGS].max_body
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    return media, await request.read()


def decode_json(body: bytes) -> dict[str, object]:
    """Parse a JSON object; 400 for bad JSON or bad UTF-8, 422 for a non-object."""
    if not body.strip():
        raise ApiError(400, "invalid_json", "the body is empty; send a JSON object")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise ApiError(
                400,
                "invalid_utf8",
                f"the body is not valid UTF-8 (byte {bad.start}); encode the text as UTF-8",
            ) from None
        raise ApiError(
            400,
            "invalid_json",
            f"the body is not valid JSON ({exc}); lone surrogates such as \\ud800 are refused too",
        ) from None
    if not isinstance(value, dict):
        raise _invalid(f"the body must be a JSON object, not {_kind(value)}")
    return value


async def read_json(request: web.Request) -> dict[str, object]:
    """Read a JSON object body."""
    _, body = await read_body(request, (JSON,))
    return decode_json(body)


def decode_text(body: bytes) -> str:
    """Decode a text/plain body; 400 for bad UTF-8."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as bad:
        raise ApiError(
            400,
            "invalid_utf8",
            f"the body is not valid UTF-8 (byte {bad.start}); encode it as UTF-8",
        ) from None


def _kind(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def _string(body: Mapping[str, object], name: str, where: str) -> str:
    if name not in body:
        raise _invalid(f"{where}{name} is missing; send it as a string")
    value = body[name]
    if not isinstance(value, str):
        raise _invalid(f"{where}{name} must be a string, not {_kind(value)}")
    return value


def parse_document(body: object, where: str = "") -> DocumentIn:
    """Validate ``{"id": str (1-512 chars), "text": str, "meta": object | null}``."""
    if not isinstance(body, dict):
        raise _invalid(f"{where or 'the body'} must be an object, not {_kind(body)}")
    extra = sorted(set(body) - _DOCUMENT_FIELDS)
    if extra:
        raise _invalid(
            f"{where}{extra[0]} is not a field of a document; send id, text, meta and split"
        )
    doc_id = _string(body, "id", where)
    if not doc_id:
        raise _invalid(f"{where}id is empty; use 1 to {ID_MAX_CHARS} characters")
    if len(doc_id) > ID_MAX_CHARS:
        raise _over(
            f"{where}id has {len(doc_id)} characters, over the limit of {ID_MAX_CHARS}; "
            "use a shorter id"
        )
    text = _split(_string(body, "text", where), body, where)
    meta = body.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise _invalid(f"{where}meta must be an object or null, not {_kind(meta)}")
    if meta is not None and _too_deep(meta):
        raise _over(
            f"{where}meta nests deeper than the limit of {META_MAX_DEPTH} levels; flatten it"
        )
    return DocumentIn(doc_id, text, meta)


def _split(text: str, body: Mapping[str, object], where: str) -> str:
    """Apply the request's ``split``: with "lines", rewrite the text so that the index's split
    on blank lines finds one paragraph per non-empty line (the same paragraphs
    ``Index.add(..., split="lines")`` makes), so one group commit serves every request."""
    mode = body.get("split", "blank")
    if mode not in SPLIT_MODES:
        raise _invalid(f"{where}split must be 'blank' or 'lines', not {str(mode)[:20]!r}")
    if mode == "blank":
        return text
    return "\n\n".join(split_paragraphs(text, "lines"))


def _too_deep(value: object) -> bool:
    """Whether objects and arrays nest deeper than META_MAX_DEPTH (checked without recursion)."""
    level: list[object] = [value]
    for _ in range(META_MAX_DEPTH):
        below: list[object] = []
        for item in level:
            if isinstance(item, dict):
                below.extend(item.values())
            elif isinstance(item, list):
                below.extend(item)
        if not below:
            return False
        level = below
    return any(isinstance(item, dict | list) for item in level)


def parse_batch(body: Mapping[str, object], max_batch: int) -> list[DocumentIn]:
    """Validate ``{"documents": [document, ...]}`` with 1 to ``max_batch`` documents."""
    extra = sorted(set(body) - {"documents"})
    if extra:
        raise _invalid(f"{extra[0]} is not a field of a batch; send only documents")
    documents = body.get("documents")
    if not isinstance(documents, list):
        raise _invalid(f"documents must be an array of documents, not {_kind(documents)}")
    if not documents:
        raise _invalid(f"documents is empty; send 1 to {max_batch} per batch")
    if len(documents) > max_batch:
        raise _over(
            f"documents holds {len(documents)} documents, over the limit of {max_batch}; "
            "split the batch"
        )
    return [parse_document(doc, f"documents[{i}].") for i, doc in enumerate(documents)]


def parse_match(body: Mapping[str, object], max_batch: int) -> tuple[list[str], bool]:
    """Validate ``{"text": str}`` or ``{"texts": [str, ...]}``; return the texts and if batched."""
    extra = sorted(set(body) - {"text", "texts", "split"})
    if extra:
        raise _invalid(f"{extra[0]} is not a field of a match request; send text or texts")
    if ("text" in body) == ("texts" in body):
        raise _invalid("send exactly one of text (a string) and texts (an array of strings)")
    if "text" in body:
        return [_split(_string(body, "text", ""), body, "")], False
    texts = body["texts"]
    if not isinstance(texts, list):
        raise _invalid(f"texts must be an array of strings, not {_kind(texts)}")
    if not texts:
        raise _invalid(f"texts is empty; send 1 to {max_batch} per request")
    if len(texts) > max_batch:
        raise _over(
            f"texts holds {len(texts)} texts, over the limit of {max_batch}; split the request"
        )
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise _invalid(f"texts[{i}] must be a string, not {_kind(text)}")
    return [_split(text, body, "") for text in texts], True


def check_paragraphs(texts: Sequence[str], limits: Limits, names: Sequence[str]) -> None:
    """Refuse a text with too many paragraphs or too long a paragraph (422 limit_exceeded).

    The count is bounded before splitting: a text has at most one paragraph per two newlines.
    Runs in the round's job, in the executor for any large round: splitting a text of
    megabytes takes milliseconds.
    """
    for text, name in zip(texts, names, strict=True):
        if len(text) <= limits.max_paragraph_chars and text.count("\n") < 2 * limits.max_paragraphs:
            continue
        paragraphs = split_paragraphs(text)
        if len(paragraphs) > limits.max_paragraphs:
            raise _over(
                f"{name} has {len(paragraphs)} paragraphs, over the limit of "
                f"{limits.max_paragraphs}; split it into several documents",
            )
        longest = max(paragraphs, key=len, default="")
        if len(longest) > limits.max_paragraph_chars:
            raise _over(
                f"{name} has a paragraph of {len(longest)} characters, over the limit of "
                f"{limits.max_paragraph_chars}; separate paragraphs with blank lines",
            )


def query_int(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """Read an integer query parameter in ``[low, high]`` (400 invalid_parameter otherwise)."""
    raw = query.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not low <= int(raw) <= high:
        raise ApiError(
            400,
            "invalid_parameter",
            f"{name}={raw[:40]!r} is invalid; pass an integer in [{low}, {high}]",
        )
    return int(raw)


def query_cursor(query: Mapping[str, str]) -> str | None:
    """Read the ``cursor`` query parameter as returned in ``next_cursor`` (400 if malformed)."""
    raw = query.get("cursor")
    if raw is None or raw == "":
        return None
    if not _CURSOR.fullmatch(raw):
        raise ApiError(
            400,
            "invalid_parameter",
            f"cursor={raw[:40]!r} is malformed; pass the next_cursor of the previous page",
        )
    return raw
