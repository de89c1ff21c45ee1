"""Who is calling: API keys to principals, and what each role may do."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
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


class WorkerKeyRefused(Forbidden):
    """A ``worker`` key used anywhere but the worker routes."""


def admitted(principal: Principal, *, worker_routes: bool) -> Principal:
    """``principal``, unless it holds a ``worker`` key and the route is not a worker route
    (a worker key executes runs and does nothing else, not even read)."""
    if principal.role is Role.WORKER and not worker_routes:
        raise WorkerKeyRefused(
            "this is a worker key: it may only use the worker routes (/api/v1/worker/...)"
        )
    return principal


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


class Authenticator:
    """``authenticate`` with a memory: each (key, project header) is looked up in the
    database at most once every ``ttl`` seconds, not once per request.

    Only successes are remembered. A key revoked through this process is forgotten at
    once (``forget``); another process honours it for at most ``ttl`` seconds more.
    """

    def __init__(
        self,
        db: Database,
        ttl: float = 10.0,
        *,
        size: int = 4096,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db, self.ttl, self.size, self.monotonic = db, ttl, size, monotonic
        self._known: dict[tuple[str, str | None], tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def remembered(
        self, secret: str | None, project_header: str | None, *, worker_routes: bool = False
    ) -> Principal | None:
        """The principal if this key and header were seen less than ``ttl`` seconds ago
        (``WorkerKeyRefused`` for a worker key off the worker routes)."""
        if not secret:
            return None
        hit = self._known.get((tenancy.hash_key(secret), project_header))
        if hit is None or hit[1] <= self.monotonic():
            return None
        return admitted(hit[0], worker_routes=worker_routes)

    def authenticate(
        self, secret: str | None, project_header: str | None, *, worker_routes: bool = False
    ) -> Principal:
        found = self.remembered(secret, project_header, worker_routes=worker_routes)
        if found is not None:
            return found
        principal = authenticate(self.db, secret, project_header)
        assert secret  # authenticate refuses a missing key
        with self._lock:
            if len(self._known) >= self.size:
                self._known.clear()
            slot = (tenancy.hash_key(secret), project_header)
            self._known[slot] = (principal, self.monotonic() + self.ttl)
        return admitted(principal, worker_routes=worker_routes)

    def forget(self, key_id: str) -> None:
        """Stop honouring a key at once (it was just revoked)."""
        with self._lock:
            for slot in [s for s, (p, _) in self._known.items() if p.key_id == key_id]:
                del self._known[slot]


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
