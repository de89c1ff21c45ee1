"""Refuse, before any route runs, requests no route could serve safely.

* A body over the configured size: 413, without reading it whole.
* A line break in the path: 404 (no route could match it), in the dialect's format
  under a dialect's prefix.
* A NUL character anywhere (path, query string, or ``\\u0000`` in a JSON body):
  PostgreSQL cannot store it in text or JSON, so runyard refuses it everywhere, with
  a 422 naming where it was, rather than failing on one database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runyard.core.errors import FieldError

# How a mounted vendor dialect answers a refusal: (is it invalid input, HTTP status for
# other refusals, detail, code, field errors) -> the vendor's response.
Refusal = Callable[[bool, int, str, str, list[FieldError]], Response]

ESCAPED_NUL = b"\\u0000"


class _Refused(Exception):
    def __init__(self, status: int, code: str, title: str, detail: str, loc: list[str]) -> None:
        super().__init__(detail)
        self.body: dict[str, Any] = {
            "type": f"https://runyard.dev/problems/{code}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
        }
        if loc:
            self.body["errors"] = [{"loc": loc, "msg": detail, "type": code}]
        self.status = status
        self.detail = detail
        self.code = code
        self.fields = [FieldError(tuple(loc), detail, code)] if loc else []


def _nul(where: str) -> _Refused:
    return _Refused(
        422,
        "invalid_input",
        "Invalid request",
        f"{where}: contains a NUL character (\\u0000), which runyard cannot store",
        [where],
    )


class RequestGuards:
    """``refusals`` maps a path prefix (a mounted vendor dialect) to how it words a refusal;
    elsewhere refusals are RFC 9457 problems."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, refusals: Mapping[str, Refusal] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refusals = dict(refusals or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            self._check_head(scope)
        except _Refused as refused:
            await self._refuse(scope, receive, send, refused)
            return
        try:
            body = await self._read_body(receive)
        except _Refused as refused:
            await self._refuse(scope, receive, send, refused)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read_body(self, receive: Receive) -> bytes:
        """The whole body (routes read it whole anyway), checked on the way in."""
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if ESCAPED_NUL in body:
            raise _nul("body")
        return body

    def _check_head(self, scope: Scope) -> None:
        path = scope.get("path", "")
        if "\x00" in path:
            raise _nul("path")
        if "\n" in path or "\r" in path:
            # Names nothing runyard holds, and escapes the routing of mounted dialects
            # (their prefix is matched up to a line break), which would answer it in the
            # native format instead of the vendor's.
            raise _Refused(404, "http_404", "Not found", "no such path (it holds a line break)", [])
        if b"%00" in scope.get("query_string", b"").lower():
            raise _nul("query")
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large()

    def _too_large(self) -> _Refused:
        return _Refused(
            413,
            "too_large",
            "Content too large",
            f"request body over {self.max_bytes} bytes (RUNYARD_MAX_BODY_BYTES)",
            [],
        )

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, refused: _Refused) -> None:
        path = scope.get("path", "")
        for prefix, refusal in self.refusals.items():
            if path == prefix or path.startswith(prefix + "/"):
                invalid = refused.status == 422
                response = refusal(
                    invalid, refused.status, refused.detail, refused.code, refused.fields
                )
                await response(scope, receive, send)
                return
        await send(
            {
                "type": "http.response.start",
                "status": refused.status,
                "headers": [(b"content-type", b"application/problem+json")],
            }
        )
        await send({"type": "http.response.body", "body": orjson.dumps(refused.body)})
