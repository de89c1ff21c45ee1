"""Who is calling: API keys to principals, and what each role may do."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from runyard.core.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from runyard.core.ids import canonical_uuid, new_id
from runyard.core.models import DEFAULT_PROJECT, ApiKey, Role
from runyard.store import tenancy
from runyard.store.database import Database

KEY_PREFIX = "ry_"


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller acting on one project with one role."""

    project_id: str
    role: Role
    server_admin: bool = False
    key_id: str | None = None

    def require(self, role: Role) -> None:
        if not (self.server_admin or self.role.allows(role)):
            raise Forbidden(f"this needs a key with the {role} role; this key is {self.role}")

    def require_server_admin(self) -> None:
        if not self.server_admin:
            raise Forbidden("this needs the server-admin key")


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def authenticate(db: Database, secret: str | None, project_header: str | None) -> Principal:
    """The principal behind a key; ``project_header`` (``X-Project-ID``) picks the project.

    A project key may name only its own project (else 403); the server-admin key may
    name any (404 if none such) and acts on ``default`` when it names none.
    """
    if not secret:
        raise Unauthenticated("missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key'")
    with db.read() as conn:
        key = tenancy.key_by_secret(conn, secret)
        if key is None:
            raise Unauthenticated("invalid or revoked API key")
        project_id = key.project_id
        if project_header:
            wanted = canonical_uuid(project_header)
            if wanted is None:
                raise InvalidInput.field(("header", "X-Project-ID"), "must be a project UUID")
            if wanted != key.project_id:
                if not key.server_admin:
                    raise Forbidden("this key belongs to another project")
                if tenancy.project_by_id(conn, wanted) is None:
                    raise NotFound(f"project {wanted} does not exist")
            project_id = wanted
        elif key.server_admin:
            default = tenancy.project_by_name(conn, DEFAULT_PROJECT)
            project_id = default.id if default else key.project_id
    return Principal(project_id, key.role, key.server_admin, key.id)


def make_key(
    project_id: str, name: str, role: Role, now: datetime, *, server_admin: bool = False
) -> tuple[ApiKey, str]:
    secret = new_secret()
    key = ApiKey(
        id=new_id(),
        project_id=project_id,
        name=name,
        role=role,
        server_admin=server_admin,
        prefix=secret[: len(KEY_PREFIX) + 6],
        created_at=now,
    )
    return key, secret
