"""Headers every answer of the application carries, whichever part of it answered."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Browsers must not guess a body to be another type than it says (a JSON body read as a
# script or a page).
ALWAYS = ((b"x-content-type-options", b"nosniff"),)


class AlwaysHeaders:
    """Adds ``ALWAYS`` to every HTTP answer that does not set those headers itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in ALWAYS if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
