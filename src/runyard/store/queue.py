"""The run queue: claiming runs with a lease, renewing it, and finding live runs that are due.

Status changes themselves are computed by the service through the transition table; this
module finds and locks the rows and writes the execution columns beside the status
(``lease_owner``, ``lease_expires_at``, ``available_at``, ``waiting_for``, ``deadline_at``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, literal, or_, select, update

from runyard.core.models import Run
from runyard.core.statuses import RunStatus
from runyard.store import run_rows
from runyard.store.backends import backend_of
from runyard.store.run_rows import run_from_row
from runyard.store.schema import projects, runs

S = RunStatus
LEASED = (S.RUNNING.value, S.CANCELING.value)
# Built once: a fresh alias per claim would cost its column collection every time.
_DEPENDENCY = runs.alias("dependency")


@dataclass(frozen=True, slots=True)
class Execution:
    """The execution columns of a run, as a status change leaves them."""

    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    available_at: datetime | None = None
    waiting_for: str | None = None
    deadline_at: datetime | None = None

    def values(self) -> dict[str, Any]:
        return {
            "lease_owner": self.lease_owner,
            "lease_expires_at": self.lease_expires_at,
            "available_at": self.available_at,
            "waiting_for": self.waiting_for,
            "deadline_at": self.deadline_at,
        }


@dataclass(frozen=True, slots=True)
class Live:
    """A locked live run: its pk, its record, and its execution columns."""

    pk: int
    run: Run
    execution: Execution


def _live(m: Any) -> Live:
    execution = Execution(
        lease_owner=m["lease_owner"],
        lease_expires_at=m["lease_expires_at"],
        available_at=m["available_at"],
        waiting_for=m["waiting_for"],
        deadline_at=m["deadline_at"],
    )
    return Live(m["pk"], run_from_row(m), execution)


def _locked(
    conn: Connection, where: list[ColumnElement[bool]], order: Any, limit: int, lock: bool = True
) -> list[Live]:
    query = select(runs).where(*where).order_by(*order).limit(limit)
    rows = conn.execute(backend_of(conn).lock_skipping(query) if lock else query)
    return [_live(r._mapping) for r in rows]


def claimable(
    conn: Connection,
    project_id: str,
    workflow_ids: Sequence[str],
    now: datetime,
    limit: int,
    *,
    lock: bool = True,
) -> list[Live]:
    """Up to ``limit`` queued runs of these workflows that may start now, oldest first,
    locked (rows another worker is claiming are skipped)."""
    c = runs.c
    dependency = _DEPENDENCY
    # OFFSET 0 keeps PostgreSQL from turning this into a hash of every live run (built by
    # a scan of the whole table): it is answered per candidate, through the id index.
    unfinished = (
        select(dependency.c.pk)
        .where(
            dependency.c.id == c.depends_on_run_id,
            dependency.c.project_id == c.project_id,
            dependency.c.status.in_([s.value for s in RunStatus if not s.is_terminal]),
        )
        .offset(0)
    )
    where = [
        c.project_id == project_id,
        c.status == S.QUEUED.value,
        c.workflow_id.in_(workflow_ids),
        or_(c.available_at.is_(None), c.available_at <= now),
        # A run that depends on another starts once that one has ended.
        or_(c.depends_on_run_id.is_(None), ~unfinished.exists()),
    ]
    return _locked(conn, where, (c.queued_at, c.pk), limit, lock)


def save(
    conn: Connection, live: Live, run: Run, execution: Execution, *, record: bool = True
) -> bool:
    """Write ``run``'s state and execution columns if its status is still ``live``'s
    (``record=False``: the caller adds the new status to the history with others)."""
    return run_rows.write_state(
        conn, live.pk, live.run.status, run, execution=execution.values(), record=record
    )


def start_claimed(
    conn: Connection, pks: Sequence[int], owner: str, now: datetime, until: datetime
) -> None:
    """Queued runs this transaction locked become ``running`` under ``owner``'s lease: the
    transition ``queued -> running`` (``started_at`` stamped on a first start) in one
    statement for all of them. The caller adds the new status to their histories."""
    if not pks:
        return
    c = runs.c
    conn.execute(
        update(runs)
        .where(c.pk.in_(pks), c.status == S.QUEUED.value)
        .values(
            status=S.RUNNING.value,
            started_at=func.coalesce(c.started_at, literal(now, c.started_at.type)),
            modified_at=now,
            lease_owner=owner,
            lease_expires_at=until,
            available_at=None,
            waiting_for=None,
        )
    )


def held(conn: Connection, project_id: str, owner: str, run_ids: Sequence[str]) -> list[Live]:
    """The project's runs among ``run_ids`` whose lease ``owner`` still holds, locked."""
    if not run_ids:
        return []
    c = runs.c
    query = (
        select(runs)
        .where(c.id.in_(run_ids), c.project_id == project_id, c.lease_owner == owner)
        .with_for_update()
    )
    return [_live(r._mapping) for r in conn.execute(query)]


def renew(
    conn: Connection, project_id: str, owner: str, run_ids: Sequence[str], until: datetime
) -> dict[str, str]:
    """Extend ``owner``'s leases of the project's runs; returns each still-held run's
    status (so the worker sees cancels, pauses and terminations)."""
    if not run_ids:
        return {}
    c = runs.c
    mine = [c.id.in_(run_ids), c.project_id == project_id, c.lease_owner == owner]
    conn.execute(update(runs).where(*mine, c.status.in_(LEASED)).values(lease_expires_at=until))
    return dict(conn.execute(select(c.id, c.status).where(*mine)).all())


def expired_leases(conn: Connection, now: datetime, limit: int = 100) -> list[Live]:
    """Running (or canceling) runs whose worker stopped renewing its lease."""
    c = runs.c
    where = [c.lease_expires_at < now, c.status.in_(LEASED)]
    return _locked(conn, where, (c.lease_expires_at,), limit)


def due_wakeups(conn: Connection, now: datetime, limit: int = 100) -> list[Live]:
    """Waiting runs whose durable sleep is over."""
    c = runs.c
    where = [c.available_at <= now, c.status == S.WAITING.value]
    return _locked(conn, where, (c.available_at,), limit)


def past_deadline(conn: Connection, now: datetime, limit: int = 100) -> list[Live]:
    """Live runs past their workflow's time-out."""
    c = runs.c
    live = [s.value for s in RunStatus if not s.is_terminal]
    return _locked(conn, [c.deadline_at <= now, c.status.in_(live)], (c.deadline_at,), limit)


def parked_canceling(conn: Connection, limit: int = 100) -> list[Live]:
    """Runs canceled while parked (sleeping or waiting for an event): no worker will see
    the cancel, so upkeep finishes it."""
    c = runs.c
    canceling = [c.status == S.CANCELING.value, c.lease_owner.is_(None)]
    # Two reads, each along its small partial index of parked runs: one read of both
    # kinds (an OR) had the planners walk the whole runs table in pk order.
    sleeping = _locked(conn, [*canceling, c.available_at.is_not(None)], (c.available_at,), limit)
    waiting = _locked(
        conn, [*canceling, c.waiting_for.is_not(None)], (c.project_id, c.waiting_for), limit
    )
    found = {live.pk: live for live in [*sleeping, *waiting]}
    return [found[pk] for pk in sorted(found)][:limit]


def waiting_for(conn: Connection, project_id: str, key: str, limit: int = 1000) -> list[Live]:
    """The project's runs waiting for event ``key``."""
    c = runs.c
    where = [c.project_id == project_id, c.waiting_for == key, c.status == S.WAITING.value]
    return _locked(conn, where, (c.pk,), limit)


def locked(conn: Connection, pk: int) -> Live | None:
    row = conn.execute(select(runs).where(runs.c.pk == pk).with_for_update()).first()
    return _live(row._mapping) if row else None


def live_counts(conn: Connection) -> dict[str, int]:
    """How many runs are in each live status, over all projects."""
    c = runs.c
    live = [s.value for s in RunStatus if not s.is_terminal]
    # Through the projects table, so that (project, status) index ranges serve the count.
    every_project = select(projects.c.id).scalar_subquery()
    query = (
        select(c.status, func.count())
        .where(c.project_id.in_(every_project), c.status.in_(live))
        .group_by(c.status)
    )
    return {status: int(n) for status, n in conn.execute(query)}
