"""Deleting old runs in batches: everything a run owns goes with it, in one transaction.

Steps, error codes, tags and status history follow by ``ON DELETE CASCADE``; SQLite's
search table and the callbacks outbox, which are keyed otherwise, are cleared here.
Only ended runs are taken: a live run is never pruned, however old.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, delete, func, select

from runyard.core.statuses import TERMINAL
from runyard.store.backends import backend_of
from runyard.store.schema import callbacks, runs

ENDED = sorted(s.value for s in TERMINAL)


def _older(project_id: str, cutoff: datetime) -> list[ColumnElement[bool]]:
    c = runs.c
    return [c.project_id == project_id, c.created_at < cutoff, c.status.in_(ENDED)]


def prunable(
    conn: Connection, project_id: str, cutoff: datetime, limit: int
) -> list[tuple[int, str]]:
    """Up to ``limit`` ended runs created before ``cutoff``, oldest first: (pk, id)."""
    c = runs.c
    query = (
        select(c.pk, c.id)
        .where(*_older(project_id, cutoff))
        .order_by(c.created_at, c.id)
        .limit(limit)
    )
    return [(pk, run_id) for pk, run_id in conn.execute(query)]


def count_prunable(conn: Connection, project_id: str, cutoff: datetime) -> int:
    query = select(func.count()).select_from(runs).where(*_older(project_id, cutoff))
    return int(conn.execute(query).scalar_one())


def delete_runs(conn: Connection, project_id: str, found: Sequence[tuple[int, str]]) -> int:
    """Delete runs that ``prunable`` found for the project in this transaction, and all
    they own; returns how many went. Rows are named by pk alone: with the project beside
    a list of pks, SQLite's planner walked a project index instead (0.1-0.5 s a batch)."""
    if not found:
        return 0
    pks = [pk for pk, _ in found]
    ids = [run_id for _, run_id in found]
    conn.execute(
        delete(callbacks).where(callbacks.c.project_id == project_id, callbacks.c.run_id.in_(ids))
    )
    backend_of(conn).unindex_search_text(conn, pks)
    return int(conn.execute(delete(runs).where(runs.c.pk.in_(pks))).rowcount)
