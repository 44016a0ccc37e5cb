"""The OpenAPI 3.1 document of the service, as data, with the limits of the running settings."""

from __future__ import annotations

from dedup import __version__
from service.openapi_schemas import Json, error_responses, json_response, ref, schemas
from service.settings import ID_MAX_CHARS, ServiceSettings

__all__ = ["build_openapi"]

_MAX_PAGE = 1000  # same as handlers.MAX_PAGE; test_service checks they agree
_MAX_MIN_DOCS = 1_000_000_000


def _errors(*statuses: int) -> dict[str, Json]:
    """The error responses of an operation: every one has the Error body."""
    # Any route may meet a bad query parameter or a request line or headers over the limits.
    every = sorted({*statuses, 400, 414, 431, 500})
    return {str(status): {"$ref": f"#/components/responses/E{status}"} for status in every}


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
                {"200": json_response(ref("AddResult"), "Where each paragraph went.")},
                (*body_errors, *write_errors),
                requestBody={
                    "required": True,
                    "content": {"application/json": {"schema": ref("DocumentIn")}},
                },
                **write,
            )
        },
        "/v1/documents:batch": {
            "post": _operation(
                "create_documents",
                "Add or replace several documents in one atomic, durable write.",
                {"200": json_response(ref("BatchResult"), "One result per document, in order.")},
                (*body_errors, 409, *write_errors),
                requestBody={
                    "required": True,
                    "content": {"application/json": {"schema": ref("BatchIn")}},
                },
                **write,
            )
        },
        "/v1/documents/{id}": {
            "parameters": [doc_id],
            "get": _operation(
                "get_document",
                "Return a document with its paragraphs and their clusters.",
                {"200": json_response(ref("Document"), "The document.")},
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
                    "200": json_response(
                        {"oneOf": [ref("MatchResult"), ref("MatchResults")]},
                        "paragraphs for {text} or a text/plain body; results for {texts}.",
                    )
                },
                (400, 413, 415, 422, 503),
                requestBody={
                    "required": True,
                    "content": {
                        "application/json": {"schema": ref("MatchIn")},
                        "text/plain": {"schema": {"type": "string"}},
                    },
                },
            )
        },
        "/v1/clusters": {
            "get": _operation(
                "list_clusters",
                "Page through the clusters by number of documents, descending, then id.",
                {
                    "200": json_response(
                        ref("ClusterPage"), "A page and the cursor of the next one."
                    )
                },
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
                {"200": json_response(ref("Cluster"), "The cluster.")},
                (404,),
            ),
        },
        "/healthz": {
            "get": _operation(
                "healthz",
                "Liveness and index sizes; answers at once, even during a large write.",
                {
                    "200": json_response(ref("Health"), "Alive, and the store answers."),
                    "503": json_response(ref("Health"), "Alive, but the store cannot be reached."),
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
                {"200": json_response({"type": "object"}, "The OpenAPI 3.1 document.")},
                (),
            )
        },
    }
    components: Json = {"schemas": schemas(settings), "responses": error_responses()}
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
