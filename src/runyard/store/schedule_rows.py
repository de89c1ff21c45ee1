"""Cron schedules: rows to records and back, and the due ones, locked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from runyard.core.models import Schedule
from runyard.store.backends import backend_of
from runyard.store.schema import schedules


def _schedule(m: Any) -> Schedule:
    return Schedule(
        id=m["id"],
        project_id=m["project_id"],
        workflow_id=m["workflow_id"],
        cron=m["cron"],
        timezone=m["timezone"],
        input=m["input"],
        enabled=bool(m["enabled"]),
        next_fire_at=m["next_fire_at"],
        created_at=m["created_at"],
        last_fired_at=m["last_fired_at"],
    )


def insert(conn: Connection, schedule: Schedule) -> None:
    conn.execute(
        schedules.insert().values(
            id=schedule.id,
            project_id=schedule.project_id,
            workflow_id=schedule.workflow_id,
            cron=schedule.cron,
            timezone=schedule.timezone,
            input=schedule.input,
            enabled=schedule.enabled,
            next_fire_at=schedule.next_fire_at,
            last_fired_at=schedule.last_fired_at,
            created_at=schedule.created_at,
        )
    )


def of_project(conn: Connection, project_id: str) -> list[Schedule]:
    s = schedules.c
    rows = conn.execute(select(schedules).where(s.project_id == project_id).order_by(s.created_at))
    return [_schedule(r._mapping) for r in rows]


def remove(conn: Connection, project_id: str, schedule_id: str) -> bool:
    s = schedules.c
    done = conn.execute(delete(schedules).where(s.project_id == project_id, s.id == schedule_id))
    return done.rowcount == 1


def due(conn: Connection, now: datetime, limit: int) -> list[Schedule]:
    """Enabled schedules whose next tick has come, locked (others' skipped)."""
    s = schedules.c
    query = (
        select(schedules)
        .where(s.enabled.is_(True), s.next_fire_at <= now)
        .order_by(s.next_fire_at)
        .limit(limit)
    )
    return [_schedule(r._mapping) for r in conn.execute(backend_of(conn).lock_skipping(query))]


def advance(conn: Connection, schedule: Schedule, fired: datetime, following: datetime) -> bool:
    """Move a schedule past the tick it fired, if no one else did first."""
    s = schedules.c
    done = conn.execute(
        update(schedules)
        .where(s.id == schedule.id, s.next_fire_at == schedule.next_fire_at)
        .values(next_fire_at=following, last_fired_at=fired)
    )
    return done.rowcount == 1
