"""Webhook triggers: which workflow a hook starts, and its secret's hash."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from runyard.core.models import Hook
from runyard.store.schema import webhook_triggers


def insert(conn: Connection, hook: Hook) -> None:
    conn.execute(
        webhook_triggers.insert().values(
            id=hook.id,
            project_id=hook.project_id,
            workflow_id=hook.workflow_id,
            secret_hash=hook.secret_hash,
            created_at=hook.created_at,
        )
    )


def find(conn: Connection, hook_id: str) -> Hook | None:
    row = conn.execute(select(webhook_triggers).where(webhook_triggers.c.id == hook_id)).first()
    return Hook(**row._mapping) if row else None


def of_project(conn: Connection, project_id: str) -> list[Hook]:
    w = webhook_triggers.c
    rows = conn.execute(
        select(webhook_triggers).where(w.project_id == project_id).order_by(w.created_at)
    )
    return [Hook(**r._mapping) for r in rows]


def remove(conn: Connection, project_id: str, hook_id: str) -> bool:
    w = webhook_triggers.c
    done = conn.execute(delete(webhook_triggers).where(w.project_id == project_id, w.id == hook_id))
    return done.rowcount == 1
