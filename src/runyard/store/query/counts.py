"""Runs per project, workflow and status, as the triggers of migration 0006 keep them.

A count that names nothing but workflows and statuses is answered from here exactly, in
a few rows, however many runs there are. On PostgreSQL the triggers append to
``run_count_deltas`` and the maintenance thread moves those into ``run_counts`` every
two seconds (``postgres_maintenance.FOLD``); a reader adds both tables up, so a count
is exact whether or not a fold has run (both are read in the statement's one snapshot).

The same counts are kept per UTC day (``run_day_counts``, migration 0008): a count or a
chart whose window spans whole days sums those days, and only the partial days at its
ends are counted from the runs (``split_window``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, Select, func, select, union_all

from runyard.core.query import RunQuery
from runyard.core.times import from_micros, to_micros
from runyard.store.schema import run_count_deltas, run_counts, run_day_counts

MICROS_PER_DAY = 86_400_000_000


def answers(query: RunQuery) -> bool:
    """Whether the query filters on nothing but its project, workflows and statuses."""
    bare = RunQuery(project_id=query.project_id)
    return (
        replace(
            query,
            workflow_ids=(),
            statuses=(),
            sort=bare.sort,
            limit=bare.limit,
            after=None,
            offset=0,
            include_total=False,
            exact_total=False,
        )
        == bare
    )


def answers_by_day(query: RunQuery) -> bool:
    """Whether the query filters on nothing but its project, workflows, statuses and a
    time window (``split_window`` then says which of it the day counts answer)."""
    return answers(replace(query, created_after=None, created_before=None))


def day_of(at: datetime) -> int:
    """The UTC day ``at`` falls in, as the triggers number it (days since 1970-01-01)."""
    return to_micros(at) // MICROS_PER_DAY


def day_start(day: int) -> datetime:
    return from_micros(day * MICROS_PER_DAY)


@dataclass(frozen=True, slots=True)
class Window:
    """A time window ``[after, before)`` as the whole days it spans, ``first`` to ``end``
    (exclusive; None: unbounded), and the partial days at its ends (``edges``, each a
    ``(after, before)``) that only the runs can count."""

    first: int | None
    end: int | None
    edges: tuple[tuple[datetime | None, datetime | None], ...]


def split_window(after: datetime | None, before: datetime | None) -> Window | None:
    """The whole days of a window and its partial ends; None if it spans no whole day."""
    first = None if after is None else -(-to_micros(after) // MICROS_PER_DAY)  # ceiling
    end = None if before is None else day_of(before)
    if first is not None and end is not None and first >= end:
        return None
    edges = []
    if after is not None and first is not None and day_start(first) != after:
        edges.append((after, day_start(first)))
    if before is not None and end is not None and day_start(end) != before:
        edges.append((day_start(end), before))
    return Window(first, end, tuple(edges))


def by_day_status(conn: Connection, query: RunQuery, window: Window) -> dict[int, dict[str, int]]:
    """``{day: {status: n}}`` over the window's whole days, for a query for which
    ``answers_by_day`` holds (days and statuses with no runs left out)."""
    parts = []
    for table in (run_day_counts, run_count_deltas):
        part = select(table.c.day, table.c.status, table.c.n).where(
            table.c.project_id == query.project_id
        )
        if window.first is not None:
            part = part.where(table.c.day >= window.first)
        if window.end is not None:
            part = part.where(table.c.day < window.end)
        if query.workflow_ids:
            part = part.where(table.c.workflow_id.in_(list(query.workflow_ids)))
        if query.statuses:
            part = part.where(table.c.status.in_([str(s) for s in query.statuses]))
        parts.append(part)
    rows = union_all(*parts).subquery()
    summed = select(rows.c.day, rows.c.status, func.sum(rows.c.n)).group_by(
        rows.c.day, rows.c.status
    )
    found: dict[int, dict[str, int]] = {}
    for day, status, n in conn.execute(summed):
        if n:
            found.setdefault(int(day), {})[status] = int(n)
    return found


def _rows(
    project_id: str, workflow_ids: Sequence[str], statuses: Sequence[str]
) -> Select[str, str, int]:
    parts = []
    for table in (run_counts, run_count_deltas):
        part = select(table.c.workflow_id, table.c.status, table.c.n).where(
            table.c.project_id == project_id
        )
        if workflow_ids:
            part = part.where(table.c.workflow_id.in_(list(workflow_ids)))
        if statuses:
            part = part.where(table.c.status.in_([str(s) for s in statuses]))
        parts.append(part)
    rows = union_all(*parts).subquery()
    return select(rows.c.workflow_id, rows.c.status, func.sum(rows.c.n)).group_by(
        rows.c.workflow_id, rows.c.status
    )


def by_workflow_status(
    conn: Connection,
    project_id: str,
    workflow_ids: Sequence[str] = (),
    statuses: Sequence[str] = (),
) -> dict[str, dict[str, int]]:
    """``{workflow_id: {status: n}}`` for the project's runs (statuses with none left out)."""
    found: dict[str, dict[str, int]] = {}
    for workflow_id, status, n in conn.execute(_rows(project_id, workflow_ids, statuses)):
        if n:
            found.setdefault(workflow_id, {})[status] = int(n)
    return found


def total(conn: Connection, query: RunQuery) -> int:
    """How many runs match a query for which ``answers`` holds."""
    counts = by_workflow_status(conn, query.project_id, query.workflow_ids, query.statuses)
    return sum(n for by_status in counts.values() for n in by_status.values())
