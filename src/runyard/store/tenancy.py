"""Projects and API keys."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Connection, Row, select, update

from runyard.core.models import ApiKey, Project, Role
from runyard.store.schema import api_keys, projects


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _project(row: Row[tuple[object, ...]]) -> Project:
    m = row._mapping
    return Project(id=m["id"], name=m["name"], created_at=m["created_at"])


def _key(row: Row[tuple[object, ...]]) -> ApiKey:
    m = row._mapping
    return ApiKey(
        id=m["id"],
        project_id=m["project_id"],
        name=m["name"],
        role=Role(m["role"]),
        server_admin=bool(m["server_admin"]),
        prefix=m["prefix"],
        created_at=m["created_at"],
    )


def insert_project(conn: Connection, project: Project) -> None:
    conn.execute(
        projects.insert().values(id=project.id, name=project.name, created_at=project.created_at)
    )


def project_by_id(conn: Connection, project_id: str) -> Project | None:
    row = conn.execute(select(projects).where(projects.c.id == project_id)).first()
    return _project(row) if row else None


def project_by_name(conn: Connection, name: str) -> Project | None:
    row = conn.execute(select(projects).where(projects.c.name == name)).first()
    return _project(row) if row else None


def list_projects(conn: Connection) -> list[Project]:
    return [_project(r) for r in conn.execute(select(projects).order_by(projects.c.created_at))]


def insert_key(conn: Connection, key: ApiKey, secret: str) -> None:
    conn.execute(
        api_keys.insert().values(
            id=key.id,
            project_id=key.project_id,
            name=key.name,
            role=key.role.value,
            server_admin=key.server_admin,
            key_hash=hash_key(secret),
            prefix=key.prefix,
            created_at=key.created_at,
        )
    )


def key_by_secret(conn: Connection, secret: str) -> ApiKey | None:
    row = conn.execute(
        select(api_keys).where(
            api_keys.c.key_hash == hash_key(secret), api_keys.c.revoked_at.is_(None)
        )
    ).first()
    return _key(row) if row else None


def list_keys(conn: Connection, project_id: str) -> list[ApiKey]:
    rows = conn.execute(
        select(api_keys)
        .where(api_keys.c.project_id == project_id, api_keys.c.revoked_at.is_(None))
        .order_by(api_keys.c.created_at)
    )
    return [_key(r) for r in rows]


def revoke_key(conn: Connection, project_id: str, key_id: str, now: datetime) -> bool:
    result = conn.execute(
        update(api_keys)
        .where(
            api_keys.c.id == key_id,
            api_keys.c.project_id == project_id,
            api_keys.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return result.rowcount == 1
