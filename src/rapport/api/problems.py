"""RFC 9457 problem+json for every API error; HTML pages get a readable error page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from rapport.api.edge import is_page_path
from rapport.errors import PROBLEM_BASE, FieldError, RapportError, Unavailable, ValidationFailed
from rapport.storage.db import is_unavailable

logger = logging.getLogger("rapport")
PROBLEM_JSON = "application/problem+json"

_HTTP_SLUGS = {
    400: "bad-request",
    401: "authentication",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    410: "gone",
    413: "too-large",
    415: "unsupported-media-type",
    422: "validation",
    429: "throttled",
    503: "unavailable",
}


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(errors: Any) -> list[dict[str, str]]:
    return [{"location": e.location, "message": e.message, "code": e.code} for e in errors]


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first
    route's methods, although a path often has a GET and a POST route)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods - {"HEAD"}))


def _retry_after(exc: RapportError) -> dict[str, str] | None:
    if isinstance(exc, Unavailable):
        return {"Retry-After": str(exc.retry_after)}
    return {"Retry-After": "60"} if exc.status == 429 else None


def _wants_html(request: Request) -> bool:
    """Browser pages get an HTML error page whatever they accept; the API problem+json."""
    return is_page_path(request.url.path)


def install_problem_handlers(
    app: FastAPI, render_html_error: Callable[[Request, int, str, str], Response]
) -> None:
    """Turn every error into problem+json (API) or an HTML error page (browser pages)."""

    async def rapport_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, RapportError):
            raise RuntimeError("internal error: expected isinstance(exc, RapportError)")
        headers = _retry_after(exc)
        if _wants_html(request):
            page = render_html_error(request, exc.status, exc.title, exc.detail)
            page.headers.update(headers or {})
            return page
        return problem(
            exc.status,
            exc.slug,
            exc.title,
            exc.detail,
            request.url.path,
            _field_errors(exc.errors),
            headers,
        )

    async def validation_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, RequestValidationError):
            raise RuntimeError("internal error: expected isinstance(exc, RequestValidationError)")
        errors = []
        malformed = False
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            if err.get("type") == "json_invalid":
                malformed = True
                errors.append(FieldError("body", "expected valid JSON: " + err["msg"], "json"))
            else:
                errors.append(FieldError(loc, err.get("msg", "invalid"), err.get("type", "")))
        if malformed:
            return problem(
                400,
                "malformed-json",
                "The request body is not valid JSON",
                "Send a JSON document with Content-Type: application/json.",
                request.url.path,
                _field_errors(errors),
            )
        err = ValidationFailed("The request does not match the expected shape.", errors)
        return await rapport_error(request, err)

    async def http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):
            raise RuntimeError("internal error: expected isinstance(exc, StarletteHTTPException)")
        slug = _HTTP_SLUGS.get(exc.status_code, "http-error")
        detail = str(exc.detail)
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        if _wants_html(request):
            return render_html_error(request, exc.status_code, detail, detail)
        return problem(
            exc.status_code,
            slug,
            detail,
            detail,
            request.url.path,
            headers=headers or None,
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        if is_unavailable(exc):  # a database fault outside a unit of work
            logger.warning("database unavailable on %s: %s", request.url.path, exc)
            return await rapport_error(request, Unavailable("The database cannot serve now."))
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        if _wants_html(request):
            detail = "Something went wrong on our side; it has been logged."
            return render_html_error(request, 500, "Internal error", detail)
        return problem(
            500,
            "internal",
            "Internal error",
            "Something went wrong on our side; it has been logged.",
            request.url.path,
        )

    app.add_exception_handler(RapportError, rapport_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


#: Every operation may answer these, always as problem+json (OpenAPI says so, once, here).
DOCUMENTED_PROBLEMS = {
    400: "Malformed request (bad JSON, NUL characters)",
    401: "No or invalid credentials",
    403: "The caller's role or unit scope does not allow it",
    404: "No such resource (or not visible to the caller)",
    409: "Conflicts with the current state (e.g. an Idempotency-Key reused with another body)",
    413: "The request body is larger than allowed",
    422: "The input is not valid; errors[] names each field, row and column",
    429: "Too many requests; see Retry-After",
    503: "The database cannot serve now; retry after Retry-After seconds",
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": PROBLEM_BASE + "<slug>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["location", "message"],
                "properties": {
                    "location": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
    },
}


def document_problems(app: FastAPI) -> None:
    """Declare :data:`DOCUMENTED_PROBLEMS` as ``application/problem+json`` responses of
    every operation in the generated OpenAPI document (replacing FastAPI's own 422)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        headers = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in DOCUMENTED_PROBLEMS.items():
                    response: dict[str, Any] = {"description": description, "content": content}
                    if status in (429, 503):
                        response["headers"] = headers
                    responses[str(status)] = response
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
