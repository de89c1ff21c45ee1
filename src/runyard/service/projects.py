"""Use cases for projects and API keys, and the start-up bootstrap."""

from __future__ import annotations

import re
from collections.abc import Callable

from runyard.core.errors import Conflict, Duplicate, InvalidInput, NotFound
from runyard.core.ids import canonical_uuid, new_id
from runyard.core.models import DEFAULT_PROJECT, ApiKey, Project, Role
from runyard.core.times import Clock
from runyard.service.access import Principal, make_key
from runyard.store import tenancy
from runyard.store.database import Database

_PROJECT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class ProjectService:
    def __init__(
        self, db: Database, clock: Clock, on_revoke: Callable[[str], None] = lambda key_id: None
    ) -> None:
        self.db = db
        self.clock = clock
        self.on_revoke = on_revoke  # the authenticator's ``forget``

    def bootstrap(self, bootstrap_key: str | None) -> Project:
        """Create the ``default`` project on first start and register the bootstrap key.
        Processes starting together (servers, workers) may all call it: the ones losing
        the race find what the winner made."""
        try:
            return self._bootstrap(bootstrap_key)
        except Duplicate:
            return self._bootstrap(bootstrap_key)

    def _bootstrap(self, bootstrap_key: str | None) -> Project:
        with self.db.write() as conn:
            project = tenancy.project_by_name(conn, DEFAULT_PROJECT)
            if project is None:
                project = Project(new_id(), DEFAULT_PROJECT, self.clock())
                tenancy.insert_project(conn, project)
            if bootstrap_key and tenancy.key_by_secret(conn, bootstrap_key) is None:
                key, _ = make_key(
                    project.id, "bootstrap", Role.ADMIN, self.clock(), server_admin=True
                )
                tenancy.insert_key(conn, key, bootstrap_key)
        return project

    def create(self, principal: Principal, name: str) -> Project:
        principal.require_server_admin()
        if not _PROJECT_NAME.match(name):
            raise InvalidInput.field(
                ("body", "name"),
                "1-100 letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
        project = Project(new_id(), name, self.clock())
        try:
            with self.db.write() as conn:
                tenancy.insert_project(conn, project)
        except Duplicate:
            raise Conflict(f"a project named {name!r} exists already") from None
        return project

    def find(self, ref: str) -> Project | None:
        """The project named ``ref``, else the one whose id it is: for the processes this
        server runs (the demo, the CLI on a database URL), which act for no caller's key."""
        with self.db.read() as conn:
            found = tenancy.project_by_name(conn, ref)
            if found is None and (project_id := canonical_uuid(ref)) is not None:
                found = tenancy.project_by_id(conn, project_id)
        return found

    def all(self, principal: Principal) -> list[Project]:
        with self.db.read() as conn:
            if principal.server_admin:
                return tenancy.list_projects(conn)
            project = tenancy.project_by_id(conn, principal.project_id)
            return [project] if project else []

    def create_key(
        self, principal: Principal, project_id: str, name: str, role: Role
    ) -> tuple[ApiKey, str]:
        """A new key for ``project_id``; its secret is returned this once and never again."""
        wanted = canonical_uuid(project_id)
        if wanted is None:
            raise NotFound(f"project {project_id} does not exist")
        if not principal.server_admin:
            principal.require(Role.ADMIN)
            if wanted != principal.project_id:
                raise NotFound(f"project {project_id} does not exist")
        key, secret = make_key(wanted, name, role, self.clock())
        with self.db.write() as conn:
            if tenancy.project_by_id(conn, wanted) is None:
                raise NotFound(f"project {project_id} does not exist")
            tenancy.insert_key(conn, key, secret)
        return key, secret

    def list_keys(self, principal: Principal) -> list[ApiKey]:
        principal.require(Role.ADMIN)
        with self.db.read() as conn:
            return tenancy.list_keys(conn, principal.project_id)

    def revoke_key(self, principal: Principal, key_id: str) -> None:
        principal.require(Role.ADMIN)
        with self.db.write() as conn:
            if not tenancy.revoke_key(conn, principal.project_id, key_id, self.clock()):
                raise NotFound(f"API key {key_id} does not exist")
        self.on_revoke(key_id)
