"""How the CLI reaches runyard: always through ``runyard.client.Client``.

Over HTTP to a server (``--url``), or in-process to the same ASGI application on a
database URL, acting as the server admin on the chosen project; so validation, errors and
output are the same whichever way the CLI is pointed. The root options make a ``Target``;
``connected`` gives a command its client.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from runyard.api.app import create_app, prepare
from runyard.api.services import get_principal
from runyard.cli.output import fail, one_line
from runyard.client import Client, InProcessTransport
from runyard.config import Settings
from runyard.core.errors import NotFound, RunyardError
from runyard.core.models import Role
from runyard.service.access import Principal
from runyard.service.projects import ProjectService
from runyard.store.database import Database

LOCAL_URL = "http://runyard.local"
TIMEOUT = 60.0  # seconds; an import batch of 1,000 runs or a prune may take a while


class LocalClient(Client):
    """The API served in-process on a database URL, as the server admin of ``project``
    (a name or an id; ``default`` when None)."""

    def __init__(self, database_url: str, project: str | None) -> None:
        settings = Settings.from_env(database_url=database_url)
        self.db = Database.connect(database_url, pool_size=2)
        try:
            services = prepare(settings, self.db)
            principal = _principal(services.projects, project)
            app = create_app(settings, self.db, services=services)
            app.dependency_overrides[get_principal] = lambda: principal
            super().__init__(LOCAL_URL, transport=InProcessTransport(app), timeout=TIMEOUT)
        except BaseException:
            self.db.dispose()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.db.dispose()


def _principal(projects: ProjectService, project: str | None) -> Principal:
    found = projects.find(project or "default")
    if found is None:
        raise NotFound(f"project {project!r} does not exist")
    return Principal(found.id, Role.ADMIN, server_admin=True)


def connect(url: str | None, api_key: str | None, database_url: str, project: str | None) -> Client:
    if url:
        return Client(url, api_key, project=project, timeout=TIMEOUT)
    return LocalClient(database_url, project)


class Target:
    """What a command is pointed at: the root options (``ctx.obj``)."""

    def __init__(
        self, url: str | None, api_key: str | None, database_url: str, project: str | None
    ) -> None:
        self.url = url
        self.api_key = api_key
        self.database_url = database_url
        self.project = project

    def client(self) -> Client:
        return connect(self.url, self.api_key, self.database_url, self.project)


@contextmanager
def connected(ctx: typer.Context) -> Iterator[Client]:
    """A client of the server or database the command is pointed at; a ``RunyardError``
    ends the command with its message on one line."""
    target: Target = ctx.obj
    try:
        with target.client() as client:
            yield client
    except RunyardError as exc:
        fail(one_line(exc))
