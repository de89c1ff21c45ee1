"""Error responses and transport failures -> the ``RunyardError`` tree.

A problem document (RFC 9457: ``{type, title, status, detail, code, errors?}``) becomes
the core class of its ``code``, so a caller catches the same classes whether runyard
runs in its process or behind HTTP. Classes only a client can meet are added here:

    RunyardError
    ├── Unavailable
    │   └── ServerUnreachable   no answer: the connection failed or timed out
    ├── ServerError             a 5xx other than 503 (a bug or a proxy in between)
    ├── BadRequest              any other 4xx this client has no class for (400, 405...)
    ├── InvalidResponse         a success the client cannot read (not JSON, wrong shape)
    └── WaitTimeout             ``wait`` gave up before the run ended

Every error built from a response has ``status`` and ``problem`` set; ``problem`` is the
document received, or one made up from the status when the body was not one (a proxy's
HTML page, say).
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from runyard.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    LeaseLost,
    NotFound,
    RateLimited,
    RunyardError,
    TooLarge,
    Unauthenticated,
    Unavailable,
)

if TYPE_CHECKING:
    from runyard.client.models import Run


class ServerUnreachable(Unavailable):
    """The server did not answer: it could not be reached, or the request timed out."""

    code = "server_unreachable"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach {url}: {reason}")
        self.url = url
        self.reason = reason


class ServerError(RunyardError):
    code = "server_error"


class BadRequest(RunyardError):
    code = "bad_request"


class InvalidResponse(RunyardError):
    code = "invalid_response"


class WaitTimeout(RunyardError):
    """``wait`` ran out of time; ``run`` is the run as last seen (not ended)."""

    code = "wait_timeout"

    def __init__(self, detail: str, run: Run) -> None:
        super().__init__(detail)
        self.run = run


_BY_CODE: dict[str, type[RunyardError]] = {
    cls.code: cls
    for cls in (
        InvalidInput,
        NotFound,
        Conflict,
        IllegalTransition,
        LeaseLost,
        Unauthenticated,
        Forbidden,
        TooLarge,
        Unavailable,
        RateLimited,
        ServerError,
        BadRequest,
    )
}
_BY_STATUS: dict[int, type[RunyardError]] = {
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: TooLarge,
    422: InvalidInput,
    429: RateLimited,
    503: Unavailable,
}


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), or None without a usable one."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    sent = response.headers.get("Date")
    now = parsedate_to_datetime(sent) if sent else None
    if now is None or when.tzinfo is None or now.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("detail", ""), str):
        return body
    text = response.text.strip()
    return {
        "type": "about:blank",
        "title": response.reason_phrase or "Error",
        "status": response.status_code,
        "detail": text[:500] or response.reason_phrase or f"HTTP {response.status_code}",
    }


def _class_for(code: Any, status: int) -> type[RunyardError]:
    by_code = _BY_CODE.get(code) if isinstance(code, str) else None
    if by_code is not None:
        return by_code
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    if status >= 400:
        return BadRequest
    return InvalidResponse


def _field_errors(items: Any) -> list[FieldError]:
    if not isinstance(items, list):
        return []
    return [
        FieldError(
            tuple(p for p in item.get("loc", ()) if isinstance(p, str | int)),
            str(item.get("msg", "")),
            str(item.get("type", "value_error")),
        )
        for item in items
        if isinstance(item, dict)
    ]


def error_from_response(response: httpx.Response) -> RunyardError:
    """The ``RunyardError`` an unsuccessful response stands for, with ``status`` and
    ``problem`` set. Reads the body, so call it on a read (or non-streamed) response."""
    status = response.status_code
    problem = _problem(response)
    cls = _class_for(problem.get("code"), status)
    detail = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")
    wait = retry_after(response)
    wait_seconds = 1 if wait is None else round(wait)
    error: RunyardError
    if issubclass(cls, InvalidInput):
        error = cls(detail, _field_errors(problem.get("errors")))
    elif issubclass(cls, RateLimited):
        error = cls(detail, wait_seconds)
    else:
        error = cls(detail)
        if isinstance(error, Unavailable):
            error.retry_after_seconds = wait_seconds
    error.status = status
    error.problem = problem
    return error


def unreachable(url: str, exc: httpx.TransportError) -> ServerUnreachable:
    """A transport failure as ``ServerUnreachable``, naming the URL and the reason."""
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        reason = f"timed out ({reason})" if str(exc) else "timed out"
    return ServerUnreachable(url, reason)
