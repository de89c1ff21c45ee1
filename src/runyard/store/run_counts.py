"""Runs per project, workflow and status, as the triggers of migration 0006 keep them.

A count that names nothing but workflows and statuses is answered from here exactly, in
a few rows, however many runs there are. On PostgreSQL the triggers append to
``run_count_deltas`` and the maintenance thread moves those into ``run_counts`` every
two seconds (``postgres_maintenance.FOLD``); a reader adds both tables up, so a count
is exact whether or not a fold has run (both are read in the statement's one snapshot).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Connection, Select, func, select, union_all

from runyard.core.query import RunQuery
from runyard.store.schema import run_count_deltas, run_counts


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
