"""The component schemas and error responses of the service's OpenAPI document."""

from __future__ import annotations

from service.errors import ERROR_CODES
from service.settings import ID_MAX_CHARS, ServiceSettings
from service.validation import META_MAX_DEPTH

__all__ = ["Json", "error_responses", "json_response", "ref", "schemas"]

Json = dict[str, object]


def ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(schema: Json, description: str) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error_responses() -> dict[str, Json]:
    reasons = {
        400: (
            "Invalid JSON, invalid UTF-8, an unknown or invalid query parameter, an id in the "
            "path over the limit, or a request that is not valid HTTP."
        ),
        401: "A write route without the configured bearer token.",
        404: "No such document, cluster or route.",
        405: "The route exists, but not with this method; the Allow header lists the methods.",
        409: "The same document id twice in one batch.",
        413: "The body is larger than the configured maximum.",
        414: "The request line (the URL) is longer than the limit.",
        415: "The Content-Type is not accepted by this route.",
        422: "A missing field, a field of the wrong type, or a limit exceeded.",
        431: "A header line is longer than the limit, or there are too many headers.",
        500: "An unexpected failure; the message is generic and the server log has the details.",
        503: (
            "The store cannot be written now (for example a full disk), or too many requests "
            "are waiting (overloaded: retry after the Retry-After seconds)."
        ),
        507: (
            "The store's disk is full: nothing was written; retry after the Retry-After seconds."
        ),
    }
    responses: dict[str, Json] = {}
    for status, reason in reasons.items():
        codes = sorted(code for code, statuses in ERROR_CODES.items() if status in statuses)
        responses[f"E{status}"] = json_response(
            ref("Error"), f"{reason} Codes: {', '.join(codes)}."
        )
    return responses


def _obj(properties: Json, *, closed: bool = False, optional: tuple[str, ...] = ()) -> Json:
    """An object schema; every property is required unless listed in ``optional``."""
    schema: Json = {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


def _array(items: Json, **limits: int) -> Json:
    return {"type": "array", "items": items, **limits}


_STR: Json = {"type": "string"}
_INDEX: Json = {"type": "integer", "minimum": 0}
_COUNT: Json = {"type": "integer", "minimum": 0}


def schemas(settings: ServiceSettings) -> dict[str, Json]:
    score: Json = {"type": ["number", "null"], "description": "Null for a new cluster."}
    text: Json = {
        "type": "string",
        "description": (
            f"At most {settings.max_paragraphs} paragraphs (split on blank lines) of at most "
            f"{settings.max_paragraph_chars} characters each; more is 422 limit_exceeded."
        ),
    }
    batch = {"minItems": 1, "maxItems": settings.max_batch}
    split: Json = {
        "type": "string",
        "enum": ["blank", "lines"],
        "default": "blank",
        "description": "How text becomes paragraphs: at blank lines, or one per non-empty line.",
    }
    code: Json = {"type": "string", "enum": sorted(ERROR_CODES)}
    return {
        "Error": _obj({"error": _obj({"code": code, "message": _STR}, closed=True)}, closed=True),
        "DocumentIn": _obj(
            {
                "id": {"type": "string", "minLength": 1, "maxLength": ID_MAX_CHARS},
                "text": text,
                "meta": {
                    "type": ["object", "null"],
                    "description": f"Returned as stored; nests {META_MAX_DEPTH} levels at most.",
                },
                "split": split,
            },
            closed=True,
            optional=("meta", "split"),
        ),
        "Assigned": _obj(
            {
                "index": _INDEX,
                "cluster": _STR,
                "new_cluster": {"type": "boolean"},
                "similarity": score,
                "containment": score,
            }
        ),
        "AddResult": _obj(
            {"id": _STR, "replaced": {"type": "boolean"}, "paragraphs": _array(ref("Assigned"))}
        ),
        "BatchIn": _obj(
            {"documents": {**_array(ref("DocumentIn"), **batch), "description": "Distinct ids."}},
            closed=True,
        ),
        "BatchResult": _obj({"documents": _array(ref("AddResult"))}),
        "Document": _obj(
            {
                "id": _STR,
                "meta": {"type": ["object", "null"]},
                "paragraphs": _array(_obj({"index": _INDEX, "text": _STR, "cluster": _STR})),
            }
        ),
        "MatchIn": {
            "oneOf": [
                _obj({"text": text, "split": split}, closed=True, optional=("split",)),
                _obj(
                    {"texts": _array(text, **batch), "split": split},
                    closed=True,
                    optional=("split",),
                ),
            ]
        },
        "MatchedParagraph": _obj(
            {
                "index": _INDEX,
                "match": {
                    "oneOf": [
                        {"type": "null"},
                        _obj(
                            {
                                "cluster": _STR,
                                "similarity": {"type": "number"},
                                "containment": {"type": "number"},
                                "docs": _COUNT,
                                "text": {"type": "string", "description": "The representative."},
                            }
                        ),
                    ]
                },
            }
        ),
        "MatchResult": _obj({"paragraphs": _array(ref("MatchedParagraph"))}),
        "MatchResults": _obj({"results": _array(ref("MatchResult"))}),
        "ClusterSummary": _obj(
            {
                "id": _STR,
                "size": {"type": "integer", "minimum": 1, "description": "Paragraphs."},
                "docs": {"type": "integer", "minimum": 1, "description": "Distinct documents."},
                "text": {"type": "string", "description": "A representative paragraph."},
            }
        ),
        "ClusterPage": _obj(
            {
                "clusters": _array(ref("ClusterSummary")),
                "next_cursor": {"type": ["string", "null"]},
            }
        ),
        "Cluster": {
            "allOf": [
                ref("ClusterSummary"),
                _obj({"members": _array(_obj({"doc": _STR, "para": _INDEX}))}),
            ]
        },
        "Health": _obj(
            {
                "status": {"enum": ["ok", "store_unavailable"]},
                "documents": _COUNT,
                "paragraphs": _COUNT,
                "clusters": {**_COUNT, "description": "Clusters of two or more paragraphs."},
                "singletons": {**_COUNT, "description": "Paragraphs that repeat nothing."},
                "store": _obj(
                    {
                        "kind": {"enum": ["sqlite", "redis"]},
                        "reachable": {"type": "boolean"},
                    }
                ),
            }
        ),
    }
