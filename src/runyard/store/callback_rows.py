"""The completion-callback outbox: one row per finished run with a ``webhook_callback_url``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from runyard.core.models import Run
from runyard.core.statuses import RunStatus
from runyard.store.backends import backend_of
from runyard.store.schema import callbacks


@dataclass(frozen=True, slots=True)
class Callback:
    id: int
    project_id: str
    run_id: str
    url: str
    attempts: int


def enqueue_if_finished(conn: Connection, previous: RunStatus, run: Run) -> None:
    """In the transaction that ends ``run``: a callback to deliver, if it asked for one."""
    if run.webhook_callback_url and run.status.is_terminal and not previous.is_terminal:
        conn.execute(
            callbacks.insert().values(
                project_id=run.project_id,
                run_id=run.id,
                url=run.webhook_callback_url,
                attempts=0,
                next_attempt_at=run.modified_at,
                created_at=run.modified_at,
            )
        )


def take_due(conn: Connection, now: datetime, until: datetime, limit: int) -> list[Callback]:
    """Due callbacks, each put off to ``until`` so that no other process sends it meanwhile."""
    c = callbacks.c
    query = select(callbacks).where(c.next_attempt_at <= now).order_by(c.next_attempt_at)
    rows = conn.execute(backend_of(conn).lock_skipping(query.limit(limit))).all()
    found = [Callback(r.id, r.project_id, r.run_id, r.url, r.attempts) for r in rows]
    if found:
        conn.execute(
            update(callbacks).where(c.id.in_([f.id for f in found])).values(next_attempt_at=until)
        )
    return found


def settle(
    conn: Connection,
    callback: Callback,
    *,
    delivered_at: datetime | None,
    error: str | None,
    retry_at: datetime | None,
) -> None:
    """Record an attempt: delivered, retried at ``retry_at``, or given up (both None)."""
    conn.execute(
        update(callbacks)
        .where(callbacks.c.id == callback.id)
        .values(
            attempts=callback.attempts + 1,
            delivered_at=delivered_at,
            last_error=error,
            next_attempt_at=retry_at,
        )
    )


def of_run(conn: Connection, project_id: str, run_id: str) -> list[dict[str, object]]:
    c = callbacks.c
    rows = conn.execute(
        select(c.url, c.attempts, c.delivered_at, c.last_error, c.next_attempt_at)
        .where(c.project_id == project_id, c.run_id == run_id)
        .order_by(c.id)
    )
    return [dict(r._mapping) for r in rows]
