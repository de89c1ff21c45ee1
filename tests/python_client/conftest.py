"""The Python client against the real application: in-process (``InProcessTransport``,
each test on SQLite and PostgreSQL) and, in ``test_served.py``, a real ``runyard serve``.

``Flaky`` sits between a client and the application and fails requests as a network
does: before they are sent, or after (the answer lost), or with a 503 or 429 of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from runyard.api.app import create_app
from runyard.client import Client, InProcessTransport
from runyard.config import Settings
from runyard.store.database import Database
from tests.conftest import ADMIN_KEY

BASE = "http://runyard.test"


@dataclass
class Server:
    """The application in this process, with a client holding the server-admin key."""

    app: FastAPI
    transport: InProcessTransport
    client: Client

    def as_key(self, key: str | None, *script: str | int, **options: Any) -> Client:
        """Another client of the same application (closing it leaves the application be);
        its requests fail as ``script`` says (``Flaky``)."""
        return self.through(Flaky(self.transport, list(script)), key, **options)

    def through(
        self, transport: httpx.BaseTransport, key: str | None = ADMIN_KEY, **options: Any
    ) -> Client:
        return Client(BASE, key, transport=transport, **{"backoff": 0, **options})

    def new_key(self, role: str, project: str = "default") -> str:
        project_id = next(p.id for p in self.client.projects() if p.name == project)
        secret = self.client.create_key(project_id, role=role).key
        assert secret is not None
        return secret


def start(database_url: str, **settings: Any) -> Iterator[Server]:
    db = Database.connect(database_url, pool_size=8)
    options = Settings(database_url=database_url, bootstrap_api_key=ADMIN_KEY, **settings)
    app = create_app(options, db)
    transport = InProcessTransport(app)
    client = Client(BASE, ADMIN_KEY, transport=transport, backoff=0)
    try:
        yield Server(app, transport, client)
    finally:
        client.close()
        transport.close()
        db.dispose()


@pytest.fixture
def server(database_url: str) -> Iterator[Server]:
    yield from start(database_url)


@pytest.fixture
def client(server: Server) -> Client:
    return server.client


def make_workflow(client: Client, name: str = "invoice-agent") -> None:
    client.create_workflow(
        name,
        type="agent",
        parameters=[{"key": "customer_id", "description": "Customer to collect invoices for"}],
    )


def run_id(n: int) -> str:
    return f"0c200000-0000-4000-8000-{n:012d}"


@dataclass
class Flaky(httpx.BaseTransport):
    """Passes requests on to ``inner``, failing them as ``script`` says, one entry per
    request in order (then none): ``"refuse"`` fails to connect (nothing is sent);
    ``"lose"`` sends the request, then times out reading the answer; ``"cut"`` passes
    the answer's first ``cut_after`` chunks on, then fails reading the next; a number
    answers that status with a problem document and ``Retry-After`` without sending
    anything."""

    inner: httpx.BaseTransport
    script: list[str | int]
    retry_after: str = "0"
    cut_after: int = 2
    seen: list[httpx.Request] = field(default_factory=list)  # every request
    delivered: list[httpx.Request] = field(default_factory=list)  # those the app received

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        step = self.script.pop(0) if self.script else None
        if step == "refuse":
            raise httpx.ConnectError("connection refused", request=request)
        if isinstance(step, int):
            code = {503: "unavailable", 429: "rate_limited"}.get(step, f"http_{step}")
            problem = {
                "type": "about:blank",
                "title": "Refused",
                "status": step,
                "detail": f"refused with {step}",
                "code": code,
            }
            return httpx.Response(step, json=problem, headers={"Retry-After": self.retry_after})
        response = self.inner.handle_request(request)
        self.delivered.append(request)
        if step == "lose":
            response.read()
            response.close()
            raise httpx.ReadTimeout("timed out", request=request)
        if step == "cut":
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=_Cut(response, self.cut_after, request),
            )
        return response

    def keys(self) -> list[str | None]:
        """The Idempotency-Key of each request seen."""
        return [r.headers.get("Idempotency-Key") for r in self.seen]


class _Cut(httpx.SyncByteStream):
    """A response body that breaks off after ``chunks`` chunks, as a dropped connection."""

    def __init__(self, response: httpx.Response, chunks: int, request: httpx.Request) -> None:
        self.response, self.chunks, self.request = response, chunks, request

    def __iter__(self) -> Iterator[bytes]:
        for n, chunk in enumerate(self.response.iter_raw()):
            if n == self.chunks:
                raise httpx.ReadError("connection reset", request=self.request)
            yield chunk

    def close(self) -> None:
        self.response.close()
