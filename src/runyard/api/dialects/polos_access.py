"""Who calls Polos's API, and how its errors read (``{error, error_type}``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Cookie, Depends, Header, Request
from starlette.responses import Response

from runyard.api.dialects import base
from runyard.api.render import JSONResponse
from runyard.core.errors import FieldError, Forbidden, InvalidInput, Unauthenticated
from runyard.core.ids import canonical_uuid
from runyard.service.access import Principal

ERRORS = base.ErrorStatuses(invalid=400)
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "error_type"],
    "properties": {"error": {"type": "string"}, "error_type": {"type": "string"}},
}
ERROR_TYPES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "PROJECT_ACCESS_FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
}


def envelope(status: int, detail: str, _code: str, _errors: list[FieldError]) -> Response:
    error_type = ERROR_TYPES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")
    return JSONResponse({"error": detail, "error_type": error_type}, status_code=status)


async def principal(
    request: Request,
    x_project_id: Annotated[str | None, Header(description="Project UUID (required)")] = None,
    project_id: Annotated[str | None, Header(include_in_schema=False)] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    polos_auth: Annotated[str | None, Cookie(include_in_schema=False)] = None,
    auth_token: Annotated[str | None, Cookie(include_in_schema=False)] = None,
) -> Principal:
    """Polos's order: the project header first (400 if missing or not a UUID), then the
    cookie, then ``Authorization: Bearer``; a key of another project gets 403."""
    project = x_project_id or project_id
    if not project or canonical_uuid(project) is None:
        raise InvalidInput.field(("header", "X-Project-ID"), "required, and must be a UUID")
    secret = polos_auth or auth_token or base.bearer(authorization)
    if not secret:
        raise Unauthenticated("Not authenticated")
    try:
        return await base.authenticate(request, secret, project)
    except Forbidden:
        raise Forbidden("Access to project forbidden") from None


PrincipalDep = Annotated[Principal, Depends(principal)]
