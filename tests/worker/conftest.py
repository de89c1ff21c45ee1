"""Workers over either transport: in-process over the database (``direct``), or over a
real API server's worker routes holding only a worker key (``http``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from benchmarks.server import free_port

from runyard.api.app import create_app
from runyard.config import Settings
from runyard.core.models import Role
from runyard.core.times import utcnow
from runyard.service.access import Principal
from runyard.service.projects import ProjectService
from runyard.service.services import Services
from runyard.store.database import Database
from runyard.worker.direct import DirectTransport
from runyard.worker.remote import HttpTransport
from runyard.worker.transport import Transport
from tests.conftest import ADMIN_KEY


class ServedApi:
    """The API served by uvicorn on a thread of this process, over ``db``."""

    def __init__(self, db: Database, database_url: str) -> None:
        settings = Settings(database_url=database_url, bootstrap_api_key=ADMIN_KEY)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            create_app(settings, db),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the API server did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@dataclass
class Transports:
    """Makes a transport of ``kind`` for a project (a worker key of its own over HTTP)."""

    kind: str
    db: Database
    database_url: str
    served: ServedApi | None = None

    def make(self, project_id: str, role: Role = Role.WORKER) -> Transport:
        if self.kind == "direct":
            return DirectTransport(Services.build(self.db), project_id, poll_seconds=0.02)
        if self.served is None:
            self.served = ServedApi(self.db, self.database_url)
        admin = Principal(project_id, Role.ADMIN)
        _, secret = ProjectService(self.db, utcnow).create_key(admin, project_id, "w", role)
        return HttpTransport(self.served.url, secret)

    def close(self) -> None:
        if self.served is not None:
            self.served.stop()


@pytest.fixture(params=["direct", "http"])
def transports(
    request: pytest.FixtureRequest, db: Database, database_url: str
) -> Iterator[Transports]:
    made = Transports(str(request.param), db, database_url)
    yield made
    made.close()
