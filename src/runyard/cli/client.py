"""How the CLI reaches runyard: always through ``runyard.client.Client``.

Over HTTP to a server (``--url``), or in-process to the same ASGI application on a
database URL, acting as the server admin on the chosen project; so validation, errors and
output are the same whichever way the CLI is pointed.
"""

from __future__ import annotations

from runyard.api.app import create_app, prepare
from runyard.api.services import get_principal
from runyard.client import Client, InProcessTransport
from runyard.config import Settings
from runyard.core.errors import NotFound
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
