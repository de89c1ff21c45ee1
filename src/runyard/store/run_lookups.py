"""Reads of runs named by id, not driven by a ``RunQuery``: some runs, their step error
codes, their retries, a run's status history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, RowMapping, select

from runyard.core.models import Run, StatusChange
from runyard.store.run_rows import run_from_row
from runyard.store.schema import run_error_codes, run_status_changes, runs
from runyard.store.workflow_rows import workflow_names


def _runs(conn: Connection, rows: Sequence[RowMapping]) -> list[Run]:
    """Rows of ``runs`` as records, with their workflows' names (one read for all)."""
    names = workflow_names(conn, sorted({m["workflow_id"] for m in rows}))
    return [run_from_row(m, names.get(m["workflow_id"])) for m in rows]


def _pks_of(conn: Connection, project_id: str, run_ids: Sequence[str]) -> dict[int, str]:
    """The pks of the project's runs among ``run_ids``. Found by the unique id index alone,
    the project checked on the rows found: a planner guessing without statistics would
    otherwise walk a project index instead of looking up a few ids."""
    rows = conn.execute(
        select(runs.c.pk, runs.c.id, runs.c.project_id).where(runs.c.id.in_(list(run_ids)))
    )
    return {pk: run_id for pk, run_id, owner in rows if owner == project_id}


def error_codes_of(
    conn: Connection, project_id: str, run_ids: Sequence[str]
) -> dict[str, list[str]]:
    """The step error codes of each of these runs (those without any are left out)."""
    if not run_ids:
        return {}
    pks = _pks_of(conn, project_id, run_ids)
    if not pks:
        return {}
    e = run_error_codes.c
    rows = conn.execute(
        select(e.run_pk, e.error_code)
        .where(e.run_pk.in_(list(pks)), e.project_id == project_id)
        .order_by(e.run_pk, e.error_code)
    )
    found: dict[str, list[str]] = {}
    for pk, code in rows:
        found.setdefault(pks[pk], []).append(code)
    return found


def runs_by_ids(conn: Connection, project_id: str, run_ids: Sequence[str]) -> list[Run]:
    """The project's runs with these ids (unknown ones are left out), without steps."""
    if not run_ids:
        return []
    found = conn.execute(select(runs).where(runs.c.id.in_(list(run_ids))))
    return _runs(conn, [r._mapping for r in found if r.project_id == project_id])  # _pks_of


def retries_of(conn: Connection, project_id: str, run_id: str, limit: int = 50) -> list[Run]:
    """The runs that retry ``run_id``, in the order they were made."""
    rows = [
        r._mapping
        for r in conn.execute(
            select(runs)
            .where(runs.c.project_id == project_id, runs.c.source_run_id == run_id)
            .order_by(runs.c.pk)  # creation order, read from the retries index itself
            .limit(limit)
        )
    ]
    return _runs(conn, rows)


def status_history(conn: Connection, project_id: str, run_id: str) -> list[StatusChange]:
    """The statuses a run took, in order (empty for runs imported with their history)."""
    h = run_status_changes.c
    rows = conn.execute(
        select(h.status, h.attempt, h.at)
        .join(runs, runs.c.pk == h.run_pk)
        .where(runs.c.project_id == project_id, runs.c.id == run_id)
        .order_by(h.id)
    )
    return [StatusChange(status, attempt, at) for status, attempt, at in rows]
