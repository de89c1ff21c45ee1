"""``InProcessTransport``: an ASGI application behind a synchronous client, no socket."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx
import pytest

from runyard.client import InProcessTransport

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class StreamingApp:
    """Answers ``/stream`` with a chunk each time ``release`` is set, until told to stop
    or the client hangs up; ``/echo`` with the request; ``/boom`` by raising."""

    def __init__(self) -> None:
        self.lifespan: list[str] = []
        self.hung_up = threading.Event()
        self.release = threading.Semaphore(0)

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                self.lifespan.append(message["type"])
                await send({"type": "lifespan.startup.complete"})
            self.lifespan.append("lifespan.shutdown")
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = (await receive())["body"]
        if scope["path"] == "/boom":
            raise RuntimeError("boom")
        start = {"type": "http.response.start", "status": 200, "headers": [(b"x-app", b"1")]}
        await send(start)
        if scope["path"] == "/echo":
            echo = f"{scope['method']} {scope['query_string'].decode()} ".encode() + body
            await send({"type": "http.response.body", "body": echo})
            return
        for n in range(1_000):
            while not self.release.acquire(blocking=False):
                await asyncio.sleep(0.01)
            await send({"type": "http.response.body", "body": f"{n}\n".encode(), "more_body": True})
            if n == 2:
                disconnected = await receive()
                assert disconnected["type"] == "http.disconnect"
                self.hung_up.set()
                return


def test_requests_reach_the_app_and_its_lifespan_runs() -> None:
    app = StreamingApp()
    transport = InProcessTransport(app)
    assert app.lifespan == ["lifespan.startup"]
    with httpx.Client(transport=transport, base_url="http://app") as http:
        answer = http.post("/echo", params={"a": "1"}, content=b"hello")
        assert (answer.status_code, answer.text, answer.headers["x-app"]) == (
            200,
            "POST a=1 hello",
            "1",
        )
        with pytest.raises(RuntimeError, match="boom"):
            http.get("/boom")
    assert app.lifespan == ["lifespan.startup", "lifespan.shutdown"]
    transport.close()  # a second time: nothing to do


def test_bodies_stream_as_written_and_a_hang_up_reaches_the_app() -> None:
    app = StreamingApp()
    with (
        InProcessTransport(app, lifespan=False) as transport,
        httpx.Client(transport=transport, base_url="http://app") as http,
        http.stream("GET", "/stream") as response,
    ):
        lines = response.iter_lines()
        for n in range(2):
            app.release.release()  # one chunk at a time: each arrives before the next is made
            assert next(lines) == str(n)
        app.release.release()
        assert next(lines) == "2"
    assert app.hung_up.wait(5)
    assert app.lifespan == []
