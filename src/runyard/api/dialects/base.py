"""What every vendor dialect shares: its own sub-application, error envelope and helpers.

A dialect is mounted at ``/compat/<vendor>`` as a FastAPI application of its own, so
its paths are the vendor's paths, its OpenAPI document (``/compat/<vendor>/openapi.json``)
describes only the vendor's API, and every error it raises — a refused parameter, a
missing key, an unknown run, even a path that does not exist — leaves in the vendor's
error envelope instead of runyard's problem JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from runyard.api.problems import (
    FIELD_ERROR_SCHEMA,
    add_components,
    error_responses,
    retry_headers,
    status_of,
    validation_errors,
)
from runyard.api.render import JSONResponse
from runyard.api.services import bearer_or_key, principal_of
from runyard.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    RunyardError,
    Unauthenticated,
    Unavailable,
)
from runyard.core.filters import read_time
from runyard.core.statuses import RunStatus
from runyard.service.access import Principal
from runyard.service.services import Services

__all__ = ["Unauthenticated"]  # dialects use it through this module

log = logging.getLogger("runyard.api")

# One of these answers every error of a dialect: (HTTP status, message, machine code,
# field errors) -> the vendor's response.
Envelope = Callable[[int, str, str, list[FieldError]], Response]

# One microsecond: runyard's time precision. An inclusive upper bound ``t`` is the
# exclusive bound ``t + 1 µs``.
TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class ErrorStatuses:
    """The HTTP status a vendor gives each kind of error."""

    invalid: int = 422
    unauthenticated: int = 401
    forbidden: int = 403
    not_found: int = 404
    conflict: int = 409
    unavailable: int = 503
    rate_limited: int = 429

    def documented(self) -> set[int]:
        """Every status an error can take here: these, the fallback 400, an unknown path's
        404 and a too-large body's 413."""
        mapped = {self.invalid, self.unauthenticated, self.forbidden, self.not_found}
        return mapped | {self.conflict, self.unavailable, self.rate_limited, 400, 404, 413}

    def of(self, exc: RunyardError) -> int:
        """The native status (``problems.STATUS_OF``), unless this vendor gives its own."""
        return status_of(
            exc,
            {
                InvalidInput: self.invalid,
                NotFound: self.not_found,
                Conflict: self.conflict,
                Unauthenticated: self.unauthenticated,
                Forbidden: self.forbidden,
                Unavailable: self.unavailable,
                RateLimited: self.rate_limited,
            },
        )


DETAIL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"anyOf": [{"type": "string"}, {"type": "array", "items": FIELD_ERROR_SCHEMA}]}
    },
}


def detail_envelope(status: int, detail: str, _code: str, errors: list[FieldError]) -> Response:
    """FastAPI's own shapes (Skyvern's and Noxus's servers are FastAPI applications):
    a 422 lists its fields, any other error is a string."""
    body: dict[str, Any]
    if status == 422 and errors:
        body = {"detail": [{"loc": list(e.loc), "msg": e.msg, "type": e.type} for e in errors]}
    else:
        body = {"detail": detail}
    return JSONResponse(body, status_code=status)


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def reject_unknown_parameters(request: Request) -> None:
    """A misspelt parameter is an error in the vendor's envelope, not a broader query."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)  # a walk of a few nodes: cheaper than a cache
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        accepted = ", ".join(sorted(known)) or "none"
        raise InvalidInput.field(("query", unknown[0]), f"unknown parameter; accepted: {accepted}")


def compat_app(
    vendor: str,
    router: APIRouter,
    envelope: Envelope,
    statuses: ErrorStatuses,
    error_schema: dict[str, Any],
) -> FastAPI:
    """The vendor's API as an application of its own, with its error envelope everywhere
    (``error_schema`` documents it)."""
    app = FastAPI(
        title=f"runyard — {vendor}-compatible API",
        summary=f"{vendor}'s list-runs API and run calls, served by runyard's query engine.",
        dependencies=[Depends(reject_unknown_parameters)],
        responses=error_responses(statuses.documented(), "Error"),
    )
    add_components(app, {"Error": error_schema})
    app.include_router(router)

    async def runyard_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RunyardError)
        errors = exc.errors if isinstance(exc, InvalidInput) else []
        response = envelope(statuses.of(exc), exc.detail, exc.code, errors)
        response.headers.update(retry_headers(exc) or {})
        return response

    async def invalid_request(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [FieldError(tuple(e["loc"]), e["msg"], e["type"]) for e in validation_errors(exc)]
        first = errors[0] if errors else FieldError((), "invalid request")
        where = ".".join(str(p) for p in first.loc[1:])
        detail = f"{where}: {first.msg}" if where else first.msg
        return envelope(statuses.invalid, detail, "invalid_input", errors)

    async def http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return envelope(exc.status_code, str(exc.detail), f"http_{exc.status_code}", [])

    async def unexpected(_: Request, exc: Exception) -> Response:
        log.exception("unhandled error in the %s dialect", vendor, exc_info=exc)
        return envelope(500, "an unexpected error occurred; it has been logged", "internal", [])

    def refusal(
        invalid: bool, status: int, detail: str, code: str, errors: list[FieldError]
    ) -> Response:
        """How the request guards' refusals (body too large, NUL) read in this dialect."""
        return envelope(statuses.invalid if invalid else status, detail, code, errors)

    app.state.refusal = refusal
    app.add_exception_handler(RunyardError, runyard_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
    return app


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    return bearer_or_key(authorization, None)


async def authenticate(
    request: Request, secret: str | None, project: str | None = None
) -> Principal:
    """The caller behind a key (``project`` picks one, as ``X-Project-ID`` does natively)."""
    return await principal_of(request, secret, project)


def timestamp(name: str, value: str | None) -> datetime | None:
    """A vendor's time parameter, read as the native time filters are (RFC 3339 with an
    offset; ``core/filters.read_time``): a bad one is a 4xx naming ``name``."""
    return None if value is None else read_time(name, value)


def inclusive_end(value: datetime | None) -> datetime | None:
    """An inclusive upper time bound as the engine's exclusive ``created_before``."""
    return None if value is None else value + TICK


def list_values(name: str, raw: Iterable[str]) -> list[str]:
    """Repeated keys and comma-separated lists alike: ``a&a=b,c`` -> [a, b, c]."""
    values = [v.strip() for item in raw for v in item.split(",")]
    if any(not v for v in values):
        raise InvalidInput.field(("query", name), "empty value in the list")
    return values


def statuses_for(
    vendor_words: Iterable[str],
    rendering: Mapping[RunStatus, str],
    name: str = "status",
) -> tuple[RunStatus, ...]:
    """The canonical statuses that render as any of ``vendor_words`` (unknown -> 4xx)."""
    known = sorted(set(rendering.values()))
    wanted = list(vendor_words)
    for index, word in enumerate(wanted):
        if word not in known:
            raise InvalidInput(
                f"{name}: {word!r} is not a status; use one of {', '.join(known)}",
                [FieldError(("query", name, index), f"must be one of {', '.join(known)}")],
            )
    return tuple(s for s in RunStatus if rendering[s] in wanted)


def paged_offset(page: int, size: int, name: str = "page") -> int:
    """``(page - 1) * size``, refused past the engine's deepest offset."""
    offset = (page - 1) * size
    if offset > 1_000_000:
        raise InvalidInput.field(
            ("query", name), "pages deeper than 1,000,000 runs are not served; narrow the filters"
        )
    return offset


def json_dict(value: Any) -> dict[str, Any]:
    """A JSON object for a field a vendor types as an object (a scalar goes under "value")."""
    if value is None:
        return {}
    return value if isinstance(value, dict) else {"value": value}
