"""RFC 9457 problem responses: the one place errors become HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from runyard.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    RunyardError,
    TooLarge,
    Unauthenticated,
    Unavailable,
)

log = logging.getLogger("runyard.api")

PROBLEM_TYPE = "application/problem+json"

STATUS_OF: list[tuple[type[RunyardError], int, str]] = [
    (InvalidInput, 422, "Invalid request"),
    (NotFound, 404, "Not found"),
    (Conflict, 409, "Conflict"),
    (Unauthenticated, 401, "Unauthenticated"),
    (Forbidden, 403, "Forbidden"),
    (TooLarge, 413, "Content too large"),
    (Unavailable, 503, "Unavailable"),
    (RateLimited, 429, "Too many requests"),
]


# How error bodies are documented in the OpenAPI documents (native and dialects).
ERROR_MEANINGS = {
    400: "Bad request",
    401: "No valid API key",
    403: "The key may not do this",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Body too large",
    422: "Invalid input; the errors name each field",
    429: "Over the key's rate limit; retry after Retry-After seconds",
    503: "The database is unavailable for now; send the same request again",
}
FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["loc", "msg", "type"],
    "properties": {
        "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
        "msg": {"type": "string"},
        "type": {"type": "string"},
        "input": {},
    },
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"type": "array", "items": FIELD_ERROR_SCHEMA},
    },
}


def error_responses(
    statuses: Iterable[int], schema_name: str, media_type: str = "application/json"
) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of an application's OpenAPI document for its error statuses, each
    a body of the ``schema_name`` component (``add_components`` puts it in). They replace
    FastAPI's own 422, which describes a body runyard never sends."""
    schema = {"$ref": f"#/components/schemas/{schema_name}"}
    return {
        status: {
            "description": ERROR_MEANINGS.get(status, "Error"),
            "content": {media_type: {"schema": schema}},
        }
        for status in sorted(set(statuses))
    }


def add_components(app: FastAPI, schemas: dict[str, dict[str, Any]]) -> None:
    """Add schemas to the components of ``app``'s OpenAPI document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            document.setdefault("components", {}).setdefault("schemas", {}).update(schemas)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


NATIVE_ERRORS = error_responses(ERROR_MEANINGS, "Problem", PROBLEM_TYPE)


def problem_body(
    status: int, title: str, detail: str, *, code: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"https://runyard.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    code: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = problem_body(status, title, detail, code=code, errors=errors)
    return Response(orjson.dumps(body), status, headers=headers, media_type=PROBLEM_TYPE)


def problem_of(exc: RunyardError) -> dict[str, Any]:
    """The problem document of an error (for a batch answering each item's own)."""
    status, title = next(
        ((status, title) for cls, status, title in STATUS_OF if isinstance(exc, cls)),
        (400, "Bad request"),
    )
    errors = [_field(e) for e in exc.errors] if isinstance(exc, InvalidInput) else None
    return problem_body(status, title, exc.detail, code=exc.code, errors=errors)


def _field(error: FieldError) -> dict[str, Any]:
    return {"loc": list(error.loc), "msg": error.msg, "type": error.type}


def _json_safe(value: Any) -> Any:
    try:
        orjson.dumps(value)
    except TypeError:
        return str(value)
    return value


def retry_headers(exc: RunyardError) -> dict[str, str] | None:
    """``Retry-After`` for a refusal the same request may overcome later."""
    if isinstance(exc, Unavailable | RateLimited):
        return {"Retry-After": str(exc.retry_after_seconds)}
    return None


def status_of(exc: RunyardError, overrides: Mapping[type[RunyardError], int] | None = None) -> int:
    """The HTTP status of an error: ``STATUS_OF``'s, or a vendor's own for that kind of
    error (``overrides``, keyed by the kinds ``STATUS_OF`` names); 400 for any other."""
    for cls, status, _ in STATUS_OF:
        if isinstance(exc, cls):
            return (overrides or {}).get(cls, status)
    return 400


async def _runyard_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RunyardError)
    for cls, status, title in STATUS_OF:
        if isinstance(exc, cls):
            errors = [_field(e) for e in exc.errors] if isinstance(exc, InvalidInput) else None
            headers = retry_headers(exc) or (
                {"WWW-Authenticate": "Bearer"} if status == 401 else None
            )
            return problem(status, title, exc.detail, code=exc.code, errors=errors, headers=headers)
    return problem(400, "Bad request", exc.detail, code=exc.code)


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """FastAPI's validation errors as ``{loc, msg, type[, input]}`` (body inputs left out)."""
    errors = []
    for item in exc.errors():
        loc = list(item.get("loc", ()))
        errors.append(
            {
                "loc": loc,
                "msg": item.get("msg", "invalid"),
                "type": item.get("type", "value_error"),
                **(
                    {"input": _json_safe(item["input"])}
                    if "input" in item and loc and loc[0] != "body"
                    else {}
                ),
            }
        )
    return errors


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"][1:]) or str(
        first["loc"][0] if first["loc"] else ""
    )
    detail = f"{where}: {first['msg']}" if where else str(first["msg"])
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return problem(422, "Invalid request", detail, code="invalid_input", errors=errors)


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Not found", 405: "Method not allowed", 413: "Content too large"}
    return problem(
        exc.status_code,
        titles.get(exc.status_code, "Error"),
        str(exc.detail),
        code=f"http_{exc.status_code}",
        headers=getattr(exc, "headers", None),
    )


async def _unexpected(_: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return problem(
        500, "Internal error", "an unexpected error occurred; it has been logged", code="internal"
    )


def install(app: FastAPI) -> None:
    add_components(app, {"Problem": PROBLEM_SCHEMA})
    app.add_exception_handler(RunyardError, _runyard_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
