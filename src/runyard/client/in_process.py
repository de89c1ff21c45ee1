"""``InProcessTransport``: a synchronous ``Client`` talking to an ASGI application in this
process (the CLI on a database URL, tests), with no socket in between.

The application runs on an event loop of its own, in a daemon thread, so a client may be
used from several threads at once, and response bodies stream as the application writes
them (``follow_logs`` works in-process). The application's lifespan (start-up and
shut-down) runs with the transport unless ``lifespan=False``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from concurrent.futures import Future
from typing import Any, TypeVar

import httpx

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[Message]],
        Callable[[Message], Awaitable[None]],
    ],
    Awaitable[None],
]
T = TypeVar("T")


class _Exchange:
    """One request: the application's task, and its response as it arrives."""

    def __init__(self, app: ASGIApp, scope: dict[str, Any], body: bytes) -> None:
        self.app, self.scope, self.body = app, scope, body
        self.chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.head: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] = (
            asyncio.get_running_loop().create_future()
        )
        self.gone = asyncio.Event()  # the client closed the response
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        sent_body = False

        async def receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": self.body, "more_body": False}
            await self.gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start" and not self.head.done():
                self.head.set_result((message["status"], list(message.get("headers", []))))
            elif message["type"] == "http.response.body":
                if message.get("body"):
                    self.chunks.put_nowait(bytes(message["body"]))
                if not message.get("more_body", False):
                    self.chunks.put_nowait(None)

        try:
            await self.app(self.scope, receive, send)
        except Exception as exc:
            # As a server would: an error after the response started ends its body (the
            # application logged it); one before it is the caller's to see.
            if not self.head.done():
                self.head.set_exception(exc)
        finally:
            if not self.head.done():
                self.head.set_exception(RuntimeError("the application sent no response"))
            self.chunks.put_nowait(None)


class _Body(httpx.SyncByteStream):
    def __init__(self, transport: InProcessTransport, exchange: _Exchange) -> None:
        self.transport, self.exchange = transport, exchange

    def __iter__(self) -> Iterator[bytes]:
        while (chunk := self.transport.run(self.exchange.chunks.get())) is not None:
            yield chunk

    def close(self) -> None:
        if not self.transport.thread.is_alive():  # the transport is closed
            return

        async def hang_up() -> None:
            self.exchange.gone.set()
            await asyncio.wait({self.exchange.task}, timeout=5)

        self.transport.run(hang_up())


class InProcessTransport(httpx.BaseTransport):
    def __init__(self, app: ASGIApp, *, lifespan: bool = True) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="runyard-in-process", daemon=True
        )
        self.thread.start()
        self._lifespan: _Lifespan | None = None
        if lifespan:
            try:
                self._lifespan = self.run(_Lifespan.start(app))
            except BaseException:
                self._stop_loop()
                raise

    def run(self, work: Awaitable[T]) -> T:
        """Run ``work`` on the application's loop; its result here."""

        async def wrapped() -> T:
            return await work

        future: Future[T] = asyncio.run_coroutine_threadsafe(wrapped(), self.loop)
        return future.result()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port or 80),
            "client": ("127.0.0.1", 0),
            "root_path": "",
            "state": dict(self._lifespan.state if self._lifespan else {}),
        }
        body = request.read()

        async def start() -> tuple[_Exchange, int, list[tuple[bytes, bytes]]]:
            exchange = _Exchange(self.app, scope, body)
            status, headers = await exchange.head
            return exchange, status, headers

        exchange, status, headers = self.run(start())
        return httpx.Response(status, headers=headers, stream=_Body(self, exchange))

    def close(self) -> None:
        if not self.thread.is_alive():
            return
        try:
            if self._lifespan is not None:
                self.run(self._lifespan.stop())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        async def cancel_the_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class _Lifespan:
    """The ASGI lifespan protocol: start-up when the transport opens, shut-down at close."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[Message] = asyncio.Queue()
        self.answers: asyncio.Queue[Message] = asyncio.Queue()
        self.state: dict[str, Any] = {}  # what the lifespan leaves for every request
        self.task: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, app: ASGIApp) -> _Lifespan | None:
        self = cls()

        async def run() -> None:
            try:
                scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
                await app(scope, self.events.get, self.send)
            except Exception as exc:  # an application without lifespan support
                await self.answers.put({"type": "lifespan.unsupported", "error": exc})

        self.task = asyncio.create_task(run())
        await self.events.put({"type": "lifespan.startup"})
        answer = await self.answers.get()
        if answer["type"] == "lifespan.startup.failed":
            raise RuntimeError(f"the application did not start: {answer.get('message', '')}")
        return None if answer["type"] == "lifespan.unsupported" else self

    async def send(self, message: Message) -> None:
        await self.answers.put(message)

    async def stop(self) -> None:
        await self.events.put({"type": "lifespan.shutdown"})
        answer = await self.answers.get()
        if answer["type"] == "lifespan.shutdown.failed":
            raise RuntimeError(f"the application did not shut down: {answer.get('message', '')}")
