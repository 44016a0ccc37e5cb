"""The OpenAPI 3.1 document of the service, as data, with the limits of the running settings."""

from __future__ import annotations

from dedup import __version__
from service.errors import ERROR_CODES
from service.settings import ID_MAX_CHARS, ServiceSettings
from service.validation import META_MAX_DEPTH

__all__ = ["build_openapi"]

Json = dict[str, object]
_MAX_PAGE = 1000  # same as handlers.MAX_PAGE; test_service checks they agree
_MAX_MIN_DOCS = 1_000_000_000


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Json, description: str) -> Json:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Json]:
    """The error responses of an operation: every one has the Error body."""
    # Any route may meet a bad query parameter or a request line or headers over the limits.
    every = sorted({*statuses, 400, 414, 431, 500})
    return {str(status): {"$ref": f"#/components/responses/E{status}"} for status in every}


def _error_responses() -> dict[str, Json]:
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
        responses[f"E{status}"] = _json(_ref("Error"), f"{reason} Codes: {', '.join(codes)}.")
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


def _schemas(settings: ServiceSettings) -> dict[str, Json]:
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
            {"id": _STR, "replaced": {"type": "boolean"}, "paragraphs": _array(_ref("Assigned"))}
        ),
        "BatchIn": _obj(
            {"documents": {**_array(_ref("DocumentIn"), **batch), "description": "Distinct ids."}},
            closed=True,
        ),
        "BatchResult": _obj({"documents": _array(_ref("AddResult"))}),
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
        "MatchResult": _obj({"paragraphs": _array(_ref("MatchedParagraph"))}),
        "MatchResults": _obj({"results": _array(_ref("MatchResult"))}),
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
                "clusters": _array(_ref("ClusterSummary")),
                "next_cursor": {"type": ["string", "null"]},
            }
        ),
        "Cluster": {
            "allOf": [
                _ref("ClusterSummary"),
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


def _path_id(description: str, pattern: str | None = None) -> Json:
    schema: Json = {"type": "string", "minLength": 1, "maxLength": ID_MAX_CHARS}
    if pattern is not None:
        schema["pattern"] = pattern
    return {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


def _operation(
    operation_id: str, summary: str, ok: dict[str, Json], errors: tuple[int, ...], **extra: object
) -> Json:
    return {
        "operationId": operation_id,
        "summary": summary,
        "responses": {**ok, **_errors(*errors)},
        **extra,
    }


def build_openapi(settings: ServiceSettings) -> Json:
    """Return the OpenAPI 3.1 document describing every route as this app serves it."""
    write: Json = {"security": [{"bearer": []}]} if settings.token is not None else {}
    write_errors: tuple[int, ...] = (401,) if settings.token is not None else ()
    body_errors = (400, 413, 415, 422, 503, 507)
    doc_id = _path_id("The document id, percent-encoded (it may hold '/').")
    paths: dict[str, Json] = {
        "/v1/documents": {
            "post": _operation(
                "create_document",
                "Add a document, or replace the one with the same id; durable before the answer.",
                {"200": _json(_ref("AddResult"), "Where each paragraph went.")},
                (*body_errors, *write_errors),
                requestBody={
                    "required": True,
                    "content": {"application/json": {"schema": _ref("DocumentIn")}},
                },
                **write,
            )
        },
        "/v1/documents:batch": {
            "post": _operation(
                "create_documents",
                "Add or replace several documents in one atomic, durable write.",
                {"200": _json(_ref("BatchResult"), "One result per document, in order.")},
                (*body_errors, 409, *write_errors),
                requestBody={
                    "required": True,
                    "content": {"application/json": {"schema": _ref("BatchIn")}},
                },
                **write,
            )
        },
        "/v1/documents/{id}": {
            "parameters": [doc_id],
            "get": _operation(
                "get_document",
                "Return a document with its paragraphs and their clusters.",
                {"200": _json(_ref("Document"), "The document.")},
                (404,),
            ),
            "delete": _operation(
                "delete_document",
                "Remove a document; a cluster left empty disappears, the others keep their ids.",
                {"204": {"description": "Removed."}},
                (404, 503, 507, *write_errors),
                **write,
            ),
        },
        "/v1/match": {
            "post": _operation(
                "match",
                "Find the cluster each paragraph belongs to, without changing the index.",
                {
                    "200": _json(
                        {"oneOf": [_ref("MatchResult"), _ref("MatchResults")]},
                        "paragraphs for {text} or a text/plain body; results for {texts}.",
                    )
                },
                (400, 413, 415, 422, 503),
                requestBody={
                    "required": True,
                    "content": {
                        "application/json": {"schema": _ref("MatchIn")},
                        "text/plain": {"schema": {"type": "string"}},
                    },
                },
            )
        },
        "/v1/clusters": {
            "get": _operation(
                "list_clusters",
                "Page through the clusters by number of documents, descending, then id.",
                {"200": _json(_ref("ClusterPage"), "A page and the cursor of the next one.")},
                (400,),
                parameters=[
                    _query(
                        "min_docs",
                        1,
                        1,
                        _MAX_MIN_DOCS,
                        "Only clusters spanning this many documents.",
                    ),
                    _query(
                        "min_size",
                        2,
                        1,
                        _MAX_MIN_DOCS,
                        "Only clusters of this many paragraphs; 1 lists the single ones too.",
                    ),
                    _query("limit", 100, 1, _MAX_PAGE, "Clusters per page."),
                    {
                        "name": "cursor",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "string",
                            "pattern": "^([0-9]{1,18}:[0-9A-Za-z_-]{1,128})?$",
                        },
                        "description": "The previous page's next_cursor; none or empty: page 1.",
                    },
                ],
            )
        },
        "/v1/clusters/{id}": {
            "parameters": [_path_id("The cluster id.", "^[^/]+$")],
            "get": _operation(
                "get_cluster",
                "Return a cluster with its members.",
                {"200": _json(_ref("Cluster"), "The cluster.")},
                (404,),
            ),
        },
        "/healthz": {
            "get": _operation(
                "healthz",
                "Liveness and index sizes; answers at once, even during a large write.",
                {
                    "200": _json(_ref("Health"), "Alive, and the store answers."),
                    "503": _json(_ref("Health"), "Alive, but the store cannot be reached."),
                },
                (),
            )
        },
        "/metrics": {
            "get": _operation(
                "metrics",
                "Prometheus metrics: requests and latency by route and status, index sizes.",
                {
                    "200": {
                        "description": "Prometheus text.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
                (),
            )
        },
        "/openapi.json": {
            "get": _operation(
                "openapi",
                "This document.",
                {"200": _json({"type": "object"}, "The OpenAPI 3.1 document.")},
                (),
            )
        },
    }
    components: Json = {"schemas": _schemas(settings), "responses": _error_responses()}
    if settings.token is not None:
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "dedup",
            "version": __version__,
            "description": (
                "Near-duplicate paragraph detection. Every body is JSON (POST /v1/match also "
                f"takes text/plain) in UTF-8, at most {settings.max_body} bytes (413 beyond). "
                f"A batch or a match request holds at most {settings.max_batch} documents or "
                f"texts. A text holds at most {settings.max_paragraphs} paragraphs of at most "
                f"{settings.max_paragraph_chars} characters. Every error answers "
                '{"error": {"code", "message"}}; an unknown route is 404 and a wrong method 405.'
            ),
        },
        "paths": paths,
        "components": components,
    }


def _query(name: str, default: int, low: int, high: int, description: str) -> Json:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": low, "maximum": high, "default": default},
        "description": f"{description} Out of [{low}, {high}]: 400 invalid_parameter.",
    }
